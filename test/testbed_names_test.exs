defmodule ScopedIPv6.TestbedNamesTest do
  # Issue 13: names that carry their scope. The responders and servers are
  # Debian's avahi-daemon (one per peer namespace, D-Bus off, static host
  # names) and dnsmasq (a zone on fe80::2%linkA only), Python for the
  # hostile responder and the TCP peers: nothing here is our code.
  use ExUnit.Case, async: false
  @moduletag :testbed
  @moduletag timeout: 120_000

  alias ScopedIPv6.Test.{Avahi, Links, LiveMemory, Peer, ReliabilityTable, Warnings}

  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}
  @lla {0xFE80, 0, 0, 0, 0, 0, 0, 0xA}
  @llb {0xFE80, 0, 0, 0, 0, 0, 0, 0xB}

  defp index(name), do: ScopedIPv6.if_index!(name)

  # Each peer's avahi publishes peer-X.local (fe80::2, the address both
  # peers carry), both.local (its own second address) and slow.local:
  # on linkA an address nobody has, on linkB peer B's global fd00:b::2
  # (avahi refuses two names for one address: the reverse record).
  # taken.local, on linkA only, is a name our responder must not take.
  @published %{
    "sip6-a" => [
      {"peer-a.local", "fe80::2"},
      {"both.local", "fe80::a"},
      {"slow.local", "fe80::dead"},
      {"taken.local", "fe80::c"}
    ],
    "sip6-b" => [
      {"peer-b.local", "fe80::2"},
      {"both.local", "fe80::b"},
      {"slow.local", "fd00:b::2"}
    ]
  }

  # Services avahi publishes (static service files): "Printer", an IPP
  # printer on linkA, is an instance name our responder must not take.
  @services %{
    "sip6-a" => [%{name: "Printer", type: "_ipp._tcp", port: 631, host: "peer-a.local"}]
  }

  setup_all do
    :ok = Application.ensure_started(:scoped_ipv6)

    avahis =
      for {ns, hosts} <- @published,
          into: %{},
          do: {ns, start_avahi(ns, hosts, services: Map.get(@services, ns, []))}

    on_exit(fn -> Enum.each(avahis, fn {_ns, avahi} -> Avahi.stop(avahi) end) end)

    %{avahi: Map.new(avahis, fn {ns, {os_pid, _}} -> {ns, os_pid} end)}
  end

  setup do
    :scoped_ipv6_mdns_cache.clear()
    :ok
  end

  describe "multicast DNS" do
    test "each peer's name resolves to its address, scoped with its link" do
      assert ScopedIPv6.getaddrs("peer-a.local") == {:ok, [{@ll2, index("linkA")}]}
      assert ScopedIPv6.getaddrs("peer-b.local", family: :inet6) == {:ok, [{@ll2, index("linkB")}]}
      assert :scoped_ipv6.getaddrs(~c"PEER-A.local.", []) == {:ok, [{@ll2, index("linkA")}]}
    end

    test "a name both links answer gives both answers, each with its scope, in link order" do
      both = [{@lla, index("linkA")}, {@llb, index("linkB")}]
      # Waiting for both links, however long the second one takes.
      assert ScopedIPv6.getaddrs("both.local", settle: 5_000) == {:ok, both}

      assert ScopedIPv6.getaddrs("both.local",
               links: ["linkB", "linkA"],
               cache: false,
               settle: 5_000
             ) ==
               {:ok, Enum.reverse(both)}

      # Only the links asked are asked.
      assert ScopedIPv6.getaddrs("both.local", links: ["linkB"], cache: false) ==
               {:ok, [{@llb, index("linkB")}]}

      assert ScopedIPv6.getaddrs("peer-a.local", links: [index("linkB")], cache: false, timeout: 500) ==
               {:error, :nxdomain}
    end

    test "a name nobody answers is nxdomain, within the timeout" do
      started = System.monotonic_time(:millisecond)
      assert ScopedIPv6.getaddrs("nobody-here.local", timeout: 700) == {:error, :nxdomain}
      took = System.monotonic_time(:millisecond) - started
      assert took >= 700 and took < 2_700, "#{took} ms with a 700 ms timeout"
      # An A query for a name with only AAAA records: silence too.
      assert ScopedIPv6.getaddrs("peer-a.local", family: :inet, timeout: 300) == {:error, :nxdomain}
    end

    test "answers are cached: a peer that stops answering is still found, until the cache is bypassed" do
      assert {:ok, [{@ll2, a}]} = ScopedIPv6.getaddrs("peer-a.local")
      assert a == index("linkA")
      # The answer came with a TTL (avahi: 10 s for a one-shot query).
      assert [{^a, [@ll2]}] = :scoped_ipv6_mdns_cache.lookup(~c"peer-a.local", [:aaaa], [a], now())
      assert [] = :scoped_ipv6_mdns_cache.lookup(~c"peer-a.local", [:aaaa], [a], now() + 11_000)
      # Nobody is asked the second time: a link whose responder is silent
      # still resolves from the cache, and not without it.
      Links.add_peer("linkQ", "sip6-q")

      q = index("linkQ")
      :scoped_ipv6_mdns_cache.store(~c"quiet.local", q, [{@ll2, 60, true}], now())
      assert ScopedIPv6.getaddrs("quiet.local", links: ["linkQ"]) == {:ok, [{@ll2, q}]}

      assert ScopedIPv6.getaddrs("quiet.local", links: ["linkQ"], cache: false, timeout: 300) ==
               {:error, :nxdomain}
    end

    # A link just up (a USB gadget plugged in): the kernel's own
    # link-local address is in duplicate address detection, tentative,
    # and comes first in the link's list; nothing can be bound to it. The
    # link's usable address, fe80::1 (nodad), is the one the lookup binds
    # to. The address is checked tentative after the lookup too: the
    # lookup ran while detection did.
    test "a link whose own address is still tentative is asked from its usable one" do
      Links.add_peer("linkD", "sip6-d", slow_dad: true)
      avahi = start_avahi("sip6-d", [{"peer-d.local", "fe80::2"}], [])
      on_exit(fn -> Avahi.stop(avahi) end)

      assert Links.tentative?("linkD")
      d = index("linkD")
      assert ScopedIPv6.getaddrs("peer-d.local", links: ["linkD"]) == {:ok, [{@ll2, d}]}

      assert ScopedIPv6.getaddrs("nobody-here.local", links: ["linkD"], timeout: 300) ==
               {:error, :nxdomain}

      assert Links.tentative?("linkD")
    end

    test "names with bad labels are refused before anything is sent" do
      for bad <- [
            "a..local",
            String.duplicate("x", 64) <> ".local",
            "sp ace.local",
            "back\\slash.local",
            ""
          ] do
        assert ScopedIPv6.getaddrs(bad) == {:error, :einval}, inspect(bad)
      end

      assert_raise ArgumentError, fn -> ScopedIPv6.getaddrs("peer-a.local", timeout: -1) end
      assert_raise ArgumentError, fn -> ScopedIPv6.getaddrs("peer-a.local", bogus: 1) end
    end
  end

  describe "multicast DNS over IPv4" do
    setup do
      # linkV: IPv4 as well (10.13.0.1 here, 10.13.0.2 there), and an avahi
      # there that speaks IPv4 only.
      Links.add_peer("linkV", "sip6-v")

      Links.ipv4("linkV", "sip6-v", "10.13.0.1/24", "10.13.0.2/24")

      {os_pid, _dir} = avahi = start_avahi("sip6-v", [{"v4peer.local", "10.13.0.2"}], ipv4: true)
      on_exit(fn -> Avahi.stop(avahi) end)
      %{avahi_v: os_pid}
    end

    # Our responder over IPv4 too, on a link with an IPv4 address: the
    # avahi in sip6-v speaks IPv4 only, and glibc there finds us through it
    # (nss-mdns); a Python one-shot query to 224.0.0.251 gets our A record.
    test "our responder answers over IPv4: an IPv4-only avahi finds us", %{avahi_v: avahi} do
      on_exit(fn ->
        Application.delete_env(:scoped_ipv6, :mdns_responder)
        restart()
      end)

      start_responder(%{name: "device", links: ["linkV"]})
      wait_announced(1)
      assert peer_lookup(avahi, "device.local") == "fe80::1"

      assert Peer.run("sip6-v", "mdns4-ask", ["10.13.0.2", "device.local"]) == [
               "answers 1 with 10.13.0.1"
             ]

      assert Peer.run("sip6-v", "mdns4-ask", ["10.13.0.2", "nobody.local"]) == ["silent"]
    end

    # A link without an IPv6 link-local address (IPv6 off on our end):
    # our responder serves it over IPv4 alone, and a lookup asks it over
    # IPv4.
    test "a link without a link-local address: served and asked over IPv4 alone" do
      on_exit(fn ->
        Application.delete_env(:scoped_ipv6, :mdns_responder)
        restart()
      end)

      {_, 0} = System.cmd("sysctl", ~w(-qw net.ipv6.conf.linkV.disable_ipv6=1))
      start_responder(%{name: "device", links: ["linkV"]})
      wait_announced(1)

      assert Peer.run("sip6-v", "mdns4-ask", ["10.13.0.2", "device.local"]) == [
               "answers 1 with 10.13.0.1"
             ]

      # And a lookup there, with mdns_ipv4: the link is asked over IPv4.
      opts = [links: ["linkV"], family: :inet, cache: false, timeout: 1_000, mdns_ipv4: true]
      assert ScopedIPv6.getaddrs("v4peer.local", opts) == {:ok, [{10, 13, 0, 2}]}
    end

    # RFC 6762 section 11: over IPv4 the querying socket is bound to a
    # routable address, so an answer could come from off the link; it is
    # taken only from a source within the link's prefix. A Python
    # responder in sip6-v answers every question with 10.13.0.66, first
    # from 10.99.0.2 (added there for the test: in no prefix of linkV; a
    # route here, so that no reverse-path filter drops it), then from
    # 10.13.0.2.
    test "an answer over IPv4 is taken only from a source on the link" do
      {_, 0} = System.cmd("ip", ~w(-n sip6-v addr add 10.99.0.2/32 dev eth0))
      {_, 0} = System.cmd("ip", ~w(route add 10.99.0.2/32 dev linkV))
      opts = [links: ["linkV"], family: :inet, cache: false, timeout: 1_000, mdns_ipv4: true]

      off_link = Peer.start("sip6-v", "mdns4-answer", ["eth0", "10.99.0.2", "10.13.0.66"])
      assert ScopedIPv6.getaddrs("forged.local", opts) == {:error, :nxdomain}
      assert Peer.next_line(off_link, 1_000) == "answered"
      Peer.stop(off_link)

      Peer.start("sip6-v", "mdns4-answer", ["eth0", "10.13.0.2", "10.13.0.66"])
      assert ScopedIPv6.getaddrs("forged.local", opts) == {:ok, [{10, 13, 0, 66}]}
    end

    test "224.0.0.251 is asked on the links given when asked, and only then" do
      opts = [links: ["linkV"], family: :inet, cache: false, timeout: 1_000]

      assert ScopedIPv6.getaddrs("v4peer.local", [mdns_ipv4: true] ++ opts) ==
               {:ok, [{10, 13, 0, 2}]}

      # Over IPv6 alone this avahi never hears the question.
      assert ScopedIPv6.getaddrs("v4peer.local", opts) == {:error, :nxdomain}
    end
  end

  describe "everywhere a host name is accepted" do
    setup do
      Peer.start_names(7130)
    end

    test "a connect by name reaches the right peer" do
      for {name, peer} <- [{"peer-a.local", "peer-a"}, {"peer-b.local", "peer-b"}] do
        {:ok, socket} = ScopedIPv6.TCP.connect(name, 7130, [:binary, active: false], 5_000)
        assert {:ok, ^peer} = :gen_tcp.recv(socket, 0, 2_000)
        {:ok, {{@ll2, link}, 7130}} = ScopedIPv6.peername(socket)
        assert {:ok, "link" <> _} = ScopedIPv6.if_name(link)
        :gen_tcp.close(socket)
      end
    end

    test "several answers: attempts staggered, the first to connect wins, the losers closed" do
      # slow.local: fe80::dead%linkA first (nobody has it: that connect
      # hangs in neighbour discovery for 3 s), then fd00:b::2 (no scope:
      # a global address), where peer B listens. One attempt at a time
      # would time out first.
      assert {:ok, [{{0xFE80, 0, 0, 0, 0, 0, 0, 0xDEAD}, _}, {0xFD00, 0xB, 0, 0, 0, 0, 0, 2}]} =
               ScopedIPv6.getaddrs("slow.local", settle: 5_000)

      ports = length(Port.list())
      {:ok, socket} = ScopedIPv6.TCP.connect("slow.local", 7130, [:binary, active: false], 2_000)
      assert {:ok, "peer-b"} = :gen_tcp.recv(socket, 0, 2_000)
      assert {:ok, {{0xFD00, 0xB, 0, 0, 0, 0, 0, 2}, 7130}} = ScopedIPv6.peername(socket)
      :gen_tcp.close(socket)
      # The loser's socket is gone with its process.
      assert length(Port.list()) == ports

      # both.local: linkA's fe80::a refuses (no listener there) and the
      # next attempt starts at once.
      {:ok, socket} = ScopedIPv6.TCP.connect("both.local", 7130, [:binary, active: false], 5_000)
      assert {:ok, peer} = :gen_tcp.recv(socket, 0, 2_000)
      assert peer in ["peer-a", "peer-b"]
      :gen_tcp.close(socket)
    end

    # README ("Libraries that call gen_tcp"): OTP's own HTTP client,
    # unchanged, given the module in its socket options.
    test "OTP's httpc fetches http://peer-b.local/ through gen_tcp's tcp_module, from OTP 29" do
      Peer.start("sip6-b", "http-name", ["7132", "peer-b"])
      {:ok, _} = Application.ensure_all_started(:inets)

      result =
        :httpc.request(:get, {~c"http://peer-b.local:7132/", []}, [timeout: 5_000],
          body_format: :binary,
          socket_opts: [tcp_module: :scoped_ipv6_tcp_module]
        )

      if String.to_integer(System.otp_release()) >= 29 do
        assert {:ok, {{_, 200, _}, _headers, "peer-b"}} = result
      else
        # Before OTP 29 (erlang/otp#9822): httpc puts its address family
        # first, and there the first of `tcp_module`, `inet` and `inet6`
        # chooses the module: inet_tcp, which cannot look a .local name up.
        assert {:error, {:failed_connect, _}} = result
      end
    end

    test "UDP send by name goes to the right link" do
      Peer.start("sip6-b", "udp-echo", ["7131", "peer-b"])
      {:ok, u} = ScopedIPv6.UDP.open(0, [:binary])
      assert :ok = ScopedIPv6.UDP.send(u, "peer-b.local", 7131, "hi")
      # (Peer B answers from whichever of its addresses it picks.)
      assert {:ok, {{_, b}, 7131, "peer-b:hi"}} = ScopedIPv6.UDP.recv(u, 0, 2_000)
      assert b == index("linkB")
      ScopedIPv6.UDP.close(u)
    end

    # As gen_udp looks a name up in its socket's family: peer-b.local has
    # IPv6 addresses alone, so an IPv4 socket finds none.
    test "UDP send by name asks for the socket's family" do
      {:ok, u} = ScopedIPv6.UDP.open(0, [:inet])
      assert ScopedIPv6.UDP.send(u, "peer-b.local", 7131, "hi") == {:error, :nxdomain}
      assert ScopedIPv6.UDP.connect(u, "peer-b.local", 7131) == {:error, :nxdomain}
      ScopedIPv6.UDP.close(u)
    end
  end

  describe "name servers at link-local addresses" do
    setup do
      start_dnsmasq()
      :ok
    end

    test "a name server reached only by a scoped address answers" do
      servers = [nameservers: [{"fe80::2%linkA", 53}]]

      assert ScopedIPv6.getaddrs("printer.lab", servers) ==
               {:ok, [{0xFD00, 0xA, 0, 0, 0, 0, 0, 0x99}]}

      # A link-local answer is on the server's link.
      assert ScopedIPv6.getaddrs("router.lab", servers) == {:ok, [{@lla, index("linkA")}]}
      assert ScopedIPv6.getaddrs("nope.lab", servers) == {:error, :nxdomain}
      # The same address on linkB has no server.
      assert ScopedIPv6.getaddrs("printer.lab", nameservers: ["fe80::2%linkB"], timeout: 600) ==
               {:error, :timeout}

      # OTP's own resolver cannot use it at all.
      assert {:error, _} = :inet_res.getbyname(~c"printer.lab", :aaaa, 600)
    end

    test "a truncated UDP answer is asked again over TCP" do
      {:ok, all} = ScopedIPv6.getaddrs("big.lab", nameservers: ["fe80::2%linkA"])
      assert Enum.sort(all) == Enum.map(1..40, &{0xFD00, 0xA, 0, 0, 0, 0, 0, &1})
    end

    test "resolv.conf with a scoped nameserver line is honoured, from the option and the app env" do
      conf =
        Path.join(System.tmp_dir!(), "scoped_ipv6_resolv_#{System.unique_integer([:positive])}")

      on_exit(fn -> File.rm(conf) end)

      File.write!(conf, """
      # what RDNSS hands out on an IPv6-only link
      nameserver fe80::2%nosuch9
      nameserver fe80::2%linkA
      options timeout:1
      """)

      assert ScopedIPv6.getaddrs("printer.lab", resolv_conf: conf) ==
               {:ok, [{0xFD00, 0xA, 0, 0, 0, 0, 0, 0x99}]}

      Application.put_env(:scoped_ipv6, :resolv_conf, conf)
      on_exit(fn -> Application.delete_env(:scoped_ipv6, :resolv_conf) end)
      assert ScopedIPv6.getaddrs("printer.lab") == {:ok, [{0xFD00, 0xA, 0, 0, 0, 0, 0, 0x99}]}
      # And a connect by name goes through it: router.lab is fe80::a, peer A.
      Peer.start("sip6-a", "tcp-name", ["7132", "peer-a"])
      {:ok, socket} = ScopedIPv6.TCP.connect("router.lab", 7132, [:binary, active: false], 2_000)
      assert {:ok, "peer-a"} = :gen_tcp.recv(socket, 0, 2_000)
      assert {:ok, {{@lla, a}, 7132}} = ScopedIPv6.peername(socket)
      assert a == index("linkA")
      :gen_tcp.close(socket)
    end
  end

  describe "hostile responders" do
    setup do
      Links.add_peer("linkH", "sip6-h")

      :ok
    end

    test "malformed, truncated, looping and mismatched replies: no crash, no atom, the good answer kept" do
      peer = Peer.start("sip6-h", "mdns-hostile", ["eth0", "garbage", "fe80::99"])
      h = index("linkH")
      opts = [links: ["linkH"], cache: false, timeout: 3_000]
      good = {:ok, [{{0xFE80, 0, 0, 0, 0, 0, 0, 0x99}, h}]}

      # The first round loads what code it needs (which makes atoms);
      # the second, with other random names, must make none.
      for round <- 1..2 do
        atoms = :erlang.system_info(:atom_count)
        assert ScopedIPv6.getaddrs("victim#{round}.local", opts) == good
        assert "query from " <> _ = Peer.next_line(peer, 2_000)
        assert "sent 121" = Peer.next_line(peer, 2_000)
        if round == 2, do: assert(:erlang.system_info(:atom_count) == atoms)
      end

      ReliabilityTable.record(
        "hostile mDNS responder",
        "2 rounds of 120 malformed, truncated, self-looping, mismatched and random-named replies before one good answer",
        "the good answer returned, scoped with its link; no atom made"
      )
    end

    test "a link silent to the first query is asked again" do
      peer = Peer.start("sip6-h", "mdns-hostile", ["eth0", "second", "fe80::99"])
      h = index("linkH")

      assert ScopedIPv6.getaddrs("late.local", links: ["linkH"], cache: false, timeout: 3_000) ==
               {:ok, [{{0xFE80, 0, 0, 0, 0, 0, 0, 0x99}, h}]}

      assert "query from " <> _ = Peer.next_line(peer, 2_000)
      assert "query from " <> _ = Peer.next_line(peer, 2_000)
      assert "sent 1" = Peer.next_line(peer, 2_000)
    end

    test "a flood of answers is bounded" do
      peer = Peer.start("sip6-h", "mdns-hostile", ["eth0", "flood", "fe80::1:0"])
      before = LiveMemory.total()

      {:ok, found} =
        ScopedIPv6.getaddrs("victim.local",
          links: ["linkH"],
          cache: false,
          timeout: 3_000,
          settle: 3_000
        )

      assert "query from " <> _ = Peer.next_line(peer, 2_000)
      assert "sent 10" = Peer.next_line(peer, 5_000)
      # Even the first reply alone holds more than the bound.
      assert length(found) == 16
      assert Enum.all?(found, &match?({{0xFE80, 0, 0, 0, 0, 0, 1, _}, _}, &1))
      assert LiveMemory.total() - before < 5_000_000

      ReliabilityTable.record(
        "mDNS answer flood",
        "10 replies of 300 answers, each another address, to one query",
        "16 kept (the per-link bound); memory flat"
      )
    end
  end

  describe "our responder" do
    setup do
      on_exit(fn ->
        Application.delete_env(:scoped_ipv6, :mdns_responder)
        restart()
      end)

      :ok
    end

    test "answers glibc's getaddrinfo through nss-mdns and avahi on each peer with that link's address",
         %{avahi: avahi} do
      start_responder(%{name: "device", links: ["linkA", "linkB"]})
      wait_announced(2)
      assert peer_lookup(avahi["sip6-a"], "device.local") in ["fd00:a::1", "fe80::1"]
      assert peer_lookup(avahi["sip6-b"], "device.local") in ["fd00:b::1", "fe80::1"]
      # Only its own name.
      assert peer_lookup(avahi["sip6-a"], "other.local") == nil
      # A second BEAM host on linkA finds it with this library alone.
      ebin = Application.app_dir(:scoped_ipv6, "ebin")

      code =
        ~S|{ok, _} = application:ensure_all_started(scoped_ipv6), | <>
          ~S|io:format("~p~n", [scoped_ipv6:getaddrs("device.local")]), halt().|

      {out, 0} = System.cmd("ip", ~w(netns exec sip6-a erl -noshell -pa #{ebin} -eval) ++ [code])
      {:ok, eth0} = peer_if_index("sip6-a")
      assert out == "{ok,[{{65152,0,0,0,0,0,0,1},#{eth0}},{64768,10,0,0,0,0,0,1}]}\n"
    end

    # The one-shot querier's question loops back to this host's port 5353
    # (multicast loop on), so this host's own name and services are found
    # as a neighbour's: on each link, scoped with it.
    test "this host's own name and services are found, on each link" do
      start_responder(%{
        name: "device",
        links: ["linkA", "linkB"],
        services: [%{type: "_own._tcp", name: "Own", port: 7164}]
      })

      wait_announced(2)
      {a, b} = {index("linkA"), index("linkB")}
      ll1 = {0xFE80, 0, 0, 0, 0, 0, 0, 1}
      {ula_a, ula_b} = {{0xFD00, 0xA, 0, 0, 0, 0, 0, 1}, {0xFD00, 0xB, 0, 0, 0, 0, 0, 1}}

      assert ScopedIPv6.getaddrs("device.local", cache: false) ==
               {:ok, [{ll1, a}, ula_a, {ll1, b}, ula_b]}

      own = fn link, addresses ->
        %{
          name: "Own",
          type: "_own._tcp",
          host: "device.local",
          port: 7164,
          txt: [],
          addresses: addresses,
          link: link
        }
      end

      assert ScopedIPv6.browse("_own._tcp") ==
               {:ok, [own.(a, [{ll1, a}, ula_a]), own.(b, [{ll1, b}, ula_b])]}
    end

    # RFC 6762 section 9: avahi in sip6-a holds taken.local, so there we
    # probe for taken-2.local and announce it; on linkB the name is free.
    test "a name another host holds on a link: the next one there (taken-2), the name on the others",
         %{avahi: avahi} do
      start_responder(%{name: "taken", links: ["linkA", "linkB"]})
      wait_announced(2)

      assert ScopedIPv6.mdns_names() ==
               {:ok, %{index("linkA") => "taken-2.local", index("linkB") => "taken.local"}}

      # avahi on linkA still answers with its own record, and finds ours.
      assert peer_lookup(avahi["sip6-a"], "taken.local") == "fe80::c"
      assert peer_lookup(avahi["sip6-a"], "taken-2.local") in ["fd00:a::1", "fe80::1"]
      assert peer_lookup(avahi["sip6-b"], "taken.local") in ["fd00:b::1", "fe80::1"]
      assert peer_lookup(avahi["sip6-b"], "taken-2.local") == nil
    end

    # DNS-SD (RFC 6763): python-zeroconf in each peer, on its eth0 alone,
    # browses our services and resolves them (SRV, TXT, AAAA) with that
    # link's addresses; service enumeration lists our types.
    test "advertises services that python-zeroconf browses and resolves on each link" do
      start_responder(%{
        name: "device",
        links: ["linkA", "linkB"],
        services: [
          %{type: "_http._tcp", port: 8080, name: "Web Server", txt: ["path=/", "v=2"]},
          %{type: "_ssh._tcp", port: 22}
        ]
      })

      wait_announced(2)

      for {ns, ula} <- [{"sip6-a", "fd00:a::1"}, {"sip6-b", "fd00:b::1"}] do
        {:ok, eth0} = peer_if_index(ns)

        assert zeroconf_browse(ns, eth0, "_http._tcp.local.") == [
                 %{
                   name: "Web Server._http._tcp.local.",
                   host: "device.local.",
                   port: "8080",
                   addresses: Enum.sort(["fe80::1", ula]),
                   txt: ["path=/", "v=2"]
                 }
               ]

        assert [%{name: "device._ssh._tcp.local.", port: "22", txt: []}] =
                 zeroconf_browse(ns, eth0, "_ssh._tcp.local.")

        assert Peer.run_dnssd(ns, ["types", "#{eth0}", "1.5"]) --
                 ["_ipp._tcp.local."] == ["_http._tcp.local.", "_ssh._tcp.local."]
      end

      # A second BEAM host on linkA browses them with this library alone.
      ebin = Application.app_dir(:scoped_ipv6, "ebin")

      code =
        ~S<{ok, _} = application:ensure_all_started(scoped_ipv6), > <>
          ~S<{ok, Found} = scoped_ipv6:browse("_http._tcp"), > <>
          ~S<io:format("~0p~n", [[{N, H, P, T, As} || #{name := N, host := H, port := P, > <>
          ~S<txt := T, addresses := As} <- Found]]), halt().>

      {out, 0} = System.cmd("ip", ~w(netns exec sip6-a erl -noshell -pa #{ebin} -eval) ++ [code])
      {:ok, eth0} = peer_if_index("sip6-a")

      assert out ==
               ~s|[{"Web Server","device.local",8080,[<<"path=/">>,<<"v=2">>],| <>
                 ~s|[{{65152,0,0,0,0,0,0,1},#{eth0}},{64768,10,0,0,0,0,0,1}]}]\n|
    end

    # RFC 6762 section 6: an answer other hosts may give too (the shared
    # PTR of a browse) waits a random 20 to 120 ms, so that several hosts'
    # answers do not collide. Only the lower bound is asserted: a busy
    # machine can only make the answer later.
    test "a browse is answered after 20 ms at least (shared records)" do
      start_responder(%{
        name: "device",
        links: ["linkA"],
        services: [%{type: "_http._tcp", port: 8080}]
      })

      wait_announced(1)

      assert ["answer " <> ms] = Peer.run("sip6-a", "mdns-time", ["eth0", "_http._tcp.local", "12"])
      assert String.to_integer(ms) >= 20
    end

    # RFC 6762 section 7.4: a shared answer of ours still waiting (20 to
    # 120 ms) that another responder sends first, with a TTL no less than
    # ours, is not sent again; with a shorter TTL, or nobody else's, it is.
    # A second between questions: a record is multicast at most once a
    # second.
    test "an answer another host just gave is not sent again (duplicate answer suppression)" do
      start_responder(%{
        name: "device",
        links: ["linkA"],
        services: [%{type: "_http._tcp", port: 8080}]
      })

      wait_announced(1)

      ask = fn ttl ->
        Peer.run("sip6-a", "mdns-dup-answer", [
          "eth0",
          "_services._dns-sd._udp.local",
          "_http._tcp.local",
          ttl
        ])
      end

      assert ask.("none") == ["answers 1"]
      Process.sleep(1_100)
      assert ask.("4500") == ["answers 0"]
      Process.sleep(1_100)
      assert ask.("10") == ["answers 1"]
    end

    # RFC 6762 section 6: a record is multicast at most once a second on a
    # link. A neighbour asking 10 times in 200 ms gets one answer (two if
    # a busy machine spreads them over a second), not ten: it cannot make
    # us flood the link.
    test "ten questions in 200 ms get one multicast answer, not ten" do
      start_responder(%{name: "device", links: ["linkA"]})
      wait_announced(1)

      assert ["answers " <> n] =
               Peer.run("sip6-a", "mdns-flood-ask", ["eth0", "device.local", "28", "10"])

      assert String.to_integer(n) in 1..2
    end

    # avahi in sip6-a publishes "Printer" (_ipp._tcp): there our instance
    # becomes "Printer #2", as avahi would name it; on linkB it is
    # "Printer". Stopping the responder says goodbye: zeroconf forgets it.
    test "a service instance name another host holds on a link: the next one there (Printer #2)" do
      {:ok, eth0_a} = peer_if_index("sip6-a")
      {:ok, eth0_b} = peer_if_index("sip6-b")
      watch = Peer.start_dnssd("sip6-b", ["watch", "#{eth0_b}", "_ipp._tcp.local."])

      start_responder(%{
        name: "device",
        links: ["linkA", "linkB"],
        services: [%{type: "_ipp._tcp", port: 6310, name: "Printer"}]
      })

      wait_announced(2)

      assert [
               %{name: "Printer #2._ipp._tcp.local.", port: "6310", host: "device.local."},
               %{name: "Printer._ipp._tcp.local.", port: "631", host: "peer-a.local."}
             ] = zeroconf_browse("sip6-a", eth0_a, "_ipp._tcp.local.")

      assert [%{name: "Printer._ipp._tcp.local.", port: "6310"}] =
               zeroconf_browse("sip6-b", eth0_b, "_ipp._tcp.local.")

      assert ScopedIPv6.mdns_names() ==
               {:ok, %{index("linkA") => "device.local", index("linkB") => "device.local"}}

      printer = %{type: "_ipp._tcp", port: 6310, txt: []}

      assert ScopedIPv6.mdns_services() ==
               {:ok,
                %{
                  index("linkA") => [Map.put(printer, :name, "Printer #2")],
                  index("linkB") => [Map.put(printer, :name, "Printer")]
                }}

      assert Peer.next_line(watch, 5_000) == "added Printer._ipp._tcp.local."
      Application.delete_env(:scoped_ipv6, :mdns_responder)
      restart()
      assert Peer.next_line(watch, 5_000) == "removed Printer._ipp._tcp.local."
    end

    # Services change while the responder runs. python-zeroconf's browser
    # in sip6-b sees a new one come, its TXT change (RFC 6762 section 8.4:
    # announced at once) and it go (goodbyes); a link probing for a new
    # service answers meanwhile for its name (a querier already running in
    # sip6-a asks while linkA still probes); a new instance name avahi
    # holds on linkA is renamed there only; the application env keeps the
    # services for a restarted responder.
    test "services advertised, changed and withdrawn while it runs" do
      {:ok, eth0_b} = peer_if_index("sip6-b")
      watch = Peer.start_dnssd("sip6-b", ["watch", "#{eth0_b}", "_http._tcp.local.", "updates"])

      asker =
        Peer.start("sip6-a", "mdns-ask-each-line", ["fe80::2%eth0", "ff02::fb%eth0", "device.local"])

      start_responder(%{name: "device", links: ["linkA", "linkB"]})
      wait_announced(2)
      {a, b} = {index("linkA"), index("linkB")}

      web = %{type: "_http._tcp", port: 8080, name: "Web"}
      assert ScopedIPv6.mdns_advertise(Map.put(web, :txt, ["v=1"])) == :ok
      assert responder_links() == %{a => :probing, b => :probing}
      assert ScopedIPv6.mdns_names() == {:ok, %{a => "device.local", b => "device.local"}}
      assert ScopedIPv6.mdns_services() == {:ok, %{a => [], b => []}}
      Port.command(asker, "ask\n")
      assert "answers " <> n = Peer.next_line(asker, 5_000)
      assert String.to_integer(n) > 0
      assert responder_links()[a] == :probing

      wait_announced(2)
      assert Peer.next_line(watch, 5_000) == "added Web._http._tcp.local."
      v1 = Map.put(web, :txt, [<<"v=1">>])
      assert ScopedIPv6.mdns_services() == {:ok, %{a => [v1], b => [v1]}}

      assert ScopedIPv6.mdns_advertise(Map.put(web, :txt, ["v=2"])) == :ok
      # Announcing again (a second, two announcements), the link answers.
      Port.command(asker, "ask\n")
      assert "answers " <> n = Peer.next_line(asker, 5_000)
      assert String.to_integer(n) > 0
      assert {:announcing, _} = responder_links()[a]
      assert Peer.next_line(watch, 5_000) == "updated Web._http._tcp.local."

      # Browsed in sip6-a: python-zeroconf's watch in sip6-b would take our
      # answer to another process there for a new address (it keeps an
      # address heard on its unicast socket apart) and say "updated".
      {:ok, eth0_a} = peer_if_index("sip6-a")

      assert [%{name: "Web._http._tcp.local.", txt: ["v=2"]}] =
               zeroconf_browse("sip6-a", eth0_a, "_http._tcp.local.")

      printer = %{type: "_ipp._tcp", port: 6310, name: "Printer"}
      assert ScopedIPv6.mdns_advertise(printer) == :ok
      wait_announced(2)

      assert {:ok, %{^a => [_, %{name: "Printer #2"}], ^b => [_, %{name: "Printer"}]}} =
               ScopedIPv6.mdns_services()

      # The map advertised may come along (its port and TXT play no part).
      assert ScopedIPv6.mdns_withdraw(%{web | name: "web"} |> Map.put(:txt, ["v=2"])) == :ok
      assert Peer.next_line(watch, 5_000) == "removed Web._http._tcp.local."
      assert ScopedIPv6.mdns_withdraw(%{type: "_http._tcp", name: "Web"}) == {:error, :not_found}
      assert ScopedIPv6.mdns_advertise(%{type: "http", port: 80}) == {:error, :einval}
      assert ScopedIPv6.mdns_advertise(%{type: "_http._tcp", port: 70_000}) == {:error, :einval}
      # A key a service does not have (a typo) is refused, never ignored.
      assert ScopedIPv6.mdns_advertise(%{type: "_ssh._tcp", port: 22, bogus: 1}) ==
               {:error, :einval}

      assert ScopedIPv6.mdns_withdraw(%{type: "_ipp._tcp", nmae: "Printer"}) == {:error, :einval}
      assert_raise ArgumentError, fn -> ScopedIPv6.mdns_advertise([]) end

      assert Application.get_env(:scoped_ipv6, :mdns_responder).services ==
               [%{type: ~c"_ipp._tcp", port: 6310, name: ~c"Printer", txt: [], subtypes: []}]

      restart()
      wait_announced(2)
      printer_at = fn name -> [%{type: "_ipp._tcp", port: 6310, name: name, txt: []}] end

      assert ScopedIPv6.mdns_services() ==
               {:ok, %{a => printer_at.("Printer #2"), b => printer_at.("Printer")}}
    end

    # RFC 6763 section 7.1: python-zeroconf browses a service by its
    # subtype; a change of subtypes while the responder runs is announced,
    # and the PTR of the one dropped gets its goodbye.
    test "subtypes: browsed by python-zeroconf, changed while it runs" do
      {:ok, eth0} = peer_if_index("sip6-a")
      printer = "_printer._sub._http._tcp.local."
      watch = Peer.start_dnssd("sip6-a", ["watch", "#{eth0}", printer])
      web = %{type: "_http._tcp", port: 8080, name: "Web"}

      start_responder(%{
        name: "device",
        links: ["linkA"],
        services: [Map.put(web, :subtypes, ["_printer"])]
      })

      wait_announced(1)
      assert Peer.next_line(watch, 5_000) == "added Web._http._tcp.local."

      assert [%{name: "Web._http._tcp.local.", port: "8080"}] =
               zeroconf_browse("sip6-a", eth0, printer)

      assert zeroconf_browse("sip6-a", eth0, "_scanner._sub._http._tcp.local.") == []

      assert ScopedIPv6.mdns_advertise(Map.put(web, :subtypes, ["_scanner"])) == :ok
      assert Peer.next_line(watch, 5_000) == "removed Web._http._tcp.local."

      assert [%{name: "Web._http._tcp.local."}] =
               zeroconf_browse("sip6-a", eth0, "_scanner._sub._http._tcp.local.")

      assert ScopedIPv6.mdns_advertise(Map.put(web, :subtypes, ["_a.b"])) == {:error, :einval}
    end

    # RFC 6762 section 5.5: a query sent to one of our addresses is taken
    # only from a source on the link it arrived on. fd00:c::2, added to
    # sip6-a for the test, is on linkA but in no prefix of ours there (a
    # route carries our replies): as an off-link host's would be, its query
    # is not answered; the same query from fe80::2 and fd00:a::2 is.
    test "a query sent to our address is answered only from a source on that link" do
      on_exit(fn ->
        System.cmd("ip", ~w(-n sip6-a -6 addr del fd00:c::2/128 dev eth0))
        System.cmd("ip", ~w(-6 route del fd00:c::2/128 dev linkA))
      end)

      {_, 0} = System.cmd("ip", ~w(-n sip6-a -6 addr add fd00:c::2/128 dev eth0 nodad))
      {_, 0} = System.cmd("ip", ~w(-6 route add fd00:c::2/128 dev linkA))
      start_responder(%{name: "device", links: ["linkA"]})
      wait_announced(1)
      ask = fn source, to -> Peer.run("sip6-a", "mdns-ask", [source, to, "device.local"]) end

      # Two answers: linkA's fe80::1 and fd00:a::1.

      assert ask.("fe80::2%eth0", "fe80::1%eth0") == ["answers 2"]
      assert ask.("fd00:a::2", "fd00:a::1") == ["answers 2"]
      assert ask.("fd00:c::2", "fd00:a::1") == ["silent"]
      assert ask.("fd00:c::2", "fe80::1%eth0") == ["silent"]
    end

    # Reverse lookups: glibc's getnameinfo in sip6-a, through nss-mdns
    # (which asks for link-local addresses) and that peer's avahi, which
    # sends the PTR question for 1.0...8.e.f.ip6.arpa on its link. Our
    # name on each link is the answer there: taken-2.local on linkA, where
    # avahi holds taken.local.
    test "a reverse lookup of our link-local address answers our name on that link",
         %{avahi: avahi} do
      start_responder(%{name: "taken", links: ["linkA", "linkB"]})
      wait_announced(2)
      assert peer_reverse(avahi["sip6-a"], "fe80::1") == "taken-2.local"
      assert peer_reverse(avahi["sip6-b"], "fe80::1") == "taken.local"
      # An address nobody has: no name.
      assert peer_reverse(avahi["sip6-a"], "fe80::77") == nil

      ptr = fn name ->
        Peer.run("sip6-a", "mdns-ask", ["fe80::2%eth0", "fe80::1%eth0", name, "--type=ptr"])
      end

      assert ptr.(
               :scoped_ipv6_dns.reverse_name({0xFD00, 0xA, 0, 0, 0, 0, 0, 1})
               |> List.to_string()
             ) ==
               ["answers 1"]

      assert ptr.(
               :scoped_ipv6_dns.reverse_name({0xFD00, 0xB, 0, 0, 0, 0, 0, 1})
               |> List.to_string()
             ) ==
               ["silent"]

      # Stopped, the responder says goodbye to its reverse names too (RFC
      # 6762 section 10.1): a second later the avahis have forgotten them
      # (they cached them with a 120 s TTL from our answers).
      Application.delete_env(:scoped_ipv6, :mdns_responder)
      restart()
      Process.sleep(1_500)
      assert peer_reverse(avahi["sip6-a"], "fe80::1") == nil
      assert peer_reverse(avahi["sip6-b"], "fe80::1") == nil
    end

    # A neighbour sending malformed, truncated, self-looping, oversized,
    # random-named and probing queries: the responder neither crashes nor
    # gives up its name, makes no atom, holds little, and answers the next
    # good question (our address's reverse name, which no hostile query
    # asked, so that no rate limit holds the answer back).
    test "hostile queries: no crash, no rename, no atom, the next question answered" do
      start_responder(%{name: "device", links: ["linkA"]})
      %{} = links = wait_announced(1)
      [a] = Map.keys(links)
      pid = Process.whereis(:scoped_ipv6_mdns_responder)
      reverse = List.to_string(:scoped_ipv6_dns.reverse_name({0xFE80, 0, 0, 0, 0, 0, 0, 1}))

      hostile = fn seed ->
        Peer.run("sip6-a", "mdns-hostile-ask", ["eth0", "device.local", "#{reverse}/12", "#{seed}"])
      end

      # The first round loads what code it needs (which makes atoms); the
      # second, with other random names, must make none. A packet whose
      # handling raised would be dropped with a warning (the responder runs
      # on): there must be none.
      {atoms, warnings} =
        Warnings.during(fn ->
          assert hostile.(1) == ["answered"]
          atoms = :erlang.system_info(:atom_count)
          assert hostile.(2) == ["answered"]
          atoms
        end)

      assert :erlang.system_info(:atom_count) == atoms
      assert warnings == []

      assert Process.whereis(:scoped_ipv6_mdns_responder) == pid
      assert :scoped_ipv6.mdns_names() == {:ok, %{a => ~c"device.local"}}
      :erlang.garbage_collect(pid)
      {:memory, memory} = Process.info(pid, :memory)
      assert memory < 1_000_000

      ReliabilityTable.record(
        "hostile mDNS queries to our responder",
        "2 rounds of 120 malformed, truncated, self-looping, 400-question, TC, random-named and probing queries",
        "the next question answered; the responder not restarted, its name kept, under 1 MB; no atom made"
      )
    end

    # RFC 6762 section 7.1: the records a question lists as known answers,
    # with at least half the TTL we would give (a one-shot query's: 10 s),
    # are left out of our answer; none left, no answer. linkA has two
    # AAAA records: fe80::1 and fd00:a::1.
    test "known answers are not sent again" do
      start_responder(%{name: "device", links: ["linkA"]})
      wait_announced(1)

      ask = fn known ->
        Peer.run("sip6-a", "mdns-ask", ["fe80::2%eth0", "fe80::1%eth0", "device.local" | known])
      end

      assert ask.([]) == ["answers 2"]
      assert ask.(["fe80::1/120"]) == ["answers 1"]
      assert ask.(["fe80::1/5", "fd00:a::1/10"]) == ["silent"]
      # Less than half the TTL left: sent again, as the cache will want it.
      assert ask.(["fe80::1/4"]) == ["answers 2"]
      # Another host's address for the name is no known answer of ours.
      assert ask.(["fe80::99/120"]) == ["answers 2"]
    end

    # RFC 6762 section 7.2: a query with TC set waits 400 to 500 ms for the
    # known answers that follow from the same querier (here one packet,
    # 150 ms later); then it is answered without the records any of its
    # packets listed. Answered at once, it would leave out only those of
    # the first packet. Only the lower bound of the time is asserted: a
    # busy machine can only make the answer later.
    test "known answers over several packets (TC) are waited for, and none is sent again" do
      start_responder(%{
        name: "device",
        links: ["linkA"],
        services:
          for {name, port} <- [{"One", 7201}, {"Two", 7202}, {"Three", 7203}] do
            %{type: "_tc._tcp", port: port, name: name}
          end
      })

      wait_announced(1)

      assert ["answer " <> heard] =
               Peer.run("sip6-a", "mdns-tc-ask", ["eth0", "_tc._tcp.local", "One", "Two"])

      assert [ms, "Three"] = String.split(heard)
      assert String.to_integer(ms) >= 400
    end

    # RFC 6762 section 6.4: answers waiting on a link go out in one
    # message. Two browses, for two types we advertise, sent one right
    # after the other (two datagrams, microseconds apart, well within the
    # 20 ms the first answer waits at least, however the machine is
    # loaded): one answer with both PTRs and what goes along (SRV, TXT,
    # address), after 20 ms at least. Then a browse and right after it a
    # question for another instance's SRV, which would go at once: it
    # joins the browse's answer. Without aggregation, a message each.
    test "answers within the delay go out in one message (response aggregation)" do
      start_responder(%{
        name: "device",
        links: ["linkA"],
        services:
          for {name, letter} <- [{"One", "a"}, {"Two", "b"}, {"Three", "c"}, {"Four", "d"}] do
            %{type: "_agg#{letter}._tcp", port: 7300, name: name}
          end
      })

      wait_announced(1)
      ask = &Peer.run("sip6-a", "mdns-multi-ask", ["eth0", "0" | &1])

      assert ["message " <> heard] = ask.(["_agga._tcp.local/12", "_aggb._tcp.local/12"])
      assert [ms | records] = String.split(heard)
      assert String.to_integer(ms) >= 20

      for type <- ~w(agga aggb), do: assert("an:_#{type}._tcp.local/PTR" in records)

      for instance <- ~w(one._agga two._aggb),
          type <- ~w(SRV TXT),
          do: assert("ar:#{instance}._tcp.local/#{type}" in records)

      assert "ar:device.local/AAAA" in records

      assert ["message " <> heard] = ask.(["_aggc._tcp.local/12", "four._aggd._tcp.local/33"])
      assert [_ms | records] = String.split(heard)
      assert "an:_aggc._tcp.local/PTR" in records
      assert "an:four._aggd._tcp.local/SRV" in records
    end

    # RFC 6762 section 6.3: a query of several questions is answered in
    # one message, after 20 ms at least (other hosts may be answering the
    # others): a browse with our address asked too; an instance's SRV and
    # TXT, records of ours alone that a question of its own gets at once.
    test "a query of several questions gets one answer, after 20 ms at least" do
      start_responder(%{
        name: "device",
        links: ["linkA"],
        services: [
          %{type: "_agga._tcp", port: 7301, name: "One"},
          %{type: "_aggb._tcp", port: 7302, name: "Two"}
        ]
      })

      wait_announced(1)
      ask = &Peer.run("sip6-a", "mdns-multi-ask", ["eth0", "0", &1])

      assert ["message " <> heard] = ask.("_agga._tcp.local/12+device.local/28")
      assert [ms | records] = String.split(heard)
      assert String.to_integer(ms) >= 20
      assert "an:_agga._tcp.local/PTR" in records
      assert "an:device.local/AAAA" in records

      assert ["message " <> heard] = ask.("two._aggb._tcp.local/33+two._aggb._tcp.local/16")
      assert [ms | records] = String.split(heard)
      assert String.to_integer(ms) >= 20
      assert "an:two._aggb._tcp.local/SRV" in records
      assert "an:two._aggb._tcp.local/TXT" in records
    end

    # RFC 6762 section 9: after we announced, another host's answer giving
    # our name an address we do not have sends that link back to probing;
    # the host answers our probe, and the name is its there: we take
    # device-2.local on that link. An answer with our own address is no
    # conflict: we go on answering at once.
    test "a later claim to our name on a link is probed, and yielded to when defended" do
      Links.add_peer("linkK", "sip6-k")
      k = index("linkK")
      start_responder(%{name: "device", links: ["linkA", "linkK"]})
      wait_announced(2)

      ask = fn ->
        Peer.run("sip6-k", "mdns-ask", ["fe80::2%eth0", "fe80::1%eth0", "device.local"])
      end

      assert ask.() == ["answers 1"]

      assert Peer.run("sip6-k", "mdns-announce", ["eth0", "device.local", "fe80::1"]) == [
               "announced"
             ]

      assert ask.() == ["answers 1"]

      claim = Peer.start("sip6-k", "mdns-claim", ["eth0", "device.local", "fe80::d"])
      assert Peer.next_line(claim, 5_000) == "defended"

      wait_until(
        fn -> ScopedIPv6.mdns_names() |> elem(1) |> Map.get(k) == "device-2.local" end,
        5_000
      )

      assert ask.() == ["silent"]

      assert Peer.run("sip6-k", "mdns-ask", ["fe80::2%eth0", "fe80::1%eth0", "device-2.local"]) ==
               ["answers 1"]

      assert ScopedIPv6.mdns_names() ==
               {:ok, %{index("linkA") => "device.local", k => "device-2.local"}}
    end

    # RFC 6762 section 8.4: the addresses of an announced link change (an
    # address added, then removed): the link is announced again, each time
    # without anyone asking, with the cache-flush bit replacing what
    # neighbours cached.
    # The new address's reverse name is announced with it, and gets a
    # goodbye when it goes (its own name: our name's cache-flush does not
    # reach it).
    test "an announced link whose addresses change is announced again" do
      start_responder(%{name: "device", links: ["linkA"]})
      wait_announced(1)
      watch = Peer.start("sip6-a", "mdns-watch", ["eth0", "device.local", "fd00:a::77"])
      reverse = List.to_string(:scoped_ipv6_dns.reverse_name({0xFD00, 0xA, 0, 0, 0, 0, 0, 0x77}))
      ttls = Peer.start("sip6-a", "mdns-ttl", ["eth0", reverse])

      on_exit(fn ->
        System.cmd("ip", ~w(-6 addr del fd00:a::77/64 dev linkA), stderr_to_stdout: true)
      end)

      {_, 0} = System.cmd("ip", ~w(-6 addr add fd00:a::77/64 dev linkA nodad))
      assert Peer.next_line(watch, 5_000) == "answer with fd00:a::77"
      # Announced twice, a second apart.
      assert Peer.next_line(watch, 3_000) == "answer with fd00:a::77"
      assert Peer.next_line(ttls, 1_000) == "ttl 120"
      assert Peer.next_line(ttls, 1_000) == "ttl 120"
      {_, 0} = System.cmd("ip", ~w(-6 addr del fd00:a::77/64 dev linkA))
      assert Peer.next_line(watch, 5_000) == "answer without fd00:a::77"
      assert Peer.next_line(ttls, 1_000) == "ttl 0"
      assert Peer.next_line(watch, 3_000) == "answer without fd00:a::77"
      assert responder_links()[index("linkA")] == :announced
    end

    # RFC 6762 section 8.2: another host probes for our name as we do.
    # Our record on the link is fe80::1; the lexicographically later claim
    # wins. The loser probes again a second later: four probes in all
    # before it announces, where the winner sends three.
    test "a simultaneous probe with a later claim: we defer a second and probe again" do
      probes = probe_race("linkT", "sip6-t", "fe80::2")
      assert [0, again | _] = probes
      assert again >= 1_000
      assert length(probes) == 4
    end

    test "a simultaneous probe with an earlier claim: we go on and announce" do
      assert length(probe_race("linkU", "sip6-u", "fd00::1")) == 3
    end

    # RFC 6762 section 8.1: a neighbour that claims every name we probe
    # for. Fifteen conflicts come as fast as we probe (device, device-2,
    # ... device-15); after the fifteenth within 10 s, each new probe
    # waits five seconds.
    test "after fifteen conflicts within ten seconds, five seconds before each probe" do
      Links.add_peer("linkC", "sip6-c")
      peer = Peer.start("sip6-c", "mdns-claim-all", ["eth0", "device", "fe80::2"])
      start_responder(%{name: "device", links: ["linkC"]})
      claims = for _ <- 1..16, do: Peer.next_line(peer, 8_000)

      times =
        for {"claimed " <> rest, n} <- Enum.with_index(claims, 1) do
          [name, ms] = String.split(rest)
          assert name == if(n == 1, do: "device.local", else: "device-#{n}.local")
          String.to_integer(ms)
        end

      gaps = Enum.zip_with(Enum.drop(times, 1), times, &(&1 - &2))
      {before, [after_limit]} = Enum.split(gaps, 14)
      assert Enum.all?(before, &(&1 < 1_000)), inspect(times)
      assert after_limit >= 5_000, inspect(times)
    end

    # A link just up: the kernel's own link-local address on our end is
    # still in duplicate address detection. It is not in our answers (a
    # neighbour would be sent to an address not ours yet, and maybe
    # never); fe80::1, usable, is. A link whose only link-local address
    # is tentative is not served yet, as one without any.
    test "a tentative address is not answered for, nor a link with only one served" do
      Links.add_peer("linkD", "sip6-d", slow_dad: true)
      Links.add_peer("linkE", "sip6-e", slow_dad: true, fe80_1: false)
      start_responder(%{name: "device", links: ["linkD", "linkE"]})
      wait_announced(1)
      assert Map.keys(responder_links()) == [index("linkD")]

      assert Peer.run("sip6-d", "mdns-ask", ["fe80::2%eth0", "fe80::1%eth0", "device.local"]) ==
               ["answers 1"]

      assert Links.tentative?("linkD") and Links.tentative?("linkE")
    end

    test "stops answering on a link that goes away" do
      Links.add_peer("linkR", "sip6-r")

      r = index("linkR")
      start_responder(%{name: "device", links: ["linkA", "linkR"]})
      states = wait_announced(2)
      assert states[r] == :announced
      Links.delete("linkR")
      # The next look at the links drops it (a poll asked for now, then a
      # call: handled in that order). It is not announced again first,
      # as a link whose addresses changed would be.
      send(:scoped_ipv6_mdns_responder, :poll)
      assert Map.keys(responder_links()) == [index("linkA")]
    end
  end

  describe "distribution by .local names" do
    alias ScopedIPv6.Test.DistNode

    test "nodes named by .local names cluster through the carrier" do
      on_exit(fn -> DistNode.kill_epmds(~w(sip6-host sip6-a sip6-b)) end)
      # b is named by what avahi in sip6-a answers for; c by what c itself
      # answers for (this library's responder, nothing else installed).
      b = DistNode.start("sip6-a", "b@peer-a.local")
      on_exit(fn -> DistNode.stop(b) end)
      responder = ~S(#{name => "device-b", links => all})

      c =
        DistNode.start("sip6-b", "c@device-b.local",
          erl: ["-scoped_ipv6", "mdns_responder", responder]
        )

      on_exit(fn -> DistNode.stop(c) end)
      assert {:ok, _} = DistNode.eval(c, "application:ensure_all_started(scoped_ipv6)")

      announced =
        "(fun W(0) -> timeout; W(N) -> case maps:values(gen_server:call(scoped_ipv6_mdns_responder, links)) of " <>
          "[announced] -> announced; _ -> timer:sleep(100), W(N - 1) end end)(100)"

      assert DistNode.eval(c, announced) == :announced

      a = DistNode.start("sip6-host", "a@fe80::1")
      on_exit(fn -> DistNode.stop(a) end)
      assert DistNode.eval(a, "net_kernel:connect_node('b@peer-a.local')") == true
      assert DistNode.eval(a, "net_kernel:connect_node('c@device-b.local')") == true
      assert DistNode.eval(a, "rpc:call('b@peer-a.local', erlang, node, [])") == :"b@peer-a.local"

      assert DistNode.eval(a, "rpc:call('c@device-b.local', erlang, node, [])") ==
               :"c@device-b.local"

      # Each reached on its own link: the peer's end of the connection.
      for {node, link} <- [{"b@peer-a.local", "linkA"}, {"c@device-b.local", "linkB"}] do
        {:ok, index} = ScopedIPv6.if_index(link)

        assert DistNode.eval(
                 a,
                 "(fun() -> [P] = [P || {N, P} <- erlang:system_info(dist_ctrl), N =:= '#{node}'], " <>
                   "{ok, {{_, I}, _}} = scoped_ipv6:peername(P), I end)()"
               ) == index
      end
    end
  end

  defp peer_if_index(ns) do
    {out, 0} = System.cmd("ip", ~w(netns exec #{ns} cat /sys/class/net/eth0/ifindex))
    {:ok, out |> String.trim() |> String.to_integer()}
  end

  defp restart do
    :ok = Application.stop(:scoped_ipv6)
    :ok = Application.start(:scoped_ipv6)
  end

  defp start_responder(config) do
    Application.put_env(:scoped_ipv6, :mdns_responder, config)
    restart()
  end

  defp responder_links, do: :gen_server.call(:scoped_ipv6_mdns_responder, :links)

  # Our responder on a new link whose peer probes for our name as soon as
  # it hears our first probe, claiming `address`: the times (ms after our
  # first probe) of our probes before our first announcement.
  defp probe_race(link, ns, address) do
    Links.add_peer(link, ns)
    peer = Peer.start(ns, "mdns-probe-race", ["eth0", "device.local", address])
    start_responder(%{name: "device", links: [link]})
    probes_before_announcement(peer, [])
  end

  defp probes_before_announcement(peer, times) do
    case Peer.next_line(peer, 10_000) do
      "announcement" -> Enum.reverse(times)
      "probe " <> ms -> probes_before_announcement(peer, [String.to_integer(ms) | times])
    end
  end

  # Probing takes 750 ms, announcing 1 s more: wait until `n` links are
  # announced and none probes.
  defp wait_announced(n) do
    wait_until(
      fn ->
        states = Map.values(responder_links())
        Enum.count(states, &(&1 == :announced)) == n and :probing not in states
      end,
      10_000
    )

    responder_links()
  end

  defp wait_until(fun, ms) do
    cond do
      fun.() -> :ok
      ms <= 0 -> flunk("the responder never got there: #{inspect(responder_links())}")
      true -> Process.sleep(100) && wait_until(fun, ms - 100)
    end
  end

  # python-zeroconf in namespace `ns`, on interface `ifindex`, browses
  # `type` for 1.5 s and resolves what it found (test/peers/dnssd.py);
  # `host: :unresolved` for an instance whose SRV, TXT and addresses it
  # did not all get.
  defp zeroconf_browse(ns, ifindex, type) do
    for line <- Peer.run_dnssd(ns, ["browse", "#{ifindex}", type, "1.5"]) do
      case String.split(line, "\t") do
        [name, host, port, addresses, txt] ->
          %{
            name: name,
            host: host,
            port: port,
            addresses: String.split(addresses, ",", trim: true),
            txt: String.split(txt, ",", trim: true)
          }

        [name, "unresolved"] ->
          %{name: name, host: :unresolved}

        other ->
          flunk("python-zeroconf: #{inspect(other)}")
      end
    end
  end

  # glibc's getaddrinfo in a peer (getent ahostsv6), through nss-mdns
  # and that peer's avahi: the first address, or nil.
  defp peer_lookup(avahi_pid, name) do
    case peer_getent(avahi_pid, "ahostsv6", name) do
      [address | _] -> address
      [] -> nil
    end
  end

  # glibc's reverse lookup in a peer (getent hosts ADDRESS), through
  # nss-mdns and that peer's avahi: the name, or nil.
  defp peer_reverse(avahi_pid, address) do
    case peer_getent(avahi_pid, "hosts", address) do
      [_address, name | _] -> name
      _ -> nil
    end
  end

  # getent's words for a key of a database, run in the namespaces of a
  # peer's avahi (-r: avahi's own root too, a chroot's when the tests run
  # in one).
  defp peer_getent(avahi_pid, database, key) do
    {out, _} =
      System.cmd("nsenter", ["-t", "#{avahi_pid}", "-m", "-n", "-r", "getent", database, key],
        stderr_to_stdout: true
      )

    String.split(out)
  end

  # --- peers -------------------------------------------------------------------

  defp now, do: System.monotonic_time(:millisecond)

  # avahi-daemon with D-Bus off and static host names, in its own mount
  # namespace (test/support/avahi.exs).
  defp start_avahi(ns, hosts, opts), do: Avahi.start(ns, hosts, opts)

  # dnsmasq in sip6-a, on fe80::2%eth0 only: printer.lab, router.lab (a
  # link-local address), big.lab (40 addresses: more than 512 bytes, so
  # UDP answers come truncated), nothing else in lab (--local: nxdomain).
  defp start_dnsmasq do
    records =
      ["printer.lab,fd00:a::99", "router.lab,fe80::a"] ++
        for(i <- 1..40, do: "big.lab,fd00:a::#{Integer.to_string(i, 16)}")

    args =
      ~w(netns exec sip6-a dnsmasq --keep-in-foreground --log-facility=- --no-resolv --no-hosts
         --bind-interfaces --interface=eth0 --except-interface=lo --listen-address=fe80::2
         --port=53 --user=root --group=root --pid-file= --local=/lab/) ++
        Enum.map(records, &"--host-record=#{&1}")

    port =
      Port.open({:spawn_executable, System.find_executable("ip")}, [
        :binary,
        :exit_status,
        :stderr_to_stdout,
        {:line, 4096},
        args: args
      ])

    {:os_pid, os_pid} = Port.info(port, :os_pid)
    on_exit(fn -> System.cmd("kill", ["#{os_pid}"], stderr_to_stdout: true) end)
    wait_line(port, ~r/cleared cache|started/)
  end

  defp wait_line(port, pattern) do
    receive do
      {^port, {:data, {:eol, line}}} ->
        if line =~ pattern, do: wait_for_dns(), else: wait_line(port, pattern)

      {^port, {:exit_status, status}} ->
        flunk("dnsmasq exited: #{status}")
    after
      10_000 -> flunk("dnsmasq did not start")
    end
  end

  # dnsmasq says "started" before it reads its records: ask until it knows one.
  defp wait_for_dns(tries \\ 50) do
    case ScopedIPv6.getaddrs("printer.lab", nameservers: ["fe80::2%linkA"], timeout: 200) do
      {:ok, _} -> :ok
      _ when tries > 0 -> Process.sleep(50) && wait_for_dns(tries - 1)
      other -> flunk("dnsmasq does not answer: #{inspect(other)}")
    end
  end
end
