defmodule ScopedIPv6.HostileInputTest do
  # Issue 10, rows 4, 6, 7 and 9: what untrusted input or a hostile
  # neighbour can make the library do, on loopback (no testbed needed).
  # Row 5 (the resolver pool) needs a silent DNS server: see
  # testbed_resolver_test.exs. Not async: one test traces calls into the NIF.
  use ExUnit.Case, async: false

  alias ScopedIPv6.Test.ReliabilityTable
  alias ScopedIPv6.UDP
  import Bitwise

  # --- row 4: a hostile epmd --------------------------------------------------

  @hostile_epmd Path.expand("peers/hostile_epmd.py", __DIR__)

  test "an epmd query has one deadline and reads at most one reply, whatever the peer does" do
    # Every peer first, then the checks, so that a failure shows them all.
    [dribble, flood, long_name, linger] =
      for {mode, timeout} <- [
            # A reply at 1 byte per 0.9 s: each byte comes within the
            # timeout, but the query as a whole may not take longer.
            {"dribble", 1_000},
            # "w", 0, then a flood (64 MiB on offer).
            {"flood", 5_000},
            # A name length no epmd sends, then silence.
            {"long-name", 5_000},
            # A complete reply, the connection left open.
            {"linger", 5_000}
          ],
          do: ask_hostile_epmd(mode, timeout)

    assert {{:error, :timeout}, ms, _} = dribble
    assert ms < 1_500, "the query took #{ms} ms with a 1,000 ms timeout"
    assert {{:error, :bad_epmd_reply}, ms, grown} = flood
    assert ms < 1_000
    assert grown < 1_000_000, "memory grew by #{grown} bytes during the query"
    assert {{:error, :bad_epmd_reply}, ms, _} = long_name
    assert ms < 1_000
    # epmd closes the connection after its reply, but nothing needs that.
    assert {{:ok, 40123, 6}, ms, _} = linger
    assert ms < 1_000

    ReliabilityTable.record(
      "hostile epmd",
      "fake epmd on ::1: 1 byte per 0.9 s (1 s timeout); \"w\", 0 and a 64 MiB flood; name length 65535; a reply then silence",
      "timeout within 1.5 s; bad_epmd_reply at once with memory flat; the reply read without waiting for close"
    )
  end

  # Starts the fake epmd in `mode`, asks it for a node's port, and returns
  # the answer, how long it took, and how far BEAM memory rose meanwhile.
  defp ask_hostile_epmd(mode, timeout) do
    python = System.find_executable("python3")

    peer =
      Port.open({:spawn_executable, python}, [:binary, {:line, 64}, args: [@hostile_epmd, mode]])

    {:os_pid, os_pid} = Port.info(peer, :os_pid)
    on_exit(fn -> System.cmd("kill", ["-9", "#{os_pid}"], stderr_to_stdout: true) end)

    port =
      receive do
        {^peer, {:data, {:eol, line}}} -> String.to_integer(line)
      after
        5_000 -> flunk("the fake epmd did not start")
      end

    :erlang.garbage_collect()
    baseline = :erlang.memory(:total)
    sampler = spawn_link(fn -> sample_memory(baseline) end)
    started = System.monotonic_time(:millisecond)
    result = :scoped_ipv6_epmd.port_please("node", "::1", port, timeout)
    ms = System.monotonic_time(:millisecond) - started
    send(sampler, {:peak, self()})

    peak =
      receive do
        {:peak, peak} -> peak
      end

    # The peer may have exited already (its lifetime is bounded).
    try do
      Port.close(peer)
    rescue
      ArgumentError -> :ok
    end

    {result, ms, peak - baseline}
  end

  defp sample_memory(peak) do
    receive do
      {:peak, to} -> send(to, {:peak, max(peak, :erlang.memory(:total))})
    after
      2 -> sample_memory(max(peak, :erlang.memory(:total)))
    end
  end

  # --- row 6: text longer than any address ------------------------------------

  test "text longer than any address is refused before the NIF, in bounded work" do
    mib = :binary.copy("1", 1 <<< 20)
    list = :binary.bin_to_list(mib)
    fe80 = {0xFE80, 0, 0, 0, 0, 0, 0, 1}
    # One byte longer than the longest address text (61 bytes).
    long = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%abcdefghijklmnop"

    # The controls: short text reaches the NIF, and the tracer sees it; the
    # longest address text still parses.
    assert {{:ok, _}, calls, _} = measure(fn -> ScopedIPv6.parse("fe80::1%lo") end)
    assert calls > 0
    assert {:ok, _} = ScopedIPv6.parse(String.slice(long, 0..-2//1))

    cases = [
      {:parse, mib},
      {:parse, list},
      {:parse, long},
      {:parse, String.to_charlist(long)},
      {:resolve, mib},
      {:resolve, list},
      {:resolve, {fe80, mib}},
      {:resolve, {fe80, list}},
      {:if_index, mib},
      {:if_index, list},
      {:if_index, "abcdefghijklmnop"}
    ]

    for {fun, arg} <- cases do
      {result, calls, reductions} = measure(fn -> apply(:scoped_ipv6, fun, [arg]) end)
      what = "#{fun}(#{inspect(arg, limit: 3, printable_limit: 20)})"
      assert result == {:error, :einval}, "#{what} gave #{inspect(result)}"
      assert calls == 0, "#{what} called the NIF"
      assert reductions < 2_000, "#{what} took #{reductions} reductions"
    end

    # Where a connect or send goes: text that is no address may be a host
    # name, but not a longer one than DNS allows (253 bytes).
    for arg <- [mib, list] do
      {result, calls, reductions} = measure(fn -> :scoped_ipv6_dest.resolve(arg, 1_000) end)
      assert {result, calls} == {{:error, :einval}, 0}
      assert reductions < 2_000
    end

    ReliabilityTable.record(
      "address text length",
      "1 MiB binaries and lists, and 62-byte text, to parse/1, resolve/1, if_index/1, and as a destination",
      "{error, einval} in under 2,000 reductions, the NIF never called"
    )
  end

  # The result of `fun`, how many calls it made into the NIF with text, and
  # how many reductions it took. OTP cannot trace a NIF itself: scoped_ipv6
  # (through scoped_ipv6_addr) hands text to it only through nif_parse/2 and
  # nif_zone_index/1.
  @text_nif_calls [{:scoped_ipv6_addr, :nif_parse, 2}, {:scoped_ipv6_addr, :nif_zone_index, 1}]
  defp measure(fun) do
    parent = self()

    worker =
      spawn_link(fn ->
        receive do
          :go -> :ok
        end

        {:reductions, before} = Process.info(self(), :reductions)
        result = fun.()
        {:reductions, later} = Process.info(self(), :reductions)
        send(parent, {:measured, result, later - before})
      end)

    # A process cannot trace itself: this one traces the worker. A
    # function of a module not yet loaded cannot be traced.
    Code.ensure_loaded!(:scoped_ipv6_addr)
    for mfa <- @text_nif_calls, do: 1 = :erlang.trace_pattern(mfa, true, [:local])
    1 = :erlang.trace(worker, true, [:call])
    send(worker, :go)

    receive do
      {:measured, result, reductions} ->
        for mfa <- @text_nif_calls, do: :erlang.trace_pattern(mfa, false, [:local])
        {result, count_trace_calls(0), reductions}
    end
  end

  defp count_trace_calls(n) do
    receive do
      {:trace, _, :call, {:scoped_ipv6_addr, _, _}} -> count_trace_calls(n + 1)
    after
      0 -> n
    end
  end

  # --- row 7: whole datagrams ------------------------------------------------

  # IPv6 UDP carries at most 65,527 bytes (65,535 less the 8-byte header).
  @sizes [8193, 9000, 20_000, 65_000, 65_527]

  test "UDP receives whole datagrams above 8,192 bytes, passive and active" do
    {:ok, a} = UDP.open(0, [:binary, ip: "::1"])
    {:ok, b} = UDP.open(0, [:binary, ip: "::1"])
    {:ok, {_, port}} = UDP.sockname(b)

    for size <- @sizes do
      data = payload(size)
      :ok = UDP.send(a, "::1", port, data)
      assert {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _, ^data}} = UDP.recv(b, 0, 1_000)
    end

    :ok = UDP.setopts(b, active: true)

    for size <- @sizes do
      data = payload(size)
      :ok = UDP.send(a, "::1", port, data)
      assert_receive {:udp, ^b, _, _, ^data}, 1_000
    end

    # List mode too: the same bytes.
    :ok = UDP.setopts(b, [:list, active: false])
    :ok = UDP.send(a, "::1", port, payload(20_000))
    assert {:ok, {_, _, list}} = UDP.recv(b, 0, 1_000)
    assert list == :binary.bin_to_list(payload(20_000))

    UDP.close(a)
    UDP.close(b)

    ReliabilityTable.record(
      "UDP datagram size",
      "datagrams of #{Enum.join(@sizes, ", ")} bytes on ::1, passive and active",
      "each received whole (OTP's socket module reads 8,192 bytes by default)"
    )
  end

  test "{buffer, N} caps the datagram size; a longer one is an error, never cut" do
    {:ok, a} = UDP.open(0, [:binary, ip: "::1"])
    {:ok, b} = UDP.open(0, [:binary, ip: "::1", buffer: 1000])
    {:ok, {_, port}} = UDP.sockname(b)

    :ok = UDP.send(a, "::1", port, payload(1001))
    assert UDP.recv(b, 0, 1_000) == {:error, :emsgsize}
    :ok = UDP.send(a, "::1", port, payload(1000))
    assert {:ok, {_, _, data}} = UDP.recv(b, 0, 1_000)
    assert byte_size(data) == 1000

    # Active mode reports the long one and stays active for the next.
    :ok = UDP.setopts(b, active: true, buffer: 2000)
    :ok = UDP.send(a, "::1", port, payload(2001))
    :ok = UDP.send(a, "::1", port, payload(2000))
    assert_receive {:udp_error, ^b, :emsgsize}, 1_000
    assert_receive {:udp, ^b, _, _, data}, 1_000
    assert byte_size(data) == 2000

    assert UDP.setopts(b, buffer: 0) == {:error, :einval}
    assert UDP.setopts(b, buffer: 65_536) == {:error, :einval}
    UDP.close(a)
    UDP.close(b)

    ReliabilityTable.record(
      "UDP {buffer, N}",
      "buffer 1000 and 2000 bytes, datagrams one byte longer, passive and active",
      "{error, emsgsize} / {udp_error, S, emsgsize}, next datagram whole; no silent cut"
    )
  end

  # --- row 9: bad arguments raise badarg ---------------------------------------

  test "UDP calls raise badarg, with their arguments, for bad arguments" do
    {:ok, s} = UDP.open(0, [:binary, ip: "::1"])
    {:ok, {_, port}} = UDP.sockname(s)
    improper = [<<"a">> | :b]

    cases = [
      {:send, [s, "::1", port, improper]},
      {:send, [s, "::1", port, [1000]]},
      {:send, [s, "::1", port, :not_data]},
      # gen_udp's range for the length is 0..16#ffffffff; OTP 25's socket
      # module aborts the VM when asked to read 2^40 bytes.
      {:recv, [s, 1 <<< 40, 10]},
      {:recv, [s, 1 <<< 64, 10]},
      {:recv, [s, -1, 10]},
      {:recv, [s, 0, -1]},
      {:recv, [s, 0, :soon]}
    ]

    for {fun, args} <- cases do
      try do
        apply(:scoped_ipv6_udp, fun, args)
        flunk("#{fun}#{inspect(args)} returned instead of raising")
      catch
        :error, reason ->
          assert reason == :badarg, "#{fun}#{inspect(args)} raised #{inspect(reason)}"
          assert [{:scoped_ipv6_udp, ^fun, ^args, _} | _] = __STACKTRACE__
      end
    end

    # A timeout above what `receive ... after' takes is a long wait, as in
    # gen_tcp, not an error.
    parent = self()
    waiter = spawn(fn -> send(parent, {:waited, UDP.recv(s, 0, 0xFFFFFFFF + 1)}) end)
    refute_receive {:waited, _}, 200
    assert Process.alive?(waiter)
    :ok = UDP.send(s, "::1", port, "late")
    assert_receive {:waited, {:ok, {_, _, "late"}}}, 1_000
    UDP.close(s)

    ReliabilityTable.record(
      "UDP bad arguments",
      "improper-list and non-iodata payloads, lengths 2^40, 2^64, -1, bad timeouts",
      "badarg with the call's arguments; a timeout above 16#ffffffff waits"
    )
  end

  defp payload(size),
    do: :binary.copy(<<0, 1, 2, 3, 4, 5, 6, 7, 8, 9>>, div(size, 10) + 1) |> binary_part(0, size)
end
