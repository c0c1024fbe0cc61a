defmodule ScopedIPv6.ReliabilityTest do
  # The reliability suite: bounded (seconds to a couple of minutes), inside
  # the testbed. Each test adds a row to the table printed after the suite.
  use ExUnit.Case, async: false
  import Bitwise
  @moduletag :testbed
  @moduletag timeout: 600_000

  alias ScopedIPv6.Test.{Descriptors, Links, LiveMemory, Peer, ReliabilityTable}
  alias ScopedIPv6.{TCP, UDP}

  # SCOPED_IPV6_SOAK_CYCLES may lower it while working on the suite.
  @soak_cycles String.to_integer(System.get_env("SCOPED_IPV6_SOAK_CYCLES", "100000"))

  test "fd soak: 100,000 mixed cycles leave descriptors and memory where they were" do
    assert_tcp_tuning()
    Peer.start("sip6-a", "tcp-name", ["7300", "peer-a"])
    {:ok, listener} = TCP.listen(0, [:binary, ip: "fe80::1%linkA", backlog: 1024])
    {:ok, {_, listen_port}} = ScopedIPv6.sockname(listener)
    kinds = soak_kinds(listener, listen_port)

    # Warm up (module loading, first allocations), then take the baseline.
    run_cycles(kinds, 20)
    settle()
    fds = Descriptors.open()
    memory = LiveMemory.now()

    # Two halves: a leak grows with cycles, the allocators' own settling
    # does not. The second half must leave memory flat (a leak of 20 bytes
    # a cycle would show as 1 MB there).
    per_kind = div(@soak_cycles, length(kinds) * 2) + 1
    # No process of the library owns a socket: stopping and starting the
    # application under the cycles must change nothing.
    quiet_application_reports()
    restarter = spawn_link(fn -> restart_application_until_told(0) end)
    run_cycles(kinds, per_kind)
    wait_until(fn -> Descriptors.opened_since(fds) == [] end, "fds back to the baseline after half")
    settle()
    half = LiveMemory.now()
    run_cycles(kinds, per_kind)
    send(restarter, {:stop, self()})
    restarts = receive(do: ({:restarts, n} -> n))
    wait_until(fn -> Descriptors.opened_since(fds) == [] end, "fds back to the baseline")
    settle()
    full = LiveMemory.now()

    assert total(full) - total(half) < 1_000_000,
           "BEAM memory grew by #{total(full) - total(half)} bytes in the second half: #{moved(half, full)}"

    :ok = :gen_tcp.close(listener)
    per_kind = per_kind * 2
    grown = total(full) - total(memory)

    ReliabilityTable.record(
      "fd soak",
      "#{per_kind * length(kinds)} cycles of #{length(kinds)} kinds (#{Enum.map_join(kinds, ", ", &elem(&1, 0))}), the application stopped and started #{restarts} times under them",
      "fds back to #{MapSet.size(fds)} after each half; BEAM memory #{signed_kib(total(half) - total(memory))} in the first half, #{signed_kib(total(full) - total(half))} in the second (#{moved(half, full)}), #{signed_kib(grown)} in all"
    )
  end

  test "10,000 scoped connections held open at once, all usable, all closed" do
    n = 10_000
    {soft, _} = fd_limit()

    assert soft >= n + 500,
           "raise the descriptor limit (ulimit -n) to over #{n + 500}: it is #{soft}"

    Peer.start("sip6-b", "tcp-echo-many", ["7310"])
    baseline = Descriptors.open()

    sockets =
      for _ <- 1..n do
        {:ok, s} = TCP.connect("fe80::2%linkB", 7310, [:binary, active: false], 5_000)
        s
      end

    assert length(Descriptors.opened_since(baseline)) == n

    for {s, i} <- Enum.with_index(sockets) do
      byte = <<rem(i, 256)>>
      :ok = :gen_tcp.send(s, byte)
      assert {:ok, ^byte} = :gen_tcp.recv(s, 1, 5_000)
    end

    Enum.each(sockets, &:gen_tcp.close/1)
    wait_until(fn -> Descriptors.opened_since(baseline) == [] end, "fds back to the baseline")

    ReliabilityTable.record(
      "connections held",
      "#{n} to fe80::2%linkB at once",
      "all answered; all closed; fds back to #{MapSet.size(baseline)}"
    )
  end

  describe "faults" do
    setup do
      fault_link_up()
      :ok
    end

    test "the link is deleted during a transfer" do
      Peer.start("sip6-t", "tcp-echo", ["7320"])
      # send_timeout_close: without it, gen_tcp:close/1 waits for a queue
      # that can never drain (OTP's semantics, not ours).
      opts = [:binary, active: false, send_timeout: 1_000, send_timeout_close: true, sndbuf: 65_536]
      {:ok, socket} = TCP.connect("fe80::2%linkF", 7320, opts, 2_000)
      chunk = :binary.copy(<<7>>, 65_536)
      sender = Task.async(fn -> send_until_error(socket, chunk, 0) end)
      Process.sleep(200)
      fault_link_down()
      started = System.monotonic_time(:millisecond)
      {sent, error} = Task.await(sender, 15_000)
      waited = System.monotonic_time(:millisecond) - started
      assert {:error, _} = error
      assert sent > 0
      # What the peer echoed before the link went may still be buffered.
      assert {:error, _} = drain(socket, 100)
      :ok = :gen_tcp.close(socket)

      ReliabilityTable.record(
        "link deleted mid-transfer",
        "#{div(sent, 1_048_576)} MiB sent, then linkF deleted",
        "send returned #{inspect(error)} #{waited} ms later (send_timeout 1,000 ms); recv errors; no crash"
      )
    end

    test "the peer's namespace is stopped" do
      peer = Peer.start("sip6-t", "tcp-echo", ["7321"])
      index = ScopedIPv6.if_index!("linkF")
      {:ok, socket} = TCP.connect("fe80::2%linkF", 7321, [:binary, active: false], 2_000)
      {:ok, udp} = UDP.open(0, [:binary])
      :ok = :gen_tcp.send(socket, "alive")
      assert {:ok, "alive"} = :gen_tcp.recv(socket, 0, 2_000)

      # A namespace lives while a process does: stop the peer, then delete it.
      Peer.stop(peer)
      System.cmd("ip", ~w(netns del sip6-t), stderr_to_stdout: true)
      wait_until(fn -> ScopedIPv6.if_index("linkF") != {:ok, index} end, "linkF gone")

      _ = :gen_tcp.send(socket, "anyone?")
      assert {:error, tcp_error} = :gen_tcp.recv(socket, 0, 1_000)
      udp_error = UDP.send(udp, {{0xFE80, 0, 0, 0, 0, 0, 0, 2}, index}, 7321, "x")
      assert udp_error == {:error, {:no_such_interface, index}}

      assert TCP.connect("fe80::2%linkF", 7321, [], 1_000) ==
               {:error, {:no_such_interface, "linkF"}}

      :ok = :gen_tcp.close(socket)
      :ok = UDP.close(udp)

      ReliabilityTable.record(
        "peer namespace stopped",
        "ip netns del under a live TCP connection and a UDP socket",
        "recv #{inspect({:error, tcp_error})}; send #{inspect(udp_error)}; connect by name: no_such_interface"
      )
    end
  end

  test "a link-local address with no neighbour: errors within the timeout" do
    {:ok, udp} = UDP.open(0, [:binary])
    # UDP cannot know: the datagram waits for a neighbour that never answers.
    assert UDP.send(udp, "fe80::dead%linkA", 7330, "x") == :ok
    :ok = UDP.close(udp)

    outcomes =
      for timeout <- [500, 5_000] do
        {ms, result} = timed(fn -> TCP.connect("fe80::dead%linkA", 7330, [], timeout) end)
        # The timeout, or the kernel giving up first: an error either way.
        assert result in [{:error, :timeout}, {:error, :ehostunreach}, {:error, :etimedout}]
        assert ms < timeout + 1_000, "#{ms} ms for a #{timeout} ms timeout"
        "#{inspect(result)} after #{ms} ms (timeout #{timeout})"
      end

    ReliabilityTable.record(
      "no neighbour",
      "UDP send and TCP connect to fe80::dead%linkA",
      "UDP ok (nothing to wait for); connect " <> Enum.join(outcomes, "; ")
    )
  end

  # OTP's inet driver takes a writable event on a connecting socket, with
  # SO_ERROR 0, as "connected"; erts may hand a new socket the pending event
  # of the socket that had its fd number just before. Callers killed while
  # their connect is being refused close sockets with such events pending;
  # connects with a 5 ms timeout to an address nobody has reuse those fd
  # numbers. Without the library's check, a few of them came back {:ok, S}
  # (the kernel still in SYN-SENT) in every 40,000 on this machine.
  test "a connect never succeeds on another socket's stale poll event" do
    n = 40_000
    stop = :atomics.new(1, [])

    killers =
      for _ <- 1..10 do
        Task.async(fn -> kill_refused_callers(stop, 0) end)
      end

    results =
      1..n
      |> Task.async_stream(fn _ -> TCP.connect("fe80::dead%linkA", 7300, [], 5) end,
        max_concurrency: 20,
        timeout: 10_000
      )
      |> Enum.frequencies_by(fn {:ok, result} -> result end)

    :atomics.put(stop, 1, 1)
    killed = killers |> Enum.map(&Task.await(&1, 10_000)) |> Enum.sum()
    assert results == %{{:error, :timeout} => n}
    assert killed > 0

    ReliabilityTable.record(
      "stale poll events",
      "#{n} connects (5 ms) to fe80::dead%linkA while #{killed} callers were killed mid-refusal",
      "every one {:error, :timeout}"
    )
  end

  defp kill_refused_callers(stop, killed) do
    if :atomics.get(stop, 1) == 1 do
      killed
    else
      pid = spawn(fn -> TCP.connect("fe80::2%linkA", 7399, [], 1_000) end)
      Process.sleep(:rand.uniform(2) - 1)
      Process.exit(pid, :kill)
      kill_refused_callers(stop, killed + 1)
    end
  end

  @rustler_atoms ~w(nif_panicked nil undefined ok error badarg false true __struct__ first last step)

  test "random terms to every public function: results, errors or badarg; no new atom" do
    :rand.seed(:exsss, {10, 11, 12})
    # rustler makes its own atoms (rustler 0.39, src/types/atom.rs) all at
    # once, the first time it needs one of them (a boolean decoded, say);
    # nif_panicked is new to any VM. Make exactly those before counting.
    Enum.each(@rustler_atoms, &String.to_atom/1)
    {:ok, udp} = UDP.open(0, [:binary])
    calls = public_calls(udp)
    # A first batch loads every module these paths use (loading makes atoms).
    Enum.each(1..300, fn _ -> Enum.each(calls, &try_call(&1, random_term(3))) end)
    atoms = :erlang.system_info(:atom_count)
    rounds = 3_000
    Enum.each(1..rounds, fn _ -> Enum.each(calls, &try_call(&1, random_term(3))) end)
    assert :erlang.system_info(:atom_count) == atoms
    :ok = UDP.close(udp)

    ReliabilityTable.record(
      "random terms",
      "#{rounds * length(calls)} calls of #{length(calls)} public functions",
      "each gave a result, an error tuple, ArgumentError or (through gen_tcp) exit(badarg); atom table unchanged"
    )
  end

  # --- the soak's cycle kinds -----------------------------------------------------

  defp soak_kinds(listener, listen_port) do
    [
      connect_ok: fn ->
        {:ok, s} = TCP.connect("fe80::2%linkA", 7300, [:binary, active: false], 2_000)
        {:ok, "peer-a"} = :gen_tcp.recv(s, 0, 2_000)
        :ok = :gen_tcp.close(s)
      end,
      refused: fn -> {:error, :econnrefused} = TCP.connect("fe80::2%linkA", 7399, [], 2_000) end,
      timed_out: fn -> {:error, :timeout} = TCP.connect("fe80::dead%linkA", 7300, [], 5) end,
      caller_killed_mid_connect: fn ->
        pid = spawn(fn -> TCP.connect("fe80::dead%linkA", 7300, [], :infinity) end)
        Process.sleep(:rand.uniform(3) - 1)
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
      owner_killed_holding_sockets: fn ->
        parent = self()

        pid =
          spawn(fn ->
            {:ok, _s} = TCP.connect("fe80::2%linkA", 7300, [], 2_000)
            {:ok, _u} = UDP.open(0, [])
            send(parent, :holding)
            Process.sleep(:infinity)
          end)

        receive do
          :holding -> Process.exit(pid, :kill)
        after
          5_000 -> raise "the owner never held its sockets"
        end
      end,
      bad_option: fn ->
        try do
          TCP.connect("fe80::2%linkA", 7300, [{:packet, :bogus}], 2_000)
        rescue
          ArgumentError -> :ok
        end
      end
    ]
  end

  # Each stop is reported at info level ("application: scoped_ipv6 exited").
  defp quiet_application_reports do
    %{level: level} = :logger.get_primary_config()
    :ok = :logger.update_primary_config(%{level: :warning})
    on_exit(fn -> :logger.update_primary_config(%{level: level}) end)
  end

  defp restart_application_until_told(restarts) do
    receive do
      {:stop, from} -> send(from, {:restarts, restarts})
    after
      50 ->
        :ok = Application.stop(:scoped_ipv6)
        {:ok, _} = Application.ensure_all_started(:scoped_ipv6)
        restart_application_until_told(restarts + 1)
    end
  end

  defp run_cycles(kinds, per_kind) do
    for {_kind, fun} <- kinds do
      1..per_kind
      |> Task.async_stream(fn _ -> fun.() end, max_concurrency: 20, timeout: 10_000)
      |> Stream.run()
    end
  end

  # --- random terms -------------------------------------------------------------------

  defp public_calls(udp) do
    [
      &ScopedIPv6.parse/1,
      &ScopedIPv6.ntoa/1,
      &ScopedIPv6.resolve/1,
      &ScopedIPv6.if_index/1,
      &ScopedIPv6.if_name/1,
      &ScopedIPv6.needs_scope?/1,
      &ScopedIPv6.format_error/1,
      &ScopedIPv6.peername/1,
      &ScopedIPv6.sockname/1,
      # Sockets: random addresses only reach the testbed's own links (this
      # namespace has no other route), and every wait is 10 ms at most.
      fn t -> TCP.connect(t, random_port(), [], 10) end,
      fn t -> TCP.connect(random_address(), random_port(), List.wrap(t), 10) end,
      fn t -> TCP.listen(random_port(), List.wrap(t)) end,
      # gen_tcp itself, given the module: gen_tcp's own exit(badarg) too.
      fn t -> via_gen_tcp(fn opts -> :gen_tcp.connect(t, random_port(), opts, 10) end) end,
      fn t ->
        via_gen_tcp(fn opts ->
          :gen_tcp.connect(random_address(), random_port(), opts ++ List.wrap(t), 10)
        end)
      end,
      fn t -> via_gen_tcp(fn opts -> :gen_tcp.listen(random_port(), opts ++ List.wrap(t)) end) end,
      fn t -> UDP.open(0, List.wrap(t)) end,
      fn t -> UDP.send(udp, t, random_port(), "x") end,
      fn t -> UDP.send(t, random_address(), random_port(), "x") end,
      fn t -> UDP.recv(udp, 0, if(is_integer(t), do: 0, else: t)) end,
      fn t -> UDP.join_group(udp, t, "linkA") end,
      fn t -> UDP.setopts(udp, List.wrap(t)) end,
      fn t -> UDP.send(udp, random_address(), random_port(), List.wrap(t), "x") end,
      fn t -> UDP.getstat(t) end,
      fn t -> ScopedIPv6.ping(t, timeout: 10) end,
      fn t -> ScopedIPv6.ping(random_address(), List.wrap(t) ++ [timeout: 10]) end
    ]
  end

  # A call of gen_tcp's with scoped_ipv6_tcp_module as its tcp_module:
  # gen_tcp's exit(badarg) for a bad argument, as a result try_call/2 takes.
  defp via_gen_tcp(call) do
    call.(tcp_module: :scoped_ipv6_tcp_module)
  catch
    :exit, :badarg -> {:error, :exit_badarg}
  end

  defp try_call(fun, term) do
    try do
      fun.(term)
    rescue
      ArgumentError -> :ok
    else
      {:ok, socket} when is_port(socket) -> :gen_tcp.close(socket)
      {:ok, {:scoped_udp, _, _, _} = socket} -> UDP.close(socket)
      {:ok, _} -> :ok
      {:error, _} -> :ok
      :ok -> :ok
      text when is_binary(text) -> :ok
      bool when is_boolean(bool) -> :ok
      other -> flunk("unexpected #{inspect(other)} for #{inspect(term)}")
    end
  end

  defp random_port, do: Enum.random([0, 9, 7399, 65_535])

  defp random_address do
    Enum.random([
      "fe80::dead%linkA",
      {{0xFE80, 0, 0, 0, 0, 0, 0, :rand.uniform(0xFFFF)},
       Enum.random(["linkA", "linkB", 2, 3, 999])},
      {0xFD00, 0xA, 0, 0, 0, 0, 0, :rand.uniform(0xFFFF)},
      {127, 0, 0, :rand.uniform(254)},
      "::1"
    ])
  end

  defp random_term(0), do: random_leaf()

  defp random_term(depth) do
    case :rand.uniform(6) do
      1 ->
        List.to_tuple(for _ <- 1..(:rand.uniform(9) - 1)//1, do: random_term(depth - 1))

      2 ->
        for _ <- 1..(:rand.uniform(4) - 1)//1, do: random_term(depth - 1)

      3 ->
        {{0xFE80, 0, 0, 0, 0, 0, 0, 0xDEAD}, random_term(depth - 1)}

      4 ->
        {Enum.random([:ip, :active, :packet, :ifaddr, :reuseaddr, :multicast_if]),
         random_term(depth - 1)}

      _ ->
        random_leaf()
    end
  end

  defp random_leaf do
    case :rand.uniform(8) do
      1 -> :rand.uniform(1 <<< 34) - (1 <<< 33)
      2 -> Enum.random([:foo, :binary, :list, :inet, :inet6, nil, true, :once])
      3 -> for _ <- 1..:rand.uniform(14), into: "", do: <<Enum.random(~c"fe80:1%.0lAinkdea")>>
      4 -> :rand.uniform() * 10
      5 -> {0xFE80, 0, 0, 0, 0, 0, 0, :rand.uniform(0x1_0000) - 1}
      6 -> for _ <- 1..:rand.uniform(16), into: "", do: <<:rand.uniform(256) - 1>>
      7 -> self()
      8 -> make_ref()
    end
  end

  # --- the fault namespace: sip6-t behind linkF ------------------------------------------

  defp fault_link_up do
    Links.add_peer("linkF", "sip6-t")
  end

  defp fault_link_down, do: Links.delete("linkF")

  # --- helpers -----------------------------------------------------------------------------

  defp send_until_error(socket, chunk, sent) do
    case :gen_tcp.send(socket, chunk) do
      :ok when sent < 64 * 1_048_576 * 1_024 ->
        send_until_error(socket, chunk, sent + byte_size(chunk))

      other ->
        {sent, other}
    end
  end

  defp drain(socket, 0), do: {:ok, :still_receiving, socket}

  defp drain(socket, tries) do
    case :gen_tcp.recv(socket, 0, 500) do
      {:ok, _} -> drain(socket, tries - 1)
      error -> error
    end
  end

  defp timed(fun) do
    started = System.monotonic_time(:millisecond)
    result = fun.()
    {System.monotonic_time(:millisecond) - started, result}
  end

  # Tens of thousands of connections in a minute need the port range and
  # TIME_WAIT reuse that test/testbed.sh sets in this namespace.
  defp assert_tcp_tuning do
    assert File.read!("/proc/sys/net/ipv4/tcp_tw_reuse") == "1\n",
           "test/testbed.sh sets net.ipv4.tcp_tw_reuse=1 in sip6-host"
  end

  defp fd_limit do
    line =
      File.read!("/proc/self/limits")
      |> String.split("\n")
      |> Enum.find(&String.starts_with?(&1, "Max open files"))

    [soft, hard | _] = line |> String.replace("Max open files", "") |> String.split()
    {String.to_integer(soft), hard}
  end

  defp total(memory), do: LiveMemory.total(memory)

  # What moved, largest first: "processes +12 KiB, binary -3 KiB".
  defp moved(from, to) do
    from
    |> Enum.map(fn {what, bytes} -> {what, to[what] - bytes} end)
    |> Enum.sort_by(fn {_, delta} -> -abs(delta) end)
    |> Enum.map_join(", ", fn {what, delta} -> "#{what} #{signed_kib(delta)}" end)
  end

  defp signed_kib(bytes), do: "#{if bytes >= 0, do: "+", else: ""}#{div(bytes, 1024)} KiB"

  # A closed port's descriptor is closed by then; what a killed owner's
  # ports close happens as their exit signals arrive: give those a moment.
  defp settle, do: Process.sleep(300)

  defp wait_until(fun, what, tries \\ 500) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("not reached: #{what} (#{MapSet.size(Descriptors.open())} fds open)")
      true -> Process.sleep(20) && wait_until(fun, what, tries - 1)
    end
  end
end
