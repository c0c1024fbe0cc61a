defmodule ScopedIPv6.Test.Links do
  @moduledoc """
  Extra veth links for tests that delete them, so that the testbed's own
  links stay: `add/1` builds one (and the peer namespace, when asked) and
  removes it when the test ends.
  """
  import ExUnit.Callbacks, only: [on_exit: 1]

  @doc """
  Options: `link` (our end, in sip6-host), `peer_ns`, `peer_if`, `peer_addr`
  (a link-local address with its /64), `new_ns` (create `peer_ns` too),
  `slow_dad` (our end also gets the kernel's own link-local address, as a
  link just up has, whose duplicate address detection lasts about 20 s: 20
  probes a second apart; `tentative?/1` says while), `fe80_1` (false: our
  end without its usable fe80::1, so that its only link-local address is
  that tentative one).
  """
  def add(opts) do
    link = Keyword.fetch!(opts, :link)
    ns = Keyword.fetch!(opts, :peer_ns)
    peer_if = Keyword.fetch!(opts, :peer_if)
    new_ns = Keyword.get(opts, :new_ns, false)
    slow_dad = Keyword.get(opts, :slow_dad, false)
    fe80_1 = Keyword.get(opts, :fe80_1, true)

    on_exit(fn ->
      if new_ns, do: ip(~w(netns del #{ns}))
      ip(~w(link del #{link}))
    end)

    namespace = if new_ns, do: [~w(netns add #{ns}), ~w(-n #{ns} link set lo up)], else: []

    run(namespace ++ [~w(link add #{link} type veth peer name #{peer_if} netns #{ns})])
    # Before the link comes up: its own address is made then.
    if slow_dad, do: slow_dad(link)

    run([
      if(slow_dad, do: [], else: ~w(link set #{link} addrgenmode none)),
      ~w(-n #{ns} link set #{peer_if} addrgenmode none),
      if(fe80_1, do: ~w(-6 addr add fe80::1/64 dev #{link} nodad), else: []),
      ~w(-n #{ns} -6 addr add #{Keyword.fetch!(opts, :peer_addr)} dev #{peer_if} nodad),
      ~w(link set #{link} up),
      ~w(-n #{ns} link set #{peer_if} up)
    ])

    ready(nil, link)
    ready(ns, peer_if)
  end

  @doc """
  A link to a new namespace `ns`, whose end (eth0) carries fe80::2 as the
  testbed's peers do: `add/1` with those options, and `opts` (`slow_dad`,
  `fe80_1`).
  """
  def add_peer(link, ns, opts \\ []) do
    add([link: link, peer_ns: ns, peer_if: "eth0", peer_addr: "fe80::2/64", new_ns: true] ++ opts)
  end

  @doc """
  Waits until IPv6 is up on `dev` in namespace `ns` (`nil`: this one), as
  test/testbed.sh does: once its multicast route is there. Until then,
  neighbour discovery on the link fails.
  """
  def ready(ns, dev, tries \\ 100) do
    in_ns = if ns, do: ["-n", ns], else: []
    {routes, 0} = ip(in_ns ++ ~w(-6 route show table local dev #{dev}))

    cond do
      routes =~ ~r/^multicast ff00::\/8/m -> :ok
      tries == 0 -> raise "#{dev} never became ready"
      true -> Process.sleep(50) && ready(ns, dev, tries - 1)
    end
  end

  @doc """
  IPv4 as well: `here` (an address with its prefix length) on our end of
  `link`, `there` on `peer_if` in namespace `ns`.
  """
  def ipv4(link, ns, here, there, peer_if \\ "eth0") do
    for args <- [~w(addr add #{here} dev #{link}), ~w(-n #{ns} addr add #{there} dev #{peer_if})] do
      {out, status} = ip(args)
      if status != 0, do: raise("ip #{Enum.join(args, " ")}: #{out}")
    end

    :ok
  end

  @doc """
  Whether an address on our end of `link` is still in duplicate address
  detection (`ip` shows it `tentative`): a test that needs one checks
  that it was, so that it cannot pass once detection is over.
  """
  def tentative?(link) do
    {out, 0} = ip(~w(-6 addr show dev #{link}))
    out =~ " tentative"
  end

  # DAD long enough for a test to act while it runs: 20 neighbour
  # solicitations, one a second (Linux's default is one).
  defp slow_dad(link) do
    for setting <- ["conf.#{link}.dad_transmits=20", "neigh.#{link}.retrans_time_ms=1000"] do
      {out, status} = System.cmd("sysctl", ["-qw", "net.ipv6." <> setting], stderr_to_stdout: true)
      if status != 0, do: raise("sysctl #{setting}: #{out}")
    end
  end

  @doc "The IPv6 link-local addresses on our end of `link`, as `ip` lists them."
  def link_local(link) do
    {out, 0} = ip(~w(-6 -o addr show dev #{link} scope link))
    for [address] <- Regex.scan(~r/inet6 (fe80[^\/ ]*)/, out, capture: :all_but_first), do: address
  end

  def delete(link), do: ip(~w(link del #{link}))

  defp run(commands) do
    for args <- commands, args != [] do
      {out, status} = ip(args)
      if status != 0, do: raise("ip #{Enum.join(args, " ")}: #{out}")
    end
  end

  defp ip(args), do: System.cmd("ip", args, stderr_to_stdout: true)
end
