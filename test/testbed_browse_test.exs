defmodule ScopedIPv6.TestbedBrowseTest do
  # DNS-SD browsing (RFC 6763) over multicast DNS, each service scoped with
  # its link. The responders are Debian's avahi-daemon in sip6-a and
  # sip6-b, publishing static services (test/support/avahi.exs), and, for
  # what avahi does not do (leave records out, flood, send garbage), Python
  # responders (test/peers/peer.py): nothing answering here is our code.
  use ExUnit.Case, async: false
  @moduletag :testbed
  @moduletag timeout: 120_000

  alias ScopedIPv6.Test.{Avahi, Links, LiveMemory, Peer, ReliabilityTable}

  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}
  @port 7150

  # Both peers publish a web server of their own and a printer of the
  # same name, each for its own host name at fe80::2, the address both
  # peers carry: only the scope tells them apart.
  @published %{
    "sip6-a" => {"peer-a.local", "Web A", "path=/a"},
    "sip6-b" => {"peer-b.local", "Web B", "path=/b"}
  }

  setup_all do
    :ok = Application.ensure_started(:scoped_ipv6)

    avahis =
      for {ns, {host, web, path}} <- @published do
        Avahi.start(ns, [{host, "fe80::2"}],
          services: [
            %{name: web, type: "_http._tcp", port: @port, host: host, txt: [path, "v=1"]},
            %{
              name: "Printer",
              type: "_ipp._tcp",
              port: 631,
              host: host,
              txt: [],
              subtypes: ["_color._sub._ipp._tcp"]
            }
          ]
        )
      end

    on_exit(fn -> Enum.each(avahis, &Avahi.stop/1) end)

    :ok
  end

  defp index(name), do: ScopedIPv6.if_index!(name)

  defp web(name, host, path, link) do
    %{
      name: name,
      type: "_http._tcp",
      host: host,
      port: @port,
      txt: [path, "v=1"],
      addresses: [{@ll2, index(link)}],
      link: index(link)
    }
  end

  describe "avahi's services" do
    test "each link's service, with that link's scope, port and TXT, in link order" do
      a = web("Web A", "peer-a.local", "path=/a", "linkA")
      b = web("Web B", "peer-b.local", "path=/b", "linkB")
      assert ScopedIPv6.browse("_http._tcp") == {:ok, [a, b]}
      assert ScopedIPv6.browse("_http._tcp.local.", links: ["linkB", "linkA"]) == {:ok, [b, a]}
      assert ScopedIPv6.browse("_http._tcp", links: ["linkB"]) == {:ok, [b]}

      # Erlang: strings, and a binary type too.
      assert {:ok, [%{name: ~c"Web A", host: ~c"peer-a.local", type: ~c"_HTTP._tcp"}, _]} =
               :scoped_ipv6.browse("_HTTP._tcp")
    end

    test "an instance on two links is one service a link, each with its own scope" do
      assert {:ok, [pa, pb]} = ScopedIPv6.browse("_ipp._tcp")

      for {p, link, host} <- [{pa, "linkA", "peer-a.local"}, {pb, "linkB", "peer-b.local"}] do
        assert p == %{
                 name: "Printer",
                 type: "_ipp._tcp",
                 host: host,
                 port: 631,
                 txt: [],
                 addresses: [{@ll2, index(link)}],
                 link: index(link)
               }
      end

      # A subtype finds the instances that registered it.
      assert {:ok, [%{name: "Printer", type: "_ipp._tcp"}, %{name: "Printer"}]} =
               ScopedIPv6.browse("_color._sub._ipp._tcp")

      assert ScopedIPv6.browse("_mono._sub._ipp._tcp", timeout: 500) == {:ok, []}
    end

    # One named instance, resolved without browsing: its SRV, TXT and
    # addresses asked of each link; found where it is.
    test "one instance by name: resolved on the links that have it" do
      a = web("Web A", "peer-a.local", "path=/a", "linkA")
      assert ScopedIPv6.browse("_http._tcp", instance: "Web A") == {:ok, [a]}

      assert ScopedIPv6.browse("_http._tcp", instance: "Web A", links: ["linkB"], timeout: 700) ==
               {:ok, []}

      assert {:ok, [%{name: "Printer", link: la}, %{name: "Printer", link: lb}]} =
               ScopedIPv6.browse("_ipp._tcp", instance: "Printer")

      assert {la, lb} == {index("linkA"), index("linkB")}
      assert ScopedIPv6.browse("_http._tcp", instance: "Nobody", timeout: 700) == {:ok, []}
    end

    test "the types on each link (_services._dns-sd._udp)" do
      a = index("linkA")
      b = index("linkB")

      assert ScopedIPv6.browse("_services._dns-sd._udp") ==
               {:ok,
                [
                  %{type: "_http._tcp", link: a},
                  %{type: "_ipp._tcp", link: a},
                  %{type: "_http._tcp", link: b},
                  %{type: "_ipp._tcp", link: b}
                ]}
    end

    test "a type nobody publishes is {:ok, []}, within the timeout" do
      started = System.monotonic_time(:millisecond)
      assert ScopedIPv6.browse("_nobody._tcp", timeout: 700) == {:ok, []}
      took = System.monotonic_time(:millisecond) - started
      assert took >= 700 and took < 1_500, "#{took} ms with a 700 ms timeout"
    end

    test "a browse that is answered ends soon after the answers, long before its timeout" do
      started = System.monotonic_time(:millisecond)
      assert {:ok, [_, _]} = ScopedIPv6.browse("_http._tcp", timeout: 10_000)
      took = System.monotonic_time(:millisecond) - started
      assert took < 2_000, "#{took} ms"
    end

    # The scope is the one that reaches the service: an HTTP server in each
    # peer, at the same address and port, says which peer it is.
    test "each browsed address and port reaches its own peer's server" do
      Peer.start("sip6-a", "http-name", ["#{@port}", "peer-a"])
      Peer.start("sip6-b", "http-name", ["#{@port}", "peer-b"])
      {:ok, services} = ScopedIPv6.browse("_http._tcp")

      bodies =
        for %{addresses: [address | _], port: port} <- services do
          {:ok, s} = ScopedIPv6.TCP.connect(address, port, [:binary, active: false], 5_000)
          :ok = :gen_tcp.send(s, "GET / HTTP/1.0\r\n\r\n")
          {:ok, reply} = recv_all(s, "")
          :gen_tcp.close(s)
          reply |> String.split("\r\n\r\n") |> List.last()
        end

      assert bodies == ["peer-a", "peer-b"]
    end

    test "bad types and options" do
      for bad <- ["http", "_http", "_http._sctp", "_toolongservicename._tcp", "_h p._tcp", ""] do
        assert ScopedIPv6.browse(bad) == {:error, :einval}, inspect(bad)
      end

      assert_raise ArgumentError, fn -> ScopedIPv6.browse(:_http) end
      assert_raise ArgumentError, fn -> ScopedIPv6.browse("_http._tcp", timeout: -1) end
      assert_raise ArgumentError, fn -> ScopedIPv6.browse("_http._tcp", bogus: 1) end

      assert ScopedIPv6.browse("_http._tcp", links: ["nosuch0"]) ==
               {:error, {:no_such_interface, "nosuch0"}}
    end
  end

  # A link just up (a USB gadget plugged in): the kernel's own link-local
  # address on our end is still in duplicate address detection
  # (tentative: nothing can be bound to it or sent from it). Each test
  # checks that it still is after its last browse, so that none can pass
  # once detection is over.
  describe "a link just up" do
    # Its usable address, fe80::1 (nodad), is the one asked from.
    test "a browse and an instance asked from the link's usable address" do
      Links.add_peer("linkD", "sip6-d", slow_dad: true)

      avahi =
        Avahi.start("sip6-d", [{"peer-d.local", "fe80::2"}],
          services: [
            %{
              name: "Web D",
              type: "_http._tcp",
              port: @port,
              host: "peer-d.local",
              txt: ["path=/d", "v=1"]
            }
          ]
        )

      on_exit(fn -> Avahi.stop(avahi) end)
      assert Links.tentative?("linkD")
      d = web("Web D", "peer-d.local", "path=/d", "linkD")
      assert ScopedIPv6.browse("_http._tcp", links: ["linkD"]) == {:ok, [d]}
      assert ScopedIPv6.browse("_http._tcp", links: ["linkD"], instance: "Web D") == {:ok, [d]}
      assert Links.tentative?("linkD")
    end

    # Its only link-local address is tentative: the link has none it can
    # use yet, as if it had none at all. Every way of asking it says so
    # alike, at once.
    test "a link whose only link-local address is tentative is no link yet" do
      Links.add_peer("linkE", "sip6-e", slow_dad: true, fe80_1: false)
      assert [_tentative] = Links.link_local("linkE")
      started = System.monotonic_time(:millisecond)
      assert ScopedIPv6.browse("_http._tcp", links: ["linkE"], timeout: 300) == {:error, :no_link}

      assert ScopedIPv6.browse("_http._tcp", links: ["linkE"], timeout: 300, instance: "Web E") ==
               {:error, :no_link}

      assert ScopedIPv6.getaddrs("peer-e.local", links: ["linkE"], timeout: 300) ==
               {:error, :no_link}

      assert ScopedIPv6.watch("_http._tcp", links: ["linkE"]) == {:error, :no_link}
      assert System.monotonic_time(:millisecond) - started < 300
      assert Links.tentative?("linkE")
    end
  end

  describe "responders avahi is not" do
    setup do
      Links.add_peer("linkH", "sip6-h")
      %{h: index("linkH")}
    end

    # RFC 6763 section 12: the SRV, TXT and addresses should come with the
    # PTR answer; this responder sends each only when asked for it.
    test "what the answer leaves out is asked for, on that link", %{h: h} do
      peer = Peer.start("sip6-h", "dnssd-bare", ["eth0"])

      assert ScopedIPv6.browse("_bare._tcp", links: ["linkH"]) ==
               {:ok,
                [
                  %{
                    name: "Bare One",
                    type: "_bare._tcp",
                    host: "bare-host.local",
                    port: 7140,
                    txt: ["k=v"],
                    addresses: [{@ll2, h}],
                    link: h
                  }
                ]}

      assert Peer.next_line(peer, 1_000) == "asked PTR"
      assert Peer.next_line(peer, 1_000) == "asked SRV TXT"
      assert Peer.next_line(peer, 1_000) == "asked AAAA A"
      assert Peer.next_line(peer, 300) == :timeout
    end

    test "a flood of instances is bounded", %{h: h} do
      peer = Peer.start("sip6-h", "dnssd-flood", ["eth0"])
      before = LiveMemory.total()
      started = System.monotonic_time(:millisecond)

      {:ok, found} = ScopedIPv6.browse("_flood._tcp", links: ["linkH"], timeout: 3_000)
      took = System.monotonic_time(:millisecond) - started
      assert "sent 10" = Peer.next_line(peer, 2_000)
      # 400 instances sent; the first 64 kept, each complete, by name.
      assert length(found) == 64
      assert Enum.all?(found, &match?(%{port: 7141, addresses: [{@ll2, ^h}], link: ^h}, &1))
      assert Enum.map(found, & &1.name) == Enum.sort(Enum.map(1..64, &"Flood #{&1}"))
      assert Enum.all?(found, &(&1.txt == ["n=" <> &1.name]))
      assert took < 3_000, "#{took} ms"
      assert LiveMemory.total() - before < 5_000_000

      ReliabilityTable.record(
        "DNS-SD answer flood",
        "10 replies of 40 instances each (PTR, SRV, TXT), every one another instance, to one browse",
        "64 kept (the per-link bound), each complete; memory flat"
      )
    end

    # mdns_ipv4: 224.0.0.251 is asked too, and an IPv4-only responder's
    # service comes with its A address, unscoped; without the option it
    # is not heard.
    test "over IPv4 with mdns_ipv4, and not without", %{h: h} do
      Links.ipv4("linkH", "sip6-h", "10.14.0.1/24", "10.14.0.2/24")
      peer = Peer.start("sip6-h", "dnssd4", ["eth0", "10.14.0.2"])
      opts = [links: ["linkH"], timeout: 1_000]

      assert ScopedIPv6.browse("_four._tcp", [mdns_ipv4: true] ++ opts) == {:ok, [four(h)]}
      assert Peer.next_line(peer, 1_000) == "answered"
      assert ScopedIPv6.browse("_four._tcp", opts) == {:ok, []}
      assert Peer.next_line(peer, 300) == :timeout
    end

    # A link without an IPv6 link-local address (IPv6 off on our end):
    # browsed over IPv4 alone with mdns_ipv4.
    test "a link without a link-local address: browsed over IPv4 alone", %{h: h} do
      Links.ipv4("linkH", "sip6-h", "10.14.0.1/24", "10.14.0.2/24")
      {_, 0} = System.cmd("sysctl", ~w(-qw net.ipv6.conf.linkH.disable_ipv6=1))
      assert Links.link_local("linkH") == []
      Peer.start("sip6-h", "dnssd4", ["eth0", "10.14.0.2"])
      opts = [links: ["linkH"], timeout: 1_000, mdns_ipv4: true]

      assert ScopedIPv6.browse("_four._tcp", opts) == {:ok, [four(h)]}
    end

    test "malformed, truncated, looping and mismatched replies: no crash, no atom" do
      peer = Peer.start("sip6-h", "mdns-hostile", ["eth0", "garbage", "fe80::99"])

      # The first round loads what code it needs (which makes atoms);
      # the second must make none.
      for round <- 1..2 do
        atoms = :erlang.system_info(:atom_count)

        assert ScopedIPv6.browse("_victim#{round}._tcp", links: ["linkH"], timeout: 1_000) ==
                 {:ok, []}

        assert "query from " <> _ = Peer.next_line(peer, 2_000)
        assert "sent 121" = Peer.next_line(peer, 2_000)
        if round == 2, do: assert(:erlang.system_info(:atom_count) == atoms)
      end
    end
  end

  defp four(link), do: Peer.dnssd4_service(link, {10, 14, 0, 2})

  defp recv_all(socket, acc) do
    case :gen_tcp.recv(socket, 0, 2_000) do
      {:ok, data} -> recv_all(socket, acc <> data)
      {:error, :closed} -> {:ok, acc}
      {:error, _} = error -> error
    end
  end
end
