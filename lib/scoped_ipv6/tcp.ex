defmodule ScopedIPv6.TCP do
  @moduledoc """
  TCP to and from scoped IPv6 addresses, on real `:gen_tcp` ports.

  `connect/4` and `listen/2` take every address form of `ScopedIPv6`:
  `{ip6, "eth0"}`, `{ip6, 3}`, plain tuples, text such as `"fe80::1%eth0"`,
  and host names. The socket is made, bound and connected with its scope by
  the NIF, waiting in the VM's own poll set, then adopted by the inet driver:
  you get a `:gen_tcp` socket, on which `:gen_tcp`, `:inet`, `:ssl.connect/3`
  and libraries such as Ranch work as on any other.

      iex> {:ok, listener} = ScopedIPv6.TCP.listen(0, ip: "::1", active: false)
      iex> {:ok, {_, port}} = :inet.sockname(listener)
      iex> {:ok, client} = ScopedIPv6.TCP.connect("::1", port, [:binary])
      iex> {:ok, server} = :gen_tcp.accept(listener, 1000)
      iex> :ok = :gen_tcp.send(client, "hello")
      iex> :gen_tcp.recv(server, 5, 1000)
      {:ok, ~c"hello"}

  ## Options

  Set by the NIF before bind/connect: `ip:`/`ifaddr:` (a scoped or plain
  address, or text), `port:` (source port), `reuseaddr:`, `ipv6_v6only:`
  (always set on IPv6 sockets, `true` unless you say otherwise),
  `recbuf:`, `sndbuf:`, `bind_to_device:` (a binary). Every other
  `:gen_tcp` option (`:binary`, `active:`, `packet:`, `nodelay:`...) is
  given to the port.

  ## Errors

  As in `ScopedIPv6`: `{:error, :scope_required}` for a link-local address
  without a scope (OTP exits with `:badarg` there), `{:error, :timeout}`,
  `{:error, {:no_such_interface, name}}`, for a host name `:nxdomain`,
  `:try_again`, `:no_recovery` or `:system_limit`, and `:inet.posix()` atoms. A wrong argument type raises `ArgumentError`.
  """

  @doc """
  Connects to `address` and `port` within `timeout` milliseconds, name
  lookup included. Scope names are looked up at each call.
  """
  @spec connect(
          ScopedIPv6.address() | String.t() | atom(),
          :inet.port_number(),
          keyword() | list(),
          timeout()
        ) :: {:ok, :inet.socket()} | {:error, ScopedIPv6.reason() | :timeout}
  def connect(address, port, opts \\ [], timeout \\ :infinity),
    do: :scoped_ipv6_tcp.connect(address, port, opts, timeout)

  @doc """
  A listening `:gen_tcp` socket bound to `ip:` (scoped, plain, or by default
  the IPv6 wildcard). `:gen_tcp.accept/2` works on it; `ScopedIPv6.peername/1`
  gives each accepted peer with its scope.
  """
  @spec listen(:inet.port_number(), keyword() | list()) ::
          {:ok, :inet.socket()} | {:error, ScopedIPv6.reason()}
  def listen(port, opts \\ []), do: :scoped_ipv6_tcp.listen(port, opts)

  @doc "Same as `:gen_tcp.accept/2`."
  @spec accept(:inet.socket(), timeout()) :: {:ok, :inet.socket()} | {:error, term()}
  def accept(listen_socket, timeout \\ :infinity), do: :gen_tcp.accept(listen_socket, timeout)
end
