defmodule ScopedIPv6.SocketsTest do
  # Socket behaviour that needs no testbed: loopback only. Not async: one
  # test counts the process's descriptors, which other tests would move.
  use ExUnit.Case, async: false
  doctest ScopedIPv6.TCP
  doctest ScopedIPv6.UDP

  alias ScopedIPv6.{TCP, UDP}
  alias ScopedIPv6.Test.Descriptors

  test "wrong argument types raise ArgumentError" do
    assert_raise ArgumentError, fn -> TCP.connect("::1", 70_000, []) end
    assert_raise ArgumentError, fn -> TCP.connect("::1", 80, :nope) end
    assert_raise ArgumentError, fn -> TCP.connect("::1", 80, [], -1) end
    assert_raise ArgumentError, fn -> TCP.connect(:erlang.make_ref(), 80, []) end
    assert_raise ArgumentError, fn -> TCP.listen(0, [{:ip, :nope}]) end
    assert_raise ArgumentError, fn -> TCP.listen(0, [1, 2]) end
    assert_raise ArgumentError, fn -> UDP.open(-1, []) end
    assert_raise ArgumentError, fn -> UDP.send(:nope, "::1", 1, "x") end
    assert_raise ArgumentError, fn -> ScopedIPv6.peername(:nope) end
  end

  test "an IPv4 address to listen on makes an IPv4 socket, as in gen_tcp" do
    for ip <- [{127, 0, 0, 1}, "127.0.0.1", ~c"127.0.0.1"] do
      {:ok, listener} = TCP.listen(0, ip: ip)
      assert {:ok, {{127, 0, 0, 1}, port}} = :inet.sockname(listener)
      {:ok, client} = :gen_tcp.connect({127, 0, 0, 1}, port, [], 1_000)
      assert {:ok, server} = :gen_tcp.accept(listener, 1_000)
      :gen_tcp.close(server)
      :gen_tcp.close(client)
      :gen_tcp.close(listener)
    end
  end

  test "an option gen_tcp refuses raises ArgumentError, and leaks nothing" do
    {:ok, listener} = TCP.listen(0, ip: "::1")
    {:ok, {_, port}} = :inet.sockname(listener)
    before = Descriptors.open()

    for {bad, named} <- [
          {{:packet, :no_such_packet_type}, "{packet,no_such_packet_type}"},
          {{:foo, 1}, "{foo,1}"},
          {{:active, :bogus}, "{active,bogus}"}
        ] do
      # The refused option is named, whatever else the list holds.
      opts = [:binary, bad, active: false]
      message = "3rd argument: gen_tcp refuses the option #{named}"

      assert_raise ArgumentError, ~r/#{Regex.escape(message)}/, fn ->
        TCP.connect("::1", port, opts, 1_000)
      end

      assert_raise ArgumentError, ~r/#{Regex.escape(message)}/, fn ->
        TCP.connect("fe80::1%lo", port, opts, 1_000)
      end

      message = "2nd argument: gen_tcp refuses the option #{named}"
      assert_raise ArgumentError, ~r/#{Regex.escape(message)}/, fn -> TCP.listen(0, opts) end
    end

    assert Descriptors.opened_since(before) == []
    :gen_tcp.close(listener)
  end

  # gen_tcp and gen_udp exit with badarg for a name there: text that is
  # not an address is einval, as everywhere in this library.
  test "the local address is an address, not a host name" do
    assert TCP.listen(0, ip: "localhost") == {:error, :einval}
    assert TCP.listen(0, ifaddr: ~c"localhost") == {:error, :einval}
    assert TCP.connect("::1", 9, [ip: "localhost"], 1_000) == {:error, :einval}
    assert UDP.open(0, ip: "localhost") == {:error, :einval}
  end

  test "an option UDP does not take raises ArgumentError naming it, and leaks nothing" do
    before = Descriptors.open()

    # gen_udp's inet-driver options among them (gen_udp names none).
    for {bad, named} <- [
          {{:read_packets, 5}, "{read_packets,5}"},
          {{:buffer, 0}, "{buffer,0}"},
          {{:foo, 1}, "{foo,1}"}
        ] do
      message = "2nd argument: scoped UDP does not take the option #{named}"

      assert_raise ArgumentError, ~r/#{Regex.escape(message)}/, fn ->
        UDP.open(0, [:binary, bad, active: false])
      end
    end

    assert_raise ArgumentError, ~r/2nd argument: not a proper list/, fn ->
      UDP.open(0, [:binary | :inet6])
    end

    assert Descriptors.opened_since(before) == []
  end

  # A name that does not exist: test/testbed_resolver_test.exs, against a
  # DNS server of the test's own (here the answer depends on the network).
  test "host names resolve through getaddrinfo" do
    # localhost may come back as 127.0.0.1 or ::1: listen on both.
    {:ok, listener} = TCP.listen(0, [:inet6, ipv6_v6only: false])
    {:ok, {_, port}} = :inet.sockname(listener)
    assert {:ok, socket} = TCP.connect(~c"localhost", port, [], 2_000)
    assert {:ok, {ip, ^port}} = ScopedIPv6.peername(socket)
    assert ip in [{0, 0, 0, 0, 0, 0, 0, 1}, {127, 0, 0, 1}]
    :gen_tcp.close(socket)
    :gen_tcp.close(listener)
  end

  # SO_MARK needs CAP_NET_ADMIN: run where the root-only tests run.
  @tag :testbed
  test "{mark, N} and {bind_to_ifindex, I}: SO_MARK and SO_BINDTOIFINDEX, on TCP and UDP" do
    lo = ScopedIPv6.if_index!("lo")
    {:ok, listener} = TCP.listen(0, ip: "::1", mark: 42, bind_to_ifindex: lo)
    assert read_raw(listener, 36) == 42
    assert read_raw(listener, 62) == lo
    {:ok, {_, port}} = TCP.sockname(listener)
    {:ok, client} = TCP.connect("::1", port, [mark: 7], 1_000)
    assert read_raw(client, 36) == 7

    {:ok, udp} = UDP.open(0, ip: "::1", mark: 9, bind_to_ifindex: lo)
    assert :socket.getopt_native(UDP.socket(udp), {:socket, 36}, :integer) == {:ok, 9}
    assert :socket.getopt_native(UDP.socket(udp), {:socket, 62}, :integer) == {:ok, lo}
    :ok = UDP.close(udp)

    for bad <- [-1, 0x1_0000_0000, :x] do
      assert_raise ArgumentError, fn -> TCP.listen(0, mark: bad) end
      assert_raise ArgumentError, fn -> TCP.connect("::1", port, [mark: bad], 1_000) end
      assert_raise ArgumentError, fn -> UDP.open(0, mark: bad) end
    end

    :gen_tcp.close(client)
    :gen_tcp.close(listener)
  end

  defp read_raw(socket, option) do
    {:ok, [{:raw, 1, ^option, <<value::native-32>>}]} =
      :inet.getopts(socket, [{:raw, 1, option, 4}])

    value
  end

  test "TCP connect takes gen_tcp's sockaddr-map forms, connect/2 and connect/3" do
    for {family, ip} <- [inet6: {0, 0, 0, 0, 0, 0, 0, 1}, inet: {127, 0, 0, 1}] do
      {:ok, listener} = :gen_tcp.listen(0, [family, ip: ip])
      {:ok, port} = :inet.port(listener)
      sockaddr = %{family: family, addr: ip, port: port}
      {:ok, theirs} = :gen_tcp.connect(sockaddr, [], 2_000)
      {:ok, ours} = :scoped_ipv6_tcp.connect(sockaddr, [], 2_000)
      assert {:ok, {^ip, ^port}} = :inet.peername(ours)
      {:ok, ours2} = :scoped_ipv6_tcp.connect(sockaddr, active: false)
      assert :inet.getopts(ours2, [:active]) == {:ok, [active: false]}
      # The Elixir API takes the same forms.
      {:ok, elixir3} = TCP.connect(sockaddr, [], 2_000)
      assert {:ok, {^ip, ^port}} = :inet.peername(elixir3)
      {:ok, elixir2} = TCP.connect(sockaddr, active: false)
      assert :inet.getopts(elixir2, [:active]) == {:ok, [active: false]}
      elixir_bang = TCP.connect!(sockaddr, [], 2_000)
      Enum.each([theirs, ours, ours2, elixir3, elixir2, elixir_bang, listener], &:gen_tcp.close/1)
    end

    link_local = %{family: :inet6, addr: {0xFE80, 0, 0, 0, 0, 0, 0, 2}, port: 80}
    assert :scoped_ipv6_tcp.connect(link_local, []) == {:error, :scope_required}
    assert TCP.connect(link_local, []) == {:error, :scope_required}
    assert TCP.connect(link_local, [], 1_000) == {:error, :scope_required}
    assert_raise ScopedIPv6.Error, fn -> TCP.connect!(link_local, []) end
    # OTP's :any and :loopback, and bad ports, are not addresses we connect to.
    for bad <- [%{link_local | addr: :any}, %{link_local | port: 70_000}] do
      assert_raise ArgumentError, fn -> :scoped_ipv6_tcp.connect(bad, [], 1_000) end
      assert_raise ArgumentError, fn -> TCP.connect(bad, [], 1_000) end
      assert_raise ArgumentError, fn -> TCP.connect(bad, []) end
    end

    # The badarg shows the caller's arguments, not connect/4's.
    bad = %{link_local | addr: :any}

    stacktrace =
      try do
        :scoped_ipv6_tcp.connect(bad, [], 1_000)
      rescue
        ArgumentError -> __STACKTRACE__
      end

    assert [{:scoped_ipv6_tcp, :connect, [^bad, [], 1_000], _} | _] = stacktrace
  end

  test "UDP infers the family from the address, as gen_udp does" do
    for ip <- [{127, 0, 0, 1}, "127.0.0.1", ~c"127.0.0.1"] do
      {:ok, ours} = UDP.open(0, ip: ip)
      {:ok, theirs} = :gen_udp.open(0, ip: {127, 0, 0, 1})
      assert {:ok, {{127, 0, 0, 1}, p1}} = UDP.sockname(ours)
      assert {:ok, {{127, 0, 0, 1}, p2}} = :inet.sockname(theirs)
      assert p1 > 0 and p2 > 0
      :ok = UDP.close(ours)
      :ok = :gen_udp.close(theirs)
    end

    {:ok, ours} = UDP.open(0, ip: "::1")
    assert {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _}} = UDP.sockname(ours)
    :ok = UDP.close(ours)
  end

  test "UDP takes options as gen_udp does: badarg at open, einval from setopts" do
    # What gen_udp itself does with each, checked in the same run.
    for bad <- [
          [foo: 1],
          [:foo],
          [family: :inet],
          [reuseaddr: 5],
          [backlog: 5],
          [active: :x],
          [multicast_hops: 256]
        ] do
      assert catch_exit(:gen_udp.open(0, bad)) == :badarg
      assert_raise ArgumentError, fn -> UDP.open(0, bad) end
    end

    # Stricter than gen_udp, whose buffer is the driver's: ours is the
    # largest datagram received, 1..65535.
    assert_raise ArgumentError, fn -> UDP.open(0, buffer: 0) end
    # Linux's -1 (the default) for multicast_hops: OTP 25's socket refuses it.
    assert_raise ArgumentError, fn -> UDP.open(0, multicast_hops: -1) end

    {:ok, ours} = UDP.open(0, ip: "::1")
    {:ok, theirs} = :gen_udp.open(0, [:inet6, ip: {0, 0, 0, 0, 0, 0, 0, 1}])

    for bad <- [[foo: 1], [multicast_hops: 256], [active: :x]] do
      assert :inet.setopts(theirs, bad) == {:error, :einval}
      assert UDP.setopts(ours, bad) == {:error, :einval}
    end

    # inet:setopts/2 crashes on an improper list; ours answers.
    assert UDP.setopts(ours, [:binary | :improper]) == {:error, :einval}

    # Every option is checked before any is set: the socket is still in
    # list mode after a refused list that began with :binary.
    assert UDP.setopts(ours, [:binary, {:foo, 1}]) == {:error, :einval}
    {:ok, {_, port}} = UDP.sockname(ours)
    :ok = UDP.send(ours, "::1", port, "x")
    assert {:ok, {_, ^port, ~c"x"}} = UDP.recv(ours, 0, 1_000)
    :ok = UDP.close(ours)
    :ok = :gen_udp.close(theirs)
  end

  # getopts/2 against inet:getopts/2 on a gen_udp socket opened with the
  # same options in the same run: the same values, kernel's and socket's.
  test "UDP getopts/2 reads what gen_udp's getopts reads" do
    for {family, opts} <- [
          {:inet,
           [
             :binary,
             active: :once,
             buffer: 4_000,
             reuseaddr: true,
             broadcast: true,
             dontroute: true,
             priority: 3,
             ttl: 9,
             tos: 32,
             multicast_ttl: 4,
             multicast_loop: false,
             recvtos: true,
             recvttl: true,
             recbuf: 65_536,
             sndbuf: 32_768,
             bind_to_device: "lo"
           ]},
          {:inet6,
           [
             :list,
             active: 5,
             reuseaddr: false,
             priority: 1,
             tclass: 64,
             multicast_loop: true,
             ipv6_v6only: true,
             recvtclass: true,
             recbuf: 16_384
           ]}
        ] do
      names = for opt <- opts, do: if(is_atom(opt), do: :mode, else: elem(opt, 0))
      {:ok, ours} = UDP.open(0, [family | opts])
      {:ok, theirs} = :gen_udp.open(0, [family | opts])
      assert {:ok, values} = UDP.getopts(ours, names)
      assert values == elem(:inet.getopts(theirs, names), 1), inspect(family)
      assert length(values) == length(names)
      :ok = UDP.close(ours)
      :ok = :gen_udp.close(theirs)
    end

    # The IPv6 names read their IPv4 counterparts; gen_udp's options are
    # read back after setopts/2; what cannot be read is einval, as gen_udp.
    {:ok, v4} = UDP.open(0, [:inet, unicast_hops: 17, tclass: 0x20, recvpktinfo: true])

    assert UDP.getopts(v4, [:unicast_hops, :ttl, :tclass, :tos, :recvpktinfo, :min_hoplimit]) ==
             {:ok,
              [
                unicast_hops: 17,
                ttl: 17,
                tclass: 0x20,
                tos: 0x20,
                recvpktinfo: true,
                min_hoplimit: 0
              ]}

    :ok = UDP.setopts(v4, active: true, tos: 0x40, min_hoplimit: 2)

    assert UDP.getopts(v4, [:active, :tclass, :min_hoplimit]) ==
             {:ok, [active: true, tclass: 0x40, min_hoplimit: 2]}

    for bad <- [
          [:add_membership],
          [:ip],
          [:port],
          [:nonsense],
          [{:raw, 1, 2, 3}],
          [:mode | :improper]
        ] do
      assert UDP.getopts(v4, bad) == {:error, :einval}, inspect(bad)
    end

    assert_raise ArgumentError, fn -> UDP.getopts(v4, :active) end
    :ok = UDP.close(v4)
  end

  # gen_udp's connect/3 and send/2: the kernel then filters other senders
  # out, and an ICMP port unreachable from the peer comes back, to recv/3
  # in passive mode and as a udp_error message in active mode, which stays
  # on; gen_udp beside ours in the same run, step by step.
  test "UDP connect/3 and send/2, as gen_udp's: only the peer heard, ICMP errors reported" do
    lo = {0, 0, 0, 0, 0, 0, 0, 1}
    {:ok, peer} = UDP.open(0, [:binary, ip: lo])
    {:ok, {_, peer_port}} = UDP.sockname(peer)
    {:ok, other} = UDP.open(0, [:binary, ip: lo])
    {:ok, ours} = UDP.open(0, [:binary, ip: lo])
    {:ok, {_, port}} = UDP.sockname(ours)
    {:ok, theirs} = :gen_udp.open(0, [:inet6, :binary, active: false, ip: lo])
    {:ok, their_port} = :inet.port(theirs)

    :ok = UDP.connect(ours, "::1", peer_port)
    :ok = :gen_udp.connect(theirs, lo, peer_port)
    assert UDP.peername(ours) == {:ok, {lo, peer_port}}
    assert :inet.peername(theirs) == {:ok, {lo, peer_port}}
    :ok = UDP.send(ours, "ours")
    :ok = :gen_udp.send(theirs, "theirs")
    assert {:ok, {^lo, ^port, "ours"}} = UDP.recv(peer, 0, 1_000)
    assert {:ok, {^lo, ^their_port, "theirs"}} = UDP.recv(peer, 0, 1_000)

    for {to, recv} <- [
          {port, fn -> UDP.recv(ours, 0, 1_000) end},
          {their_port, fn -> :gen_udp.recv(theirs, 0, 1_000) end}
        ] do
      :ok = UDP.send(other, lo, to, "not-heard")
      :ok = UDP.send(peer, lo, to, "heard")
      assert {:ok, {^lo, ^peer_port, "heard"}} = recv.()
    end

    # The peer goes away: port unreachable, then the socket goes on.
    :ok = UDP.close(peer)

    for {send, recv} <- [
          {fn -> UDP.send(ours, "x") end, fn -> UDP.recv(ours, 0, 1_000) end},
          {fn -> :gen_udp.send(theirs, "x") end, fn -> :gen_udp.recv(theirs, 0, 1_000) end}
        ] do
      :ok = send.()
      assert recv.() == {:error, :econnrefused}
    end

    :ok = UDP.setopts(ours, active: true)
    :ok = :inet.setopts(theirs, active: true)
    :ok = UDP.send(ours, "x")
    :ok = :gen_udp.send(theirs, "x")
    assert_receive {:udp_error, ^ours, :econnrefused}, 1_000
    assert_receive {:udp_error, ^theirs, :econnrefused}, 1_000
    {:ok, back} = UDP.open(peer_port, [:binary, ip: lo])
    :ok = UDP.send(back, lo, port, "still-on")
    :ok = UDP.send(back, lo, their_port, "still-on")
    assert_receive {:udp, ^ours, ^lo, ^peer_port, "still-on"}, 1_000
    assert_receive {:udp, ^theirs, ^lo, ^peer_port, "still-on"}, 1_000

    # Wrong types raise; a destination that needs a scope must have one.
    assert_raise ArgumentError, fn -> UDP.send(ours, :not_iodata) end
    assert_raise ArgumentError, fn -> UDP.send(other, :nowhere, "x") end
    assert_raise ArgumentError, fn -> UDP.connect(ours, lo, 70_000) end
    assert UDP.connect(other, "fe80::1", 9) == {:error, :scope_required}

    assert UDP.send(
             other,
             %{family: :inet6, addr: {0xFE80, 0, 0, 0, 0, 0, 0, 1}, port: 9, scope_id: 0},
             "x"
           ) ==
             {:error, :scope_required}

    for s <- [other, ours, back], do: :ok = UDP.close(s)
    :ok = :gen_udp.close(theirs)
  end

  test "UDP takes gen_udp's socket-level and IPv4 options, with the same effect" do
    # Each read back from the kernel under ours, and through inet under gen_udp's.
    for {family, {name, value} = opt, sockopt} <- [
          {:inet, {:broadcast, true}, {:socket, :broadcast}},
          {:inet, {:dontroute, true}, {:socket, :dontroute}},
          {:inet6, {:priority, 3}, {:socket, :priority}},
          # IP_TOS by number: OTP 29 decodes {:ip, :tos} into a map.
          {:inet, {:tos, 32}, {:ip, 1}},
          {:inet, {:ttl, 9}, {:ip, :ttl}},
          {:inet, {:multicast_ttl, 4}, {:ip, :multicast_ttl}},
          {:inet6, {:tclass, 32}, {:ipv6, :tclass}}
        ] do
      {:ok, theirs} = :gen_udp.open(0, [family, opt])
      {:ok, ours} = UDP.open(0, [family, opt])
      assert :inet.getopts(theirs, [name]) == {:ok, [opt]}
      assert read_option(UDP.socket(ours), sockopt) == {:ok, value}
      :ok = :gen_udp.close(theirs)
      :ok = UDP.close(ours)
    end
  end

  defp read_option(socket, {level, number}) when is_integer(number),
    do: :socket.getopt_native(socket, {level, number}, :integer)

  defp read_option(socket, option), do: :socket.getopt(socket, option)

  test "UDP: the last {port, P} wins over open/2's port, as in gen_udp" do
    {:ok, probe} = UDP.open(0, ip: "::1")
    {:ok, {_, free}} = UDP.sockname(probe)
    :ok = UDP.close(probe)
    {:ok, ours} = UDP.open(0, ip: "::1", port: free)
    assert {:ok, {_, ^free}} = UDP.sockname(ours)
    :ok = UDP.close(ours)
    {:ok, theirs} = :gen_udp.open(0, [:inet6, ip: {0, 0, 0, 0, 0, 0, 0, 1}, port: free])
    assert {:ok, {_, ^free}} = :inet.sockname(theirs)
    :ok = :gen_udp.close(theirs)
  end

  test "a family against the address is eafnosupport, for UDP as for TCP" do
    assert UDP.open(0, [:inet6, ip: {127, 0, 0, 1}]) == {:error, :eafnosupport}
    assert UDP.open(0, [:inet, ip: "::1"]) == {:error, :eafnosupport}
    assert UDP.open(0, [:inet, ip: "fe80::1%lo"]) == {:error, :eafnosupport}
  end

  test "UDP: a destination of the other family is gen_udp's eafnosupport" do
    {:ok, theirs6} = :gen_udp.open(0, [:inet6])
    {:ok, theirs4} = :gen_udp.open(0, [:inet])
    refused = :gen_udp.send(theirs6, {127, 0, 0, 1}, 9, "x")
    assert refused == {:error, :eafnosupport}
    assert :gen_udp.send(theirs4, {0, 0, 0, 0, 0, 0, 0, 1}, 9, "x") == refused

    for opts <- [[], [ipv6_v6only: false]] do
      {:ok, u} = UDP.open(0, opts)
      assert UDP.send(u, {127, 0, 0, 1}, 9, "x") == refused
      assert UDP.send(u, "127.0.0.1", 9, "x") == refused
      assert UDP.send(u, "127.0.0.1", 9, [hoplimit: 3], "x") == refused
      assert UDP.connect(u, {127, 0, 0, 1}, 9) == refused
      :ok = UDP.close(u)
    end

    # A dual-stack socket reaches an IPv4 peer by its mapped address.
    {:ok, peer} = :gen_udp.open(0, [:inet, :binary, ip: {127, 0, 0, 1}, active: false])
    {:ok, port} = :inet.port(peer)
    {:ok, dual} = UDP.open(0, ipv6_v6only: false)
    :ok = UDP.send(dual, "::ffff:127.0.0.1", port, "mapped")
    assert {:ok, {{127, 0, 0, 1}, _, "mapped"}} = :gen_udp.recv(peer, 0, 1_000)
    :ok = UDP.close(dual)

    {:ok, u4} = UDP.open(0, [:inet])
    assert UDP.send(u4, {0, 0, 0, 0, 0, 0, 0, 1}, 9, "x") == refused
    # An IPv6 address refused before its missing scope is looked at.
    assert UDP.send(u4, "fe80::1", 9, "x") == refused
    assert UDP.send(u4, {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, "lo"}, 9, "x") == refused
    assert UDP.send(u4, "fe80::1", 9, [pktinfo: {{0, 0, 0, 0}, "lo"}], "x") == refused
    :ok = UDP.close(u4)
  end

  test "UDP: active once, then passive again; controlling_process" do
    {:ok, a} = UDP.open(0, [:binary, ip: "::1"])
    {:ok, b} = UDP.open(0, [:binary, ip: "::1", active: :once])
    {:ok, {_, port}} = UDP.sockname(b)
    :ok = UDP.send(a, "::1", port, "one")
    assert_receive {:udp, ^b, {0, 0, 0, 0, 0, 0, 0, 1}, _, "one"}, 1_000
    :ok = UDP.send(a, "::1", port, "two")
    assert {:ok, {_, _, "two"}} = UDP.recv(b, 0, 1_000)
    :ok = UDP.setopts(b, active: 2)
    :ok = UDP.send(a, "::1", port, "three")
    :ok = UDP.send(a, "::1", port, "four")
    assert_receive {:udp, ^b, _, _, "three"}, 1_000
    assert_receive {:udp, ^b, _, _, "four"}, 1_000
    assert_receive {:udp_passive, ^b}, 1_000

    parent = self()
    other = spawn(fn -> send(parent, {:other_got, UDP.recv(b, 0, 1_000)}) end)
    assert UDP.controlling_process(b, other) == :ok
    assert UDP.controlling_process(b, self()) == {:error, :not_owner}
    :ok = UDP.send(a, "::1", port, "five")
    assert_receive {:other_got, {:ok, {_, _, "five"}}}, 1_000
    :ok = UDP.close(a)
  end
end
