# scoped_ipv6 against OTP's own paths, measured in the same run. Run by
# bench/run inside the testbed (sip6-host); the peer (bench/peer.exs) runs in
# sip6-a behind linkA. Every loop is bounded in count and in time. Prints a
# table of ratios (ours / OTP's; higher is better for rates, lower for
# latencies) with medians and the spread of per-round medians, and writes
# the raw connect latencies for the chart to bench/out/.

Code.require_file("rounds.exs", __DIR__)

defmodule Bench do
  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}
  @global {0xFD00, 0xA, 0, 0, 0, 0, 0, 2}
  @out Path.expand("out", __DIR__)

  def quick?, do: System.get_env("BENCH_QUICK") == "1"
  def scale(n), do: if(quick?(), do: max(div(n, 10), 1), else: n)

  def index, do: ScopedIPv6.if_index!("linkA")
  def ll2, do: @ll2

  # --- the paths compared ---------------------------------------------------

  def connect(:ours, port, opts),
    do: :scoped_ipv6_tcp.connect({@ll2, index()}, port, opts, 5_000)

  def connect(:otp_map, port, opts),
    do: :gen_tcp.connect(%{family: :inet6, addr: @ll2, port: port, scope_id: index()}, opts, 5_000)

  # The same connect through gen_tcp itself, given scoped_ipv6_tcp_module
  # as its tcp_module (gen_tcp's own timer and lookup steps, then ours).
  def connect(:ours_gen_tcp, port, opts),
    do: :gen_tcp.connect({@ll2, index()}, port, [{:tcp_module, :scoped_ipv6_tcp_module} | opts], 5_000)

  def connect(:otp_global, port, opts),
    do: :gen_tcp.connect(@global, port, [:inet6 | opts], 5_000)

  # --- statistics -----------------------------------------------------------

  defdelegate median(list), to: BenchRounds
  defdelegate percentile(list, p), to: BenchRounds
  defdelegate paired(results, a, b), to: BenchRounds
  defdelegate rounds(n, paths, fun), to: BenchRounds

  def spread(round_values), do: {Enum.min(round_values), Enum.max(round_values)}

  def time_us(fun) do
    t0 = System.monotonic_time(:nanosecond)
    fun.()
    (System.monotonic_time(:nanosecond) - t0) / 1_000
  end

  # --- 1. connect + close latency --------------------------------------------

  def connect_latency(paths \\ [:ours, :otp_map, :otp_global], rounds \\ 20) do
    per_round = scale(500)

    # Interleaved: within a round the paths take turns, one connect each,
    # in a new random order every turn, so that every path meets the same
    # machine state (TIME_WAIT sockets piling up, the peer's load) and
    # follows every other path as often (a fixed rotation makes each path
    # follow the same one, and pay for what it left the peer to do).
    # Each connect is timed in a worker that holds no samples: a garbage
    # collection inside the timed region then costs what the path itself
    # allocated, not a copy of this process's growing list of samples.
    worker = timing_worker()

    samples =
      for _round <- 1..rounds, reduce: %{} do
        acc ->
          times =
            for _ <- 1..per_round, path <- Enum.shuffle(paths) do
              {path,
               timed_in(worker, fn ->
                 {:ok, s} = connect(path, 7400, [:binary, active: false])
                 :gen_tcp.close(s)
               end)}
            end

          Enum.reduce(paths, acc, fn path, acc ->
            mine = for {^path, t} <- times, do: t
            Map.update(acc, path, [mine], &[mine | &1])
          end)
      end

    Map.new(paths, fn path ->
      all = List.flatten(samples[path])
      {path, %{all: all, median: median(all), p99: percentile(all, 99), rounds: Enum.map(samples[path], &median/1)}}
    end)
  end

  # The chart's data: every connect time of each path.
  def write_latencies(stats) do
    File.mkdir_p!(@out)

    for {path, %{all: all}} <- stats do
      File.write!(Path.join(@out, "connect_#{path}.dat"), Enum.map_join(all, "\n", &"#{&1}") <> "\n")
    end
  end

  def timing_worker do
    spawn_link(fn -> timing_loop() end)
  end

  defp timing_loop do
    receive do
      {from, ref, fun} ->
        send(from, {ref, time_us(fun)})
        timing_loop()
    end
  end

  def timed_in(worker, fun) do
    ref = make_ref()
    send(worker, {self(), ref, fun})

    receive do
      {^ref, us} -> us
    end
  end

  # --- 1b. what the connect's last check buys -----------------------------------

  # OTP's inet driver takes a writable event on a connecting socket, with
  # SO_ERROR 0, as the connect done, and erts can hand a new socket the
  # pending event of the socket that had its fd number just before. Here
  # both paths connect, 5 ms timeout, to a link-local address nobody has,
  # taking turns, while other processes' connects to a closed port are
  # killed as they are refused (plain gen_tcp: their sockets close with
  # an error event pending). Every connect should time out; a socket
  # returned with no peer (peername `enotconn') connected nowhere.
  def unconnected_sockets(n) do
    stop = :atomics.new(1, [])
    killers = for _ <- 1..10, do: Task.async(fn -> kill_refused(stop, 0) end)
    dead = {0xFE80, 0, 0, 0, 0, 0, 0, 0xDEAD}

    counts =
      1..n
      |> Task.async_stream(
        fn k ->
          path = if rem(k, 2) == 0, do: :ours, else: :otp_map
          {path, silent_connect(path, dead)}
        end,
        max_concurrency: 20,
        ordered: false,
        timeout: 10_000
      )
      |> Enum.frequencies_by(fn {:ok, outcome} -> outcome end)

    :atomics.put(stop, 1, 1)
    killed = killers |> Enum.map(&Task.await(&1, 10_000)) |> Enum.sum()
    %{counts: counts, killed: killed}
  end

  defp silent_connect(path, dead) do
    result =
      case path do
        :ours -> :scoped_ipv6_tcp.connect({dead, index()}, 7300, [], 5)
        :otp_map -> :gen_tcp.connect(%{family: :inet6, addr: dead, port: 7300, scope_id: index()}, [], 5)
      end

    case result do
      {:ok, s} ->
        peer = :inet.peername(s)
        :gen_tcp.close(s)
        if peer == {:error, :enotconn}, do: :unconnected, else: :connected

      {:error, reason} ->
        reason
    end
  end

  defp kill_refused(stop, killed) do
    if :atomics.get(stop, 1) == 1 do
      killed
    else
      refused = %{family: :inet6, addr: @ll2, port: 7399, scope_id: index()}
      pid = spawn(fn -> :gen_tcp.connect(refused, [], 1_000) end)
      Process.sleep(:rand.uniform(2) - 1)
      Process.exit(pid, :kill)
      kill_refused(stop, killed + 1)
    end
  end

  # --- 2. connections per second, 100 concurrent clients -----------------------

  def connections_per_second(path, seconds) do
    deadline = System.monotonic_time(:millisecond) + round(seconds * 1_000)

    counts =
      1..100
      |> Task.async_stream(fn _ -> cps_client(path, deadline, 0) end,
        max_concurrency: 100,
        timeout: round((seconds + 30) * 1_000)
      )
      |> Enum.map(fn {:ok, n} -> n end)

    Enum.sum(counts) / seconds
  end

  defp cps_client(path, deadline, n) do
    if System.monotonic_time(:millisecond) >= deadline do
      n
    else
      case connect(path, 7400, [:binary, active: false]) do
        {:ok, s} -> :gen_tcp.close(s)
        {:error, _} -> :ok
      end

      cps_client(path, deadline, n + 1)
    end
  end

  # --- 3. scheduler responsiveness under 1,000 unanswered connects ----------------

  def responsiveness(load) do
    file = Path.join(@out, "read_me.bin")
    File.write!(file, :crypto.strong_rand_bytes(4096))
    stop = System.monotonic_time(:millisecond) + 2_500

    loaders =
      case load do
        :none ->
          []

        path ->
          # One link-local address nobody answers, as a dead peer would be.
          dead = {0xFE80, 0, 0, 0, 0, 0, 0, 0xDEAD}

          for _ <- 1..1_000 do
            spawn(fn ->
              case path do
                :ours -> :scoped_ipv6_tcp.connect({dead, index()}, 7400, [], 4_000)
                :otp_map -> :gen_tcp.connect(%{family: :inet6, addr: dead, port: 7400, scope_id: index()}, [], 4_000)
              end
            end)
          end
      end

    Process.sleep(100)
    ticker = Task.async(fn -> tick(stop, 0) end)
    reads = read_loop(file, stop, [])
    lateness = Task.await(ticker, 10_000)
    Enum.each(loaders, &Process.exit(&1, :kill))
    %{max_lateness_ms: lateness / 1_000, read_median_us: median(reads), read_p99_us: percentile(reads, 99)}
  end

  # A 1 ms timer, again and again: how late does it fire, at worst?
  defp tick(stop, worst) do
    now = System.monotonic_time(:microsecond)

    if div(now, 1_000) >= stop do
      worst
    else
      receive do
      after
        1 -> :ok
      end

      late = System.monotonic_time(:microsecond) - now - 1_000
      tick(stop, max(worst, late))
    end
  end

  defp read_loop(file, stop, acc) do
    if System.monotonic_time(:millisecond) >= stop do
      acc
    else
      t = time_us(fn -> {:ok, _} = File.read(file) end)
      Process.sleep(2)
      read_loop(file, stop, [t | acc])
    end
  end

  # --- 4. bulk transfer ------------------------------------------------------------

  def bulk(path, bytes) do
    chunk = :crypto.strong_rand_bytes(65_536)
    {:ok, s} = connect(path, 7401, [:binary, active: false, sndbuf: 4_194_304])
    chunks = div(bytes, byte_size(chunk))
    us = time_us(fn -> for _ <- 1..chunks, do: :ok = :gen_tcp.send(s, chunk) end)
    :gen_tcp.close(s)
    bytes / (us / 1_000_000) / 1_048_576
  end

  # --- 5. UDP request/response -------------------------------------------------------

  def udp_open(:ours) do
    {:ok, u} = :scoped_ipv6_udp.open(0, [:binary])
    u
  end

  def udp_open(:otp_link) do
    local = %{family: :inet6, addr: {0xFE80, 0, 0, 0, 0, 0, 0, 1}, port: 0, scope_id: index()}
    {:ok, u} = :gen_udp.open(0, [:inet6, :binary, active: false, ifaddr: local])
    u
  end

  def udp_round_trip(:ours, u) do
    :ok = :scoped_ipv6_udp.send(u, {@ll2, index()}, 7402, "ping")
    {:ok, {{_peer, _scope}, 7402, "ping"}} = :scoped_ipv6_udp.recv(u, 0, 1_000)
  end

  def udp_round_trip(:otp_link, u) do
    :ok = :gen_udp.send(u, %{family: :inet6, addr: @ll2, port: 7402, scope_id: index()}, "ping")
    {:ok, {_peer, 7402, "ping"}} = :gen_udp.recv(u, 0, 1_000)
  end

  # Round trips per second of each path, `rounds` rounds of `n` turns (see
  # BenchRounds.interleaved_rates/3: with the peer's VM on the same two
  # cores a round trip takes either about 27 or 45 us, and one path for a
  # whole round measures which of the two the round fell into).
  def udp_round_trips(rounds, n) do
    paths = [:ours, :otp_link]
    sockets = Map.new(paths, &{&1, udp_open(&1)})

    results =
      BenchRounds.collect(rounds, fn ->
        BenchRounds.interleaved_rates(paths, n, &udp_round_trip(&1, sockets[&1]))
      end)

    :scoped_ipv6_udp.close(sockets[:ours])
    :gen_udp.close(sockets[:otp_link])
    results
  end

  # --- 6. parse + ntoa -------------------------------------------------------------------

  def text(:ours_unscoped, n), do: text_loop(n, ~c"fe80::1:2:3:4", &:scoped_ipv6.parse/1, &:scoped_ipv6.ntoa/1)
  def text(:ours_scoped, n), do: text_loop(n, ~c"fe80::1:2:3:4%eth0", &:scoped_ipv6.parse/1, &:scoped_ipv6.ntoa/1)
  def text(:otp_unscoped, n), do: text_loop(n, ~c"fe80::1:2:3:4", &:inet.parse_address/1, &:inet.ntoa/1)

  # n parses and writes of the same text; the caller times them.
  defp text_loop(0, _text, _parse, _ntoa), do: :ok

  defp text_loop(n, text, parse, ntoa) do
    {:ok, a} = parse.(text)
    ntoa.(a)
    text_loop(n - 1, text, parse, ntoa)
  end

  # --- 7. memory per open socket -------------------------------------------------------------

  def memory_per_socket(path, n) do
    :erlang.garbage_collect()
    before = :erlang.memory(:total)

    sockets =
      for _ <- 1..n do
        {:ok, s} = connect(path, 7403, [:binary, active: false])
        s
      end

    Enum.each(Process.list(), &:erlang.garbage_collect/1)
    per_socket = (:erlang.memory(:total) - before) / n
    Enum.each(sockets, &:gen_tcp.close/1)
    per_socket
  end
