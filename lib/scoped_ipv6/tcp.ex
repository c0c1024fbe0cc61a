defmodule ScopedIPv6.TCP do
  @moduledoc """
  TCP to and from scoped IPv6 addresses, on ordinary `:gen_tcp` sockets.

  `connect/4` and `listen/2` take every address form of `ScopedIPv6`:
  `{ip6, "eth0"}`, `{ip6, 3}`, plain tuples, text such as `"fe80::1%eth0"`,
  as the destination and in `ip:`/`ifaddr:`, and host names as the
  destination. The scope is resolved here and handed to `:gen_tcp` in
  OTP's own sockaddr form, so the socket is the one `:gen_tcp` makes with
  the same options: `:gen_tcp`, `:inet`, `:ssl.connect/3` work on it, and
  `:gen_tcp.close/1` closes it at once. `connect/2,3` take OTP's sockaddr
  map too, as `:gen_tcp.connect/2,3` do (`scope_id` the scope).

      iex> {:ok, listener} = ScopedIPv6.TCP.listen(0, ip: "::1", active: false)
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(listener)
      iex> {:ok, client} = ScopedIPv6.TCP.connect("::1", port, [:binary])
      iex> {:ok, server} = ScopedIPv6.TCP.accept(listener, 1000)
      iex> :ok = ScopedIPv6.TCP.send(client, "hello")
      iex> ScopedIPv6.TCP.recv(server, 5, 1000)
      {:ok, ~c"hello"}

  ## Options

  Those of `:gen_tcp`, with its meaning and its defaults (so `active: true`
  unless you say otherwise, and IPv4 for a listener given no address or
  family). `ip:` and `ifaddr:` also take scoped addresses and text. Two
  options gen_tcp lacks, on Linux, for TCP and UDP alike: `mark:` (SO_MARK,
  needs CAP_NET_ADMIN) and `bind_to_ifindex:` (SO_BINDTOIFINDEX). With
  `inet_backend: :socket` (OTP's socket backend, which drops scope ids), a
  scope becomes `bind_to_device:` its interface, which Linux accepts for
  link-local addresses.

  ## A transport module

  The module has the `:gen_tcp`-shaped calls a transport needs (`send/2`,
  `recv/3`, `controlling_process/2`, `close/1`, `shutdown/2`, `setopts/2`,
  `getopts/2`, and `peername/1`/`sockname/1` with the scope), and so has its
  Erlang side, `:scoped_ipv6_tcp`, which OTP's ssh takes as
  `transport: {:tcp, :scoped_ipv6_tcp, :tcp_closed}`.

  ## Through `:gen_tcp` itself

  For code that calls `:gen_tcp` and only passes your options through (a
  Cowboy listener's `socket_opts`, `:httpc`'s `socket_opts`, `:ssl.connect/4`),
  add `tcp_module: :scoped_ipv6_tcp_module`, first in the list (before OTP
  29 a family atom before it wins): `:gen_tcp` then takes scoped addresses
  and names itself.

      {:ok, socket} =
        :gen_tcp.connect(~c"fe80::2%usb0", 8080, [tcp_module: :scoped_ipv6_tcp_module], 5000)

      :cowboy.start_clear(:http, %{socket_opts: [tcp_module: :scoped_ipv6_tcp_module,
                                                 ip: "fe80::1%usb0", port: 8080]}, proto_opts)

  ## Errors

  As in `ScopedIPv6`: `{:error, :scope_required}` for a link-local address
  without a scope (OTP exits with `:badarg` there), `{:error, :timeout}`,
  `{:error, {:no_such_interface, name}}`, for a host name `:nxdomain`,
  `:try_again`, `:no_recovery` or `:system_limit`, and `:inet.posix()`
  atoms. A wrong argument type, or an option `:gen_tcp` refuses, raises
  `ArgumentError`. The `!` variants raise `ScopedIPv6.Error`.
  """

  @typedoc "Where to connect: any address form, address text, or a host name."
  @type destination :: ScopedIPv6.address() | String.t() | charlist() | atom()

  @typedoc "OTP's sockaddr map, as `:gen_tcp.connect/2,3` take it; `scope_id` the scope."
  @type sockaddr :: :socket.sockaddr_in() | :socket.sockaddr_in6()

  @doc """
  Connects to `address` and `port` within `timeout` milliseconds, name
  lookup included. Scope names are looked up at each call.

  `connect/2,3` also take OTP's sockaddr map, as `:gen_tcp.connect/2,3` do.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:inet6, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, _socket} = ScopedIPv6.TCP.connect("::1", port, [active: false], 1000)
      iex> ScopedIPv6.TCP.connect("fe80::1", port, [], 1000)
      {:error, :scope_required}
      iex> ScopedIPv6.TCP.connect("fe80::1%nosuch0", port, [], 1000)
      {:error, {:no_such_interface, "nosuch0"}}
  """
  @spec connect(destination(), :inet.port_number(), keyword() | list(), timeout()) ::
          {:ok, :gen_tcp.socket()} | {:error, ScopedIPv6.reason()}
  def connect(address, port, opts, timeout),
    do: :scoped_ipv6_tcp.connect(address, port, opts, timeout)

  @doc """
  `connect(address, port, opts)` is `connect/4` without a time limit.
  `connect(sockaddr, opts, timeout)` connects to OTP's sockaddr map, as
  `:gen_tcp.connect/3` takes it: its `scope_id` is the scope, and a
  link-local `addr` without one is `{:error, :scope_required}`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:inet6, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, _socket} = ScopedIPv6.TCP.connect("::1", port, active: false)
      iex> sockaddr = %{family: :inet6, addr: {0, 0, 0, 0, 0, 0, 0, 1}, port: port}
      iex> {:ok, _socket} = ScopedIPv6.TCP.connect(sockaddr, [active: false], 1000)
      iex> ScopedIPv6.TCP.connect(%{sockaddr | addr: {0xFE80, 0, 0, 0, 0, 0, 0, 1}}, [], 1000)
      {:error, :scope_required}
  """
  @spec connect(destination(), :inet.port_number(), keyword() | list()) ::
          {:ok, :gen_tcp.socket()} | {:error, ScopedIPv6.reason()}
  @spec connect(sockaddr(), keyword() | list(), timeout()) ::
          {:ok, :gen_tcp.socket()} | {:error, ScopedIPv6.reason()}
  def connect(address_or_sockaddr, port_or_opts, opts_or_timeout),
    do: :scoped_ipv6_tcp.connect(address_or_sockaddr, port_or_opts, opts_or_timeout)

  @doc """
  `connect(address, port)` is `connect/4` without options or a time limit.
  `connect(sockaddr, opts)` connects to OTP's sockaddr map without a time
  limit, as `:gen_tcp.connect/2` does (see `connect/3`).

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:inet6, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, _socket} = ScopedIPv6.TCP.connect("::1", port)
      iex> sockaddr = %{family: :inet6, addr: {0, 0, 0, 0, 0, 0, 0, 1}, port: port}
      iex> {:ok, _socket} = ScopedIPv6.TCP.connect(sockaddr, active: false)
      iex> ScopedIPv6.TCP.connect(%{sockaddr | addr: {0xFE80, 0, 0, 0, 0, 0, 0, 1}}, [])
      {:error, :scope_required}
  """
  @spec connect(destination(), :inet.port_number()) ::
          {:ok, :gen_tcp.socket()} | {:error, ScopedIPv6.reason()}
  @spec connect(sockaddr(), keyword() | list()) ::
          {:ok, :gen_tcp.socket()} | {:error, ScopedIPv6.reason()}
  def connect(sockaddr, opts) when is_map(sockaddr), do: :scoped_ipv6_tcp.connect(sockaddr, opts)
  def connect(address, port), do: :scoped_ipv6_tcp.connect(address, port, [])

  @doc """
  As `connect/4` (and `connect/2,3` with a sockaddr map), but returns the
  socket or raises `ScopedIPv6.Error`.

      iex> ScopedIPv6.TCP.connect!("fe80::1", 80, [], 1000)
      ** (ScopedIPv6.Error) a link-local address needs a scope, e.g. fe80::1%eth0
  """
  @spec connect!(destination(), :inet.port_number(), keyword() | list(), timeout()) ::
          :gen_tcp.socket()
  def connect!(address, port, opts, timeout), do: unwrap!(connect(address, port, opts, timeout))

  @spec connect!(destination(), :inet.port_number(), keyword() | list()) :: :gen_tcp.socket()
  @spec connect!(sockaddr(), keyword() | list(), timeout()) :: :gen_tcp.socket()
  def connect!(address_or_sockaddr, port_or_opts, opts_or_timeout),
    do: unwrap!(connect(address_or_sockaddr, port_or_opts, opts_or_timeout))

  @spec connect!(destination(), :inet.port_number()) :: :gen_tcp.socket()
  @spec connect!(sockaddr(), keyword() | list()) :: :gen_tcp.socket()
  def connect!(address_or_sockaddr, port_or_opts),
    do: unwrap!(connect(address_or_sockaddr, port_or_opts))

  @doc """
  A listening socket, as `:gen_tcp.listen/2` makes it; `ip:` may be scoped
  (`"fe80::1%eth0"`: that link only). `accept/2` works on it, and
  `peername/1` gives each accepted peer with its scope.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:inet6, ip: {0, 0, 0, 0, 0, 0, 0, 1}])
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, port}} = ScopedIPv6.TCP.sockname(l)
      iex> port > 0
      true
      iex> ScopedIPv6.TCP.listen(0, ip: "fe80::1%nosuch0")
      {:error, {:no_such_interface, "nosuch0"}}
  """
  @spec listen(:inet.port_number(), keyword() | list()) ::
          {:ok, :gen_tcp.socket()} | {:error, ScopedIPv6.reason()}
  def listen(port, opts \\ []), do: :scoped_ipv6_tcp.listen(port, opts)

  @doc """
  As `listen/2`, but returns the socket or raises `ScopedIPv6.Error`.

      iex> ScopedIPv6.TCP.listen!(0, ip: "fe80::1")
      ** (ScopedIPv6.Error) a link-local address needs a scope, e.g. fe80::1%eth0
  """
  @spec listen!(:inet.port_number(), keyword() | list()) :: :gen_tcp.socket()
  def listen!(port, opts \\ []), do: unwrap!(listen(port, opts))

  @doc """
  Same as `:gen_tcp.accept/2`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, _client} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, s} = ScopedIPv6.TCP.accept(l, 1000)
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _}} = ScopedIPv6.TCP.peername(s)
      iex> ScopedIPv6.TCP.accept(l, 0)
      {:error, :timeout}
  """
  @spec accept(:gen_tcp.socket(), timeout()) :: {:ok, :gen_tcp.socket()} | {:error, term()}
  def accept(listen_socket, timeout \\ :infinity), do: :gen_tcp.accept(listen_socket, timeout)

  @doc """
  Same as `:gen_tcp.send/2`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, c} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, _server} = ScopedIPv6.TCP.accept(l, 1000)
      iex> ScopedIPv6.TCP.send(c, "hi")
      :ok
  """
  @spec send(:gen_tcp.socket(), iodata()) :: :ok | {:error, term()}
  def send(socket, data), do: :gen_tcp.send(socket, data)

  @doc """
  Same as `:gen_tcp.recv/3`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, c} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, s} = ScopedIPv6.TCP.accept(l, 1000)
      iex> :ok = ScopedIPv6.TCP.send(c, "hi")
      iex> ScopedIPv6.TCP.recv(s, 2, 1000)
      {:ok, "hi"}
  """
  @spec recv(:gen_tcp.socket(), non_neg_integer(), timeout()) ::
          {:ok, binary() | charlist()} | {:error, term()}
  def recv(socket, length, timeout \\ :infinity), do: :gen_tcp.recv(socket, length, timeout)

  @doc """
  Same as `:gen_tcp.controlling_process/2`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, _client} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, s} = ScopedIPv6.TCP.accept(l, 1000)
      iex> :ok = ScopedIPv6.TCP.controlling_process(s, spawn(fn -> Process.sleep(:infinity) end))
      iex> ScopedIPv6.TCP.controlling_process(s, self())
      {:error, :not_owner}
  """
  @spec controlling_process(:gen_tcp.socket(), pid()) :: :ok | {:error, term()}
  def controlling_process(socket, pid), do: :gen_tcp.controlling_process(socket, pid)

  @doc """
  Same as `:gen_tcp.close/1`: the socket is closed when it returns.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, c} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, s} = ScopedIPv6.TCP.accept(l, 1000)
      iex> :ok = ScopedIPv6.TCP.close(s)
      iex> ScopedIPv6.TCP.recv(c, 0, 1000)
      {:error, :closed}
  """
  @spec close(:gen_tcp.socket()) :: :ok
  def close(socket), do: :gen_tcp.close(socket)

  @doc """
  Same as `:gen_tcp.shutdown/2`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, c} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, s} = ScopedIPv6.TCP.accept(l, 1000)
      iex> :ok = ScopedIPv6.TCP.shutdown(c, :write)
      iex> ScopedIPv6.TCP.recv(s, 0, 1000)
      {:error, :closed}
  """
  @spec shutdown(:gen_tcp.socket(), :read | :write | :read_write) :: :ok | {:error, term()}
  def shutdown(socket, how), do: :gen_tcp.shutdown(socket, how)

  @doc """
  Same as `:inet.setopts/2`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, c} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, s} = ScopedIPv6.TCP.accept(l, 1000)
      iex> :ok = ScopedIPv6.TCP.setopts(s, active: :once)
      iex> :ok = ScopedIPv6.TCP.send(c, "hi")
      iex> receive do {:tcp, ^s, data} -> data end
      "hi"
  """
  @spec setopts(:gen_tcp.socket(), keyword() | list()) :: :ok | {:error, term()}
  def setopts(socket, opts), do: :inet.setopts(socket, opts)

  @doc """
  Same as `:inet.getopts/2`.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, _client} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, s} = ScopedIPv6.TCP.accept(l, 1000)
      iex> ScopedIPv6.TCP.getopts(s, [:active])
      {:ok, [active: false]}
  """
  @spec getopts(:gen_tcp.socket(), list()) :: {:ok, list()} | {:error, term()}
  def getopts(socket, opts), do: :inet.getopts(socket, opts)

  @doc """
  The peer's address and port, scoped when it needs a scope (see `ScopedIPv6.peername/1`).

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:binary, :inet6, ip: "::1", active: false])
      iex> {:ok, {_, port}} = ScopedIPv6.TCP.sockname(l)
      iex> {:ok, c} = ScopedIPv6.TCP.connect("::1", port, [:binary, active: false], 1000)
      iex> {:ok, _server} = ScopedIPv6.TCP.accept(l, 1000)
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, ^port}} = ScopedIPv6.TCP.peername(c)
      iex> ScopedIPv6.TCP.peername(l)
      {:error, :enotconn}
  """
  @spec peername(:gen_tcp.socket()) ::
          {:ok, {ScopedIPv6.address(), :inet.port_number()}} | {:error, term()}
  def peername(socket), do: :scoped_ipv6_tcp.peername(socket)

  @doc """
  The local address and port, scoped when it needs a scope.

      iex> {:ok, l} = ScopedIPv6.TCP.listen(0, [:inet6, ip: "::1"])
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, port}} = ScopedIPv6.TCP.sockname(l)
      iex> port > 0
      true
  """
  @spec sockname(:gen_tcp.socket()) ::
          {:ok, {ScopedIPv6.address(), :inet.port_number()}} | {:error, term()}
  def sockname(socket), do: :scoped_ipv6_tcp.sockname(socket)

  defp unwrap!({:ok, socket}), do: socket
  defp unwrap!({:error, reason}), do: raise(ScopedIPv6.Error, reason: reason)
end
