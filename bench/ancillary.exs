# UDP round trips with RFC 3542 arrival information on and off, against
# gen_udp, in the same run. Run by bench/run inside the testbed (sip6-host);
# the echo peer (bench/peer.exs, UDP 7402) runs in sip6-a behind linkA.
# Paths, each a wildcard-bound socket doing send + passive recv to
# fe80::2%linkA:
#
#   off        scoped_ipv6_udp, no option (the shapes of before)
#   arrival    recvpktinfo + recvhoplimit + recvtclass: {ok, {A, P, AncData, D}}
#   guard      arrival, and the hop-limit guard at 64 (every datagram passes)
#   gen_udp    gen_udp bound to fe80::1%linkA, no scope on receive
#   off+1us    off, and 1 us of CPU spent after each round trip: a known
#              cost, which shows what the measurement makes of one
#
# Within a round the paths take turns, one round trip each, in a new
# random order each turn (bench/rounds.exs); the ratio is
# the median of the per-round ratios (paired), so machine noise that hits
# a round hits every path alike. A second table runs each path alone for
# a whole round (4,000 round trips), as the first version of this
# benchmark did: there, with the peer's VM and ours on the same 2 cores,
# the round trip time is bimodal (27 or 45 us) and any CPU a path adds is
# multiplied (1 us of spinning costs 4 to 6 us per round trip), so that
# table shows the control beside the arrival path.

Code.require_file("rounds.exs", __DIR__)

