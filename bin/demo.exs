# What scoped_ipv6 does that OTP alone cannot. Run by bin/demo, inside the
# testbed's sip6-host namespace when it could be made (see test/testbed.sh).

Code.require_file("../test/support/dist_node.exs", __DIR__)
Code.require_file("../test/support/avahi.exs", __DIR__)

defmodule Demo do
  alias ScopedIPv6.Test.{Avahi, DistNode}

  @peer_script Path.expand("../test/peers/peer.py", __DIR__)

  def section(title), do: IO.puts("\n== #{title}")

  def interfaces do
    section("This host's interfaces, link-local addresses with their scope")

    for interface <- ScopedIPv6.interfaces!() do
      addrs = Enum.map_join(interface.addrs, "  ", &ScopedIPv6.ntoa(&1.addr))
      IO.puts("  #{interface.index}: #{String.pad_trailing(interface.name, 8)} #{addrs}")
    end
  end

  def parsing do
    section("Parse and resolve: scoped_ipv6, and what :inet makes of the same text")
    [last | _] = Enum.reverse(ScopedIPv6.interfaces!())

    for text <- ["fe80::2%#{last.name}", "fe80::2%#{last.index}", "fe80::2%nosuch0", "fe80::2%"] do
      ours =
        case ScopedIPv6.resolve(text) do
          {:ok, address} -> "#{inspect(address)}  (#{ScopedIPv6.ntoa(address)})"
          {:error, reason} -> "error: #{ScopedIPv6.format_error(reason)}"
        end

      IO.puts("  #{String.pad_trailing(text, 18)} scoped_ipv6: #{ours}")

      IO.puts(
        "  #{String.pad_trailing("", 18)} :inet:       #{inspect(:inet.parse_address(String.to_charlist(text)))}"
      )
    end
  end

  def live do
    section("Two peers, one address: fe80::2 on linkA (peer A) and on linkB (peer B)")
    peers = for ns <- ["sip6-a", "sip6-b"], do: start_peer(ns, ["tcp-name", "7000", ns])
    udp = for ns <- ["sip6-a", "sip6-b"], do: start_peer(ns, ["udp-echo", "7001", ns])

    for address <- ["fe80::2%linkA", "fe80::2%linkB", "fe80::2%#{ScopedIPv6.if_index!("linkB")}"] do
      {:ok, socket} = ScopedIPv6.TCP.connect(address, 7000, [:binary, active: false], 2_000)
      {:ok, name} = :gen_tcp.recv(socket, 0, 2_000)
      {:ok, {peer, _}} = ScopedIPv6.peername(socket)

      IO.puts(
        "  TCP #{String.pad_trailing(address, 14)} -> #{name} answered, peer #{ScopedIPv6.ntoa(peer)}"
      )

      :gen_tcp.close(socket)
    end

    {:ok, socket} = ScopedIPv6.UDP.open(0, [:binary])

    for link <- ["linkA", "linkB"] do
      :ok = ScopedIPv6.UDP.send(socket, "fe80::2%#{link}", 7001, "hi")
      {:ok, {from, port, reply}} = ScopedIPv6.UDP.recv(socket, 0, 2_000)
      IO.puts("  UDP fe80::2%#{link}  -> #{reply} from #{ScopedIPv6.ntoa(from)} port #{port}")
    end

    ScopedIPv6.UDP.close(socket)
    IO.puts("  without a scope: #{inspect(ScopedIPv6.TCP.connect("fe80::2", 7000, []))}")

    section("Plain gen_tcp with the same addresses (OTP #{System.otp_release()})")
    ll2 = {0xFE80, 0, 0, 0, 0, 0, 0, 2}

    for {label, address} <- [{"{fe80,..,2}", ll2}, {~s("fe80::2%linkA"), ~c"fe80::2%linkA"}] do
      result =
        try do
          :gen_tcp.connect(address, 7000, [:inet6], 2_000)
        catch
          :exit, reason -> {:exit, reason}
        end

      IO.puts("  :gen_tcp.connect(#{label}, 7000, [:inet6]) -> #{inspect(result)}")
    end

    Enum.each(peers ++ udp, &stop_peer/1)
  end

  def names do
    section("Names that keep their scope: printer.local on both links (avahi-daemon in each peer)")
    peers = for ns <- ["sip6-a", "sip6-b"], do: start_peer(ns, ["tcp-name", "7000", ns])

    printer = %{name: "Printer", type: "_http._tcp", port: 7000, host: "printer.local"}

    avahis =
      for ns <- ["sip6-a", "sip6-b"],
          do: Avahi.start(ns, [{"printer.local", "fe80::2"}], services: [printer])

    {:ok, addresses} = ScopedIPv6.getaddrs("printer.local")
    found = Enum.map_join(addresses, ", ", &named/1)
    IO.puts(~s[  getaddrs("printer.local") -> #{found}])

    {:ok, services} = ScopedIPv6.browse("_http._tcp")

    for %{name: name, port: port, addresses: [address | _], link: link} <- services do
      {:ok, socket} = ScopedIPv6.TCP.connect(address, port, [:binary, active: false], 2_000)
      {:ok, answer} = :gen_tcp.recv(socket, 0, 2_000)
      :gen_tcp.close(socket)

      IO.puts(
        ~s[  browse("_http._tcp"): "#{name}" on #{ScopedIPv6.if_name!(link)}, ] <>
          "#{named(address)} port #{port} -> #{answer} answered"
      )
    end

    for {os_pid, dir} <- avahis do
      System.cmd("kill", [Integer.to_string(os_pid)])
      File.rm_rf!(dir)
    end

    Enum.each(peers, &stop_peer/1)
  end

  def distribution do
    section("Erlang distribution: a@fe80::1 clusters with b@fe80::2 (linkA) and c@fe80::2 (linkB)")
    b = DistNode.start("sip6-a", "b@fe80::2")
    c = DistNode.start("sip6-b", "c@fe80::2", elixir: true)
    a = DistNode.start("sip6-host", "a@fe80::1")

    for node <- ["b@fe80::2", "c@fe80::2"] do
      connected = DistNode.eval(a, "net_kernel:connect_node('#{node}')")
      answer = DistNode.eval(a, "rpc:call('#{node}', erlang, node, [])")

      IO.puts(
        "  connect_node('#{node}') -> #{connected}; rpc:call(.., erlang, node, []) -> #{answer}"
      )
    end

    links = DistNode.eval(a, "lists:sort(ets:tab2list(scoped_ipv6_dist_zones))")

    IO.puts("  nodes() -> #{:io_lib.format(~c"~p", [DistNode.eval(a, "nodes()")])}")
    found = Enum.map_join(links, ", ", fn {node, link} -> "#{node} on #{link}" end)
    IO.puts("  found by probing each link's epmd: #{found}")

    # The same with OTP's own IPv6 carrier.
    otp = DistNode.start("sip6-host", "o@fe80::1", proto: "inet6_tcp")
    otp_result = DistNode.eval(otp, "net_kernel:connect_node('b@fe80::2')")
    IO.puts("  -proto_dist inet6_tcp: connect_node('b@fe80::2') -> #{otp_result}")

    Enum.each([a, b, c, otp], &DistNode.stop/1)
    DistNode.kill_epmds(~w(sip6-host sip6-a sip6-b))
  end

  # An address with its interface's name as its zone.
  defp named({ip, index}), do: ScopedIPv6.ntoa({ip, ScopedIPv6.if_name!(index)})

  defp start_peer(namespace, args) do
    ip = System.find_executable("ip") || "/usr/sbin/ip"

    port =
      Port.open({:spawn_executable, ip}, [
        :binary,
        {:line, 256},
        args: ["netns", "exec", namespace, "python3", "-u", @peer_script | args]
      ])

    receive do: ({^port, {:data, {:eol, "ready"}}} -> port)
  end

  defp stop_peer(port) do
    {:os_pid, pid} = Port.info(port, :os_pid)
    System.cmd("kill", [Integer.to_string(pid)])
  end
end

Demo.interfaces()
Demo.parsing()

if System.get_env("SCOPED_IPV6_TESTBED") == "1" do
  Demo.live()
  Demo.names()
  Demo.distribution()
else
  IO.puts("\n(The live part needs the two-link testbed: run bin/demo as root.)")
end