end

defmodule Report do
  def row(what, ours, otp, ratio, goal, met) do
    IO.puts(
      "| #{what} | #{ours} | #{otp} | #{:erlang.float_to_binary(ratio * 1.0, decimals: 3)} | #{goal} | #{if met, do: "yes", else: "NO"} |"
    )
  end

  def n(x) when is_float(x) and x < 10, do: :erlang.float_to_binary(x, decimals: 2)
  def n(x) when is_float(x), do: :erlang.float_to_binary(x, decimals: 1)
  def n(x), do: "#{x}"
  def spread({lo, hi}), do: "#{n(lo)}..#{n(hi)}"
end

IO.puts("machine: #{:erlang.system_info(:system_architecture)}, #{System.schedulers_online()} schedulers, OTP #{System.otp_release()}#{if Bench.quick?(), do: ", QUICK run (1/10 of the counts)", else: ""}")
IO.puts("")
IO.puts("| benchmark | ours | OTP | ratio | goal | met |")
IO.puts("|---|---|---|---|---|---|")

latencies = Bench.connect_latency()
Bench.write_latencies(latencies)
%{ours: ours, otp_map: map, otp_global: global} = latencies

# Paired: each round runs every path back to back, so the median of the
# per-round ratios cancels the machine's noise that hits both alike.
paired = Enum.zip_with(ours.rounds, map.rounds, &(&1 / &2))
paired_ratio = Bench.median(paired)