defmodule AncillaryBench do
  @ll1 {0xFE80, 0, 0, 0, 0, 0, 0, 1}
  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}

  def quick?, do: System.get_env("BENCH_QUICK") == "1"
  def index, do: ScopedIPv6.if_index!("linkA")

  # One socket per path, open for the whole run.
  def open(:gen_udp) do
    local = %{family: :inet6, addr: @ll1, port: 0, scope_id: index()}
    {:ok, u} = :gen_udp.open(0, [:inet6, :binary, active: false, ifaddr: local])
    u
  end

  def open(path) do
    {:ok, u} = :scoped_ipv6_udp.open(0, [:binary | options(path)])
    u
  end

  def close(:gen_udp, u), do: :gen_udp.close(u)
  def close(_path, u), do: :scoped_ipv6_udp.close(u)

  # One round trip to the echo peer, checked.
  def round_trip(:gen_udp, u) do
    :ok = :gen_udp.send(u, %{family: :inet6, addr: @ll2, port: 7402, scope_id: index()}, "ping")
    {:ok, {_peer, 7402, "ping"}} = :gen_udp.recv(u, 0, 1_000)
  end

  def round_trip(:spin, u) do
    round_trip(:off, u)
    spin(spin_per_us())
  end

  def round_trip(:off, u) do
    :ok = :scoped_ipv6_udp.send(u, {@ll2, index()}, 7402, "ping")
    {:ok, {{_, _}, 7402, "ping"}} = :scoped_ipv6_udp.recv(u, 0, 1_000)
  end

  def round_trip(_arrival, u) do
    :ok = :scoped_ipv6_udp.send(u, {@ll2, index()}, 7402, "ping")

    {:ok, {{_, _}, 7402, [pktinfo: _, hoplimit: 64, tclass: 0], "ping"}} =
      :scoped_ipv6_udp.recv(u, 0, 1_000)
  end

  # A loop of a calibrated count: 1 us of one scheduler's CPU.
  def spin(0), do: :ok
  def spin(n), do: spin(n - 1)

  def spin_per_us, do: :persistent_term.get({__MODULE__, :spin})

  def calibrate do
    n = 2_000_000
    t0 = System.monotonic_time(:nanosecond)
    spin(n)

    :persistent_term.put(
      {__MODULE__, :spin},
      round(n * 1_000 / (System.monotonic_time(:nanosecond) - t0))
    )
  end

  # Each path alone for n round trips, on its own socket.
  def alone(path, n) do
    u = open(path)
    t0 = System.monotonic_time(:nanosecond)
    for _ <- 1..n, do: round_trip(path, u)
    rate = n / ((System.monotonic_time(:nanosecond) - t0) / 1.0e9)
    close(path, u)
    rate
  end

  defp label(:spin), do: "off+1us (control)"
  defp label(path), do: "#{path}"

  defp options(:spin), do: []
  defp options(:off), do: []
  defp options(:arrival), do: [recvpktinfo: true, recvhoplimit: true, recvtclass: true]
  defp options(:guard), do: [{:min_hoplimit, 64} | options(:arrival)]

  defp rate(n, fun) do
    t0 = System.monotonic_time(:nanosecond)
    for _ <- 1..n, do: fun.()
    n / ((System.monotonic_time(:nanosecond) - t0) / 1.0e9)
  end

  # The cost on loopback, without a peer's scheduling in the way: one socket
  # sends to itself and receives, microseconds per datagram.
  def loopback_us(path, n) do
    {:ok, u} = :scoped_ipv6_udp.open(0, [:binary, {:ip, {0, 0, 0, 0, 0, 0, 0, 1}} | options(path)])
    {:ok, {_, port}} = :scoped_ipv6_udp.sockname(u)

    us =
      1.0e6 /
        rate(n, fn ->
          :ok = :scoped_ipv6_udp.send(u, {0, 0, 0, 0, 0, 0, 0, 1}, port, "ping")
          {:ok, _} = :scoped_ipv6_udp.recv(u, 0, 1_000)
        end)

    :scoped_ipv6_udp.close(u)
    us
  end

  defdelegate median(list), to: BenchRounds

  def run do
    calibrate()
    paths = [:off, :arrival, :guard, :gen_udp, :spin]
    rounds = 20
    per_round = if quick?(), do: 500, else: 4_000
    sockets = Map.new(paths, &{&1, open(&1)})
    turn = &round_trip(&1, sockets[&1])
    # Warm up every path (module loading, the peer's first replies).
    BenchRounds.interleaved_rates(paths, 200, turn)

    results =
      BenchRounds.collect(rounds, fn -> BenchRounds.interleaved_rates(paths, per_round, turn) end)

    Enum.each(sockets, fn {path, u} -> close(path, u) end)

    ratio = &BenchRounds.paired(results, &1, &2)
    spread = fn path -> "#{round(Enum.min(results[path]))}..#{round(Enum.max(results[path]))}" end
    rate = fn path -> "#{round(median(results[path]))} (#{spread.(path)})" end
    f = fn x -> :erlang.float_to_binary(x, decimals: 3) end

    IO.puts("")

    IO.puts(
      "UDP round trips/s with arrival information, #{rounds} rounds of #{per_round} per path, interleaved (median, spread)"
    )

    IO.puts("")
    IO.puts("| path | round trips/s | vs off (paired) | vs gen_udp (paired) | goal | met |")
    IO.puts("|---|---|---|---|---|---|")

    for path <- [:arrival, :guard] do
      r = ratio.(path, :off)

      IO.puts(
        "| #{path} | #{rate.(path)} | #{f.(r)} | #{f.(ratio.(path, :gen_udp))} | >= 0.90 of off | #{if r >= 0.9, do: "yes", else: "NO"} |"
      )
    end

    IO.puts("| off | #{rate.(:off)} | 1.000 | #{f.(ratio.(:off, :gen_udp))} | | |")
    IO.puts("| gen_udp | #{rate.(:gen_udp)} | | 1.000 | | |")

    IO.puts(
      "| off+1us (control) | #{rate.(:spin)} | #{f.(ratio.(:spin, :off))} | #{f.(ratio.(:spin, :gen_udp))} | | |"
    )

    # The first version's design: each path alone for a round, the order
    # rotating between rounds.
    apart = [:off, :arrival, :spin]
    apart_n = if quick?(), do: 500, else: 4_000

    alone = BenchRounds.rounds(12, apart, &alone(&1, apart_n))
    alone_ratio = &BenchRounds.paired(alone, &1, :off)

    IO.puts("")
    IO.puts("Each path alone for a round of #{apart_n}, 12 rounds (median, spread), for comparison")
    IO.puts("")
    IO.puts("| path | round trips/s | vs off (paired) |")
    IO.puts("|---|---|---|")

    for path <- apart do
      IO.puts(
        "| #{label(path)} | #{round(median(alone[path]))} (#{round(Enum.min(alone[path]))}..#{round(Enum.max(alone[path]))}) | #{f.(alone_ratio.(path))} |"
      )
    end

    local = [:off, :arrival, :guard]
    loop_n = if quick?(), do: 2_000, else: 20_000

    costs = BenchRounds.rounds(rounds, local, &loopback_us(&1, loop_n))

    IO.puts("")

    IO.puts(
      "The same on loopback (one socket, send to itself + recv), us per datagram, median of #{rounds} rounds of #{loop_n}"
    )

    IO.puts("")
    IO.puts("| path | us per datagram | extra us vs off (paired) |")
    IO.puts("|---|---|---|")

    for path <- local do
      extra = median(Enum.zip_with(costs[path], costs[:off], &(&1 - &2)))
      IO.puts("| #{path} | #{f.(median(costs[path]))} | #{f.(extra)} |")
    end
  end
end

AncillaryBench.run()
