defmodule ScopedIPv6.UDP do
  @moduledoc """
  UDP with scoped IPv6 addresses: send to `fe80::2%eth0`, and learn the scope
  of every sender.

  A `:gen_udp` port cannot do this: the inet driver drops the sender's scope
  on receive, so a server bound to `::` could not tell link-local peers on
  two links apart, nor answer them, and OTP 25's IPv6 `add_membership` is
  broken. This module runs on OTP's `:socket`, which keeps `scope_id` and
  waits in the VM's poll set, and offers the `:gen_udp`-shaped API:
  `send/2,3,4`, `connect/3`, `recv/3`, active mode (`{:udp, socket, address, port, data}` with the
  scoped address), `controlling_process/2`, `close/1`, and multicast.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, b} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.UDP.sockname(b)
      iex> :ok = ScopedIPv6.UDP.send(a, "::1", port, "ping")
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _from_port, "ping"}} = ScopedIPv6.UDP.recv(b, 0, 1000)
      iex> ScopedIPv6.UDP.close(a)
      :ok

  ## Options

  `:binary` or `:list`, `active:` (`true`, `false`, `:once`, or a count),
  `ip:`/`ifaddr:`, `reuseaddr:`, `reuseport:`, `ipv6_v6only:` (set on every
  IPv6 socket, `true` unless you say otherwise), `recbuf:`,
  `sndbuf:`, `bind_to_device:`, `broadcast:`, `dontroute:`, `priority:`,
  `multicast_if:` (an interface index or name), `multicast_hops:`,
  `multicast_loop:`, `tclass:`, `buffer:` (the largest datagram received,
  `1..65535`, default 65,535: datagrams arrive whole; a longer one is
  `{:error, :emsgsize}`, or `{:udp_error, socket, :emsgsize}` in active
  mode, never cut silently), gen_udp's IPv4 `ttl:`, `tos:` and
  `multicast_ttl:`, and on Linux `mark:` (SO_MARK) and `bind_to_ifindex:`
  (SO_BINDTOIFINDEX). On an IPv4 socket the IPv6 names set their IPv4
  counterparts (`unicast_hops:` the TTL, `multicast_hops:` the multicast
  TTL, `tclass:` the TOS byte), and `multicast_if:` names the interface by
  its index there too (Linux).

  Groups are joined at open, or joined and left by `setopts/2`, with
  gen_udp's `add_membership: {group, interface}` and
  `drop_membership: {group, interface}`, where `interface` is an interface
  name or index (0 lets the kernel choose), as in `join_group/3` and
  `leave_group/3`. gen_udp's IPv4 forms work as in gen_udp:
  `{group, local_address | :any}`, `{group, local_address | :any, index}`,
  and `multicast_if: local_address`.

  ## Arrival information, the hop-limit guard (RFC 3542, RFC 5082)

  On IPv6 sockets (RFC 3542), and on IPv4 ones from Linux's IP_PKTINFO,
  IP_TTL and IP_TOS (there `:hoplimit` is the TTL and `:tclass` the TOS
  byte; a `:pktinfo` source names its interface beside the address,
  `{{10, 0, 0, 1}, "eth0"}`, since IPv4 addresses take no zone):

    * `recvpktinfo: true`, `recvhoplimit: true`, `recvtclass: true` - each
      datagram carries an `anc_data` list, as `:gen_udp`'s does with
      `recvtclass`: `recv/3` answers `{:ok, {address, port, anc_data, data}}`
      and active messages are `{:udp, socket, address, port, anc_data, data}`.
      `anc_data` holds, in this order and each only when asked for,
      `{:pktinfo, {destination, ifindex}}` (the address the datagram was sent
      to, scoped by the arrival interface when it needs a scope, and the
      index of the interface it arrived on), `{:hoplimit, 0..255}` and
      `{:tclass, 0..255}`. Without these options the shapes stay
      `{:ok, {address, port, data}}` and `{:udp, socket, address, port, data}`.
    * `recvttl: true`, `recvtos: true` - gen_udp's IPv4 names, on either
      family: `{:ttl, n}` (the value of `:hoplimit`) and `{:tos, n}` (of
      `:tclass`), after the items above, in gen_udp's order.
    * `min_hoplimit: n` (`0..255`, 0 = off) - datagrams that arrived with a
      lower hop limit are dropped before anyone sees them, and counted in
      `getstat/1`; link-local protocols set 255, which only a sender on the
      same link can achieve.
    * `unicast_hops: n` (`0..255` or `:default`) - the hop limit of unicast
      datagrams sent (IPv6 sockets).

  Any other option, or a bad value, raises `ArgumentError` at `open/2`, as
  `:gen_udp.open/2` does (the message names the option), and is
  `{:error, :einval}` from `setopts/2`. gen_udp's options for its port
  (`read_packets`, `high_msgq_watermark`, `low_msgq_watermark`, `header`,
  `deliver`, `fd`) and `netns` are not taken.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, b} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1", recvpktinfo: true, recvhoplimit: true])
      iex> {:ok, {_, port}} = ScopedIPv6.UDP.sockname(b)
      iex> :ok = ScopedIPv6.UDP.send(a, "::1", port, [hoplimit: 7], "ping")
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _from_port, anc_data, "ping"}} = ScopedIPv6.UDP.recv(b, 0, 1000)
      iex> anc_data
      [pktinfo: {{0, 0, 0, 0, 0, 0, 0, 1}, 1}, hoplimit: 7]
  """

  @typedoc "A scoped UDP socket."
  @type socket :: :scoped_ipv6_udp.socket()

  @typedoc "Sender address, scoped when it needs a scope."
  @type datagram :: {ScopedIPv6.address(), :inet.port_number(), binary() | charlist()}

  @typedoc "A datagram with the arrival information asked for (see the module doc)."
  @type datagram_with_anc_data ::
          {ScopedIPv6.address(), :inet.port_number(), :scoped_ipv6_udp.anc_data(),
           binary() | charlist()}

  @doc """
  Opens a socket bound to `port`; see the options above.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> :ok = ScopedIPv6.UDP.close(s)
      iex> ScopedIPv6.UDP.open(0, ip: "fe80::1")
      {:error, :scope_required}
  """
  @spec open(:inet.port_number(), keyword() | list()) ::
          {:ok, socket()} | {:error, ScopedIPv6.reason()}
  def open(port, opts \\ []), do: :scoped_ipv6_udp.open(port, opts)

  @doc """
  As `open/2`, but returns the socket or raises `ScopedIPv6.Error`.

      iex> ScopedIPv6.UDP.open!(0, ip: "fe80::1")
      ** (ScopedIPv6.Error) a link-local address needs a scope, e.g. fe80::1%eth0
  """
  @spec open!(:inet.port_number(), keyword() | list()) :: socket()
  def open!(port, opts \\ []) do
    case open(port, opts) do
      {:ok, socket} -> socket
      {:error, reason} -> raise ScopedIPv6.Error, reason: reason
    end
  end

  @doc """
  Connects the socket to `address` and `port`, as `:gen_udp.connect/3`:
  `send/2` then sends there, only that peer's datagrams are received, and
  an ICMP "port unreachable" from it is `{:error, :econnrefused}` to a later
  `recv/3` (`{:udp_error, socket, :econnrefused}` in active mode, which
  stays on). A link-local address needs a scope.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, b} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.UDP.sockname(b)
      iex> :ok = ScopedIPv6.UDP.connect(a, "::1", port)
      iex> :ok = ScopedIPv6.UDP.send(a, "ping")
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _from_port, "ping"}} = ScopedIPv6.UDP.recv(b, 0, 1000)
      iex> ScopedIPv6.UDP.connect(a, "fe80::1", port)
      {:error, :scope_required}
  """
  @spec connect(socket(), ScopedIPv6.address() | String.t(), :inet.port_number()) ::
          :ok | {:error, ScopedIPv6.reason()}
  defdelegate connect(socket, address, port), to: :scoped_ipv6_udp

  @doc """
  Sends `data` to the peer of a connected socket (`connect/3`), as
  `:gen_udp.send/2`; `{:error, :edestaddrreq}` on one not connected.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> ScopedIPv6.UDP.send(a, "ping")
      {:error, :edestaddrreq}
  """
  @spec send(socket(), iodata()) :: :ok | {:error, ScopedIPv6.reason()}
  defdelegate send(socket, data), to: :scoped_ipv6_udp

  @doc """
  Sends `data` to `{address, port}` or to OTP's sockaddr map (its
  `scope_id` the scope), as `:gen_udp.send/3` takes a destination.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, b} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.UDP.sockname(b)
      iex> :ok = ScopedIPv6.UDP.send(a, {"::1", port}, "tuple")
      iex> :ok = ScopedIPv6.UDP.send(a, %{family: :inet6, addr: {0, 0, 0, 0, 0, 0, 0, 1}, port: port}, "map")
      iex> {:ok, {_, _, "tuple"}} = ScopedIPv6.UDP.recv(b, 0, 1000)
      iex> {:ok, {_, _, "map"}} = ScopedIPv6.UDP.recv(b, 0, 1000)
      iex> ScopedIPv6.UDP.send(a, %{family: :inet6, addr: {0xFE80, 0, 0, 0, 0, 0, 0, 1}, port: port}, "x")
      {:error, :scope_required}
  """
  @spec send(
          socket(),
          {ScopedIPv6.address() | String.t(), :inet.port_number()}
          | :socket.sockaddr_in()
          | :socket.sockaddr_in6(),
          iodata()
        ) :: :ok | {:error, ScopedIPv6.reason()}
  defdelegate send(socket, destination, data), to: :scoped_ipv6_udp

  @doc """
  The values of options, as `:inet.getopts/2` gives a `:gen_udp` socket's:
  every option `open/2` and `setopts/2` take except the addresses, the port
  and group memberships, read from the kernel (the IPv6 names reading their
  IPv4 counterparts on an IPv4 socket) or from the socket's own state;
  `{:error, :einval}` for any other.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1", active: :once, multicast_hops: 7])
      iex> ScopedIPv6.UDP.getopts(s, [:active, :mode, :multicast_hops])
      {:ok, [active: :once, mode: :binary, multicast_hops: 7]}
      iex> ScopedIPv6.UDP.getopts(s, [:add_membership])
      {:error, :einval}
  """
  @spec getopts(socket(), [atom()]) :: {:ok, keyword()} | {:error, term()}
  defdelegate getopts(socket, names), to: :scoped_ipv6_udp

  @doc """
  Sends `data` to `address` and `port`; a link-local address needs a scope.
  As with `:gen_udp`, the destination is of the socket's family: a host
  name is looked up in it, and an address of the other family is
  `{:error, :eafnosupport}`.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, b} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.UDP.sockname(b)
      iex> :ok = ScopedIPv6.UDP.send(a, "::1", port, ["pi", "ng"])
      iex> ScopedIPv6.UDP.send(a, "fe80::1", port, "ping")
      {:error, :scope_required}
      iex> ScopedIPv6.UDP.send(a, {127, 0, 0, 1}, port, "ping")
      {:error, :eafnosupport}
  """
  @spec send(socket(), ScopedIPv6.address() | String.t(), :inet.port_number(), iodata()) ::
          :ok | {:error, ScopedIPv6.reason()}
  def send(socket, address, port, data), do: :scoped_ipv6_udp.send(socket, address, port, data)

  @doc """
  Sends one datagram with ancillary data for it alone (`:gen_udp.send/5`'s
  order of arguments; `[]` sends as `send/4`):

    * `pktinfo: source` - the source address and interface: a scoped
      `source` (`"fe80::1%eth0"`, `{ip6, scope}`) leaves from that interface
      with that address, the unspecified address with a scope
      (`{{0, 0, 0, 0, 0, 0, 0, 0}, "eth0"}`) chooses only the interface, a
      global address only the address. A link-local source without a scope
      is `{:error, :scope_required}`; Linux refuses a source address that is
      not this host's with `{:error, :einval}`.
    * `hoplimit: 0..255` - the hop limit of this datagram.
    * `tclass: 0..255` - its traffic class.

  Another item, or `anc_data` that is not a list, raises `ArgumentError`.

      iex> {:ok, u} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> ScopedIPv6.UDP.send(u, "::1", 9, [pktinfo: "fe80::1"], "hi")
      {:error, :scope_required}
      iex> ScopedIPv6.UDP.send(u, "::1", 9, [pktinfo: "::1", hoplimit: 255], "hi")
      :ok
  """
  @spec send(socket(), ScopedIPv6.address() | String.t(), :inet.port_number(), list(), iodata()) ::
          :ok | {:error, ScopedIPv6.reason()}
  def send(socket, address, port, anc_data, data),
    do: :scoped_ipv6_udp.send(socket, address, port, anc_data, data)

  @doc """
  Counters of the socket: `hoplimit_dropped`, the datagrams the hop-limit
  guard (`min_hoplimit:`) dropped since the socket opened.

      iex> {:ok, u} = ScopedIPv6.UDP.open(0, min_hoplimit: 255)
      iex> ScopedIPv6.UDP.getstat(u)
      {:ok, [hoplimit_dropped: 0]}
  """
  @spec getstat(socket()) :: {:ok, [{:hoplimit_dropped, non_neg_integer()}]}
  defdelegate getstat(socket), to: :scoped_ipv6_udp

  @doc """
  Receives one whole datagram in passive mode, with its sender's scope.
  `length` (`0..0xFFFFFFFF`) is ignored, as `:gen_udp` ignores it; `timeout`
  may be any non-negative integer or `:infinity`. With arrival information
  asked for, `{:ok, {address, port, anc_data, data}}` (see above); datagrams
  the hop-limit guard drops are skipped within the same `timeout`.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, b} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.UDP.sockname(b)
      iex> ScopedIPv6.UDP.recv(b, 0, 10)
      {:error, :timeout}
      iex> :ok = ScopedIPv6.UDP.send(a, "::1", port, "ping")
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _from_port, "ping"}} = ScopedIPv6.UDP.recv(b, 0, 1000)
  """
  @spec recv(socket(), non_neg_integer(), timeout()) ::
          {:ok, datagram() | datagram_with_anc_data()} | {:error, term()}
  def recv(socket, length, timeout \\ :infinity),
    do: :scoped_ipv6_udp.recv(socket, length, timeout)

  @doc """
  Sets `active:`, `:binary`/`:list`, `buffer:`, the multicast options,
  `recvpktinfo:`, `recvhoplimit:`, `recvtclass:`, `recvttl:`, `recvtos:`,
  `min_hoplimit:`,
  `unicast_hops:`, `tclass:`, `broadcast:`, `dontroute:`, `priority:`,
  `ttl:`, `tos:` and `multicast_ttl:`; `{:error, :einval}` for anything
  else, with nothing set.

      iex> {:ok, a} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, b} = ScopedIPv6.UDP.open(0, [:binary, ip: "::1"])
      iex> {:ok, {_, port}} = ScopedIPv6.UDP.sockname(b)
      iex> :ok = ScopedIPv6.UDP.setopts(b, active: :once)
      iex> :ok = ScopedIPv6.UDP.send(a, "::1", port, "ping")
      iex> receive do {:udp, ^b, {0, 0, 0, 0, 0, 0, 0, 1}, _, data} -> data end
      "ping"
  """
  @spec setopts(socket(), keyword() | list()) :: :ok | {:error, term()}
  defdelegate setopts(socket, opts), to: :scoped_ipv6_udp

  @doc """
  Hands the socket to `pid`; only the current controlling process may.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> pid = spawn(fn -> Process.sleep(:infinity) end)
      iex> :ok = ScopedIPv6.UDP.controlling_process(s, pid)
      iex> ScopedIPv6.UDP.controlling_process(s, self())
      {:error, :not_owner}
  """
  @spec controlling_process(socket(), pid()) :: :ok | {:error, :not_owner | :closed}
  defdelegate controlling_process(socket, pid), to: :scoped_ipv6_udp

  @doc """
  Closes the socket.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> :ok = ScopedIPv6.UDP.close(s)
      iex> ScopedIPv6.UDP.send(s, "::1", 9, "x")
      {:error, :closed}
  """
  @spec close(socket()) :: :ok
  defdelegate close(socket), to: :scoped_ipv6_udp

  @doc """
  Joins multicast `group` (an address or its text) on the interface
  `scope` (index or name). An IPv4 group, on an IPv4 socket, is joined by
  the interface's index too (Linux; `{:error, :enotsup}` elsewhere). Group
  text that is not an address, or that carries a zone (the interface is
  `scope`), is `{:error, :einval}`.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0)
      iex> ScopedIPv6.UDP.join_group(s, "ff02::123", "lo")
      :ok
      iex> ScopedIPv6.UDP.join_group(s, {0xFF02, 0, 0, 0, 0, 0, 0, 0xFB}, 1)
      :ok
      iex> ScopedIPv6.UDP.join_group(s, "ff02::zz", "lo")
      {:error, :einval}
      iex> ScopedIPv6.UDP.join_group(s, "ff02::fb", "nosuch0")
      {:error, {:no_such_interface, "nosuch0"}}
      iex> {:ok, s4} = ScopedIPv6.UDP.open(0, [:inet])
      iex> ScopedIPv6.UDP.join_group(s4, "224.0.0.251", "lo")
      :ok
  """
  @spec join_group(socket(), :inet.ip_address() | String.t() | charlist(), ScopedIPv6.scope()) ::
          :ok | {:error, term()}
  defdelegate join_group(socket, group, scope), to: :scoped_ipv6_udp

  @doc """
  Leaves multicast `group` (an address or its text) on the interface
  `scope`, as `join_group/3` takes them.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0)
      iex> :ok = ScopedIPv6.UDP.join_group(s, "ff02::123", "lo")
      iex> ScopedIPv6.UDP.leave_group(s, "ff02::123", "lo")
      :ok
      iex> ScopedIPv6.UDP.leave_group(s, {0xFF02, 0, 0, 0, 0, 0, 0, 0xFB}, "nosuch0")
      {:error, {:no_such_interface, "nosuch0"}}
  """
  @spec leave_group(socket(), :inet.ip_address() | String.t() | charlist(), ScopedIPv6.scope()) ::
          :ok | {:error, term()}
  defdelegate leave_group(socket, group, scope), to: :scoped_ipv6_udp

  @doc """
  The local address, scoped when it needs a scope.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, port}} = ScopedIPv6.UDP.sockname(s)
      iex> port > 0
      true
  """
  @spec sockname(socket()) :: {:ok, {ScopedIPv6.address(), :inet.port_number()}} | {:error, term()}
  defdelegate sockname(socket), to: :scoped_ipv6_udp

  @doc """
  The peer of a connected socket, scoped when it needs a scope (`{:error, :enotconn}` otherwise).

      iex> {:ok, s} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> ScopedIPv6.UDP.peername(s)
      {:error, :enotconn}
  """
  @spec peername(socket()) :: {:ok, {ScopedIPv6.address(), :inet.port_number()}} | {:error, term()}
  defdelegate peername(socket), to: :scoped_ipv6_udp

  @doc """
  Whether `term` is a socket of this module, open or closed.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> ScopedIPv6.UDP.is_socket(s)
      true
      iex> :ok = ScopedIPv6.UDP.close(s)
      iex> ScopedIPv6.UDP.is_socket(s)
      true
      iex> ScopedIPv6.UDP.is_socket(self())
      false
  """
  @spec is_socket(term()) :: boolean()
  defdelegate is_socket(term), to: :scoped_ipv6_udp

  @doc """
  The underlying `:socket` socket, for options this module lacks.

      iex> {:ok, s} = ScopedIPv6.UDP.open(0)
      iex> :socket.getopt(ScopedIPv6.UDP.socket(s), {:ipv6, :v6only})
      {:ok, true}
  """
  @spec socket(socket()) :: :socket.socket()
  defdelegate socket(socket), to: :scoped_ipv6_udp
end