Report.row(
  "connect+close, median of 20 paired round ratios (spread of ratios)",
  "#{Report.n(ours.median)} us",
  "#{Report.n(map.median)} us",
  paired_ratio,
  "<= 1.0 (ratio spread #{Report.spread(Bench.spread(paired))})",
  paired_ratio <= 1.0
)

Report.row(
  "connect+close median us over all samples, spread of round medians",
  "#{Report.n(ours.median)} (#{Report.spread(Bench.spread(ours.rounds))})",
  "#{Report.n(map.median)} (#{Report.spread(Bench.spread(map.rounds))})",
  ours.median / map.median,
  "reported",
  true
)

Report.row("connect+close p99 us (vs map path)", Report.n(ours.p99), Report.n(map.p99), ours.p99 / map.p99, "<= 1.10", ours.p99 / map.p99 <= 1.10)
Report.row("connect+close median us (vs global address)", Report.n(ours.median), Report.n(global.median), ours.median / global.median, "reported", true)

stale_n = Bench.scale(40_000)
stale = Bench.unconnected_sockets(stale_n)
unconnected = fn path -> Map.get(stale.counts, {path, :unconnected}, 0) end
timed_out = fn path -> Map.get(stale.counts, {path, :timeout}, 0) end

Report.row(
  "connects (5 ms) to a silent address returning a socket that connected nowhere, #{div(stale_n, 2)} per path, taking turns, while #{stale.killed} refused connects were killed (timed out: ours #{timed_out.(:ours)}, OTP #{timed_out.(:otp_map)})",
  unconnected.(:ours),
  unconnected.(:otp_map),
  unconnected.(:ours) / max(unconnected.(:otp_map), 1),
  "ours 0",
  unconnected.(:ours) == 0
)

