defmodule ScopedIPv6.TestbedFailureTest do
  # Ownership and failure: every descriptor the NIF makes is closed exactly
  # once, whatever happens to the socket, its owner or its interface.
  use ExUnit.Case, async: false
  @moduletag :testbed
  @moduletag timeout: 300_000

  alias ScopedIPv6.Test.Peer
  alias ScopedIPv6.{TCP, UDP}

  @cycles_per_kind 400

  test "thousands of mixed cycles leave the descriptor count where it was" do
    Peer.start("sip6-a", "tcp-name", ["7300", "peer-a"])
    {:ok, listener} = TCP.listen(0, [:binary, ip: "fe80::1%linkA", backlog: 128])
    {:ok, {_, listen_port}} = ScopedIPv6.sockname(listener)
    settle()
    baseline = fd_count()
    kept = :scoped_ipv6_fd_keeper.count()

    kinds = [
      connect_ok: fn ->
        {:ok, s} = TCP.connect("fe80::2%linkA", 7300, [:binary, active: false], 2_000)
        {:ok, "peer-a"} = :gen_tcp.recv(s, 0, 2_000)
        :ok = :gen_tcp.close(s)
      end,
      refused: fn -> {:error, :econnrefused} = TCP.connect("fe80::2%linkA", 7399, [], 2_000) end,
      timed_out: fn -> {:error, :timeout} = TCP.connect("fe80::dead%linkA", 7300, [], 5) end,
      caller_killed_mid_connect: fn ->
        pid = spawn(fn -> TCP.connect("fe80::dead%linkA", 7300, [], :infinity) end)
        Process.sleep(2)
        Process.exit(pid, :kill)
      end,
      listen_accept_close: fn ->
        {:ok, c} = TCP.connect({{0xFE80, 0, 0, 0, 0, 0, 0, 1}, "linkA"}, listen_port, [], 2_000)
        {:ok, s} = :gen_tcp.accept(listener, 2_000)
        :ok = :gen_tcp.close(s)
        :ok = :gen_tcp.close(c)
      end,
      listen_open_close: fn ->
        {:ok, l} = TCP.listen(0, ip: "fe80::1%linkB")
        :ok = :gen_tcp.close(l)
      end,
      udp_open_close: fn ->
        {:ok, u} = UDP.open(0, [:binary])
        :ok = UDP.send(u, "fe80::2%linkB", 9, "x")
        :ok = UDP.close(u)
      end,
      owner_killed_holding_socket: fn ->
        parent = self()

        pid =
          spawn(fn ->
            {:ok, _s} = TCP.connect("fe80::2%linkA", 7300, [], 2_000)
            {:ok, _u} = UDP.open(0, [])
            send(parent, :holding)
            Process.sleep(:infinity)
          end)

        receive do: (:holding -> Process.exit(pid, :kill))
      end,
      bad_option_after_socket_exists: fn ->
        {:error, _} = TCP.connect("fe80::2%linkA", 7300, [{:packet, :bogus}], 2_000)
      end
    ]

    for {_kind, fun} <- kinds do
      1..@cycles_per_kind
      |> Task.async_stream(fn _ -> fun.() end, max_concurrency: 20, timeout: 10_000)
      |> Stream.run()
    end

    :ok = :gen_tcp.close(listener)
    # Exactly: fewer than the baseline would mean we closed one we do not own.
    wait_until(fn -> fd_count() == baseline - 1 and :scoped_ipv6_fd_keeper.count() == kept - 1 end)
    cycles = length(kinds) * @cycles_per_kind

    IO.puts(
      "\nfd soak: #{cycles} cycles of #{length(kinds)} kinds; fds #{baseline} -> #{fd_count() + 1} (listener closed)"
    )
  end

  test "an interface deleted under a connection gives errors, and its re-creation works by name" do
    add_link()
    Peer.start("sip6-a", "tcp-echo", ["7301"])
    {:ok, socket} = TCP.connect("fe80::99%linkT", 7301, [:binary, active: false], 2_000)
    old_index = ScopedIPv6.if_index!("linkT")
    :ok = :gen_tcp.send(socket, "before")
    assert {:ok, "before"} = :gen_tcp.recv(socket, 0, 2_000)
    {:ok, udp} = UDP.open(0, [:binary])

    delete_link()
    # The connection can no longer reach its peer: errors or a timeout, no crash.
    _ = :gen_tcp.send(socket, "after")
    assert {:error, _} = :gen_tcp.recv(socket, 0, 500)
    assert TCP.connect("fe80::99%linkT", 7301, [], 1_000) == {:error, {:no_such_interface, "linkT"}}

    # The old index is checked before the kernel sees it.
    assert UDP.send(udp, {{0xFE80, 0, 0, 0, 0, 0, 0, 0x99}, old_index}, 7301, "x") ==
             {:error, {:no_such_interface, old_index}}

    :ok = :gen_tcp.close(socket)

    add_link()
    assert ScopedIPv6.if_index!("linkT") != old_index
    {:ok, again} = TCP.connect("fe80::99%linkT", 7301, [:binary, active: false], 2_000)
    :ok = :gen_tcp.send(again, "re-created")
    assert {:ok, "re-created"} = :gen_tcp.recv(again, 0, 2_000)
    :ok = :gen_tcp.close(again)
    :ok = UDP.close(udp)
    delete_link()
  end

  # A link of this test's own, linkT <-> sip6-a's eth9, so that deleting it
  # leaves the testbed's links alone.
  defp add_link do
    on_exit(fn -> System.cmd("ip", ~w(link del linkT), stderr_to_stdout: true) end)

    for args <- [
          ~w(link add linkT type veth peer name eth9 netns sip6-a),
          ~w(link set linkT addrgenmode none),
          ~w(-n sip6-a link set eth9 addrgenmode none),
          ~w(-6 addr add fe80::1/64 dev linkT nodad),
          ~w(-n sip6-a -6 addr add fe80::99/64 dev eth9 nodad),
          ~w(link set linkT up),
          ~w(-n sip6-a link set eth9 up)
        ] do
      {_, 0} = System.cmd("ip", args, stderr_to_stdout: true)
    end
  end

  defp delete_link, do: System.cmd("ip", ~w(link del linkT), stderr_to_stdout: true)

  defp fd_count, do: length(File.ls!("/proc/self/fd"))

  # Descriptors close asynchronously: on the keeper's 'DOWN', or in a STOP
  # the VM may schedule. Give them a moment, then demand the exact count.
  defp settle, do: Process.sleep(200)

  defp wait_until(fun, tries \\ 300) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("not back to the baseline: #{fd_count()} fds open")
      true -> Process.sleep(20) && wait_until(fun, tries - 1)
    end
  end
end
