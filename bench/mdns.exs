# .local resolution latency, run by bench/mdns.sh (see there): in one BEAM,
# alternating, the same name on the same link.
#
#   ours, uncached   scoped_ipv6:getaddrs/2 with {cache, false}: one
#                    multicast DNS query on linkA, avahi in sip6-a answers
#   ours, cached     scoped_ipv6:getaddrs/2, answered from its cache
#   glibc            getaddrinfo(3) on the NIF's resolver thread: nss-mdns
#                    asks the avahi-daemon in this namespace over its unix
#                    socket, which answers from its own cache once warm
#                    (how glibc is used); the first lookup makes it query.
defmodule MdnsBench do
  @name "peer-a.local"
  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}

  def run do
    n = if System.get_env("BENCH_QUICK") == "1", do: 100, else: 1_000
    {:ok, _} = Application.ensure_all_started(:scoped_ipv6)
    a = ScopedIPv6.if_index!("linkA")
    expect = {:ok, [{@ll2, a}]}

    paths = [
      ours_uncached: fn ->
        ScopedIPv6.getaddrs(@name, family: :inet6, links: ["linkA"], cache: false)
      end,
      ours_cached: fn -> ScopedIPv6.getaddrs(@name, family: :inet6, links: ["linkA"]) end,
      glibc: fn -> glibc() end
    ]

    # Warm every path once (and check that each gives the scoped answer).
    for {path, fun} <- paths do
      result = fun.()

      unless result == expect or (path == :glibc and result == {:ok, [{@ll2, a}]}) do
        raise "#{path}: #{inspect(result)}"
      end
    end

    samples =
      Enum.reduce(1..n, Map.new(paths, fn {p, _} -> {p, []} end), fn _, acc ->
        Enum.reduce(paths, acc, fn {path, fun}, acc ->
          t0 = System.monotonic_time(:nanosecond)
          ^expect = fun.()
          Map.update!(acc, path, &[System.monotonic_time(:nanosecond) - t0 | &1])
        end)
      end)

    glibc_median = median(samples.glibc)
    IO.puts("\n## .local resolution (#{n} lookups each, interleaved)\n")
    IO.puts("| path | median µs | p99 µs | median / glibc's |")
    IO.puts("|---|---|---|---|")

    for {path, _} <- paths do
      s = samples[path]
      ratio = :erlang.float_to_binary(median(s) / glibc_median, decimals: 2)
      IO.puts("| #{path} | #{us(median(s))} | #{us(percentile(s, 99))} | #{ratio}x |")
    end
  end

  # getaddrinfo through the NIF, as a connect to a host name without this
  # resolver would run it; IPv6 answers only, scope kept by nss-mdns.
  defp glibc do
    ref = make_ref()
    {:ok, _lookup} = :scoped_ipv6_nif.resolve_host(@name, ref)

    receive do
      {^ref, {:ok, answers}} ->
        {:ok, for({ip, scope} <- answers, tuple_size(ip) == 8, uniq: true, do: {ip, scope})}

      {^ref, other} ->
        other
    after
      5_000 -> {:error, :timeout}
    end
  end

  defp median(list), do: percentile(list, 50)

  defp percentile(list, p) do
    sorted = Enum.sort(list)
    Enum.at(sorted, min(length(sorted) - 1, div(length(sorted) * p, 100)))
  end

  defp us(ns), do: :erlang.float_to_binary(ns / 1000, decimals: 0)
end

MdnsBench.run()
