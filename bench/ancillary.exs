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
#
# Rounds alternate the order of the paths; the ratio is the median of the
# per-round ratios (paired), so machine noise that hits a round hits both.

defmodule AncillaryBench do
  @ll1 {0xFE80, 0, 0, 0, 0, 0, 0, 1}
  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}

  def quick?, do: System.get_env("BENCH_QUICK") == "1"
  def index, do: ScopedIPv6.if_index!("linkA")

  def round_trips(:gen_udp, n) do
    local = %{family: :inet6, addr: @ll1, port: 0, scope_id: index()}
    {:ok, u} = :gen_udp.open(0, [:inet6, :binary, active: false, ifaddr: local])
    dest = %{family: :inet6, addr: @ll2, port: 7402, scope_id: index()}

    rate(n, fn ->
      :ok = :gen_udp.send(u, dest, "ping")
      {:ok, {_peer, 7402, "ping"}} = :gen_udp.recv(u, 0, 1_000)
    end)
    |> tap(fn _ -> :gen_udp.close(u) end)
  end

  def round_trips(path, n) do
    {:ok, u} = :scoped_ipv6_udp.open(0, [:binary | options(path)])
    dest = {@ll2, index()}

    check =
      case path do
        :off ->
          fn {:ok, {{_, _}, 7402, "ping"}} -> :ok end

        _ ->
          fn {:ok, {{_, _}, 7402, [pktinfo: _, hoplimit: 64, tclass: 0], "ping"}} -> :ok end
      end

    rate(n, fn ->
      :ok = :scoped_ipv6_udp.send(u, dest, 7402, "ping")
      check.(:scoped_ipv6_udp.recv(u, 0, 1_000))
    end)
    |> tap(fn _ -> :scoped_ipv6_udp.close(u) end)
  end

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

  def median(list), do: Enum.at(Enum.sort(list), div(length(list), 2))

  def run do
    paths = [:off, :arrival, :guard, :gen_udp]
    rounds = 20
    per_round = if quick?(), do: 500, else: 4_000
    # Warm up every path once (module loading, the peer's first replies).
    Enum.each(paths, &round_trips(&1, 200))

    results =
      for round <- 1..rounds, reduce: %{} do
        acc ->
          order = Enum.drop(paths, rem(round, 4)) ++ Enum.take(paths, rem(round, 4))

          Enum.reduce(order, acc, fn path, acc ->
            value = round_trips(path, per_round)
            Map.update(acc, path, [value], &(&1 ++ [value]))
          end)
      end

    ratio = fn a, b -> median(Enum.zip_with(results[a], results[b], &(&1 / &2))) end
    spread = fn path -> "#{round(Enum.min(results[path]))}..#{round(Enum.max(results[path]))}" end
    rate = fn path -> "#{round(median(results[path]))} (#{spread.(path)})" end
    f = fn x -> :erlang.float_to_binary(x, decimals: 3) end

    IO.puts("")

    IO.puts(
      "UDP round trips/s with arrival information, #{rounds} alternating rounds of #{per_round} (median, spread)"
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

    local = [:off, :arrival, :guard]
    loop_n = if quick?(), do: 2_000, else: 20_000

    costs =
      for round <- 1..rounds,
          path <- Enum.drop(local, rem(round, 3)) ++ Enum.take(local, rem(round, 3)),
          reduce: %{} do
        acc ->
          value = loopback_us(path, loop_n)
          Map.update(acc, path, [value], &(&1 ++ [value]))
      end

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
