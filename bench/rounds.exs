# How the benchmarks set paths against each other, for bench/bench.exs and
# bench/ancillary.exs (each loads it with Code.require_file/2): rounds of
# one path at a time, turns of one operation per path, and the statistics
# that pair them.
defmodule BenchRounds do
  def median(list), do: percentile(list, 50)

  def percentile(list, p) do
    sorted = Enum.sort(list)
    Enum.at(sorted, min(length(sorted) - 1, div(length(sorted) * p, 100)))
  end

  # The median of the per-round ratios a / b (rounds paired by position).
  def paired(results, a, b), do: median(Enum.zip_with(results[a], results[b], &(&1 / &2)))

  def rotate(list, n), do: Enum.drop(list, rem(n, length(list))) ++ Enum.take(list, rem(n, length(list)))

  # Each path's values of n rounds, in round order: `fun.(path)` for one
  # path at a time, the order of the paths rotating between rounds.
  def rounds(n, paths, fun) do
    for round <- 1..n, path <- rotate(paths, round), reduce: %{} do
      acc ->
        value = fun.(path)
        Map.update(acc, path, [value], &(&1 ++ [value]))
    end
  end

  # Each path's values of n rounds, in round order, where a round
  # (`round.()`) gives every path its value.
  def collect(n, round) do
    for _ <- 1..n, {path, value} <- round.(), reduce: %{} do
      acc -> Map.update(acc, path, [value], &(&1 ++ [value]))
    end
  end

  # Operations per second of each path over n turns: in a turn every path
  # runs `op.(path)` once, in a new random order, so that every path meets
  # the same machine states and follows every other as often (one path for
  # a whole round measures which state the round fell into; a fixed order
  # makes a path pay for what the one before it left behind).
  def interleaved_rates(paths, n, op) do
    spent =
      for _ <- 1..n, path <- Enum.shuffle(paths), reduce: Map.new(paths, &{&1, 0}) do
        acc ->
          t0 = System.monotonic_time(:nanosecond)
          op.(path)
          Map.update!(acc, path, &(&1 + System.monotonic_time(:nanosecond) - t0))
      end

    Map.new(spent, fn {path, ns} -> {path, n / (ns / 1.0e9)} end)
  end
end
