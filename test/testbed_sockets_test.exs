defmodule ScopedIPv6.Test.CowboyHello do
  @moduledoc false
  # A Cowboy handler: the body given in the route, to every request.
  # (Cowboy is in OTP's lib where Debian packages it, sid only.)
  @compile {:no_warn_undefined, :cowboy_req}
  def init(req, body), do: {:ok, :cowboy_req.reply(200, %{}, body, req), body}
end

defmodule ScopedIPv6.TestbedSocketsTest do
  # Sockets against real peers in the testbed: sip6-a behind linkA and
  # sip6-b behind linkB both carry fe80::2, so only the scope decides which
  # one answers. The peers are Python, curl and OpenSSL-made certificates:
  # implementations we did not write.
  use ExUnit.Case, async: false
  @moduletag :testbed

  alias ScopedIPv6.Test.{Descriptors, Peer}
  alias ScopedIPv6.{TCP, UDP}

  # The :cowboy test's calls, where Cowboy is missing (it is excluded there).
  @compile {:no_warn_undefined, [:cowboy, :cowboy_router]}

  @ll1 {0xFE80, 0, 0, 0, 0, 0, 0, 1}
  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}

  defp index(name), do: ScopedIPv6.if_index!(name)

  # curl in a peer's namespace (5 s at most): `{output, exit status}`.
  defp curl(namespace, url, flags \\ []) do
    args = ~w(netns exec #{namespace} curl -sS -m 5) ++ flags ++ [url]
    System.cmd("ip", args, stderr_to_stdout: true)
  end

  defp fetch_name(address, port) do
    {:ok, socket} = TCP.connect(address, port, [:binary, active: false], 2_000)
    {:ok, name} = :gen_tcp.recv(socket, 0, 2_000)
    {:ok, {peer, ^port}} = ScopedIPv6.peername(socket)
    :ok = :gen_tcp.close(socket)
    {name, peer}
  end

  describe "TCP connect" do
    setup do
      Peer.start_names(7100)
    end

    test "the same address reaches peer A or B by the scope's name" do
      assert fetch_name("fe80::2%linkA", 7100) == {"peer-a", {@ll2, index("linkA")}}
      assert fetch_name("fe80::2%linkB", 7100) == {"peer-b", {@ll2, index("linkB")}}
    end

    test "and by the scope's index, in every address form" do
      a = index("linkA")
      b = index("linkB")
      assert {"peer-a", _} = fetch_name({@ll2, a}, 7100)
      assert {"peer-b", _} = fetch_name({@ll2, b}, 7100)
      assert {"peer-b", _} = fetch_name(~c"fe80::2%#{b}", 7100)
      assert {"peer-a", _} = fetch_name({@ll2, ~c"linkA"}, 7100)
    end

    test "OTP's socket backend reaches the same peers, and listens on one link" do
      for {link, name} <- [{"linkA", "peer-a"}, {"linkB", "peer-b"}] do
        opts = [{:inet_backend, :socket}, :binary, active: false]
        {:ok, socket} = TCP.connect("fe80::2%#{link}", 7100, opts, 2_000)
        assert {:"$inet", :gen_tcp_socket, _} = socket
        assert {:ok, ^name} = :gen_tcp.recv(socket, 0, 2_000)
        assert {:ok, {{@ll2, index(link)}, 7100}} == ScopedIPv6.peername(socket)
        :ok = :gen_tcp.close(socket)
      end

      opts = [{:inet_backend, :socket}, :binary, active: false, ip: "fe80::1%linkA"]
      {:ok, listener} = TCP.listen(0, opts)
      {:ok, {{@ll1, a}, port}} = ScopedIPv6.sockname(listener)
      assert a == index("linkA")
      {:ok, client} = TCP.connect("fe80::1%linkA", port, [], 2_000)
      {:ok, server} = :gen_tcp.accept(listener, 2_000)
      :ok = :gen_tcp.send(client, "over the socket backend")
      assert {:ok, "over the socket backend"} = :gen_tcp.recv(server, 0, 2_000)
      Enum.each([client, server, listener], &:gen_tcp.close/1)
    end

    test "a bound scoped source address is used" do
      opts = [:binary, active: false, ip: "fe80::1%linkB", port: 0]
      {:ok, socket} = TCP.connect("fe80::2%linkB", 7100, opts, 2_000)
      b = index("linkB")
      assert {:ok, {{@ll1, ^b}, port}} = ScopedIPv6.sockname(socket)
      assert port > 0
      assert {:ok, "peer-b"} = :gen_tcp.recv(socket, 0, 2_000)
    end

    # The kernel refuses it (EINVAL), which gen_tcp turns into badarg, with
    # OTP's maps as with ours; the error says why.
    test "a local address on another link than the destination's raises, saying so" do
      {a, b} = {index("linkA"), index("linkB")}
      ifaddr = %{family: :inet6, addr: @ll1, port: 0, scope_id: b}
      to = %{family: :inet6, addr: @ll2, port: 7100, scope_id: a}
      assert catch_exit(:gen_tcp.connect(to, [ifaddr: ifaddr], 2_000)) == :badarg

      message =
        "3rd argument: the local address is scoped to interface #{b}, the destination to #{a}"

      for source <- ["fe80::1%linkB", {@ll1, "linkB"}] do
        assert_raise ArgumentError, ~r/#{Regex.escape(message)}/, fn ->
          TCP.connect("fe80::2%linkA", 7100, [ip: source], 2_000)
        end
      end
    end

    test "a link-local address without a scope is refused with a clear reason" do
      assert TCP.connect(@ll2, 7100, []) == {:error, :scope_required}
      assert TCP.connect("fe80::2", 7100, []) == {:error, :scope_required}

      assert ScopedIPv6.format_error(:scope_required) ==
               "a link-local address needs a scope, e.g. fe80::1%eth0"

      # What OTP does with the same address:
      assert catch_exit(:gen_tcp.connect(@ll2, 7100, [:inet6], 1_000)) == :badarg
    end

    test "a peer nobody answers times out, a closed port is refused" do
      assert TCP.connect("fe80::dead%linkA", 7100, [], 200) == {:error, :timeout}
      assert TCP.connect("fe80::2%linkA", 7199, [], 2_000) == {:error, :econnrefused}

      assert TCP.connect("fe80::2%nosuch0", 7100, []) ==
               {:error, {:no_such_interface, "nosuch0"}}
    end

    test "the socket is a gen_tcp port: active mode, packet, controlling_process" do
      Peer.start("sip6-a", "tcp-echo", ["7101"])
      opts = [:binary, packet: 2, active: true]
      {:ok, socket} = TCP.connect("fe80::2%linkA", 7101, opts, 2_000)
      assert is_port(socket)
      :ok = :gen_tcp.send(socket, "hello")
      assert_receive {:tcp, ^socket, "hello"}, 2_000

      parent = self()

      child =
        spawn(fn ->
          receive do
            {:tcp, s, data} -> send(parent, {:child_got, s, data})
          end
        end)

      :ok = :gen_tcp.controlling_process(socket, child)
      :ok = :gen_tcp.send(socket, "again")
      assert_receive {:child_got, ^socket, "again"}, 2_000
      # The child, now the owner, exits: the port goes with it, as in gen_tcp.
      ref = Process.monitor(child)
      assert_receive {:DOWN, ^ref, :process, ^child, _}
      wait_until(fn -> Port.info(socket) == nil end)
    end
  end

  describe "TCP listen" do
    test "our listener on a scoped address is reachable from the peer (curl)" do
      {:ok, listener} = TCP.listen(0, [:binary, ip: "fe80::1%linkA", active: false])
      {:ok, {{@ll1, a}, port}} = ScopedIPv6.sockname(listener)
      assert a == index("linkA")

      server =
        Task.async(fn ->
          {:ok, socket} = :gen_tcp.accept(listener, 5_000)
          {:ok, _request} = :gen_tcp.recv(socket, 0, 5_000)
          peer = ScopedIPv6.peername(socket)
          :ok = :gen_tcp.send(socket, "HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok")
          :gen_tcp.close(socket)
          peer
        end)

      assert curl("sip6-a", "http://[fe80::1%25eth0]:#{port}/") == {"ok", 0}
      assert {:ok, {{peer_ip, ^a}, _}} = Task.await(server)
      assert peer_ip in [@ll2, {0xFE80, 0, 0, 0, 0, 0, 0, 0xA}]
    end

    test "a wildcard listener tells peers on two links apart" do
      {:ok, listener} = TCP.listen(0, [:inet6, :binary, active: false])
      {:ok, {{0, 0, 0, 0, 0, 0, 0, 0}, port}} = ScopedIPv6.sockname(listener)
      # gen_tcp's default, the OS's: dual-stack on Linux.
      {:ok, plain} = :gen_tcp.listen(0, [:inet6])
      assert ipv6_v6only(listener) == ipv6_v6only(plain)
      :gen_tcp.close(plain)

      for {ns, link} <- [{"sip6-a", "linkA"}, {"sip6-b", "linkB"}] do
        task = Task.async(fn -> curl(ns, "http://[fe80::1%25eth0]:#{port}/") end)

        {:ok, socket} = :gen_tcp.accept(listener, 5_000)
        {:ok, {{_peer, scope}, _}} = ScopedIPv6.peername(socket)
        assert scope == index(link)
        {:ok, _} = :gen_tcp.recv(socket, 0, 5_000)
        body = "HTTP/1.0 200 OK\r\ncontent-length: #{byte_size(link)}\r\n\r\n#{link}"
        :ok = :gen_tcp.send(socket, body)
        :gen_tcp.close(socket)
        assert {^link, 0} = Task.await(task)
      end
    end
  end

  describe "TCP close" do
    # The inet driver makes and owns every scoped socket: gen_tcp:close/1
    # closes the descriptor before it returns, as for any gen_tcp socket.
    setup do
      opts = [:binary, ip: "fe80::1%linkA", active: false, backlog: 64]
      {:ok, listener} = TCP.listen(0, opts)
      {:ok, {_, port}} = ScopedIPv6.sockname(listener)
      %{listener: listener, port: port}
    end

    test "a closed connection's descriptor is gone and the peer sees EOF", ctx do
      for _ <- 1..50 do
        {:ok, client} = TCP.connect("fe80::1%linkA", ctx.port, [:binary, active: false], 2_000)
        {:ok, server} = :gen_tcp.accept(ctx.listener, 2_000)
        descriptor = Descriptors.of(client)
        :ok = :gen_tcp.close(client)
        refute Descriptors.open?(descriptor)
        assert :gen_tcp.recv(server, 0, 2_000) == {:error, :closed}
        :ok = :gen_tcp.close(server)
      end
    end

    test "a closed scoped listener frees its port at once", ctx do
      :ok = :gen_tcp.close(ctx.listener)

      for _ <- 1..50 do
        {:ok, again} = TCP.listen(ctx.port, ip: "fe80::1%linkA")
        :ok = :gen_tcp.close(again)
      end
    end

    test "sockets close the same with the application stopped and started", ctx do
      sockets =
        for _ <- 1..20 do
          {:ok, s} = TCP.connect("fe80::1%linkA", ctx.port, [], 2_000)
          s
        end

      %{level: level} = :logger.get_primary_config()
      :ok = :logger.update_primary_config(%{level: :warning})
      on_exit(fn -> :logger.update_primary_config(%{level: level}) end)
      :ok = Application.stop(:scoped_ipv6)
      descriptors = Enum.map(sockets, &Descriptors.of/1)
      Enum.each(sockets, &:gen_tcp.close/1)
      refute Enum.any?(descriptors, &Descriptors.open?/1)
      {:ok, s} = TCP.connect("fe80::1%linkA", ctx.port, [], 2_000)
      {:ok, _} = Application.ensure_all_started(:scoped_ipv6)
      descriptor = Descriptors.of(s)
      :ok = :gen_tcp.close(s)
      refute Descriptors.open?(descriptor)
    end

    test "a timeout above 2^32 ms is waited, nothing leaked or left behind", ctx do
      # gen_tcp itself times out at once for 2^32 ms (its driver takes 32 bits).
      for timeout <- [0xFFFF_FFFF, 0x1_0000_0000, 0x1_FFFF_FFFF, 0x1_0000_0000_0000] do
        before = Descriptors.open()
        assert {:ok, s} = TCP.connect("fe80::1%linkA", ctx.port, [], timeout)
        {:ok, server} = :gen_tcp.accept(ctx.listener, 2_000)
        :ok = :gen_tcp.close(s)
        :ok = :gen_tcp.close(server)
        assert Descriptors.opened_since(before) == []
      end

      refute_received _
    end

    test "peername of a closed socket is an error, never another socket's", ctx do
      {:ok, s} = TCP.connect("fe80::1%linkA", ctx.port, [], 2_000)
      :ok = :gen_tcp.close(s)
      assert ScopedIPv6.peername(s) == {:error, :einval}
    end
  end

  # A directory for the test's files, removed when it ends.
  defp tmp_dir do
    dir = Path.join(System.tmp_dir!(), "scoped_ipv6_tls_#{System.unique_integer([:positive])}")
    File.mkdir_p!(dir)
    on_exit(fn -> File.rm_rf!(dir) end)
    dir
  end

  # A self-signed certificate and its key, made by OpenSSL: `{cert, key}`.
  defp self_signed do
    dir = tmp_dir()
    cert = Path.join(dir, "cert.pem")
    key = Path.join(dir, "key.pem")

    {_, 0} = System.cmd("openssl", ~w(req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=peer-a
                             -keyout #{key} -out #{cert}), stderr_to_stdout: true)

    {cert, key}
  end

  # Python's TLS echo in sip6-a on `port`, and OTP's ssl started.
  defp start_tls_echo(port) do
    {cert, key} = self_signed()
    Peer.start("sip6-a", "tls-echo", ["#{port}", cert, key])
    {:ok, _} = Application.ensure_all_started(:ssl)
  end

  test "TLS over a scoped connection, with OTP's ssl as the client" do
    start_tls_echo(7102)
    {:ok, tcp} = TCP.connect("fe80::2%linkA", 7102, [:binary, active: false], 2_000)
    {:ok, tls} = :ssl.connect(tcp, [verify: :verify_none, active: false], 5_000)
    :ok = :ssl.send(tls, "over TLS, on linkA")
    assert {:ok, "over TLS, on linkA"} = :ssl.recv(tls, 0, 5_000)
    :ok = :ssl.close(tls)
  end

  # README ("ssl"): an address has no host name to check, so the client
  # names the one the certificate carries.
  test "TLS with verify_peer: the certificate's name is checked, given as server_name_indication" do
    dir = tmp_dir()
    file = &Path.join(dir, &1)
    openssl = fn args -> {_, 0} = System.cmd("openssl", args, stderr_to_stdout: true) end
    self_signed = ~w(req -x509 -newkey rsa:2048 -nodes -days 1)

    # A CA, a certificate it signs for device.local, and a CA nobody used.
    openssl.(
      self_signed ++ ~w(-subj /CN=test-ca -keyout #{file.("ca.key")} -out #{file.("ca.pem")})
    )

    openssl.(
      self_signed ++
        ~w(-subj /CN=device.local -addext subjectAltName=DNS:device.local) ++
        ~w(-CA #{file.("ca.pem")} -CAkey #{file.("ca.key")}) ++
        ~w(-keyout #{file.("key.pem")} -out #{file.("cert.pem")})
    )

    openssl.(
      self_signed ++ ~w(-subj /CN=other-ca -keyout #{file.("other.key")} -out #{file.("other.pem")})
    )

    Peer.start("sip6-a", "tls-echo", ["7103", file.("cert.pem"), file.("key.pem")])
    {:ok, _} = Application.ensure_all_started(:ssl)

    tls = fn opts ->
      {:ok, tcp} = TCP.connect("fe80::2%linkA", 7103, [:binary, active: false], 2_000)
      # log_level: the refusals below are expected; ssl would log each.
      defaults = [
        verify: :verify_peer,
        cacertfile: file.("ca.pem"),
        active: false,
        log_level: :none
      ]

      opts = Keyword.merge(defaults, opts)

      case :ssl.connect(tcp, opts, 5_000) do
        {:ok, _} = ok -> ok
        {:error, _} = error -> :gen_tcp.close(tcp) && error
      end
    end

    {:ok, s} = tls.(server_name_indication: ~c"device.local")
    :ok = :ssl.send(s, "verified, on linkA")
    assert {:ok, "verified, on linkA"} = :ssl.recv(s, 0, 5_000)
    :ok = :ssl.close(s)

    # Another name, or none (OTP then checks the address, which the
    # certificate does not carry), or another CA: refused, each for its
    # reason.
    for {opts, reason} <- [
          {[server_name_indication: ~c"other.local"], "hostname_check_failed"},
          {[], "hostname_check_failed"},
          {[cacertfile: file.("other.pem")], "Unknown CA"}
        ] do
      assert {:error, {:tls_alert, {_alert, text}}} = tls.(opts)
      assert to_string(text) =~ reason, "#{inspect(opts)}: #{text}"
    end
  end

  # README ("Libraries that call gen_tcp"): gen_tcp's own `tcp_module`
  # option, so that code which only passes options through reaches a scope.
  describe "gen_tcp itself, with {tcp_module, scoped_ipv6_tcp_module}" do
    setup do
      Peer.start_names(7104)
    end

    defp gen_tcp_name(address, opts) do
      {:ok, socket} =
        :gen_tcp.connect(address, 7104, [tcp_module: :scoped_ipv6_tcp_module] ++ opts, 2_000)

      assert is_port(socket)
      {:ok, name} = :gen_tcp.recv(socket, 0, 2_000)
      {:ok, {peer, 7104}} = ScopedIPv6.peername(socket)
      :ok = :gen_tcp.close(socket)
      {name, peer}
    end

    test "gen_tcp:connect reaches peer A or B by the scope, in every address form" do
      a = index("linkA")
      b = index("linkB")
      opts = [:binary, active: false]
      assert gen_tcp_name(~c"fe80::2%linkA", opts) == {"peer-a", {@ll2, a}}
      assert gen_tcp_name("fe80::2%linkB", opts) == {"peer-b", {@ll2, b}}
      assert gen_tcp_name({@ll2, "linkA"}, opts) == {"peer-a", {@ll2, a}}
      assert gen_tcp_name({@ll2, b}, opts) == {"peer-b", {@ll2, b}}
      # gen_tcp/3 with OTP's sockaddr map goes through the module too.
      {:ok, socket} =
        :gen_tcp.connect(
          %{family: :inet6, addr: @ll2, port: 7104, scope_id: b},
          [tcp_module: :scoped_ipv6_tcp_module, mode: :binary, active: false],
          2_000
        )

      assert {:ok, "peer-b"} = :gen_tcp.recv(socket, 0, 2_000)
      :gen_tcp.close(socket)
      # An address without a scope is connected as gen_tcp would.
      assert gen_tcp_name({0xFD00, 0xA, 0, 0, 0, 0, 0, 2}, opts) ==
               {"peer-a", {0xFD00, 0xA, 0, 0, 0, 0, 0, 2}}
    end

    test "errors are the library's, and an option gen_tcp refuses exits with badarg as there" do
      connect = fn address, opts ->
        :gen_tcp.connect(address, 7104, [tcp_module: :scoped_ipv6_tcp_module] ++ opts, 2_000)
      end

      assert connect.(~c"fe80::2", []) == {:error, :scope_required}
      assert connect.(~c"fe80::2%nosuch0", []) == {:error, {:no_such_interface, ~c"nosuch0"}}
      assert connect.({@ll2, 999_999}, []) == {:error, {:no_such_interface, 999_999}}
      assert catch_exit(connect.(~c"fe80::2%linkA", active: :sometimes)) == :badarg
      assert catch_exit(:gen_tcp.connect({@ll2, 1}, 7104, [active: :sometimes], 2_000)) == :badarg

      assert catch_exit(:gen_tcp.listen(0, tcp_module: :scoped_ipv6_tcp_module, active: :sometimes)) ==
               :badarg

      assert :gen_tcp.listen(0, tcp_module: :scoped_ipv6_tcp_module, ip: "fe80::1%nosuch0") ==
               {:error, {:no_such_interface, "nosuch0"}}

      # README: gen_tcp's socket backend knows no tcp_module but OTP's own
      # three; with this one its code raises, and no socket is made.
      socket_backend = [inet_backend: :socket, tcp_module: :scoped_ipv6_tcp_module]

      raises? = fn call ->
        try do
          call.()
          false
        rescue
          _ -> true
        end
      end

      ports = length(Port.list())
      assert raises?.(fn -> :gen_tcp.listen(0, socket_backend) end)
      assert raises?.(fn -> :gen_tcp.connect(~c"fe80::2%linkA", 7104, socket_backend, 2_000) end)
      assert length(Port.list()) == ports
    end

    test "gen_tcp:listen binds one link's address, with the port in the options (as Ranch passes it)" do
      opts = [tcp_module: :scoped_ipv6_tcp_module, ip: "fe80::1%linkA", port: 7105]
      {:ok, listener} = :gen_tcp.listen(0, [:binary, active: false] ++ opts)
      assert ScopedIPv6.sockname(listener) == {:ok, {{@ll1, index("linkA")}, 7105}}

      server =
        Task.async(fn ->
          {:ok, socket} = :gen_tcp.accept(listener, 5_000)
          {:ok, _request} = :gen_tcp.recv(socket, 0, 5_000)
          :ok = :gen_tcp.send(socket, "HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok")
          :gen_tcp.close(socket)
        end)

      assert curl("sip6-a", "http://[fe80::1%25eth0]:7105/") == {"ok", 0}
      Task.await(server)
      :ok = :gen_tcp.close(listener)
    end

    # Cowboy's start_clear/3 always uses Ranch's own TCP transport: the
    # scope reaches it only through gen_tcp's options.
    @tag :cowboy
    test "a Cowboy listener on fe80::1%linkA through the module in socket_opts, fetched by curl" do
      {:ok, _} = Application.ensure_all_started(:cowboy)
      dispatch = :cowboy_router.compile([{:_, [{"/", ScopedIPv6.Test.CowboyHello, "on linkA"}]}])

      socket_opts = [tcp_module: :scoped_ipv6_tcp_module, ip: "fe80::1%linkA", port: 7107]

      {:ok, _} =
        :cowboy.start_clear(:scoped_ipv6_test, %{socket_opts: socket_opts}, %{
          env: %{dispatch: dispatch}
        })

      on_exit(fn -> :cowboy.stop_listener(:scoped_ipv6_test) end)

      assert curl("sip6-a", "http://[fe80::1%25eth0]:7107/") == {"on linkA", 0}
      # fe80::1 is this host's on linkB too, but the listener is linkA's.
      assert {refused, 7} = curl("sip6-b", "http://[fe80::1%25eth0]:7107/")
      assert refused =~ "Failed to connect"
    end

    test "ssl:listen on one link's address, reached by curl over TLS" do
      {cert, key} = self_signed()
      {:ok, _} = Application.ensure_all_started(:ssl)

      opts = [tcp_module: :scoped_ipv6_tcp_module, ip: "fe80::1%linkA", port: 7108]

      {:ok, listener} =
        :ssl.listen(0, opts ++ [certfile: cert, keyfile: key, mode: :binary, active: false])

      on_exit(fn -> :ssl.close(listener) end)
      assert {:ok, {@ll1, 7108}} = :ssl.sockname(listener)

      server =
        Task.async(fn ->
          {:ok, tls} = :ssl.transport_accept(listener, 5_000)
          {:ok, tls} = :ssl.handshake(tls, 5_000)
          {:ok, "GET / " <> _} = :ssl.recv(tls, 0, 5_000)
          :ok = :ssl.send(tls, "HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\ntls")
          :ssl.close(tls)
        end)

      assert curl("sip6-a", "https://[fe80::1%25eth0]:7108/", ["-k"]) == {"tls", 0}

      Task.await(server)
    end

    test "ssl:connect with a scoped address as its host" do
      start_tls_echo(7106)
      opts = [tcp_module: :scoped_ipv6_tcp_module, verify: :verify_none, active: false]
      {:ok, tls} = :ssl.connect(~c"fe80::2%linkA", 7106, [:binary | opts], 5_000)
      {:ok, {@ll2, 7106}} = :ssl.peername(tls)
      :ok = :ssl.send(tls, "through gen_tcp's tcp_module")
      assert {:ok, "through gen_tcp's tcp_module"} = :ssl.recv(tls, 0, 5_000)
      :ok = :ssl.close(tls)
    end
  end

  describe "UDP" do
    test "one wildcard socket talks to both peers at the same address" do
      Peer.start("sip6-a", "udp-echo", ["7200", "peer-a"])
      Peer.start("sip6-b", "udp-echo", ["7200", "peer-b"])
      {:ok, socket} = UDP.open(0, [:binary])

      for {link, name} <- [{"linkA", "peer-a"}, {"linkB", "peer-b"}] do
        :ok = UDP.send(socket, "fe80::2%#{link}", 7200, "hi")
        assert {:ok, {{_ip, scope}, 7200, reply}} = UDP.recv(socket, 0, 2_000)
        assert {scope, reply} == {index(link), "#{name}:hi"}
      end

      assert UDP.send(socket, @ll2, 7200, "x") == {:error, :scope_required}
      :ok = UDP.close(socket)
    end

    test "a server bound to :: answers two peers that share an address" do
      {:ok, server} = UDP.open(7201, [:binary, active: true])

      ask_a =
        Task.async(fn -> Peer.run("sip6-a", "udp-ask", ["fe80::1%eth0", "7201", "from-a"]) end)

      ask_b =
        Task.async(fn -> Peer.run("sip6-b", "udp-ask", ["fe80::1%eth0", "7201", "from-b"]) end)

      for _ <- 1..2 do
        assert_receive {:udp, ^server, {ip, scope}, port, message}, 5_000
        assert ip == @ll2 or elem(ip, 7) in [0xA, 0xB]
        :ok = UDP.send(server, {ip, scope}, port, "#{message} via #{ScopedIPv6.if_name!(scope)}")
      end

      assert "reply from-a via linkA" in Task.await(ask_a)
      assert "reply from-b via linkB" in Task.await(ask_b)
      :ok = UDP.close(server)
    end

    test "multicast to ff02::4242%linkA reaches only peer A" do
      a = Peer.start("sip6-a", "mcast-listen", ["ff02::4242", "7202", "eth0"])
      b = Peer.start("sip6-b", "mcast-listen", ["ff02::4242", "7202", "eth0"])
      {:ok, socket} = UDP.open(0, [:binary, multicast_hops: 1])
      :ok = UDP.send(socket, "ff02::4242%linkA", 7202, "to-a")
      assert "got to-a from " <> _ = Peer.next_line(a, 2_000)
      assert Peer.next_line(b, 500) == :timeout
      :ok = UDP.send(socket, "ff02::4242%linkB", 7202, "to-b")
      assert "got to-b from " <> _ = Peer.next_line(b, 2_000)
      assert Peer.next_line(a, 500) == :timeout
    end

    test "join_group really joins, and leave_group leaves" do
      group = {0xFF02, 0, 0, 0, 0, 0, 0, 0x4343}
      {:ok, socket} = UDP.open(7203, [:binary])
      refute joined?("linkA", "ff020000000000000000000000004343")
      :ok = UDP.join_group(socket, group, "linkA")
      # The kernel's own view: this host is now a member on linkA.
      assert joined?("linkA", "ff020000000000000000000000004343")
      ["sent"] = Peer.run("sip6-a", "mcast-send", ["ff02::4343", "7203", "eth0", "joined"])
      assert {:ok, {{_, scope}, _, "joined"}} = UDP.recv(socket, 0, 2_000)
      assert scope == index("linkA")
      :ok = UDP.leave_group(socket, group, "linkA")
      refute joined?("linkA", "ff020000000000000000000000004343")
      :ok = UDP.close(socket)
    end

    test "gen_udp's add_membership and drop_membership options join and leave" do
      group = {0xFF02, 0, 0, 0, 0, 0, 0, 0x4545}
      {:ok, socket} = UDP.open(7206, [:binary, add_membership: {group, "linkA"}])
      assert joined?("linkA", "ff020000000000000000000000004545")
      ["sent"] = Peer.run("sip6-a", "mcast-send", ["ff02::4545", "7206", "eth0", "joined"])
      assert {:ok, {{_, scope}, _, "joined"}} = UDP.recv(socket, 0, 2_000)
      assert scope == index("linkA")
      :ok = UDP.setopts(socket, drop_membership: {group, index("linkA")})
      refute joined?("linkA", "ff020000000000000000000000004545")
      :ok = UDP.close(socket)
    end
  end

  test "peername and sockname keep the scope on a plain gen_udp port too" do
    a = index("linkA")
    ifaddr = %{family: :inet6, addr: @ll1, port: 0, scope_id: a}
    {:ok, port} = :gen_udp.open(0, [:inet6, :binary, ifaddr: ifaddr])
    assert {:ok, {@ll1, _}} = :inet.sockname(port)
    assert {:ok, {{@ll1, ^a}, _}} = ScopedIPv6.sockname(port)
    :ok = :gen_udp.connect(port, %{family: :inet6, addr: @ll2, port: 9, scope_id: a})
    assert {:ok, {{@ll2, ^a}, 9}} = ScopedIPv6.peername(port)
    :gen_udp.close(port)
  end

  test "UDP bound to a scoped address, with an egress interface for multicast" do
    Peer.start("sip6-b", "udp-echo", ["7204", "peer-b"])
    {:ok, socket} = UDP.open(0, [:binary, ip: "fe80::1%linkB"])
    b = index("linkB")
    assert {:ok, {{@ll1, ^b}, _}} = UDP.sockname(socket)
    :ok = UDP.send(socket, "fe80::2%linkB", 7204, "bound")
    assert {:ok, {{_, ^b}, 7204, "peer-b:bound"}} = UDP.recv(socket, 0, 2_000)

    listener = Peer.start("sip6-b", "mcast-listen", ["ff02::4444", "7205", "eth0"])
    {:ok, sender} = UDP.open(0, [:binary, multicast_if: "linkB", multicast_loop: false])
    # The scope 0 group address goes out of the interface multicast_if names.
    :ok =
      :socket.sendto(UDP.socket(sender), "via-if", %{
        family: :inet6,
        addr: {0xFF02, 0, 0, 0, 0, 0, 0, 0x4444},
        port: 7205
      })

    assert "got via-if from " <> _ = Peer.next_line(listener, 2_000)
    :ok = UDP.close(sender)
    :ok = UDP.close(socket)
  end

  defp wait_until(fun, tries \\ 100) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("condition not reached")
      true -> Process.sleep(10) && wait_until(fun, tries - 1)
    end
  end

  defp joined?(link, group_hex) do
    File.read!("/proc/net/igmp6")
    |> String.split("\n", trim: true)
    |> Enum.any?(&match?([_, ^link, ^group_hex | _], String.split(&1)))
  end

  # IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26 on Linux: read back through the port.
  defp ipv6_v6only(socket) do
    case :inet.getopts(socket, [{:raw, 41, 26, 4}]) do
      {:ok, [{:raw, 41, 26, <<value::native-32>>}]} -> {:ok, value == 1}
      other -> other
    end
  end
end