# BENCH_ONLY=connect: the connect rows alone (one OTP release's figures
# for the connect goals, in a minute).
if System.get_env("BENCH_ONLY") == "connect", do: System.halt(0)

# Through gen_tcp itself ({tcp_module, scoped_ipv6_tcp_module}), against
# OTP's map path, in 10 paired rounds of its own.
%{ours_gen_tcp: via_gen_tcp, otp_map: map2} = Bench.connect_latency([:ours_gen_tcp, :otp_map], 10)
via_ratio = Bench.median(Enum.zip_with(via_gen_tcp.rounds, map2.rounds, &(&1 / &2)))
Report.row("connect+close through gen_tcp's tcp_module, median of 10 paired round ratios (vs map path)", "#{Report.n(via_gen_tcp.median)} us", "#{Report.n(map2.median)} us", via_ratio, "reported", true)

# 10 s per path, as 4 alternating rounds of 2.5 s, so that neither path
# runs only after the other has loaded the kernel.
round_s = if Bench.quick?(), do: 0.5, else: 2.5
cps = Bench.rounds(4, [:ours, :otp_map], &Bench.connections_per_second(&1, round_s))
cps_ours = Bench.median(cps[:ours])
cps_map = Bench.median(cps[:otp_map])
Report.row("connections/s, 100 clients, 4 x #{round_s} s per path, median (spread)", "#{Report.n(cps_ours)} (#{Report.spread(Bench.spread(cps[:ours]))})", "#{Report.n(cps_map)} (#{Report.spread(Bench.spread(cps[:otp_map]))})", cps_ours / cps_map, ">= 0.9", cps_ours / cps_map >= 0.9)

