defmodule ScopedIPv6 do
  @moduledoc """
  Scoped IPv6 addresses (`fe80::1%eth0`) for Elixir.

  A scoped address is `{ip6, scope}`: an `:inet.ip6_address()` and an
  interface index (`0..4294967295`) or name (a binary, or a charlist). Plain
  4- and 8-tuples keep working wherever an address is accepted.

      iex> {:ok, address} = ScopedIPv6.parse("fe80::1%lo")
      iex> address
      {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, "lo"}
      iex> ScopedIPv6.resolve(address)
      {:ok, {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, 1}}
      iex> ScopedIPv6.ntoa({{0xFE80, 0, 0, 0, 0, 0, 0, 1}, 1})
      "fe80::1%1"

  This module is a thin layer over the Erlang module `:scoped_ipv6`: the
  same terms, with binaries where Erlang has strings. Sockets are in
  `ScopedIPv6.TCP` and `ScopedIPv6.UDP`.

  ## Distribution

  Nodes named by link-local addresses cluster with the carrier
  `:scoped_ipv6_dist`, chosen at boot (the library must be on the code path
  by then, hence `-pa` inside `--erl`):

      iex --erl "-proto_dist scoped_ipv6 -pa _build/dev/lib/scoped_ipv6/ebin" \\
          --name a@fe80::1 --cookie secret -S mix

  then `Node.connect(:"b@fe80::2")`. Which link reaches a node can be
  pinned with `config :scoped_ipv6, dist_zones: [{:"b@fe80::2", "usb0"}]`;
  the README explains how the link is otherwise found.

  ## Errors

  The same reasons as in Erlang (the type `t:reason/0` is Erlang's
  `:scoped_ipv6.reason()`), each rendered by `format_error/1`:

    * `:einval` - text or an address that is not valid;
    * `{:no_such_interface, name_or_index}` - as given by the caller;
    * `:scope_required` - a link-local address used without a scope;
    * `:timeout`, `:nxdomain`, `:closed`, `:not_owner` (UDP);
    * from the distribution carrier and epmd queries: `:noport`,
      `:bad_epmd_reply`, `:no_link`, `{:ambiguous, links}`,
      `{:not_found, answers}`, `{:bad_node_name, node}`;
    * for a host name: `:nxdomain` (no such name), `:try_again` (DNS did not
      answer: temporary), `:no_recovery` (DNS failed for good),
      `:system_limit` (8 lookups run and 128 wait already);
    * for multicast DNS: `:no_link` (no link to ask on), `:not_running` (no
      responder, or the application not started), `:not_found` (no such
      watch of this process, or no such service advertised);
    * any `:inet.posix()` atom from the OS.

  A wrong argument type raises `ArgumentError`, except in `parse/1` and
  `ntoa/1`, which answer `{:error, :einval}` for any term, as `:inet`'s
  functions do. The `!` variants raise `ScopedIPv6.Error`.
  """

  @typedoc "An interface index, or an interface name."
  @type scope :: 0..4_294_967_295 | String.t() | charlist()

  @typedoc "An IPv6 address with the interface it belongs to."
  @type scoped_address :: {:inet.ip6_address(), scope()}

  @typedoc "Any address this library accepts."
  @type address :: :inet.ip_address() | scoped_address()

  @typedoc "An interface and its addresses, as `interfaces/0` returns it."
  @type interface :: %{
          name: String.t(),
          index: pos_integer(),
          flags: [:up | :broadcast | :loopback | :pointtopoint | :running | :multicast],
          addrs: [
            %{
              addr: :inet.ip_address() | {:inet.ip6_address(), non_neg_integer()},
              prefixlen: 0..128 | nil
            }
          ]
        }

  @typedoc "Every reason this library returns: Erlang's `:scoped_ipv6.reason()`."
  @type reason :: :scoped_ipv6.reason()

  @doc """
  Parses address text; a superset of `:inet.parse_address/1`.

  Text without `%` gives exactly what `:inet.parse_address/1` gives. An IPv6
  address may carry a zone: digits are an interface index, anything else a
  name, kept as written. Names are not looked up here: see `resolve/1`.

      iex> ScopedIPv6.parse("fe80::1%eth0")
      {:ok, {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, "eth0"}}
      iex> ScopedIPv6.parse("fe80::1%2")
      {:ok, {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, 2}}
      iex> ScopedIPv6.parse("192.0.2.1")
      {:ok, {192, 0, 2, 1}}
      iex> ScopedIPv6.parse("fe80::1%")
      {:error, :einval}
  """
  @spec parse(String.t() | charlist()) :: {:ok, address()} | {:error, :einval}
  defdelegate parse(text), to: :scoped_ipv6

  @doc """
  Like `parse/1`, but returns the address or raises `ScopedIPv6.Error`.

      iex> ScopedIPv6.parse!("ff02::1%3")
      {{0xFF02, 0, 0, 0, 0, 0, 0, 1}, 3}
  """
  @spec parse!(String.t() | charlist()) :: address()
  def parse!(text), do: unwrap!(parse(text))

  @doc """
  Address text: RFC 5952 for IPv6 with `%zone` for a scoped address, so that
  `parse(ntoa(a))` gives `{:ok, a}` back. `{:error, :einval}` for anything else.

      iex> ScopedIPv6.ntoa({{0xFE80, 0, 0, 0, 0, 0, 0, 1}, "eth0"})
      "fe80::1%eth0"
      iex> ScopedIPv6.ntoa({0x2001, 0xDB8, 0, 0, 0, 0, 0, 1})
      "2001:db8::1"
      iex> ScopedIPv6.ntoa(:nope)
      {:error, :einval}
  """
  @spec ntoa(address()) :: String.t() | {:error, :einval}
  def ntoa(address) do
    case :scoped_ipv6.ntoa(address) do
      {:error, _} = error -> error
      text -> List.to_string(text)
    end
  end

  @doc """
  Turns the scope of an address into an interface index, looked up now.
  Accepts a scoped address, a plain address (returned as it is) or text.

      iex> ScopedIPv6.resolve("fe80::1%lo")
      {:ok, {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, 1}}
      iex> ScopedIPv6.resolve({{0xFE80, 0, 0, 0, 0, 0, 0, 1}, "nosuch0"})
      {:error, {:no_such_interface, "nosuch0"}}
  """
  @spec resolve(address() | String.t()) ::
          {:ok, :inet.ip_address() | {:inet.ip6_address(), non_neg_integer()}}
          | {:error, reason()}
  def resolve(address), do: call(:resolve, [address])

  @doc """
  Like `resolve/1`, but returns the address or raises `ScopedIPv6.Error`.

      iex> ScopedIPv6.resolve!("fe80::1%lo")
      {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, 1}
  """
  @spec resolve!(address() | String.t()) ::
          :inet.ip_address() | {:inet.ip6_address(), non_neg_integer()}
  def resolve!(address), do: unwrap!(call(:resolve, [address], as: :resolve!))

  @doc """
  Every address of a host name, link-local ones scoped as `{ip6, index}`;
  see `:scoped_ipv6.getaddrs/2` for the whole story. `.local` names are
  asked by multicast DNS on each link (an answer is scoped with the link
  it arrived on; silence is `{:error, :nxdomain}`), other names the name
  servers of the `:nameservers` and `:resolv_conf` options or application
  env (scoped ones such as `"fe80::1%eth0"` included), else getaddrinfo.

  Options: `family: :inet6 | :inet | :any`, `timeout: ms` (2000),
  `links: [scope]`, `nameservers: [address | {address, port}]`,
  `resolv_conf: path`, `cache: boolean`, `settle: ms` (250), `mdns_ipv4: boolean`
  (false: also ask 224.0.0.251 on each link with an IPv4 address).

      iex> ScopedIPv6.getaddrs("fe80::1%lo")
      {:ok, [{{0xFE80, 0, 0, 0, 0, 0, 0, 1}, 1}]}
      iex> ScopedIPv6.getaddrs("bad..name.local")
      {:error, :einval}
  """
  @spec getaddrs(String.t() | charlist() | atom(), keyword()) ::
          {:ok, [address()]} | {:error, reason()}
  def getaddrs(host, opts \\ []), do: call(:getaddrs, [host, opts])

  @doc """
  The index of the interface with this name.

      iex> ScopedIPv6.if_index("lo")
      {:ok, 1}
      iex> ScopedIPv6.if_index("nosuch0")
      {:error, {:no_such_interface, "nosuch0"}}
  """
  @spec if_index(String.t()) :: {:ok, pos_integer()} | {:error, reason()}
  def if_index(name), do: call(:if_index, [name])

  @doc """
  Like `if_index/1`, but returns the index or raises `ScopedIPv6.Error`.

      iex> ScopedIPv6.if_index!("lo")
      1
  """
  @spec if_index!(String.t()) :: pos_integer()
  def if_index!(name), do: unwrap!(call(:if_index, [name], as: :if_index!))

  @doc """
  The names this host's multicast DNS responder answers for, by interface
  index: on each link where a name is announced, the name configured, or
  the one chosen there because another host held it (RFC 6762 section 9:
  `device-2.local`, then `device-3.local`). A name taken on one link stays
  ours on the others. `{:error, :not_running}` without a responder
  (`mdns_responder` in the application env).

      iex> ScopedIPv6.mdns_names()
      {:error, :not_running}
  """
  @spec mdns_names() :: {:ok, %{non_neg_integer() => String.t()}} | {:error, :not_running}
  def mdns_names do
    with {:ok, names} <- :scoped_ipv6.mdns_names() do
      {:ok, Map.new(names, fn {index, name} -> {index, List.to_string(name)} end)}
    end
  end

  @doc """
  The DNS-SD services this host's responder advertises, by interface
  index, each with the instance name claimed on that link (`"Printer #2"`
  where another host held `"Printer"`); see `:scoped_ipv6.mdns_services/0`.
  `{:error, :not_running}` without a responder.

      iex> ScopedIPv6.mdns_services()
      {:error, :not_running}
  """
  @spec mdns_services() :: {:ok, %{non_neg_integer() => [map()]}} | {:error, :not_running}
  def mdns_services do
    with {:ok, services} <- :scoped_ipv6.mdns_services() do
      {:ok, Map.new(services, fn {index, list} -> {index, Enum.map(list, &texts/1)} end)}
    end
  end

  @doc """
  Advertises a DNS-SD service while the responder runs, as if it were in
  its settings' `services`: `%{type: "_http._tcp", port: 80, name: "Web",
  txt: ["path=/"], subtypes: ["_printer"]}` (`name` defaults to the host's
  label). Each link probes for the instance name (renamed `"Web #2"` there
  if another host has it), then announces it; a service already
  advertised with that type and name gets the new port, TXT and subtypes,
  announced at once. See
  `:scoped_ipv6.mdns_advertise/1`. `{:error, :einval}` for a bad service
  (a key other than `:type`, `:port`, `:name`, `:txt` and `:subtypes`
  included), `{:error, :not_running}` without a responder.

      iex> ScopedIPv6.mdns_advertise(%{type: "_http._tcp", port: 80})
      {:error, :not_running}
  """
  @spec mdns_advertise(map()) :: :ok | {:error, :einval | :not_running}
  def mdns_advertise(service), do: call(:mdns_advertise, [service])

  @doc """
  Stops advertising the service of this type and instance name
  (`%{type: "_http._tcp", name: "Web"}`, the host's label by default):
  goodbyes go out on every link that had announced it. `{:error,
  :not_found}` when there is no such service, `{:error, :einval}` for a
  bad type or name or a key `mdns_advertise/1` would refuse,
  `{:error, :not_running}` without a responder.

      iex> ScopedIPv6.mdns_withdraw(%{type: "_http._tcp", name: "Web"})
      {:error, :not_running}
  """
  @spec mdns_withdraw(map()) :: :ok | {:error, :einval | :not_found | :not_running}
  def mdns_withdraw(service), do: call(:mdns_withdraw, [service])

  @doc """
  The services of a DNS-SD type (RFC 6763) on each link, found by multicast
  DNS; see `:scoped_ipv6.browse/2` for the whole story. `type` is
  `"_http._tcp"` (`.local` may follow). Each service is a map with `:name`
  (`"Web A"`), `:type`, `:host` (the SRV target), `:port`, `:txt` (the TXT
  strings, binaries), `:addresses` (link-local ones scoped `{ip6, link}`)
  and `:link` (the interface index it was found on): an instance seen on
  two links is two services. Order: by link, then name. Nobody answering
  is `{:ok, []}`. `"_services._dns-sd._udp"` gives `%{type: t, link: i}`
  maps instead.

  Options: `timeout: ms` (2000), `links: [scope]`, `settle: ms` (250: how
  long after the last new answer), `mdns_ipv4: boolean` (false),
  `instance: name` (that one instance, resolved without browsing).

      iex> ScopedIPv6.browse("http")
      {:error, :einval}
      iex> ScopedIPv6.browse("_http._tcp", links: ["lo"])
      {:error, :no_link}
      iex> ScopedIPv6.browse("_http._tcp", instance: String.duplicate("a", 64))
      {:error, :einval}
  """
  @spec browse(String.t() | charlist(), keyword()) ::
          {:ok, [map()]} | {:error, reason()}
  def browse(type, opts \\ []) do
    with {:ok, found} <- call(:browse, [type, opts]) do
      {:ok, Enum.map(found, &texts/1)}
    end
  end

  @doc """
  Watches a DNS-SD type (or a `.local` host, below) on each link until
  `unwatch/1` or until the caller exits; see `:scoped_ipv6.watch/2` for
  the whole story. The caller gets
  `{:scoped_ipv6_watch, ref, {:up, service}}` when a service comes (its
  SRV record is known), `{:scoped_ipv6_watch, ref, {:changed, service}}`
  when its port, host, TXT or addresses change, and
  `{:scoped_ipv6_watch, ref, {:down, service}}` when it says goodbye or its
  records run out. `service` has `browse/2`'s shape (`:name`, `:type`,
  `:host` as strings, `:port`, `:txt`, `:addresses`, `:link`): an instance
  on two links is two services. This host's own services (`mdns_advertise/1`)
  are seen too.

  The watch keeps asking (after 20 to 120 ms, then 1 s, 2 s, 4 s... apart,
  up to an hour, with the answers it holds as known answers) and asks a
  record again at 80 % of its TTL. Options: `links: [scope]`,
  `mdns_ipv4: boolean` (false); another option, or options that are no
  keyword list, raise `ArgumentError`. `"_services._dns-sd._udp"` watches the
  service types on each link (`%{type: t, link: i}`, `:up` and `:down`);
  without the application, `{:error, :not_running}`.

  A `.local` host name (`"nerves-1234.local"`) watches that host's
  addresses instead (RFC 6762 section 5.2): `%{name: name, link: i,
  addresses: addresses}` on each link it answers on, `:up` with its first
  address, `:changed` as they change, `:down` when the last goes;
  `addresses` as `getaddrs/2` gives them there. A label starting with `_`
  is no host name: `{:error, :einval}`.

      iex> ScopedIPv6.watch("http")
      {:error, :einval}
      iex> ScopedIPv6.watch("_http._tcp", links: ["lo"])
      {:error, :no_link}
      iex> ScopedIPv6.watch("_services._dns-sd._udp", links: ["lo"])
      {:error, :no_link}
      iex> ScopedIPv6.watch("nerves-1234.local", links: ["lo"])
      {:error, :no_link}
      iex> ScopedIPv6.watch("nerves-1234")
      {:error, :einval}
  """
  @spec watch(String.t() | charlist(), keyword()) :: {:ok, reference()} | {:error, reason()}
  def watch(type_or_host, opts \\ []) do
    call(:watch, [type_or_host, binary_texts(opts)], shown: [type_or_host, opts])
  end

  # Watch messages carry binaries, as the rest of this module gives text.
  # Options that are no list go to Erlang as they are, to be refused there.
  defp binary_texts(opts) when is_list(opts), do: [{:text, :binary} | opts]
  defp binary_texts(opts), do: opts

  @doc """
  The services (or, for `"_services._dns-sd._udp"`, the types; for a host
  name, the host on each link) a watch of the calling process sees now: what its `:up` and `:changed` messages
  told, less what went `:down`, in link order, then by name.
  `{:error, :not_found}` for a watch that ended, or another process's.

      iex> ScopedIPv6.watched(make_ref())
      {:error, :not_found}
  """
  @spec watched(reference()) :: {:ok, [map()]} | {:error, :not_found}
  def watched(ref), do: call(:watched, [ref])

  @doc """
  Ends a watch the calling process started with `watch/2`: its messages
  still in the mailbox are removed, and none comes after. A watch that
  already ended is `:ok` too.

      iex> ScopedIPv6.unwatch(make_ref())
      :ok
  """
  @spec unwatch(reference()) :: :ok
  def unwatch(ref), do: call(:unwatch, [ref])

  defp texts(map) do
    Map.new(map, fn
      {key, text} when key in [:name, :type, :host] -> {key, List.to_string(text)}
      pair -> pair
    end)
  end

  @doc """
  The name of the interface with this index.

      iex> ScopedIPv6.if_name(1)
      {:ok, "lo"}
  """
  @spec if_name(non_neg_integer()) :: {:ok, String.t()} | {:error, reason()}
  def if_name(index), do: if_name_as(:if_name, index)

  @doc """
  Like `if_name/1`, but returns the name or raises `ScopedIPv6.Error`.

      iex> ScopedIPv6.if_name!(1)
      "lo"
  """
  @spec if_name!(non_neg_integer()) :: String.t()
  def if_name!(index), do: unwrap!(if_name_as(:if_name!, index))

  defp if_name_as(caller, index) do
    with {:ok, name} <- call(:if_name, [index], as: caller), do: {:ok, List.to_string(name)}
  end

  @doc """
  Every interface of this host (of this network namespace, on Linux), by
  index. Addresses that need a scope come as `{ip6, index}`. Every address
  is listed, those still in duplicate address detection (tentative) too;
  multicast DNS uses only those the kernel has assigned.

      iex> {:ok, [lo | _]} = ScopedIPv6.interfaces()
      iex> {lo.name, lo.index, :loopback in lo.flags}
      {"lo", 1, true}
  """
  @spec interfaces() :: {:ok, [interface()]} | {:error, :inet.posix()}
  def interfaces do
    with {:ok, list} <- :scoped_ipv6.interfaces() do
      {:ok, Enum.map(list, &%{&1 | name: List.to_string(&1.name)})}
    end
  end

  @doc """
  Like `interfaces/0`, but returns the list or raises `ScopedIPv6.Error`.

      iex> [%{index: 1, name: "lo"}] = Enum.filter(ScopedIPv6.interfaces!(), &(&1.name == "lo"))
  """
  @spec interfaces!() :: [interface()]
  def interfaces!, do: unwrap!(interfaces())

  @doc """
  Whether an IPv6 address means nothing without a scope: link-local unicast
  (`fe80::/10`) and interface- or link-local multicast.

      iex> ScopedIPv6.needs_scope?({0xFE80, 0, 0, 0, 0, 0, 0, 1})
      true
      iex> ScopedIPv6.needs_scope?({192, 0, 2, 1})
      false
  """
  @spec needs_scope?(:inet.ip_address()) :: boolean()
  def needs_scope?(address), do: call(:needs_scope, [address], as: :needs_scope?)

  @doc """
  The peer of a `:gen_tcp`, `:gen_udp` or `ScopedIPv6.UDP` socket, its
  address scoped when it needs a scope (`:inet.peername/1` drops it).

      iex> {:ok, listener} = ScopedIPv6.TCP.listen(0, ip: {0, 0, 0, 0, 0, 0, 0, 1})
      iex> {:ok, {_, port}} = :inet.sockname(listener)
      iex> {:ok, client} = ScopedIPv6.TCP.connect("::1", port, [])
      iex> ScopedIPv6.peername(client)
      {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, port}}
  """
  @spec peername(:inet.socket() | ScopedIPv6.UDP.socket()) ::
          {:ok, {address(), :inet.port_number()}} | {:error, reason()}
  def peername(socket), do: call(:peername, [socket])

  @doc """
  The local address of a `:gen_tcp`, `:gen_udp` or `ScopedIPv6.UDP` socket,
  scoped when it needs a scope (`:inet.sockname/1` drops it).

      iex> {:ok, socket} = ScopedIPv6.UDP.open(0, ip: "::1")
      iex> {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, port}} = ScopedIPv6.sockname(socket)
      iex> port > 0
      true
  """
  @spec sockname(:inet.socket() | ScopedIPv6.UDP.socket()) ::
          {:ok, {address(), :inet.port_number()}} | {:error, reason()}
  def sockname(socket), do: call(:sockname, [socket])

  @doc """
  Sends one ICMPv6 echo request to `address` and waits for the reply:
  `{:ok, round_trip_microseconds}`, an integer in **microseconds**, from just
  before the request is sent to when its reply is read.

  `address` takes every form a destination takes; a link-local one needs a
  scope (`"fe80::2%eth0"`, `{ip6, scope}`), since the same address can answer
  on every link:

      iex> ScopedIPv6.ping("fe80::2")
      {:error, :scope_required}
      iex> ScopedIPv6.ping("fe80::2%nosuch0")
      {:error, {:no_such_interface, "nosuch0"}}

  On a link, `ScopedIPv6.ping("fe80::2%eth0", timeout: 500)` answers
  `{:ok, 187}` or `{:error, :timeout}`.

  It uses Linux's unprivileged ICMPv6 datagram socket, which the kernel
  allows to processes whose group is within the sysctl
  `net.ipv4.ping_group_range` (it governs IPv6 too; Debian's default `1 0`
  allows nobody: `sysctl -w net.ipv4.ping_group_range="0 2147483647"`);
  where that is refused, a raw ICMPv6 socket (root or `CAP_NET_RAW`);
  `{:error, :eacces}` if both are refused. It waits in the VM's poll set:
  no scheduler is blocked.

  ## Options

    * `:timeout` - milliseconds to wait for the reply (default 1000; a host
      name's lookup gets the same time again);
    * `:payload` - a binary carried in the request (default none);
    * `:socket` - `:auto` (default, as above), `:dgram` or `:raw`.

  Errors: `:timeout`, `:scope_required`, `:eacces`, an ICMPv6 error that
  answered the request as the errno Linux gives it (`:ehostunreach` for
  "address unreachable", such as the kernel's own when no neighbour on the
  link has the address, after about 3 s, and for "time exceeded";
  `:enetunreach`, `:eacces` or `:econnrefused` for the other "destination
  unreachable" codes; `:emsgsize` for "packet too big"; `:eproto` for
  "parameter problem"), `:eafnosupport` for an IPv4 address,
  `{:no_such_interface, scope}`, and the OS's reasons. A wrong option raises
  `ArgumentError`.
  """
  @spec ping(address() | String.t() | atom(), keyword()) ::
          {:ok, non_neg_integer()} | {:error, reason()}
  def ping(address, opts \\ []), do: call(:ping, [address, opts])

  @doc """
  A human-readable text for any reason this library returns.

      iex> ScopedIPv6.format_error(:scope_required)
      "a link-local address needs a scope, e.g. fe80::1%eth0"
      iex> ScopedIPv6.format_error(:econnrefused)
      "connection refused"
  """
  @spec format_error(reason() | term()) :: String.t()
  def format_error(reason), do: List.to_string(:scoped_ipv6.format_error(reason))

  # Calls the Erlang API, turning its badarg into an ArgumentError that
  # names the function the user called (`as:`, when its name is not
  # Erlang's) and the arguments they gave (`shown:`, when the call adds to
  # them).
  defp call(function, args, caller \\ []) do
    apply(:scoped_ipv6, function, args)
  rescue
    ArgumentError ->
      name = Keyword.get(caller, :as, function)
      shown = Keyword.get(caller, :shown, args)

      reraise ArgumentError,
              "invalid argument to ScopedIPv6.#{name}: #{inspect(shown, limit: 5)}",
              __STACKTRACE__
  end

  defp unwrap!({:ok, value}), do: value
  defp unwrap!({:error, reason}), do: raise(ScopedIPv6.Error, reason: reason)
end

defmodule ScopedIPv6.Error do
  @moduledoc """
  Raised by the `!` functions of `ScopedIPv6`; `reason` is the term the
  non-raising function returns in `{:error, reason}`.
  """
  defexception [:reason]

  @type t :: %__MODULE__{reason: ScopedIPv6.reason()}

  @impl true
  def message(%__MODULE__{reason: reason}), do: ScopedIPv6.format_error(reason)
end
