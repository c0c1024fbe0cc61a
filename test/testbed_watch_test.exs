defmodule ScopedIPv6.TestbedWatchTest do
  # Continuous DNS-SD browsing (ScopedIPv6.watch/2; RFC 6763 section 5,
  # RFC 6762 sections 5.2, 7.1, 10) against responders that are not our
  # code: python-zeroconf (Debian's python3-zeroconf) registering,
  # updating and unregistering a service; avahi-daemon's static services
  # on both links; and Python responders on raw sockets
  # (test/peers/peer.py) for short TTLs, known answers and floods.
  use ExUnit.Case, async: false
  @moduletag :testbed
  @moduletag timeout: 120_000

  alias ScopedIPv6.Test.{Avahi, Links, LiveMemory, Peer, ReliabilityTable}

  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}

  setup do
    :ok = Application.ensure_started(:scoped_ipv6)
    :ok
  end

  defp index(name), do: ScopedIPv6.if_index!(name)

  defp peer_if_index(ns) do
    {out, 0} = System.cmd("ip", ~w(netns exec #{ns} cat /sys/class/net/eth0/ifindex))
    out |> String.trim() |> String.to_integer()
  end

  # The next event of `watch`, within `timeout` ms.
  defp event(watch, timeout) do
    receive do
      {:scoped_ipv6_watch, ^watch, event} -> event
    after
      timeout -> :timeout
    end
  end

  # The next two events of `watch`, one a link, in link order.
  defp two_by_link(watch) do
    Enum.sort_by(for(_ <- 1..2, do: event(watch, 5_000)), fn {_, found} -> found.link end)
  end

  # dnssd-many's lines for the next query that lists known answers,
  # through the message without the TC bit.
  defp known_answer_messages(peer, messages) do
    line = Peer.next_line(peer, 3_000)
    ["query", size, "tc", tc, "questions", questions, "known", known] = String.split(line)
    [size, tc, questions, known] = Enum.map([size, tc, questions, known], &String.to_integer/1)
    message = %{size: size, tc: tc, questions: questions, known: known}

    cond do
      messages == [] and known == 0 -> known_answer_messages(peer, [])
      tc == 1 -> known_answer_messages(peer, [message | messages])
      true -> Enum.reverse([message | messages])
    end
  end

  defp watches, do: Supervisor.which_children(:scoped_ipv6_watch_sup)

  # python-zeroconf registering an instance in namespace `ns`
  # (test/peers/dnssd.py's register role).
  defp register(ns, type, name, host, port, txt) do
    Peer.start_dnssd(ns, ["register", "#{peer_if_index(ns)}", type, name, host, port | txt])
  end

  describe "python-zeroconf" do
    # The same instance registered in sip6-a and sip6-b: one service a
    # link, each told apart by its scope and followed on its own.
    test "registered on both links: up on each, changed with its TXT, down after its goodbye" do
      {a, b} = {index("linkA"), index("linkB")}
      {:ok, watch} = ScopedIPv6.watch("_watch._tcp", links: ["linkA", "linkB"])
      za = register("sip6-a", "_watch._tcp.local.", "Zero Conf", "zc-a.local.", "7160", ["v=1"])
      zb = register("sip6-b", "_watch._tcp.local.", "Zero Conf", "zc-b.local.", "7160", ["v=1"])
      ups = two_by_link(watch)

      service = fn link, host ->
        %{
          name: "Zero Conf",
          type: "_watch._tcp",
          host: host,
          port: 7160,
          txt: ["v=1"],
          addresses: [{@ll2, link}],
          link: link
        }
      end

      assert ups == [{:up, service.(a, "zc-a.local")}, {:up, service.(b, "zc-b.local")}]

      # What the messages told, asked for: link order.
      assert ScopedIPv6.watched(watch) ==
               {:ok, [service.(a, "zc-a.local"), service.(b, "zc-b.local")]}

      # Nothing more while nothing changes. (Also: the TXT update comes
      # over a second after the old TXT's last announcement, so that its
      # cache-flush bit retires the old one, RFC 6762 section 10.2.)
      assert event(watch, 2_000) == :timeout
      Port.command(za, "txt v=2 path=/x\n")
      assert "updated" = Peer.next_line(za, 5_000)
      assert {:changed, changed} = event(watch, 3_000)
      assert Enum.sort(changed.txt) == ["path=/x", "v=2"]
      assert Map.delete(changed, :txt) == Map.delete(service.(a, "zc-a.local"), :txt)
      assert ScopedIPv6.watched(watch) == {:ok, [changed, service.(b, "zc-b.local")]}

      # RFC 6762 section 10.1: a goodbye leaves its records one second,
      # counted from when it arrives, after the command that sends it.
      for {zc, link} <- [{zb, b}, {za, a}] do
        sent = System.monotonic_time(:millisecond)
        Port.command(zc, "goodbye\n")
        assert {:down, %{name: "Zero Conf", link: ^link}} = event(watch, 4_000)
        took = System.monotonic_time(:millisecond) - sent
        assert took in 1_000..3_000, "#{took} ms"
        assert "unregistered" = Peer.next_line(zc, 5_000)
      end

      assert event(watch, 500) == :timeout
      assert ScopedIPv6.watched(watch) == {:ok, []}
      # Another process's watch is not found; nor one that ended.
      assert Task.await(Task.async(fn -> ScopedIPv6.watched(watch) end)) == {:error, :not_found}
      :ok = ScopedIPv6.unwatch(watch)
      assert ScopedIPv6.watched(watch) == {:error, :not_found}
    end
  end

  # The watch shares port 5353 with this host's own responder
  # (SO_REUSEADDR): both hear the link.
  describe "beside our responder" do
    setup do
      Application.put_env(:scoped_ipv6, :mdns_responder, %{name: "device", links: ["linkA"]})
      restart()

      on_exit(fn ->
        Application.delete_env(:scoped_ipv6, :mdns_responder)
        restart()
      end)
    end

    # Until the responder has announced on `link` (its link states).
    defp announced(link, ms) do
      case :gen_server.call(:scoped_ipv6_mdns_responder, :links) do
        %{^link => :announced} ->
          :ok

        _states when ms > 0 ->
          Process.sleep(50)
          announced(link, ms - 50)

        states ->
          flunk("not announced on #{link}: #{inspect(states)}")
      end
    end

    defp restart do
      :ok = Application.stop(:scoped_ipv6)
      :ok = Application.start(:scoped_ipv6)
    end

    test "a python-zeroconf service is up while the responder runs" do
      assert Process.whereis(:scoped_ipv6_mdns_responder)
      {:ok, watch} = ScopedIPv6.watch("_beside._tcp", links: ["linkA"])

      Peer.start_dnssd("sip6-a", [
        "register",
        "#{peer_if_index("sip6-a")}",
        "_beside._tcp.local.",
        "Beside",
        "beside-host.local.",
        "7162"
      ])

      link = index("linkA")
      assert {:up, %{name: "Beside", port: 7162, txt: [], link: ^link}} = event(watch, 5_000)
      assert Process.whereis(:scoped_ipv6_mdns_responder)
      :ok = ScopedIPv6.unwatch(watch)
    end

    # This host's own services, as avahi's and python-zeroconf's browsers
    # list theirs: a watch running when the service is advertised sees the
    # announcement, one started later asks and is answered, both see the
    # change and the goodbye. (Our sockets do not loop multicast back;
    # scoped_ipv6_mdns_multicast gives each the other's messages.)
    test "sees this host's own services come, change and go" do
      link = index("linkA")
      {:ok, early} = ScopedIPv6.watch("_own._tcp", links: ["linkA"])
      {:ok, types} = ScopedIPv6.watch("_services._dns-sd._udp", links: ["linkA"])
      own = %{type: "_own._tcp", name: "Own", port: 7163, txt: ["v=1"]}
      assert ScopedIPv6.mdns_advertise(own) == :ok

      expected = %{
        name: "Own",
        type: "_own._tcp",
        host: "device.local",
        port: 7163,
        txt: ["v=1"],
        # linkA's addresses: its link-local one, scoped, and its ULA.
        addresses: [{{0xFE80, 0, 0, 0, 0, 0, 0, 1}, link}, {0xFD00, 0xA, 0, 0, 0, 0, 0, 1}],
        link: link
      }

      assert event(early, 5_000) == {:up, expected}
      assert event(types, 5_000) == {:up, %{type: "_own._tcp", link: link}}

      # Announced: what the late watch sees answers its question.
      announced(link, 5_000)
      {:ok, late} = ScopedIPv6.watch("_own._tcp", links: ["linkA"])
      assert event(late, 5_000) == {:up, expected}

      assert ScopedIPv6.mdns_advertise(%{own | txt: ["v=2"]}) == :ok
      changed = %{expected | txt: ["v=2"]}
      assert event(early, 5_000) == {:changed, changed}
      assert event(late, 5_000) == {:changed, changed}

      assert ScopedIPv6.mdns_withdraw(%{type: "_own._tcp", name: "Own"}) == :ok
      assert event(early, 5_000) == {:down, changed}
      assert event(late, 5_000) == {:down, changed}
      assert event(early, 1_500) == :timeout
      # The last of its type: the enumeration PTR's goodbye too.
      assert event(types, 1_000) == {:down, %{type: "_own._tcp", link: link}}
      :ok = ScopedIPv6.unwatch(types)
      :ok = ScopedIPv6.unwatch(early)
      :ok = ScopedIPv6.unwatch(late)
    end

    # This host's own name, as a neighbour's: the responder's answer (or
    # announcement) gives it up with linkA's addresses; an address added
    # to linkA is announced again (RFC 6762 section 8.4), and the watch
    # tells it changed; removed, the announcement's cache-flush bit
    # retires it a second later (10.2), changed again.
    test "this host's own name: up with the link's addresses, changed as one comes and goes" do
      link = index("linkA")
      ll1 = {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, link}
      ula = {0xFD00, 0xA, 0, 0, 0, 0, 0, 1}
      extra = {0xFD00, 0xA, 0, 0, 0, 0, 0, 0x77}
      announced(link, 5_000)
      {:ok, watch} = ScopedIPv6.watch("device.local", links: ["linkA"])
      host = %{name: "device.local", link: link, addresses: [ll1, ula]}
      assert event(watch, 5_000) == {:up, host}
      assert ScopedIPv6.watched(watch) == {:ok, [host]}

      {_, 0} = System.cmd("ip", ~w(addr add fd00:a::77/64 dev linkA nodad))

      try do
        assert {:changed, %{name: "device.local", link: ^link, addresses: [^ll1 | ulas]}} =
                 event(watch, 5_000)

        assert Enum.sort(ulas) == [ula, extra]
        # Nothing more from the second announcement (the same records),
        # which is past before the address goes: the cache-flush bit of
        # the next ones then retires it (it came over a second before).
        assert event(watch, 1_500) == :timeout
      after
        System.cmd("ip", ~w(addr del fd00:a::77/64 dev linkA))
      end

      assert event(watch, 5_000) == {:changed, host}
      assert ScopedIPv6.watched(watch) == {:ok, [host]}
      :ok = ScopedIPv6.unwatch(watch)
    end
  end

  describe "host names" do
    setup do
      # One name an avahi: two at one address collide in its reverse
      # (ip6.arpa) records.
      avahis = for ns <- ["sip6-a", "sip6-b"], do: Avahi.start(ns, [{"both.local", "fe80::2"}])

      on_exit(fn -> Enum.each(avahis, &Avahi.stop/1) end)
      %{avahis: avahis}
    end

    # RFC 6762 section 5.2, continuous querying for a host name: a name
    # avahi publishes on both links is up on each, scoped with it; down on
    # the link whose avahi stops (its goodbye), the other staying.
    test "a name on both links: up on each with its scope; down when one avahi stops",
         %{avahis: avahis} do
      {a, b} = {index("linkA"), index("linkB")}
      {:ok, watch} = ScopedIPv6.watch("both.local", links: ["linkA", "linkB"])
      host = fn link -> %{name: "both.local", link: link, addresses: [{@ll2, link}]} end
      assert two_by_link(watch) == [{:up, host.(a)}, {:up, host.(b)}]
      assert ScopedIPv6.watched(watch) == {:ok, [host.(a), host.(b)]}

      # Nothing more while nothing changes.
      assert event(watch, 1_500) == :timeout
      Avahi.stop(hd(avahis))
      assert event(watch, 5_000) == {:down, host.(a)}
      assert event(watch, 1_000) == :timeout
      assert ScopedIPv6.watched(watch) == {:ok, [host.(b)]}
      :ok = ScopedIPv6.unwatch(watch)
    end

    # mdns_ipv4, as for getaddrs/2: an avahi that speaks only IPv4 is
    # heard over 224.0.0.251, its A address unscoped; without the option,
    # not at all.
    test "over IPv4 with mdns_ipv4, and not without" do
      Links.add_peer("linkW", "sip6-w")
      Links.ipv4("linkW", "sip6-w", "10.15.0.1/24", "10.15.0.2/24")
      w = index("linkW")
      avahi = Avahi.start("sip6-w", [{"four.local", "10.15.0.2"}], ipv4: true)
      on_exit(fn -> Avahi.stop(avahi) end)
      {:ok, v6} = ScopedIPv6.watch("four.local", links: ["linkW"])
      {:ok, v4} = ScopedIPv6.watch("four.local", links: ["linkW"], mdns_ipv4: true)

      assert event(v4, 5_000) ==
               {:up, %{name: "four.local", link: w, addresses: [{10, 15, 0, 2}]}}

      assert event(v6, 1_500) == :timeout
      :ok = ScopedIPv6.unwatch(v4)
      :ok = ScopedIPv6.unwatch(v6)
    end

    # A link without an IPv6 link-local address (IPv6 off on our end):
    # watched over IPv4 alone with mdns_ipv4; `down` when the host goes.
    test "a link without a link-local address: watched over IPv4 alone" do
      Links.add_peer("linkW", "sip6-w")
      Links.ipv4("linkW", "sip6-w", "10.15.0.1/24", "10.15.0.2/24")
      {_, 0} = System.cmd("sysctl", ~w(-qw net.ipv6.conf.linkW.disable_ipv6=1))
      w = index("linkW")
      assert Links.link_local("linkW") == []
      avahi = Avahi.start("sip6-w", [{"four.local", "10.15.0.2"}], ipv4: true)
      on_exit(fn -> Avahi.stop(avahi) end)
      {:ok, v4} = ScopedIPv6.watch("four.local", links: ["linkW"], mdns_ipv4: true)
      four = %{name: "four.local", link: w, addresses: [{10, 15, 0, 2}]}
      assert event(v4, 5_000) == {:up, four}
      Avahi.stop(avahi)
      assert event(v4, 5_000) == {:down, four}
      :ok = ScopedIPv6.unwatch(v4)
    end
  end

  # avahi publishing its own host name, avahi-sip6-a.local, with eth0's
  # addresses as they come and go (fd00:a::2: avahi leaves the link-local
  # one out while the link has another).
  describe "avahi's own host name" do
    # An address added in sip6-a: avahi probes for the name (questions
    # any other host would take as asking for our records, but a probe
    # draws out no answer: RFC 6762 section 10.5 does not count it), then
    # announces the new address alone; the watch tells it changed, and
    # nothing more. Removed (its goodbye), changed again.
    test "changed as an address is added in the peer and removed" do
      a = index("linkA")
      avahi = Avahi.start("sip6-a", [], addresses: true)
      on_exit(fn -> Avahi.stop(avahi) end)
      {:ok, watch} = ScopedIPv6.watch("avahi-sip6-a.local", links: ["linkA"])
      ula = {0xFD00, 0xA, 0, 0, 0, 0, 0, 2}
      host = %{name: "avahi-sip6-a.local", link: a, addresses: [ula]}
      assert event(watch, 5_000) == {:up, host}

      {_, 0} = System.cmd("ip", ~w(-n sip6-a addr add fd00:a::77/64 dev eth0 nodad))
      assert {:changed, %{addresses: ulas}} = event(watch, 5_000)
      assert Enum.sort(ulas) == [ula, {0xFD00, 0xA, 0, 0, 0, 0, 0, 0x77}]
      # Ten seconds after its probes, the older addresses are still there.
      assert event(watch, 12_000) == :timeout

      {_, 0} = System.cmd("ip", ~w(-n sip6-a addr del fd00:a::77/64 dev eth0))
      assert event(watch, 5_000) == {:changed, host}
      :ok = ScopedIPv6.unwatch(watch)
    end
  end

  describe "avahi" do
    setup do
      avahis =
        for {ns, host, name} <- [
              {"sip6-a", "peer-a.local", "Web A"},
              {"sip6-b", "peer-b.local", "Web B"}
            ] do
          Avahi.start(ns, [{host, "fe80::2"}],
            services: [%{name: name, type: "_wa._tcp", port: 7161, host: host, txt: ["k=v"]}]
          )
        end

      on_exit(fn -> Enum.each(avahis, &Avahi.stop/1) end)
      %{avahis: avahis}
    end

    test "static services on both links: one up a link, each with its scope; down when avahi stops",
         %{avahis: avahis} do
      {:ok, watch} = ScopedIPv6.watch("_wa._tcp")
      a = index("linkA")
      b = index("linkB")

      ups =
        for _ <- 1..2 do
          assert {:up, s} = event(watch, 5_000)
          s
        end

      assert Enum.sort_by(ups, & &1.link) == [
               %{
                 name: "Web A",
                 type: "_wa._tcp",
                 host: "peer-a.local",
                 port: 7161,
                 txt: ["k=v"],
                 addresses: [{@ll2, a}],
                 link: a
               },
               %{
                 name: "Web B",
                 type: "_wa._tcp",
                 host: "peer-b.local",
                 port: 7161,
                 txt: ["k=v"],
                 addresses: [{@ll2, b}],
                 link: b
               }
             ]

      # avahi says goodbye as it stops (SIGTERM).
      Avahi.stop(hd(avahis))
      assert {:down, %{name: "Web A", link: ^a}} = event(watch, 5_000)
      assert event(watch, 1_000) == :timeout
      :ok = ScopedIPv6.unwatch(watch)
    end

    # RFC 6763 section 9: the types on each link, as avahi-browse -a
    # follows them: avahi's type up on each link, down on the link whose
    # avahi stops (its goodbye for the enumeration PTR).
    test "the types on each link (_services._dns-sd._udp): up, then down when avahi stops",
         %{avahis: avahis} do
      {a, b} = {index("linkA"), index("linkB")}
      {:ok, watch} = ScopedIPv6.watch("_services._dns-sd._udp", links: ["linkA", "linkB"])

      assert two_by_link(watch) == [
               {:up, %{type: "_wa._tcp", link: a}},
               {:up, %{type: "_wa._tcp", link: b}}
             ]

      assert ScopedIPv6.watched(watch) ==
               {:ok, [%{type: "_wa._tcp", link: a}, %{type: "_wa._tcp", link: b}]}

      Avahi.stop(hd(avahis))
      assert event(watch, 5_000) == {:down, %{type: "_wa._tcp", link: a}}
      assert event(watch, 1_000) == :timeout
      :ok = ScopedIPv6.unwatch(watch)
    end
  end

  describe "links that come and go" do
    # A link that appears after the watch started (a USB gadget plugged
    # in) is joined and asked; when it goes, what was found on it goes
    # down. python-zeroconf registers on the new link.
    test "a link added after the watch started is watched; deleted, its services go down" do
      {:ok, watch} = ScopedIPv6.watch("_late._tcp")
      assert event(watch, 1_500) == :timeout
      Links.add_peer("linkL", "sip6-l")
      l = index("linkL")

      register("sip6-l", "_late._tcp.local.", "Late One", "late.local.", "7170", [])

      assert {:up, %{name: "Late One", port: 7170, link: ^l, addresses: [{@ll2, ^l}]}} =
               event(watch, 5_000)

      {_, 0} = System.cmd("ip", ~w(link del linkL))
      assert {:down, %{name: "Late One", link: ^l}} = event(watch, 3_000)
      assert event(watch, 1_500) == :timeout
      :ok = ScopedIPv6.unwatch(watch)
    end

    # A named link, deleted (its namespace with it) and made again under
    # the same name, with another index: watched again, at its new index.
    test "a named link deleted and made again is watched again" do
      Links.add_peer("linkM", "sip6-m")
      before = index("linkM")
      {:ok, watch} = ScopedIPv6.watch("_late._tcp", links: ["linkM", "linkA"])
      {_, 0} = System.cmd("ip", ~w(link del linkM))
      {_, 0} = System.cmd("ip", ~w(netns del sip6-m))
      assert {:error, _} = ScopedIPv6.if_index("linkM")
      Process.sleep(1_500)
      Links.add_peer("linkM", "sip6-m")
      m = index("linkM")

      register("sip6-m", "_late._tcp.local.", "Back Again", "back.local.", "7171", [])

      assert m != before
      assert {:up, %{name: "Back Again", link: ^m}} = event(watch, 5_000)
      :ok = ScopedIPv6.unwatch(watch)
    end
  end

  describe "responders avahi is not" do
    setup do
      Links.add_peer("linkH", "sip6-h")
      %{h: index("linkH")}
    end

    # The responder answers once, with a 3 s TTL, then never again: the
    # watch asks for each record at 80-95 % of its TTL (RFC 6762 section
    # 5.2), hears nothing, and drops the service when its TTL runs out. Its
    # second PTR query lists the PTR it holds as a known answer (7.1).
    test "short TTLs, then silence: refresh queries, then down at expiry; known answers",
         %{h: h} do
      peer = Peer.start("sip6-h", "dnssd-short", ["eth0", "3"])
      {:ok, watch} = ScopedIPv6.watch("_short._tcp", links: ["linkH"])
      assert "asked PTR known" = Peer.next_line(peer, 1_000)
      assert {:up, service} = event(watch, 1_000)
      up = System.monotonic_time(:millisecond)

      assert service == %{
               name: "Short One",
               type: "_short._tcp",
               host: "short-host.local",
               port: 7142,
               txt: ["s=1"],
               addresses: [{@ll2, h}],
               link: h
             }

      # The next PTR query (1 s after the first), with the PTR held.
      assert "asked PTR known Short One._short._tcp.local" = Peer.next_line(peer, 2_000)
      assert {:down, %{name: "Short One"}} = event(watch, 4_000)
      took = System.monotonic_time(:millisecond) - up
      assert took in 2_500..3_800, "#{took} ms"

      # What the peer heard before the expiry: the refresh queries for the
      # PTR, SRV, TXT and the host's AAAA, at 80, 85, 90 and 95 %.
      heard = lines(peer, [])

      asked = Enum.flat_map(heard, &types_asked/1)

      for type <- ["SRV", "TXT", "AAAA"] do
        assert Enum.count(asked, &(&1 == type)) >= 3, "#{type}: #{inspect(heard)}"
      end

      :ok = ScopedIPv6.unwatch(watch)
    end

    # RFC 6762 section 7.2: 60 instances held, the next PTR query's known
    # answers do not fit in one 1440-byte message: the question with as
    # many as fit and the TC bit, then known answers alone, the last
    # without the bit; all 60 listed.
    test "known answers beyond one message go on in the next, with the TC bit" do
      peer = Peer.start("sip6-h", "dnssd-many", ["eth0", "60"])
      {:ok, watch} = ScopedIPv6.watch("_many._tcp", links: ["linkH"])
      assert "query " <> _ = Peer.next_line(peer, 1_000)
      ups = for _ <- 1..60, do: event(watch, 2_000)
      assert Enum.all?(ups, &match?({:up, %{type: "_many._tcp", port: 7165}}, &1))

      # The next PTR query, 1 s after the first.
      messages = known_answer_messages(peer, [])
      assert length(messages) >= 2, inspect(messages)
      assert Enum.all?(messages, fn %{size: size} -> size <= 1440 end), inspect(messages)
      assert [%{questions: 1} | rest] = messages
      assert Enum.all?(rest, &(&1.questions == 0)), inspect(messages)
      assert Enum.map(messages, & &1.tc) == List.duplicate(1, length(rest)) ++ [0]
      assert messages |> Enum.map(& &1.known) |> Enum.sum() == 60
      :ok = ScopedIPv6.unwatch(watch)
    end

    # mdns_ipv4: 224.0.0.251 is watched too; without it, an IPv4-only
    # responder is not heard.
    test "over IPv4 with mdns_ipv4, and not without", %{h: h} do
      Links.ipv4("linkH", "sip6-h", "10.14.0.1/24", "10.14.0.2/24")
      peer = Peer.start("sip6-h", "dnssd4", ["eth0", "10.14.0.2"])
      {:ok, v6} = ScopedIPv6.watch("_four._tcp", links: ["linkH"])
      {:ok, v4} = ScopedIPv6.watch("_four._tcp", links: ["linkH"], mdns_ipv4: true)
      assert "answered" = Peer.next_line(peer, 2_000)

      assert event(v4, 2_000) == {:up, Peer.dnssd4_service(h, {10, 14, 0, 2})}

      # The watch without mdns_ipv4 has no IPv4 socket: it hears nothing.
      assert event(v6, 1_500) == :timeout
      :ok = ScopedIPv6.unwatch(v4)
      :ok = ScopedIPv6.unwatch(v6)
    end

    # A link without an IPv6 link-local address (IPv6 off on our end):
    # watched over IPv4 alone with mdns_ipv4.
    test "a link without a link-local address: watched over IPv4 alone", %{h: h} do
      Links.ipv4("linkH", "sip6-h", "10.14.0.1/24", "10.14.0.2/24")
      {_, 0} = System.cmd("sysctl", ~w(-qw net.ipv6.conf.linkH.disable_ipv6=1))
      assert Links.link_local("linkH") == []
      peer = Peer.start("sip6-h", "dnssd4", ["eth0", "10.14.0.2"])
      {:ok, v4} = ScopedIPv6.watch("_four._tcp", links: ["linkH"], mdns_ipv4: true)
      assert "answered" = Peer.next_line(peer, 2_000)

      assert event(v4, 2_000) == {:up, Peer.dnssd4_service(h, {10, 14, 0, 2})}

      :ok = ScopedIPv6.unwatch(v4)
    end

    test "a flood of instances: at most 64 up, memory bounded", %{h: h} do
      peer = Peer.start("sip6-h", "dnssd-flood", ["eth0"])
      before = LiveMemory.total()
      {:ok, watch} = ScopedIPv6.watch("_flood._tcp", links: ["linkH"])
      assert "sent 10" = Peer.next_line(peer, 2_000)
      # The second query (1 s on) floods again, with the known answers.
      assert "sent 10" = Peer.next_line(peer, 3_000)
      ups = collect(watch, [], 1_500)
      assert length(ups) == 64
      assert Enum.all?(ups, &match?({:up, %{port: 7141, link: ^h, addresses: [{@ll2, ^h}]}}, &1))
      [{_, pid, _, _}] = watches()
      assert Process.alive?(pid)
      :erlang.garbage_collect(pid)
      {:memory, bytes} = Process.info(pid, :memory)
      assert bytes < 4_000_000, "#{bytes} bytes"
      assert LiveMemory.total() - before < 5_000_000
      :ok = ScopedIPv6.unwatch(watch)

      ReliabilityTable.record(
        "DNS-SD flood to a watch",
        "10 replies of 40 instances each (PTR, SRV, TXT), to every query of a continuous browse",
        "64 up, no more; the watch process under 4 MB after GC"
      )
    end

    # The same for a host name (RFC 6762 section 5.2): answered once with
    # a 3 s TTL, then silent. Its next query lists the address as a known
    # answer (7.1); the AAAA is asked again at 80-95 % of its TTL; down
    # at expiry.
    test "a host name: known answers, refresh queries, then down at expiry", %{h: h} do
      peer = Peer.start("sip6-h", "mdns-host-once", ["eth0", "brief.local", "fe80::2", "3"])
      {:ok, watch} = ScopedIPv6.watch("brief.local", links: ["linkH"])
      assert "asked AAAA A known" = Peer.next_line(peer, 1_000)
      assert event(watch, 1_000) == {:up, %{name: "brief.local", link: h, addresses: [{@ll2, h}]}}
      up = System.monotonic_time(:millisecond)
      assert "asked AAAA A known fe80::2" = Peer.next_line(peer, 2_000)
      assert event(watch, 4_000) == {:down, %{name: "brief.local", link: h, addresses: [{@ll2, h}]}}
      took = System.monotonic_time(:millisecond) - up
      assert took in 2_500..3_800, "#{took} ms"
      heard = lines(peer, [])

      asked = Enum.flat_map(heard, &types_asked/1)

      assert Enum.count(asked, &(&1 == "AAAA")) >= 3, inspect(heard)
      :ok = ScopedIPv6.unwatch(watch)
    end

    test "malformed, truncated, looping and mismatched replies: no crash, no atom, no service" do
      peer = Peer.start("sip6-h", "mdns-hostile", ["eth0", "garbage", "fe80::99"])
      {:ok, watch} = ScopedIPv6.watch("_victim._tcp", links: ["linkH"])
      [{_, pid, _, _}] = watches()
      assert "query from " <> _ = Peer.next_line(peer, 2_000)
      assert "sent 121" = Peer.next_line(peer, 2_000)
      # The first burst loads what code it needs (which makes atoms); the
      # next ones (1 s and 3 s on) must make none.
      assert event(watch, 500) == :timeout
      atoms = :erlang.system_info(:atom_count)

      for _ <- 1..2 do
        assert "query from " <> _ = Peer.next_line(peer, 3_000)
        assert "sent 121" = Peer.next_line(peer, 2_000)
      end

      assert event(watch, 1_000) == :timeout
      assert :erlang.system_info(:atom_count) == atoms
      assert Process.alive?(pid)
      :ok = ScopedIPv6.unwatch(watch)
    end

    test "unwatch: nothing more comes; the owner's exit ends the watch", %{h: h} do
      peer = Peer.start("sip6-h", "dnssd-short", ["eth0", "120"])
      {:ok, watch} = ScopedIPv6.watch("_short._tcp", links: ["linkH"])
      assert [{_, pid, _, _}] = watches()
      assert "asked PTR known" = Peer.next_line(peer, 1_000)
      # Up, left in the mailbox: unwatch takes it out.
      wait_mailbox(watch, 50)
      assert [{:scoped_ipv6_watch, ^watch, {:up, %{link: ^h}}}] = pending(watch)
      :ok = ScopedIPv6.unwatch(watch)
      assert pending(watch) == []
      refute Process.alive?(pid)
      refute_receive {:scoped_ipv6_watch, _, _}, 500
      assert watches() == []

      # A watch whose owner exits ends with it.
      test = self()

      owner =
        spawn(fn ->
          {:ok, w} = ScopedIPv6.watch("_short._tcp", links: ["linkH"])
          send(test, {:watching, w})
          Process.sleep(:infinity)
        end)

      assert_receive {:watching, _}, 2_000
      [{_, watcher, _, _}] = watches()
      ref = Process.monitor(watcher)
      Process.exit(owner, :kill)
      assert_receive {:DOWN, ^ref, :process, ^watcher, _}, 2_000
      assert watches() == []
    end
  end

  describe "other hosts' queries" do
    # RFC 6762 section 7.3: a host in sip6-a asks our PTR question every
    # 0.5 s, listing no known answer: it stands for ours, which is not
    # sent (the first may go out before the host is first heard). Without
    # the rule, ours go out 20-120 ms, 1 s and 3 s after the start.
    test "the same PTR question asked by another host: ours are not sent" do
      peer = Peer.start("sip6-a", "mdns-repeat-ask", ["eth0", "_dup._tcp.local", "0.5", "0"])
      {:ok, watch} = ScopedIPv6.watch("_dup._tcp", links: ["linkA"])
      heard = heard_ptr(peer, 5_500)
      assert length(heard) <= 1, inspect(heard)
      :ok = ScopedIPv6.unwatch(watch)
    end

    # A known answer we do not hold would keep back an answer we want: that
    # host's question does not stand for ours.
    test "the same PTR question listing a known answer we lack: ours are sent" do
      peer =
        Peer.start("sip6-a", "mdns-repeat-ask", [
          "eth0",
          "_dup._tcp.local",
          "0.5",
          "0",
          "Elsewhere._dup._tcp.local"
        ])

      {:ok, watch} = ScopedIPv6.watch("_dup._tcp", links: ["linkA"])
      heard = heard_ptr(peer, 5_500)
      assert length(heard) >= 3, inspect(heard)
      :ok = ScopedIPv6.unwatch(watch)
    end

    # The same for a host name's AAAA and A (continuous querying, RFC 6762
    # section 5.2): asked by a host in sip6-a every 0.5 s, ours are not
    # sent.
    test "a host name's AAAA and A asked by another host: ours are not sent" do
      peer = Peer.start("sip6-a", "mdns-repeat-ask-host", ["eth0", "dup-host.local", "0.5", "0"])
      {:ok, watch} = ScopedIPv6.watch("dup-host.local", links: ["linkA"])
      heard = heard_asking(peer, "AAAA", 5_500)
      assert length(heard) <= 1, inspect(heard)
      :ok = ScopedIPv6.unwatch(watch)
    end

    # Section 7.3 for refreshes: a responder in sip6-a answers once, every
    # record with a 10 s TTL, and falls silent; another host there asks
    # the service's SRV and TXT and its host's AAAA every 50 ms, listing
    # no known answer. Each of those questions stands for our refresh of
    # its record at 80, 85, 90 and 95 % (at least 300 ms apart), which is
    # not sent; without the rule the responder hears each at least three
    # times (the short-TTL test above). The service still goes at expiry.
    test "a record's refresh asked by another host: ours is not sent" do
      responder = Peer.start("sip6-a", "dnssd-short", ["eth0", "10"])
      {:ok, watch} = ScopedIPv6.watch("_short._tcp", links: ["linkA"])
      assert {:up, %{name: "Short One"}} = event(watch, 2_000)

      Peer.start("sip6-a", "mdns-repeat-ask-questions", [
        "eth0",
        "0.05",
        "0",
        "Short One._short._tcp.local/33",
        "Short One._short._tcp.local/16",
        "short-host.local/28"
      ])

      assert {:down, %{name: "Short One"}} = event(watch, 11_000)
      asked = responder |> lines([]) |> Enum.flat_map(&types_asked/1)

      for type <- ["SRV", "TXT", "AAAA"] do
        assert type not in asked, "#{type}: #{inspect(asked)}"
      end

      # The responder did hear our queries: the PTR question, which
      # nobody else asked, went on.
      assert "PTR" in asked
      :ok = ScopedIPv6.unwatch(watch)
    end

    # Section 7.3 for an open question: a responder in sip6-a answers the
    # PTR alone, never the SRV and TXT it leaves out, which the watch
    # asks for three times, a second apart (the first try always); a host
    # there asking them every 50 ms stands for the two tries after the
    # first, which are not sent. Without it, the second host silent, all
    # three are.
    test "an open question asked by another host: our tries after the first are not sent" do
      asked = fn ->
        responder = Peer.start("sip6-a", "dnssd-bare", ["eth0", "12"])
        {:ok, watch} = ScopedIPv6.watch("_bare._tcp", links: ["linkA"])
        assert "asked PTR" = Peer.next_line(responder, 1_000)
        Process.sleep(3_500)
        :ok = ScopedIPv6.unwatch(watch)
        tries = responder |> lines([]) |> Enum.count(&("SRV" in types_asked(&1)))
        Peer.stop(responder)
        tries
      end

      assert asked.() == 3

      asker =
        Peer.start("sip6-a", "mdns-repeat-ask-questions", [
          "eth0",
          "0.05",
          "0",
          "Bare One._bare._tcp.local/33",
          "Bare One._bare._tcp.local/16"
        ])

      assert asked.() == 1
      Peer.stop(asker)
    end

    # RFC 6762 section 10.5 for a host: avahi publishes it (TTL 120 s) and
    # is killed (no goodbye); another host asks its AAAA and A twice, 1 s
    # apart, and nothing answers: down ten seconds after the first.
    test "a host gone without a goodbye: down ten seconds after two unanswered queries" do
      a = index("linkA")
      avahi = Avahi.start("sip6-a", [{"gone.local", "fe80::2"}])
      on_exit(fn -> Avahi.stop(avahi) end)
      {:ok, watch} = ScopedIPv6.watch("gone.local", links: ["linkA"])
      assert {:up, %{name: "gone.local", link: ^a}} = event(watch, 5_000)
      Avahi.stop(avahi, "KILL")
      asker = Peer.start("sip6-a", "mdns-repeat-ask-host", ["eth0", "gone.local", "1", "2"])
      down_ten_seconds_after(watch, asker, "gone.local", a)
      :ok = ScopedIPv6.unwatch(watch)
    end

    # RFC 6762 section 10.5: python-zeroconf registers (its PTR's TTL is
    # 75 minutes, its SRV's 2), then is killed (no goodbye); another host
    # asks the PTR twice, 1 s apart, and nothing answers: the service goes
    # down ten seconds after the first question.
    test "a responder gone without a goodbye: down ten seconds after two unanswered queries" do
      a = index("linkA")
      {:ok, watch} = ScopedIPv6.watch("_poof._tcp", links: ["linkA"])
      zc = register("sip6-a", "_poof._tcp.local.", "Vanishing", "vanish.local.", "7180", [])
      assert {:up, %{name: "Vanishing", link: ^a}} = event(watch, 5_000)
      Peer.stop(zc)
      asker = Peer.start("sip6-a", "mdns-repeat-ask", ["eth0", "_poof._tcp.local", "1", "2"])
      down_ten_seconds_after(watch, asker, "Vanishing", a)
      :ok = ScopedIPv6.unwatch(watch)
    end
  end

  # `asker` (mdns-repeat-ask, twice 1 s apart) asks and nothing answers:
  # `name` goes down on `link` ten seconds after its first question.
  defp down_ten_seconds_after(watch, asker, name, link) do
    assert "asked" = Peer.next_line(asker, 1_000)
    first = System.monotonic_time(:millisecond)
    assert {:down, %{name: ^name, link: ^link}} = event(watch, 13_000)
    took = System.monotonic_time(:millisecond) - first
    assert took in 9_500..11_000, "#{took} ms"
  end

  # The PTR queries the host sent that `peer` (mdns-repeat-ask) heard
  # within `ms`.
  defp heard_ptr(peer, ms), do: heard_asking(peer, "PTR", ms)

  # The queries asking a `type` question that `peer` heard within `ms`.
  defp heard_asking(peer, type, ms) do
    deadline = System.monotonic_time(:millisecond) + ms
    heard_until(peer, type, deadline, [])
  end

  defp heard_until(peer, type, deadline, acc) do
    case Peer.next_line(peer, max(0, deadline - System.monotonic_time(:millisecond))) do
      :timeout -> Enum.reverse(acc)
      "heard " <> types = line -> heard_until(peer, type, deadline, add_if(type, types, line, acc))
      _asked -> heard_until(peer, type, deadline, acc)
    end
  end

  defp add_if(type, types, line, acc),
    do: if(type in String.split(types), do: [line | acc], else: acc)

  test "bad types and options; not running" do
    assert ScopedIPv6.watch("http") == {:error, :einval}

    assert ScopedIPv6.watch("_http._tcp", links: ["nosuch0"]) ==
             {:error, {:no_such_interface, "nosuch0"}}

    assert_raise ArgumentError, fn -> ScopedIPv6.watch(:_http) end
    assert_raise ArgumentError, fn -> ScopedIPv6.watch("_http._tcp", timeout: 100) end
    assert_raise ArgumentError, fn -> ScopedIPv6.watch("_http._tcp", links: :all) end
    assert_raise ArgumentError, fn -> ScopedIPv6.unwatch(:nope) end
    assert_raise ArgumentError, fn -> ScopedIPv6.watched(:nope) end
    # Neither a type nor a .local host name (labels starting with `_` name
    # DNS-SD types and instances, never hosts).
    assert ScopedIPv6.watch("device") == {:error, :einval}
    assert ScopedIPv6.watch("device.lan") == {:error, :einval}
    assert ScopedIPv6.watch("Web._http._tcp.local") == {:error, :einval}
    assert_raise ArgumentError, fn -> ScopedIPv6.watch(:"device.local") end
    assert {:ok, w} = ScopedIPv6.watch("_http._tcp", links: ["linkA"])
    :ok = ScopedIPv6.unwatch(w)

    :ok = Application.stop(:scoped_ipv6)

    try do
      assert ScopedIPv6.watch("_http._tcp") == {:error, :not_running}
    after
      :ok = Application.start(:scoped_ipv6)
    end
  end

  defp collect(watch, acc, timeout) do
    case event(watch, timeout) do
      :timeout -> Enum.reverse(acc)
      event -> collect(watch, [event | acc], timeout)
    end
  end

  # The watch's messages waiting in the mailbox, not taken out.
  defp pending(watch) do
    {:messages, messages} = Process.info(self(), :messages)
    for {:scoped_ipv6_watch, ^watch, _} = m <- messages, do: m
  end

  defp wait_mailbox(_watch, 0), do: flunk("no message came")

  defp wait_mailbox(watch, tries) do
    if pending(watch) == [], do: Process.sleep(20) && wait_mailbox(watch, tries - 1)
  end

  # The types a responder's "asked TYPE... [known ...]" line names.
  defp types_asked("asked" <> rest),
    do: rest |> String.split() |> Enum.take_while(&(&1 != "known"))

  defp lines(peer, acc) do
    case Peer.next_line(peer, 300) do
      :timeout -> Enum.reverse(acc)
      line -> lines(peer, [line | acc])
    end
  end
end