# Idle before and after the loaded runs; the idle figure is the better one.
# The loaded runs: 6 rounds, the order of the paths alternating (O U, U O,
# O U, ...), so that neither meets more of what the benchmarks before left:
# right after them, tens of thousands of TIME_WAIT sockets make the
# kernel's port search inside every connect(2) slower for a minute (one
# run had a path meet all of it: 12 to 26 ms for whichever went first, 2
# to 5 ms either way in isolation). Single rounds of either path read 1.2
# to 34 ms on this machine; 3 rounds made the ratio a draw of that noise.
idle_before = Bench.responsiveness(:none)
resp_rounds = 6
resp = Bench.rounds(resp_rounds, [:ours, :otp_map], &Bench.responsiveness/1)
idle_after = Bench.responsiveness(:none)
idle_median = min(idle_before.read_median_us, idle_after.read_median_us)
idle_p99 = min(idle_before.read_p99_us, idle_after.read_p99_us)
of = fn path, key -> Bench.median(Enum.map(resp[path], &Map.fetch!(&1, key))) end
worst = fn path -> Enum.max(Enum.map(resp[path], & &1.max_lateness_ms)) end
loaded = %{max_lateness_ms: of.(:ours, :max_lateness_ms), read_median_us: of.(:ours, :read_median_us), read_p99_us: of.(:ours, :read_p99_us)}
otp_loaded = %{max_lateness_ms: of.(:otp_map, :max_lateness_ms), read_median_us: of.(:otp_map, :read_median_us)}
Report.row("ticker max lateness ms, 1,000 connects waiting, median of #{resp_rounds} alternating rounds (worst) (ours vs OTP's under the same load)", "#{Report.n(loaded.max_lateness_ms)} (#{Report.n(worst.(:ours))})", "#{Report.n(otp_loaded.max_lateness_ms)} (#{Report.n(worst.(:otp_map))})", loaded.max_lateness_ms / max(otp_loaded.max_lateness_ms, 0.001), "< 10 ms", loaded.max_lateness_ms < 10)
Report.row("file read median us: ours loaded / idle", Report.n(loaded.read_median_us), Report.n(idle_median), loaded.read_median_us / idle_median, "<= 2.0", loaded.read_median_us / idle_median <= 2.0)
Report.row("file read p99 us: ours loaded / idle", Report.n(loaded.read_p99_us), Report.n(idle_p99), loaded.read_p99_us / idle_p99, "<= 2.0", loaded.read_p99_us / idle_p99 <= 2.0)
Report.row("file read median us: ours loaded / OTP loaded", Report.n(loaded.read_median_us), Report.n(otp_loaded.read_median_us), loaded.read_median_us / otp_loaded.read_median_us, "reported", true)

