%% @private
%% The address and scope rules, in one place: address text to terms and
%% back (through the NIF, after the length checks that keep untrusted text
%% away from it), zone names to interface indexes, which addresses need a
%% scope and which may carry one, and the scoped addresses of a socket
%% (what OTP drops). The public modules and the other hidden ones ask it;
%% it calls only the NIF and OTP.
-module(scoped_ipv6_addr).

-include("scoped_ipv6.hrl").

-export([parse/1, ntoa/1, resolve/1, if_index/1, if_name/1, interfaces/0, assigned_interfaces/0,
         assigned_interfaces/1, assigned/2, link_local/1, ipv4/1, needs_scope/1, zone_allowed/1, with_scope/2,
         socket_addr/2, from_sockaddr/1, to_sockaddr/3, to_bytes/1, on_local_network/2,
         from_link/3, of_family/2]).

%% Untrusted text of any length reaches parse/1 (it replaces
%% inet:parse_address/1): longer text than any address or zone is refused
%% here, in a bounded number of steps, and never reaches the NIF. The
%% limits are the NIF's own (addr::MAX_TEXT_LEN, addr::MAX_ZONE_LEN): the
%% longest address text is an IPv6 address with an IPv4 tail (45 bytes),
%% `%', and a zone of at most 15 bytes (Linux's IF_NAMESIZE - 1).
-define(MAX_TEXT, 61).
-define(MAX_ZONE, 15).

%% Linux's IPv6 address flags (linux/if_addr.h), as /proc/net/if_inet6
%% shows them: getifaddrs(3) does not.
-define(IF_INET6, "/proc/net/if_inet6").
-define(IFA_F_OPTIMISTIC, 16#04).
-define(IFA_F_DADFAILED, 16#08).
-define(IFA_F_TENTATIVE, 16#40).

-spec parse(term()) -> {ok, scoped_ipv6:address()} | {error, einval}.
parse(Text) when is_binary(Text), byte_size(Text) =< ?MAX_TEXT ->
    nif_parse(Text, binary);
parse(Text) when is_list(Text) ->
    case text_to_binary(Text, ?MAX_TEXT) of
        {ok, Binary} -> nif_parse(Binary, list);
        error -> {error, einval}
    end;
parse(_) ->
    {error, einval}.

-spec ntoa(term()) -> string() | {error, einval}.
ntoa(Address) when ?is_ip6_address(Address) ->
    scoped_ipv6_nif:ntoa(Address, list);
ntoa({Ip6, Scope}) when ?is_scoped_address({Ip6, Scope}) ->
    case zone_allowed(Ip6) of
        true -> scoped_ipv6_nif:ntoa_scoped(Ip6, Scope, list);
        false -> {error, einval}
    end;
ntoa(Address) ->
    inet:ntoa(Address).

-spec resolve(scoped_ipv6:address() | string() | binary()) ->
    {ok, inet:ip_address() | {inet:ip6_address(), non_neg_integer()}} |
    {error, scoped_ipv6:reason()}.
resolve({Ip6, Scope} = Address) when ?is_scoped_address(Address) ->
    case zone_allowed(Ip6) andalso zone_term(Scope) of
        false -> {error, einval};
        error -> {error, einval};
        {ok, Zone} ->
            case nif_zone_index(Zone) of
                {ok, Index} -> {ok, {Ip6, Index}};
                {error, {no_such_interface, _}} -> {error, {no_such_interface, Scope}};
                {error, _} = Error -> Error
            end
    end;
resolve(Address) when ?is_ip6_address(Address) ->
    {ok, Address};
resolve(Address) when ?is_ip4_address(Address) ->
    {ok, Address};
resolve(Text) when is_list(Text); is_binary(Text) ->
    case parse(Text) of
        {ok, Address} -> resolve(Address);
        {error, _} = Error -> Error
    end;
resolve(Other) ->
    erlang:error(badarg, [Other]).

-spec if_index(string() | binary()) ->
    {ok, pos_integer()} | {error, {no_such_interface, string() | binary()} | einval}.
if_index(Name) when is_list(Name); is_binary(Name) ->
    case zone_term(Name) of
        {ok, Zone} when is_binary(Zone) ->
            case nif_zone_index(Zone) of
                {ok, Index} -> {ok, Index};
                {error, {no_such_interface, _}} -> {error, {no_such_interface, Name}};
                {error, _} = Error -> Error
            end;
        _ ->
            {error, einval}
    end;
if_index(Other) ->
    erlang:error(badarg, [Other]).

-spec if_name(non_neg_integer()) ->
    {ok, string()} | {error, {no_such_interface, non_neg_integer()} | inet:posix()}.
if_name(Index) when is_integer(Index), Index >= 0, Index =< 16#ffffffff ->
    case scoped_ipv6_nif:if_name(Index) of
        {ok, Name} -> {ok, unicode:characters_to_list(Name)};
        {error, _} = Error -> Error
    end;
if_name(Other) ->
    erlang:error(badarg, [Other]).

-spec interfaces() -> {ok, [scoped_ipv6:interface()]} | {error, inet:posix()}.
interfaces() ->
    case scoped_ipv6_nif:interfaces() of
        {ok, Interfaces} ->
            {ok, [Interface#{name := unicode:characters_to_list(Name)}
                  || #{name := Name} = Interface <- Interfaces]};
        {error, _} = Error ->
            Error
    end.

%% The interfaces as interfaces/0 gives them, with only the addresses
%% this host may use now: not those the kernel has not assigned yet (RFC
%% 4862 section 5.4), in duplicate address detection (tentative, unless
%% optimistic, RFC 4429) or after it failed. Nothing can be bound to
%% them, and nothing sent from them (EADDRNOTAVAIL); on a link just up,
%% the kernel's own link-local address is one, and comes first. What is
%% sent, bound to or advertised is chosen from these. The flags are
%% read after the addresses: an address is judged by its latest state.
%% Without /proc/net/if_inet6 (not Linux, IPv6 off) every address
%% counts as assigned.
-spec assigned_interfaces() -> {ok, [scoped_ipv6:interface()]} | {error, inet:posix()}.
assigned_interfaces() ->
    assigned_interfaces(interfaces()).

%% @doc As assigned_interfaces/0, from interfaces/0's answer read before.
-spec assigned_interfaces(Result) -> Result when
      Result :: {ok, [scoped_ipv6:interface()]} | {error, inet:posix()}.
assigned_interfaces({ok, Interfaces}) ->
    case file:read_file(?IF_INET6) of
        {ok, Text} -> {ok, assigned(Interfaces, Text)};
        {error, _} -> {ok, Interfaces}
    end;
assigned_interfaces({error, _} = Error) ->
    Error.

%% `Interfaces' without the addresses /proc/net/if_inet6's `Text' shows
%% unassigned (tentative and not optimistic, or DAD failed) on their
%% interface. A line it cannot read is skipped.
-spec assigned([scoped_ipv6:interface()], binary()) -> [scoped_ipv6:interface()].
assigned(Interfaces, Text) ->
    Unassigned = [{Ip6, Index} || Line <- binary:split(Text, <<"\n">>, [global, trim_all]),
                                  {ok, Ip6, Index, Flags} <- [if_inet6_line(Line)],
                                  not assigned_flags(Flags)],
    [without(Unassigned, Interface) || Interface <- Interfaces].

%% A line: the address in 32 hex digits, then the interface index,
%% prefix length, scope and flags in hex, then the interface's name.
if_inet6_line(Line) ->
    case binary:split(Line, <<" ">>, [global, trim_all]) of
        [Hex, Index, _Length, _Scope, Flags, _Name] when byte_size(Hex) =:= 32 ->
            try
                Bits = binary_to_integer(Hex, 16),
                {ok, list_to_tuple([G || <<G:16>> <= <<Bits:128>>]),
                 binary_to_integer(Index, 16), binary_to_integer(Flags, 16)}
            catch
                error:badarg -> error
            end;
        _ ->
            error
    end.

%% An optimistic address is tentative too, and usable meanwhile: the
%% kernel binds and sends from it (RFC 4429).
assigned_flags(Flags) ->
    Flags band ?IFA_F_DADFAILED =:= 0 andalso
        (Flags band ?IFA_F_TENTATIVE =:= 0 orelse Flags band ?IFA_F_OPTIMISTIC =/= 0).

without([], Interface) ->
    Interface;
without(Unassigned, #{index := Index, addrs := Addrs} = Interface) ->
    Interface#{addrs := [A || #{addr := Addr} = A <- Addrs,
                              not lists:member({unscoped(Addr), Index}, Unassigned)]}.

%% The first address of an interface (as interfaces/0 or
%% assigned_interfaces/0 gives it) that needs a scope, its link-local
%% address, with its index; `none' when it has none. (Which addresses
%% need one is the NIF's rule: it scopes them.)
-spec link_local(scoped_ipv6:interface()) -> {inet:ip6_address(), non_neg_integer()} | none.
link_local(#{addrs := Addrs}) ->
    case [Scoped || #{addr := {{_, _, _, _, _, _, _, _}, _} = Scoped} <- Addrs] of
        [First | _] -> First;
        [] -> none
    end.

%% The first IPv4 address of an interface (as interfaces/0 gives it);
%% `none' when it has none.
-spec ipv4(scoped_ipv6:interface()) -> inet:ip4_address() | none.
ipv4(#{addrs := Addrs}) ->
    case [Ip || #{addr := {_, _, _, _} = Ip} <- Addrs] of
        [First | _] -> First;
        [] -> none
    end.

%% @doc Whether `Ip' is an address of `Family' (`any': of either).
-spec of_family(inet:ip_address(), inet | inet6 | any) -> boolean().
of_family(Ip, inet6) -> tuple_size(Ip) =:= 8;
of_family(Ip, inet) -> tuple_size(Ip) =:= 4;
of_family(_Ip, any) -> true.

%% Whether an address means nothing without a scope: link-local unicast,
%% interface- and link-local multicast. The rule lives in the NIF (addr.rs),
%% which applies it to interface and socket addresses too.
-spec needs_scope(inet:ip_address()) -> boolean().
needs_scope(Address) ->
    scoped_ipv6_nif:needs_scope(Address).

%% An address and its scope index (0: none) as a destination or a source:
%% `scope_required' for one that means nothing without a scope.
-spec with_scope(inet:ip_address(), non_neg_integer()) ->
    {ok, {inet:ip_address(), non_neg_integer()}} | {error, scope_required}.
with_scope(Ip, 0) when ?is_ip6_address(Ip) ->
    case needs_scope(Ip) of
        true -> {error, scope_required};
        false -> {ok, {Ip, 0}}
    end;
with_scope(Ip, Scope) ->
    {ok, {Ip, Scope}}.

%% The local (`sock') or peer address of a gen_tcp/gen_udp port or a
%% socket-backend gen_tcp socket, scoped when it needs a scope.
-spec socket_addr(inet:socket(), peer | sock) ->
    {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, inet:posix()}.
%% The port's descriptor is read by number: the answer counts only if
%% the port still has that number afterwards, since the driver closes its
%% descriptor only when the port closes, never while it is open.
socket_addr(Socket, Which) when is_port(Socket) ->
    case inet:getfd(Socket) of
        {ok, Fd} ->
            Answer = scoped_ipv6_nif:socket_addr(Fd, Which),
            case inet:getfd(Socket) of
                {ok, Fd} -> Answer;
                _Closed -> {error, einval}
            end;
        {error, _} = Error ->
            Error
    end;
socket_addr(Socket, Which) ->
    case scoped_ipv6_otp:socket_backend_socket(Socket) of
        {ok, Inner} ->
            %% gen_tcp's socket backend: OTP's socket module keeps the scope.
            case socket_name(Inner, Which) of
                {ok, SockAddr} -> {ok, from_sockaddr(SockAddr)};
                {error, _} = Error -> Error
            end;
        error ->
            erlang:error(badarg, [Socket, Which])
    end.

socket_name(Socket, peer) -> socket:peername(Socket);
socket_name(Socket, sock) -> socket:sockname(Socket).

%% An OTP sockaddr map as `{Address, Port}', the address scoped when it
%% needs a scope.
-spec from_sockaddr(socket:sockaddr_in() | socket:sockaddr_in6()) ->
    {scoped_ipv6:address(), inet:port_number()}.
from_sockaddr(#{family := inet6, addr := Ip, port := Port} = SockAddr) ->
    case needs_scope(Ip) of
        true -> {{Ip, maps:get(scope_id, SockAddr, 0)}, Port};
        false -> {Ip, Port}
    end;
from_sockaddr(#{addr := Ip, port := Port}) ->
    {Ip, Port}.

%% `Ip', `Port' and a scope index (0 for none) as OTP's sockaddr map.
-spec to_sockaddr(inet:ip_address(), inet:port_number(), non_neg_integer()) ->
    socket:sockaddr_in() | socket:sockaddr_in6().
to_sockaddr(Ip, Port, Scope) when ?is_ip6_address(Ip) ->
    #{family => inet6, addr => Ip, port => Port, scope_id => Scope, flowinfo => 0};
to_sockaddr(Ip, Port, _Scope) ->
    #{family => inet, addr => Ip, port => Port}.

%% Whether `Peer' is on a network this host has an address in, as
%% `Interfaces' (interfaces/0) give them: within the prefix of one of
%% their addresses, and for a peer with a scope, of an address on that
%% interface (another link's fe80::/64 is another network). An
%% IPv4-mapped peer, a dual-stack socket's IPv4 client, is its IPv4
%% address. An address whose prefix length is unknown is a network of one.
-spec on_local_network(scoped_ipv6:address(), [scoped_ipv6:interface()]) -> boolean().
on_local_network({0, 0, 0, 0, 0, 16#ffff, AB, CD}, Interfaces) ->
    on_local_network({AB bsr 8, AB band 255, CD bsr 8, CD band 255}, Interfaces);
on_local_network(Peer, Interfaces) ->
    {Ip, Scope} = case Peer of
                      {Ip6, Index} when ?is_scoped_address(Peer) -> {Ip6, Index};
                      _ -> {Peer, 0}
                  end,
    PeerBits = to_bytes(Ip),
    lists:any(fun(#{index := Index, addrs := Addrs}) ->
                      (Scope =:= 0 orelse Scope =:= Index)
                          andalso lists:any(fun(Own) -> same_network(PeerBits, Own) end, Addrs)
              end, Interfaces).

%% Whether a packet from `Source' that arrived on interface `Index' (one
%% of `Interfaces') came from that link (RFC 6762 section 11): a
%% link-local source (169.254/16, or scoped with that interface), which
%% no router forwards, or one within a prefix of the interface.
-spec from_link(scoped_ipv6:address(), non_neg_integer(), [scoped_ipv6:interface()]) ->
    boolean().
from_link(Source, Index, Interfaces) ->
    case [Interface || #{index := I} = Interface <- Interfaces, I =:= Index] of
        [] -> false;
        Link -> link_local_on(Source, Index) orelse on_local_network(Source, Link)
    end.

link_local_on({169, 254, _, _}, _Index) -> true;
link_local_on({_Ip6, Index} = Source, Index) when ?is_scoped_address(Source) -> true;
link_local_on(_Source, _Index) -> false.

same_network(PeerBits, #{addr := Own, prefixlen := Length}) ->
    OwnBits = to_bytes(unscoped(Own)),
    Prefix = case Length of
                 nil -> bit_size(OwnBits);
                 _ -> min(Length, bit_size(OwnBits))
             end,
    bit_size(PeerBits) =:= bit_size(OwnBits) andalso
        prefix(PeerBits, Prefix) =:= prefix(OwnBits, Prefix).

unscoped({Ip6, _Index} = Scoped) when ?is_scoped_address(Scoped) -> Ip6;
unscoped(Ip) -> Ip.

%% @doc An address as it is sent: 4 bytes for IPv4, 16 for IPv6.
-spec to_bytes(inet:ip_address()) -> binary().
to_bytes({A, B, C, D}) -> <<A, B, C, D>>;
to_bytes({A, B, C, D, E, F, G, H}) -> <<A:16, B:16, C:16, D:16, E:16, F:16, G:16, H:16>>.

prefix(Bits, Length) ->
    <<Prefix:Length/bitstring, _/bitstring>> = Bits,
    Prefix.

%% --- internal ---------------------------------------------------------------

%% Text reaches the NIF only through these two, after the length checks
%% (OTP cannot trace calls into a NIF: a test traces these instead).
nif_parse(Text, Form) ->
    case scoped_ipv6_nif:parse(Text, Form) of
        {error, _} = Error -> Error;
        {Ip6, _Zone} = Scoped ->
            case zone_allowed(Ip6) of
                true -> {ok, Scoped};
                false -> {error, einval}
            end;
        Address -> {ok, Address}
    end.

nif_zone_index(Zone) ->
    scoped_ipv6_nif:resolve_zone(Zone).

%% A zone as the NIF takes it: an index, or a name as a UTF-8 binary of at
%% most ?MAX_ZONE bytes (`error' for a longer one: einval).
zone_term(Index) when is_integer(Index) -> {ok, Index};
zone_term(Name) when is_binary(Name), byte_size(Name) =< ?MAX_ZONE -> {ok, Name};
zone_term(Name) when is_binary(Name) -> error;
zone_term(Name) when is_list(Name) -> text_to_binary(Name, ?MAX_ZONE).

%% A flat charlist of at most Max bytes as a UTF-8 binary, or `error'. A
%% longer list is refused after Max + 1 cells, before any conversion.
text_to_binary(Text, Max) ->
    case short_string(Text, Max + 1) of
        false ->
            error;
        true ->
            try unicode:characters_to_binary(Text) of
                Binary when is_binary(Binary), byte_size(Binary) =< Max -> {ok, Binary};
                _LongOrIncomplete -> error
            catch
                error:badarg -> error
            end
    end.

%% Whether a proper list of integers has fewer than N elements (code
%% points are checked by characters_to_binary/1).
short_string([], _N) -> true;
short_string(_List, 0) -> false;
short_string([C | Tail], N) when is_integer(C) -> short_string(Tail, N - 1);
short_string(_NotAString, _N) -> false.

%% Whether an IPv6 address may carry a zone, for tuples and parsed text
%% alike (the NIF parses syntax only): RFC 4007 section 11, `::' has no
%% zone; IPv4-mapped addresses go out over IPv4, which has none. Pure
%% Erlang: every scoped connect asks, and a call into the NIF costs more
%% than the rule.
-spec zone_allowed(inet:ip6_address()) -> boolean().
zone_allowed({0, 0, 0, 0, 0, 0, 0, 0}) -> false;
zone_allowed({0, 0, 0, 0, 0, 16#ffff, _, _}) -> false;
zone_allowed(_Ip6) -> true.
