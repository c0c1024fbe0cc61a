defmodule ScopedIPv6.TestbedAncillaryTest do
  # RFC 3542's advanced API on scoped UDP, and the scoped ping, against
  # peers we did not write: Python's socket module in sip6-a and sip6-b (both
  # fe80::2, behind linkA and linkB), the kernel's own echo replies, and
  # iputils' ping.
  use ExUnit.Case, async: false
  @moduletag :testbed

  alias ScopedIPv6.Test.{Links, Peer}
  alias ScopedIPv6.UDP

  @ll1 {0xFE80, 0, 0, 0, 0, 0, 0, 1}
  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}
  @any {0, 0, 0, 0, 0, 0, 0, 0}
  @group {0xFF02, 0, 0, 0, 0, 0, 0, 0x114}
  @all_info [recvpktinfo: true, recvhoplimit: true, recvtclass: true]

  defp index(name), do: ScopedIPv6.if_index!(name)

  # Python in the peer's namespace sends each message, in order, with the
  # given hop limit, from fe80::2 (each peer has fe80::a or fe80::b too) or
  # `source`; returns when they are sent.
  defp peer_send(ns, address, port, hops, messages, source \\ "fe80::2") do
    args = [source, address, "#{port}", "#{hops}" | messages]
    assert Peer.run(ns, "udp-send", args) == ["sent"]
  end

  describe "arrival information" do
    test "a wildcard socket tells linkA's and linkB's fe80::2 apart, and where each arrived" do
      {:ok, s} = UDP.open(7500, [:binary | @all_info])
      a = index("linkA")
      b = index("linkB")

      peer_send("sip6-a", "fe80::1%eth0", 7500, 64, ["from-a"])
      assert {:ok, {{@ll2, ^a}, _, info_a, "from-a"}} = UDP.recv(s, 0, 5_000)
      assert info_a == [pktinfo: {{@ll1, a}, a}, hoplimit: 64, tclass: 0]

      peer_send("sip6-b", "fe80::1%eth0", 7500, 64, ["from-b"])
      assert {:ok, {{@ll2, ^b}, _, info_b, "from-b"}} = UDP.recv(s, 0, 5_000)
      assert info_b == [pktinfo: {{@ll1, b}, b}, hoplimit: 64, tclass: 0]

      # A global destination carries no scope; the arrival link is still told.
      peer_send("sip6-b", "fd00:b::1", 7500, 64, ["ula-b"], "fd00:b::2")
      assert {:ok, {{0xFD00, 0xB, 0, 0, 0, 0, 0, 2}, _, info, "ula-b"}} = UDP.recv(s, 0, 5_000)
      assert info[:pktinfo] == {{0xFD00, 0xB, 0, 0, 0, 0, 0, 1}, b}
    end

    test "multicast: the group, scoped by the link it arrived on, in active mode too" do
      {:ok, s} = UDP.open(7501, [:binary, recvpktinfo: true, recvhoplimit: true])
      a = index("linkA")
      b = index("linkB")
      :ok = UDP.join_group(s, @group, "linkA")
      :ok = UDP.join_group(s, @group, "linkB")

      peer_send("sip6-a", "ff02::114%eth0", 7501, 255, ["mc-a"])
      assert {:ok, {{@ll2, ^a}, _, info_a, "mc-a"}} = UDP.recv(s, 0, 5_000)
      assert info_a == [pktinfo: {{@group, a}, a}, hoplimit: 255]

      :ok = UDP.setopts(s, active: :once)
      peer_send("sip6-b", "ff02::114%eth0", 7501, 1, ["mc-b"])
      assert_receive {:udp, ^s, {@ll2, ^b}, _, info_b, "mc-b"}, 5_000
      assert info_b == [pktinfo: {{@group, b}, b}, hoplimit: 1]
    end

    test "hop limits 255 and 64 are reported exactly" do
      {:ok, s} = UDP.open(7502, [:binary, recvhoplimit: true])
      peer_send("sip6-a", "fe80::1%eth0", 7502, 255, ["h255"])
      peer_send("sip6-a", "fe80::1%eth0", 7502, 64, ["h64"])
      assert {:ok, {_, _, [hoplimit: 255], "h255"}} = UDP.recv(s, 0, 5_000)
      assert {:ok, {_, _, [hoplimit: 64], "h64"}} = UDP.recv(s, 0, 5_000)
    end

    test "the traffic class a peer sets is reported" do
      {:ok, s} = UDP.open(7506, [:binary, recvtclass: true])
      peer_send("sip6-b", "fe80::1%eth0", 7506, "64/184", ["ef"])
      peer_send("sip6-b", "fe80::1%eth0", 7506, "64/0", ["be"])
      assert {:ok, {_, _, [tclass: 184], "ef"}} = UDP.recv(s, 0, 5_000)
      assert {:ok, {_, _, [tclass: 0], "be"}} = UDP.recv(s, 0, 5_000)
    end

    test "the guard at 255 drops the 64 and counts it, passive and active" do
      {:ok, s} = UDP.open(7503, [:binary, min_hoplimit: 255, recvhoplimit: true])
      peer_send("sip6-a", "fe80::1%eth0", 7503, 64, ["low-1", "low-2"])
      # Both arrive with 64: dropped.
      peer_send("sip6-a", "fe80::1%eth0", 7503, 255, ["link"])
      assert {:ok, {_, _, [hoplimit: 255], "link"}} = UDP.recv(s, 0, 5_000)
      assert UDP.getstat(s) == {:ok, [hoplimit_dropped: 2]}

      :ok = UDP.setopts(s, active: true)
      peer_send("sip6-b", "fe80::1%eth0", 7503, 64, ["low-b"])
      peer_send("sip6-b", "fe80::1%eth0", 7503, 255, ["link-b"])
      assert_receive {:udp, ^s, _, _, [hoplimit: 255], "link-b"}, 5_000
      refute_received {:udp, ^s, _, _, _, "low-b"}
      assert UDP.getstat(s) == {:ok, [hoplimit_dropped: 3]}

      # Off again: the 64 passes.
      :ok = UDP.setopts(s, active: false, min_hoplimit: 0)
      peer_send("sip6-b", "fe80::1%eth0", 7503, 64, ["now-ok"])
      assert {:ok, {_, _, [hoplimit: 64], "now-ok"}} = UDP.recv(s, 0, 5_000)
    end

    test "the guard alone keeps the old shapes" do
      {:ok, s} = UDP.open(7504, [:binary, min_hoplimit: 255])
      b = index("linkB")
      peer_send("sip6-b", "fe80::1%eth0", 7504, 64, ["low"])
      peer_send("sip6-b", "fe80::1%eth0", 7504, 255, ["high"])
      assert {:ok, {{@ll2, ^b}, _, "high"}} = UDP.recv(s, 0, 5_000)
      assert UDP.getstat(s) == {:ok, [hoplimit_dropped: 1]}
    end

    test "callers who did not ask see exactly the old shapes" do
      {:ok, s} = UDP.open(7505, [:binary])
      a = index("linkA")
      peer_send("sip6-a", "fe80::1%eth0", 7505, 64, ["plain"])
      assert {:ok, {{@ll2, ^a}, port, "plain"}} = UDP.recv(s, 0, 5_000)
      assert is_integer(port)
      :ok = UDP.setopts(s, active: :once)
      peer_send("sip6-a", "fe80::1%eth0", 7505, 64, ["plain-active"])
      assert_receive msg, 5_000
      assert {:udp, ^s, {@ll2, ^a}, _port, "plain-active"} = msg

      # Asked for, then switched off again: the old shape is back.
      :ok = UDP.setopts(s, recvhoplimit: true)
      :ok = UDP.setopts(s, recvhoplimit: false)
      peer_send("sip6-a", "fe80::1%eth0", 7505, 64, ["plain-again"])
      assert {:ok, {{@ll2, ^a}, _, "plain-again"}} = UDP.recv(s, 0, 5_000)
    end
  end

  describe "per-datagram sending" do
    setup do
      %{
        a: Peer.start("sip6-a", "udp-source", ["7510"]),
        b: Peer.start("sip6-b", "udp-source", ["7510"])
      }
    end

    test "pktinfo's interface is where an unscoped fe80::2 goes", %{a: peer_a, b: peer_b} do
      {:ok, s} = UDP.open(0, [:binary])
      :ok = UDP.send(s, "fe80::2", 7510, [pktinfo: {@any, "linkB"}], "to-b")
      assert Peer.next_line(peer_b, 5_000) == "got to-b from fe80::1"
      :ok = UDP.send(s, @ll2, 7510, [pktinfo: {@any, index("linkA")}], "to-a")
      # A's first datagram is this one: "to-b" never reached it.
      assert Peer.next_line(peer_a, 5_000) == "got to-a from fe80::1"
      assert UDP.send(s, "fe80::2", 7510, [hoplimit: 9], "nowhere") == {:error, :scope_required}
    end

    test "pktinfo's address is the source the peer sees", %{b: peer_b} do
      {:ok, s} = UDP.open(0, [:binary])
      :ok = UDP.send(s, "fe80::2%linkB", 7510, [pktinfo: "fd00:b::1"], "ula")
      assert Peer.next_line(peer_b, 5_000) == "got ula from fd00:b::1"
      :ok = UDP.send(s, "fd00:b::2", 7510, [pktinfo: "fe80::1%linkB"], "ll")
      assert Peer.next_line(peer_b, 5_000) == "got ll from fe80::1"
    end

    test "a reply from a wildcard socket leaves from the address and link the request came to" do
      {:ok, s} = UDP.open(7511, [:binary, recvpktinfo: true])
      task = Task.async(fn -> Peer.run("sip6-b", "udp-ask-src", ["fd00:b::1", "7511", "q"]) end)
      assert {:ok, {from, port, [pktinfo: {dest, ifindex}], "q"}} = UDP.recv(s, 0, 5_000)
      assert {dest, ifindex} == {{0xFD00, 0xB, 0, 0, 0, 0, 0, 1}, index("linkB")}
      :ok = UDP.send(s, from, port, [pktinfo: {dest, ifindex}], "answer")
      assert Task.await(task) == ["ready", "reply answer from fd00:b::1"]
    end

    test "the hop limit of one datagram, and unicast_hops for all" do
      {:ok, r} = UDP.open(0, [:binary, ip: "fe80::1%linkA", recvhoplimit: true])
      {:ok, {_, port}} = UDP.sockname(r)
      {:ok, s} = UDP.open(0, [:binary, unicast_hops: 17])
      :ok = UDP.send(s, "fe80::1%linkA", port, "default")
      :ok = UDP.send(s, "fe80::1%linkA", port, [hoplimit: 255], "one")
      assert {:ok, {_, _, [hoplimit: 17], "default"}} = UDP.recv(r, 0, 5_000)
      assert {:ok, {_, _, [hoplimit: 255], "one"}} = UDP.recv(r, 0, 5_000)
    end
  end

  # The same items on IPv4 sockets, from Linux's IP_PKTINFO, IP_TTL and
  # IP_TOS: `hoplimit` is the TTL, `tclass` the TOS byte. linkV carries
  # 10.13.0.1/24 here and 10.13.0.2/24 in sip6-v.
  describe "IPv4 sockets" do
    setup do
      Links.add_peer("linkV", "sip6-v")

      Links.ipv4("linkV", "sip6-v", "10.13.0.1/24", "10.13.0.2/24")

      %{v: index("linkV")}
    end

    defp peer4_send(address, port, ttl_tos, messages) do
      args = ["10.13.0.2", address, "#{port}", ttl_tos | messages]
      assert Peer.run("sip6-v", "udp4-send", args) == ["sent"]
    end

    test "arrival: the header's destination (unicast or broadcast), the link, TTL and TOS", %{v: v} do
      {:ok, s} = UDP.open(7520, [:inet, :binary | @all_info])
      peer4_send("10.13.0.1", 7520, "9/184", ["uni"])
      # TOS 16: OTP's socket decodes it to an atom, `lowdelay`.
      peer4_send("10.13.0.255", 7520, "1/16", ["bcast"])
      from = {10, 13, 0, 2}

      assert {:ok, {^from, _, [pktinfo: {{10, 13, 0, 1}, ^v}, hoplimit: 9, tclass: 184], "uni"}} =
               UDP.recv(s, 0, 5_000)

      assert {:ok, {^from, _, [pktinfo: {{10, 13, 0, 255}, ^v}, hoplimit: 1, tclass: 16], "bcast"}} =
               UDP.recv(s, 0, 5_000)
    end

    test "the guard reads the TTL" do
      {:ok, s} = UDP.open(7521, [:inet, :binary, min_hoplimit: 255])
      peer4_send("10.13.0.1", 7521, "64/0", ["far"])
      peer4_send("10.13.0.1", 7521, "255/0", ["near"])
      assert {:ok, {{10, 13, 0, 2}, _, "near"}} = UDP.recv(s, 0, 5_000)
      assert UDP.getstat(s) == {:ok, [hoplimit_dropped: 1]}
    end

    # IPv4 link-local addresses have no zone either: the same 169.254.0.2
    # behind linkV and linkW, told apart by the interface pktinfo names.
    test "169.254.0.2 on two links: pktinfo's interface chooses the one reached" do
      Links.add_peer("linkW", "sip6-w")

      for {link, ns} <- [{"linkV", "sip6-v"}, {"linkW", "sip6-w"}] do
        Links.ipv4(link, ns, "169.254.0.1/16", "169.254.0.2/16")
      end

      peer_v = Peer.start("sip6-v", "udp4-source", ["7523"])
      peer_w = Peer.start("sip6-w", "udp4-source", ["7523"])
      {:ok, s} = UDP.open(0, [:inet, :binary])
      :ok = UDP.send(s, {169, 254, 0, 2}, 7523, [pktinfo: {{0, 0, 0, 0}, "linkW"}], "to-w")
      :ok = UDP.send(s, {169, 254, 0, 2}, 7523, [pktinfo: {{0, 0, 0, 0}, "linkV"}], "to-v")
      # Each peer's first datagram is its own: neither got the other's.
      assert Peer.next_line(peer_w, 5_000) == "got to-w from 169.254.0.1 ttl 64 tos 0"
      assert Peer.next_line(peer_v, 5_000) == "got to-v from 169.254.0.1 ttl 64 tos 0"
    end

    test "one datagram's source, interface, TTL and TOS, as the peer sees them" do
      peer = Peer.start("sip6-v", "udp4-source", ["7522"])
      {:ok, s} = UDP.open(0, [:inet, :binary])
      anc = [pktinfo: {{10, 13, 0, 1}, "linkV"}, hoplimit: 3, tclass: 0x20]
      :ok = UDP.send(s, {10, 13, 0, 2}, 7522, anc, "v4")
      assert Peer.next_line(peer, 5_000) == "got v4 from 10.13.0.1 ttl 3 tos 32"
      :ok = UDP.send(s, {10, 13, 0, 2}, 7522, "plain")
      assert Peer.next_line(peer, 5_000) == "got plain from 10.13.0.1 ttl 64 tos 0"
      # An IPv6 source for an IPv4 datagram.
      assert UDP.send(s, {10, 13, 0, 2}, 7522, [pktinfo: "::1"], "x") == {:error, :eafnosupport}
    end

    # IPv4 groups, joined and left on an interface named like any scope
    # (Linux's ip_mreqn: no interface address needed). Each check of what
    # did not arrive is a unicast datagram sent after it, which must come
    # first.
    test "IPv4 groups: joined and left by interface", %{v: v} do
      group = "239.1.2.3"
      {:ok, s} = UDP.open(7526, [:inet, :binary, recvpktinfo: true])
      peer4_send(group, 7526, "1/0", ["before"])
      :ok = UDP.join_group(s, {239, 1, 2, 3}, "linkV")
      peer4_send(group, 7526, "1/0", ["joined"])
      assert {:ok, {_, _, [pktinfo: {{239, 1, 2, 3}, ^v}], "joined"}} = UDP.recv(s, 0, 5_000)

      :ok = UDP.leave_group(s, {239, 1, 2, 3}, "linkV")
      peer4_send(group, 7526, "1/0", ["left"])
      peer4_send("10.13.0.1", 7526, "1/0", ["unicast"])
      assert {:ok, {_, _, [pktinfo: {{10, 13, 0, 1}, ^v}], "unicast"}} = UDP.recv(s, 0, 5_000)
    end

    # The same, through gen_udp's options: a group joined by scope at
    # open, left and another joined by the link's IPv4 address (gen_udp's
    # own form) in one setopts/2.
    test "IPv4 groups: gen_udp's add_membership and drop_membership", %{v: v} do
      {:ok, s} =
        UDP.open(7528, [
          :inet,
          :binary,
          recvpktinfo: true,
          add_membership: {{239, 1, 2, 5}, "linkV"}
        ])

      peer4_send("239.1.2.5", 7528, "1/0", ["by-scope"])
      assert {:ok, {_, _, [pktinfo: {{239, 1, 2, 5}, ^v}], "by-scope"}} = UDP.recv(s, 0, 5_000)

      :ok =
        UDP.setopts(s,
          drop_membership: {{239, 1, 2, 5}, "linkV"},
          add_membership: {{239, 1, 2, 6}, {10, 13, 0, 1}}
        )

      peer4_send("239.1.2.5", 7528, "1/0", ["left"])
      peer4_send("239.1.2.6", 7528, "1/0", ["by-address"])
      assert {:ok, {_, _, [pktinfo: {{239, 1, 2, 6}, ^v}], "by-address"}} = UDP.recv(s, 0, 5_000)
    end

    test "multicast_if chooses the link an IPv4 group is sent on" do
      Links.add_peer("linkW", "sip6-w")
      Links.ipv4("linkW", "sip6-w", "10.14.0.1/24", "10.14.0.2/24")
      peer_v = Peer.start("sip6-v", "mcast4-listen", ["239.1.2.4", "7527", "10.13.0.2"])
      peer_w = Peer.start("sip6-w", "mcast4-listen", ["239.1.2.4", "7527", "10.14.0.2"])
      {:ok, s} = UDP.open(0, [:inet, :binary, multicast_if: "linkW"])
      :ok = UDP.send(s, {239, 1, 2, 4}, 7527, "to-w")
      :ok = UDP.setopts(s, multicast_if: index("linkV"))
      :ok = UDP.send(s, {239, 1, 2, 4}, 7527, "to-v")
      # Each peer's first datagram is its own: neither got the other's.
      assert Peer.next_line(peer_w, 5_000) == "got to-w from 10.14.0.1"
      assert Peer.next_line(peer_v, 5_000) == "got to-v from 10.13.0.1"
      # gen_udp's form: the interface by its IPv4 address.
      :ok = UDP.setopts(s, multicast_if: {10, 14, 0, 1})
      :ok = UDP.send(s, {239, 1, 2, 4}, 7527, "to-w-by-address")
      :ok = UDP.setopts(s, multicast_if: {10, 13, 0, 1})
      :ok = UDP.send(s, {239, 1, 2, 4}, 7527, "to-v-by-address")
      assert Peer.next_line(peer_w, 5_000) == "got to-w-by-address from 10.14.0.1"
      assert Peer.next_line(peer_v, 5_000) == "got to-v-by-address from 10.13.0.1"
    end

    # gen_udp's IPv4 names (ttl, tos, broadcast) and the IPv6 names that
    # set the same (unicast_hops, tclass), as the peer sees the datagrams.
    test "socket options: TTL, TOS and broadcast, by either name" do
      peer = Peer.start("sip6-v", "udp4-source", ["7524"])
      {:ok, s} = UDP.open(0, [:inet, :binary, ttl: 9, tos: 0x20])
      :ok = UDP.send(s, {10, 13, 0, 2}, 7524, "ipv4-names")
      assert Peer.next_line(peer, 5_000) == "got ipv4-names from 10.13.0.1 ttl 9 tos 32"
      :ok = UDP.setopts(s, unicast_hops: 5, tclass: 0x40)
      :ok = UDP.send(s, {10, 13, 0, 2}, 7524, "ipv6-names")
      assert Peer.next_line(peer, 5_000) == "got ipv6-names from 10.13.0.1 ttl 5 tos 64"
      :ok = UDP.setopts(s, unicast_hops: :default)
      # Linux sends to a broadcast address only with SO_BROADCAST.
      assert UDP.send(s, {10, 13, 0, 255}, 7524, "refused") == {:error, :eacces}
      :ok = UDP.setopts(s, broadcast: true)
      :ok = UDP.send(s, {10, 13, 0, 255}, 7524, "broadcast")
      assert Peer.next_line(peer, 5_000) == "got broadcast from 10.13.0.1 ttl 64 tos 64"
    end
  end

  describe "bad input" do
    test "wrong option types raise, nonsense addresses are errors" do
      for opt <- [
            recvpktinfo: 1,
            recvhoplimit: :yes,
            recvtclass: nil,
            min_hoplimit: 256,
            min_hoplimit: -1,
            unicast_hops: "64",
            ttl: "64",
            tos: 256,
            tclass: -2,
            broadcast: 1,
            priority: :high
          ] do
        assert_raise ArgumentError, fn -> UDP.open(0, [opt]) end
        {:ok, s} = UDP.open(0, [])
        assert UDP.setopts(s, [opt]) == {:error, :einval}
        UDP.close(s)
      end

      {:ok, s} = UDP.open(0, [:binary])

      for anc <- [:nope, [hoplimit: 256], [tclass: -1], [pktinfo: 42], [ttl: 1], [:pktinfo]] do
        assert_raise ArgumentError, fn -> UDP.send(s, "fe80::2%linkA", 9, anc, "x") end
      end

      assert UDP.send(s, "fe80::2%linkA", 9, [pktinfo: "fe80::1"], "x") == {:error, :scope_required}
      assert UDP.send(s, "fe80::2%linkA", 9, [pktinfo: "nonsense"], "x") == {:error, :einval}

      assert UDP.send(s, "fe80::2%linkA", 9, [pktinfo: {@ll1, "nosuch0"}], "x") ==
               {:error, {:no_such_interface, "nosuch0"}}

      assert UDP.send(s, "fe80::2%linkA", 9, [pktinfo: "10.0.0.1"], "x") == {:error, :eafnosupport}
    end
  end

  describe "ping" do
    defp echoes(ns) do
      {out, 0} = System.cmd("ip", ["netns", "exec", ns, "cat", "/proc/net/snmp6"])
      [_, n] = Regex.run(~r/^Icmp6InEchos\s+(\d+)$/m, out)
      String.to_integer(n)
    end

    defp ping_group_range(range) do
      File.write!("/proc/sys/net/ipv4/ping_group_range", range)
    end

    test "fe80::2%linkA reaches sip6-a only, %linkB sip6-b only" do
      for {scope, hit, missed} <- [{"linkA", "sip6-a", "sip6-b"}, {"linkB", "sip6-b", "sip6-a"}] do
        before = {echoes(hit), echoes(missed)}
        assert {:ok, rtt} = ScopedIPv6.ping("fe80::2%#{scope}", timeout: 5_000)
        assert is_integer(rtt) and rtt > 0
        assert {echoes(hit), echoes(missed)} == {elem(before, 0) + 1, elem(before, 1)}
      end

      assert {:ok, _} = :scoped_ipv6.ping({@ll2, index("linkB")}, [{:timeout, 5_000}])
    end

    test "both sockets: raw as root, the unprivileged datagram socket where the sysctl allows it" do
      original = File.read!("/proc/sys/net/ipv4/ping_group_range")
      on_exit(fn -> ping_group_range(original) end)

      ping_group_range("1 0")
      assert ScopedIPv6.ping("fe80::2%linkA", socket: :dgram) == {:error, :eacces}
      assert {:ok, _} = ScopedIPv6.ping("fe80::2%linkA", socket: :raw, timeout: 5_000)
      assert {:ok, _} = ScopedIPv6.ping("fe80::2%linkA", timeout: 5_000)

      ping_group_range("0 0")
      before = echoes("sip6-b")
      assert {:ok, _} = ScopedIPv6.ping("fe80::2%linkB", socket: :dgram, timeout: 5_000)
      assert {:ok, _} = ScopedIPv6.ping("fe80::2%linkB", payload: :binary.copy("x", 1000))
      assert echoes("sip6-b") == before + 2
    end

    test "concurrent pings each get their own reply, on raw and datagram sockets" do
      original = File.read!("/proc/sys/net/ipv4/ping_group_range")
      on_exit(fn -> ping_group_range(original) end)

      for {range, socket} <- [{"1 0", :raw}, {"0 0", :dgram}] do
        ping_group_range(range)
        before = {echoes("sip6-a"), echoes("sip6-b")}

        results =
          for scope <- List.duplicate("linkA", 10) ++ List.duplicate("linkB", 5) do
            Task.async(fn -> ScopedIPv6.ping("fe80::2%#{scope}", socket: socket, timeout: 5_000) end)
          end
          |> Task.await_many(10_000)

        assert Enum.all?(results, &match?({:ok, us} when is_integer(us), &1)), inspect(results)
        assert {echoes("sip6-a"), echoes("sip6-b")} == {elem(before, 0) + 10, elem(before, 1) + 5}
      end
    end

    test "the kernel's destination unreachable is the answer, on both sockets" do
      original = File.read!("/proc/sys/net/ipv4/ping_group_range")
      on_exit(fn -> ping_group_range(original) end)
      ping_group_range("0 0")
      # Neighbour discovery for fe80::97 on linkA gives up after its three
      # probes (about 3 s); the kernel then answers our request itself with
      # an ICMPv6 "address unreachable": a raw socket reads it, a datagram
      # socket's receive fails with it (IPV6_RECVERR).
      assert ScopedIPv6.ping("fe80::97%linkA", socket: :raw, timeout: 30_000) ==
               {:error, :ehostunreach}

      assert ScopedIPv6.ping("fe80::96%linkA", socket: :dgram, timeout: 30_000) ==
               {:error, :ehostunreach}
    end

    # Real routers' ICMPv6 errors (RFC 4443), from the kernels of sip6-a and
    # of a namespace behind it, sip6-r, made here:
    #
    #   sip6-host --linkA-- sip6-a (forwarding) --ra, MTU 1280-- sip6-r
    #
    # sip6-a has an "unreachable" route to fd00:97::/64 (code 0, no route)
    # and a "prohibit" route to fd00:96::/64 (code 1); fd00:98::/64 loops
    # between sip6-a and sip6-r until the hop limit runs out; fd00:99::2
    # and ::3, sip6-r's, are behind the 1280-byte link (one each per
    # socket: the first "packet too big" teaches the kernel that path's MTU).
    test "a router's ICMPv6 errors are the errno Linux gives each, on both sockets" do
      original = File.read!("/proc/sys/net/ipv4/ping_group_range")
      on_exit(fn -> ping_group_range(original) end)
      ping_group_range("0 0")
      router_behind_sip6_a()
      big = :binary.copy("x", 1400)

      # Through the routers, a reply comes back.
      assert {:ok, _} = ScopedIPv6.ping("fd00:99::2", timeout: 5_000)

      for {socket, too_big} <- [raw: "fd00:99::2", dgram: "fd00:99::3"],
          {destination, payload, reason} <- [
            {"fd00:97::1", "", :enetunreach},
            {"fd00:96::1", "", :eacces},
            {"fd00:98::1", "", :ehostunreach},
            {too_big, big, :emsgsize}
          ] do
        assert ScopedIPv6.ping(destination, socket: socket, payload: payload, timeout: 5_000) ==
                 {:error, reason},
               "#{socket} socket, #{destination}"
      end
    end

    @routed ~w(fd00:96::/64 fd00:97::/64 fd00:98::/64 fd00:99::/64)

    # The errors no router in the testbed sends (parameter problem, the
    # rarer "destination unreachable" codes), from a Python peer in a
    # namespace of its own that answers each echo request with the next
    # error, quoting the request; its kernel answers no echo itself. A
    # datagram socket's answer is the kernel's reading of each error
    # (icmpv6_err_convert); the raw socket's is ours, and must agree.
    test "parameter problem and the rarer unreachable codes: the kernel's errno, on both sockets" do
      original = File.read!("/proc/sys/net/ipv4/ping_group_range")
      on_exit(fn -> ping_group_range(original) end)
      ping_group_range("0 0")
      Links.add_peer("linkP", "sip6-p")
      sysctl("sip6-p", ~w(net.ipv6.icmp.echo_ignore_all=1))

      cases = [
        {"1/2", :ehostunreach},
        {"1/5", :eacces},
        {"1/6", :eacces},
        {"1/7", :eproto},
        {"4/0", :eproto},
        {"4/1", :eproto},
        {"4/2", :eproto}
      ]

      errors = for {error, _} <- cases, do: error
      peer = Peer.start("sip6-p", "icmp6-error", errors ++ errors)

      for socket <- [:raw, :dgram], {error, reason} <- cases do
        assert ScopedIPv6.ping("fe80::2%linkP", socket: socket, timeout: 5_000) == {:error, reason},
               "#{socket} socket, #{error}"

        assert Peer.next_line(peer, 1_000) == "sent #{error}"
      end
    end

    defp router_behind_sip6_a do
      sip6_a =
        ~w(net.ipv6.conf.all.forwarding net.ipv6.icmp.ratelimit)
        |> Enum.map(&sysctl_get("sip6-a", &1))

      on_exit(fn ->
        System.cmd("ip", ~w(netns del sip6-r))
        Enum.each(@routed, &System.cmd("ip", ~w(-6 route del #{&1})))
        System.cmd("ip", ~w(-n sip6-a -6 route del unreachable fd00:97::/64))
        System.cmd("ip", ~w(-n sip6-a -6 route del prohibit fd00:96::/64))
        sysctl("sip6-a", sip6_a)
      end)

      commands = [
        ~w(netns add sip6-r),
        ~w(-n sip6-r link set lo up),
        ~w(-n sip6-a link add ra mtu 1280 type veth peer name eth0 mtu 1280 netns sip6-r),
        ~w(-n sip6-a link set ra addrgenmode none),
        ~w(-n sip6-r link set eth0 addrgenmode none),
        # A router asks for a forwarded packet's next hop from its own
        # link-local address: without one, it never asks.
        ~w(-n sip6-a -6 addr add fe80::1/64 dev ra nodad),
        ~w(-n sip6-r -6 addr add fe80::2/64 dev eth0 nodad),
        ~w(-n sip6-a -6 addr add fd00:99::1/64 dev ra nodad),
        ~w(-n sip6-r -6 addr add fd00:99::2/64 dev eth0 nodad),
        ~w(-n sip6-r -6 addr add fd00:99::3/64 dev eth0 nodad),
        ~w(-n sip6-a link set ra up),
        ~w(-n sip6-r link set eth0 up),
        ~w(-n sip6-a -6 route add unreachable fd00:97::/64),
        ~w(-n sip6-a -6 route add prohibit fd00:96::/64),
        ~w(-n sip6-a -6 route add fd00:98::/64 via fd00:99::2 dev ra),
        ~w(-n sip6-r -6 route add default via fd00:99::1 dev eth0)
      ]

      for args <- commands ++ Enum.map(@routed, &~w(-6 route add #{&1} via fe80::2 dev linkA)) do
        {out, status} = System.cmd("ip", args, stderr_to_stdout: true)
        if status != 0, do: flunk("ip #{Enum.join(args, " ")}: #{out}")
      end

      # Routers, each error sent at once (no ICMPv6 rate limit).
      for ns <- ~w(sip6-a sip6-r),
          do: sysctl(ns, ~w(net.ipv6.conf.all.forwarding=1 net.ipv6.icmp.ratelimit=0))

      # Until IPv6 is up on the new link, neighbour discovery there fails.
      Links.ready("sip6-a", "ra")
      Links.ready("sip6-r", "eth0")
    end

    defp sysctl_get(ns, key) do
      {value, 0} = System.cmd("ip", ~w(netns exec #{ns} sysctl -n #{key}))
      "#{key}=#{String.trim(value)}"
    end

    defp sysctl(ns, settings) do
      {_, 0} = System.cmd("ip", ~w(netns exec #{ns} sysctl -qw) ++ settings, stderr_to_stdout: true)
    end

    test "a silent address times out, no scope is refused, iputils' ping agrees" do
      assert ScopedIPv6.ping("fe80::99%linkA", timeout: 300) == {:error, :timeout}
      assert ScopedIPv6.ping("fe80::2") == {:error, :scope_required}
      assert ScopedIPv6.ping(@ll2) == {:error, :scope_required}
      assert ScopedIPv6.ping("fe80::2%nosuch0") == {:error, {:no_such_interface, "nosuch0"}}
      assert ScopedIPv6.ping("") == {:error, :einval}
      assert ScopedIPv6.ping(String.duplicate("x", 300)) == {:error, :einval}
      assert_raise ArgumentError, fn -> ScopedIPv6.ping({1, 2, 3}) end
      assert ScopedIPv6.ping({192, 0, 2, 1}) == {:error, :eafnosupport}
      assert_raise ArgumentError, fn -> ScopedIPv6.ping("fe80::2%linkA", timeout: :soon) end
      assert_raise ArgumentError, fn -> ScopedIPv6.ping("fe80::2%linkA", [:raw]) end

      assert {_, 0} = System.cmd("ping", ~w(-6 -n -c 1 -W 5 fe80::2%linkA))
      assert {_, 0} = System.cmd("ping", ~w(-6 -n -c 1 -W 5 fe80::2%linkB))
      assert {_, status} = System.cmd("ping", ~w(-6 -n -c 1 -W 1 fe80::99%linkA))
      assert status != 0
    end
  end
end