# Once the socket is connected, both paths are the same gen_tcp port:
# 160 pairs of 32 MiB transfers, the two paths in a new random order in
# each pair, and the median of the 160 paired ratios. With OTP's map path
# on both sides (an A/A run) this design read 0.996 to 1.021 in four runs;
# the earlier one, 12 rounds of 256 MiB one path a round, read 0.968 to
# 1.062, wider than the 0.98 goal allows.
bytes = Bench.scale(33_554_432)
pairs = 160
bulk = BenchRounds.collect(pairs, fn -> for path <- Enum.shuffle([:ours, :otp_map]), do: {path, Bench.bulk(path, bytes)} end)
bulk_ratio = Bench.paired(bulk, :ours, :otp_map)
Report.row("bulk MiB/s, #{pairs} pairs of #{div(bytes, 1_048_576)} MiB in random order, median of paired ratios (spread)", "#{Report.n(Bench.median(bulk[:ours]))} (#{Report.spread(Bench.spread(bulk[:ours]))})", "#{Report.n(Bench.median(bulk[:otp_map]))} (#{Report.spread(Bench.spread(bulk[:otp_map]))})", bulk_ratio, ">= 0.98", bulk_ratio >= 0.98)

trips = Bench.scale(20_000)
udp = Bench.udp_round_trips(10, div(trips, 10))
udp_ratio = Bench.paired(udp, :ours, :otp_link)
Report.row("UDP round trips/s, wildcard + scoped recv vs gen_udp on one link, interleaved, median of 10 paired rounds (spread)", "#{Report.n(Bench.median(udp[:ours]))} (#{Report.spread(Bench.spread(udp[:ours]))})", "#{Report.n(Bench.median(udp[:otp_link]))} (#{Report.spread(Bench.spread(udp[:otp_link]))})", udp_ratio, ">= 0.9", udp_ratio >= 0.9)

# Parse + ntoa: the paths take turns, 100 operations each, in a new random
# order every turn (400 turns a round, 10 rounds, paired). One path for a
# whole round of 40,000 operations, as before, keeps only its own code in
# the caches and read 1.6x to 1.7x on unscoped text where turns read 1.2x.
# The goal is on the text OTP can read (unscoped); scoped text, which OTP
# cannot parse at all, is reported against it.
batch = 100
text_paths = [:ours_unscoped, :ours_scoped, :otp_unscoped]
text = BenchRounds.collect(10, fn -> BenchRounds.interleaved_rates(text_paths, Bench.scale(400), &Bench.text(&1, batch)) end)
text_rate = fn path -> Bench.median(text[path]) * batch end
text_ratio = fn path -> Bench.paired(text, path, :otp_unscoped) end
Report.row("parse+ntoa/s, unscoped text, 100-operation turns, median of 10 paired rounds", Report.n(text_rate.(:ours_unscoped)), Report.n(text_rate.(:otp_unscoped)), text_ratio.(:ours_unscoped), ">= 1.0", text_ratio.(:ours_unscoped) >= 1.0)
Report.row("parse+ntoa/s, scoped text (OTP: unscoped), the same turns", Report.n(text_rate.(:ours_scoped)), Report.n(text_rate.(:otp_unscoped)), text_ratio.(:ours_scoped), "reported", true)

sockets = Bench.scale(10_000)
mem_ours = Bench.memory_per_socket(:ours, sockets)
Process.sleep(500)
mem_otp = Bench.memory_per_socket(:otp_map, sockets)
Report.row("BEAM bytes per open socket, #{sockets} open (extra: #{Report.n(mem_ours - mem_otp)} B)", Report.n(mem_ours), Report.n(mem_otp), mem_ours / mem_otp, "extra <= 1024 B", mem_ours - mem_otp <= 1024)
