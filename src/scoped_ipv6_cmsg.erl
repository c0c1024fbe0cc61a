%% @private
%% Ancillary data of scoped UDP sockets, between OTP's `socket' control
%% messages and the `AncData' lists of scoped_ipv6_udp (and the arrival
%% link and destination the mDNS responder reads): RFC 3542's on IPv6
%% sockets, and the same three items on IPv4 sockets from Linux's
%% IP_PKTINFO, IP_TTL and IP_TOS (`hoplimit' is the TTL there, `tclass'
%% the TOS byte), so that code reads one shape whatever the family.
%%
%% On receive OTP's socket decodes IPV6_PKTINFO, IPV6_HOPLIMIT,
%% IPV6_TCLASS, IP_PKTINFO and IP_TTL into a `value' (seen on OTP 25,
%% documented in current sources); where a release leaves only the native
%% `data' (its documented fallback: a `value' only if it could decode one),
%% it is decoded here, and IP_TOS always is (OTP names some TOS values by
%% atom). On send, OTP 25's socket cannot encode an IPV6_PKTINFO `value'
%% (`{invalid, {msg, ctrl, _}}'), so every control message goes out as
%% native `data', which the socket NIF copies as it is. Pure: no socket,
%% no NIF.
-module(scoped_ipv6_cmsg).

-include("scoped_ipv6.hrl").

-export([arrival/2, received_on/1, ask_bit/1, pktinfo/1, hoplimit/1, items/1, interface/1, encode/2]).

%% What a socket asked to learn, as a bit mask (kept in an atomics array):
%% the RFC 3542 items, and gen_udp's IPv4 names for the hop limit and the
%% traffic class (the same values, named `ttl' and `tos').
-define(PKTINFO, 1).
-define(HOPLIMIT, 2).
-define(TCLASS, 4).
-define(TTL, 8).
-define(TOS, 16).

-type arrival() :: [{pktinfo, {scoped_ipv6:address(), non_neg_integer()}} |
                    {hoplimit, 0..255} | {tclass, 0..255} | {ttl, 0..255} | {tos, 0..255}].
%% send/5's items, checked: a `pktinfo' source resolved to an address and
%% an interface index (0: none).
-type item() :: {pktinfo, {inet:ip_address(), non_neg_integer()}} |
                {hoplimit, 0..255} | {tclass, 0..255}.
-export_type([arrival/0, item/0]).

%% @doc The arrival information asked for (`Ask', a mask of ask_bit/1's
%% bits), in the order pktinfo, hoplimit, tclass, ttl, tos (gen_udp's
%% order for the last two), each present when the kernel gave it. The
%% destination of `pktinfo' is scoped when it needs a scope (the arrival
%% interface is its scope).
-spec arrival([map()], non_neg_integer()) -> arrival().
arrival(Ctrl, Ask) ->
    [{pktinfo, Info} || Ask band ?PKTINFO =/= 0, {ok, Info} <- [pktinfo(Ctrl)]] ++
        [{hoplimit, H} || Ask band ?HOPLIMIT =/= 0, {ok, H} <- [int(Ctrl, hoplimit)]] ++
        [{tclass, T} || Ask band ?TCLASS =/= 0, {ok, T} <- [int(Ctrl, tclass)]] ++
        [{ttl, H} || Ask band ?TTL =/= 0, {ok, H} <- [int(Ctrl, hoplimit)]] ++
        [{tos, T} || Ask band ?TOS =/= 0, {ok, T} <- [int(Ctrl, tclass)]].

%% @doc The bit of the `Ask' mask an arrival option sets.
-spec ask_bit(recvpktinfo | recvhoplimit | recvtclass | recvttl | recvtos) -> pos_integer().
ask_bit(recvpktinfo) -> ?PKTINFO;
ask_bit(recvhoplimit) -> ?HOPLIMIT;
ask_bit(recvtclass) -> ?TCLASS;
ask_bit(recvttl) -> ?TTL;
ask_bit(recvtos) -> ?TOS.

%% @doc The hop limit a datagram arrived with, or `undefined'.
-spec hoplimit([map()]) -> 0..255 | undefined.
hoplimit(Ctrl) ->
    case int(Ctrl, hoplimit) of
        {ok, H} -> H;
        error -> undefined
    end.

%% @doc send/5's `AncData', checked and resolved: `{pktinfo, Source}' (a
%% source address, scoped where it needs a scope, or the unspecified
%% address with a scope to choose only the interface; IPv4 or IPv6),
%% `{hoplimit, 0..255}', `{tclass, 0..255}'. `{error, badarg}' for an item
%% of the wrong shape, `{error, Reason}' for a source that cannot be
%% resolved.
-spec items(term()) -> {ok, [item()]} | {error, term()}.
items(AncData) when is_list(AncData) ->
    items(AncData, []);
items(_) ->
    {error, badarg}.

items([], Acc) ->
    {ok, lists:reverse(Acc)};
items([{pktinfo, Source} | Rest], Acc) ->
    case source(Source) of
        {ok, IpIndex} -> items(Rest, [{pktinfo, IpIndex} | Acc]);
        {error, _} = Error -> Error
    end;
items([{Hops, N} = Item | Rest], Acc)
  when (Hops =:= hoplimit orelse Hops =:= tclass), is_integer(N), N >= 0, N =< 255 ->
    items(Rest, [Item | Acc]);
items(_Bad, _Acc) ->
    {error, badarg}.

%% @doc The interface the items' `pktinfo' chooses (0: none).
-spec interface([item()]) -> non_neg_integer().
interface(Items) ->
    case lists:keyfind(pktinfo, 1, Items) of
        {pktinfo, {_Ip, Index}} -> Index;
        false -> 0
    end.

%% @doc The items as OTP control messages for a socket of `Family':
%% `{error, eafnosupport}' for a `pktinfo' source of the other family.
-spec encode([item()], inet | inet6) -> {ok, [map()]} | {error, eafnosupport}.
encode(Items, Family) ->
    encode(Items, Family, []).

encode([], _Family, Acc) ->
    {ok, lists:reverse(Acc)};
encode([{pktinfo, {Ip, Index}} | Rest], inet6, Acc) when ?is_ip6_address(Ip) ->
    Data = scoped_ipv6_addr:to_bytes(Ip),
    encode(Rest, inet6, [cmsg(ipv6, pktinfo, <<Data/binary, Index:32/native>>) | Acc]);
encode([{pktinfo, {{A, B, C, D}, Index}} | Rest], inet, Acc) ->
    %% struct in_pktinfo: the interface, the source (ipi_spec_dst), and
    %% ipi_addr, which the kernel ignores on send.
    encode(Rest, inet, [cmsg(ip, pktinfo, <<Index:32/native, A, B, C, D, 0:32>>) | Acc]);
encode([{pktinfo, _} | _], _Family, _Acc) ->
    {error, eafnosupport};
encode([{Item, N} | Rest], Family, Acc) ->
    {Level, Type} = native(Family, Item),
    encode(Rest, Family, [cmsg(Level, Type, <<N:32/native-signed>>) | Acc]).

%% Each item's control message on a socket of each family.
native(inet6, Item) -> {ipv6, Item};
native(inet, pktinfo) -> {ip, pktinfo};
native(inet, hoplimit) -> {ip, ttl};
native(inet, tclass) -> {ip, tos}.

cmsg(Level, Type, Data) ->
    #{level => Level, type => Type, data => Data}.

%% IPV6_PKTINFO's and IP_PKTINFO's address and interface: the unspecified
%% address with a scope names only the interface (RFC 3542 section 6.1),
%% an IPv4 address with a scope both; any other address follows
%% scoped_ipv6_addr's rules (a link-local IPv6 one needs a scope).
source({Ip, Scope}) when (Ip =:= {0, 0, 0, 0, 0, 0, 0, 0} orelse ?is_ip4_address(Ip)),
                         ?is_scope(Scope) ->
    %% IPv4 addresses take no zone: an interface is given beside them.
    case scoped_ipv6_dest:interface_index(Scope) of
        {ok, Index} -> {ok, {Ip, Index}};
        {error, _} = Error -> Error
    end;
source(Source) when ?is_scoped_address(Source); ?is_ip6_address(Source); ?is_ip4_address(Source);
                    is_list(Source); is_binary(Source) ->
    case scoped_ipv6_addr:resolve(Source) of
        {ok, {Ip6, Index}} when ?is_ip6_address(Ip6) -> {ok, {Ip6, Index}};
        {ok, Ip6} when ?is_ip6_address(Ip6) -> scoped_ipv6_addr:with_scope(Ip6, 0);
        {ok, Ip4} -> {ok, {Ip4, 0}};
        {error, _} = Error -> Error
    end;
source(_) ->
    {error, badarg}.

%% @doc The interface a datagram (socket:recvmsg/5's map) arrived on and
%% the address it was sent to (pktinfo/1), as the mDNS listeners
%% (scoped_ipv6_mdns_responder, scoped_ipv6_watch) read it: `{Index, To}',
%% `{0, none}' without one.
-spec received_on(map()) -> {non_neg_integer(), scoped_ipv6:address() | none}.
received_on(#{ctrl := Ctrl}) ->
    case pktinfo(Ctrl) of
        {ok, {To, Index}} -> {Index, To};
        error -> {0, none}
    end;
received_on(_) ->
    {0, none}.

%% @doc Where a datagram arrived: `{ok, {Destination, IfIndex}}', the
%% destination scoped by the interface when it needs a scope (what the
%% mDNS responder reads too), or `error' when the kernel gave none.
-spec pktinfo([map()]) -> {ok, {scoped_ipv6:address(), non_neg_integer()}} | error.
pktinfo(Ctrl) ->
    case find(Ctrl, pktinfo) of
        #{value := #{addr := Ip, ifindex := Index}} -> {ok, destination(Ip, Index)};
        #{level := ipv6, data := <<Bytes:16/binary, Index:32/native, _/binary>>} ->
            Ip = list_to_tuple([W || <<W:16>> <= Bytes]),
            {ok, destination(Ip, Index)};
        #{level := ip, data := <<Index:32/native, _SpecDst:4/binary, A, B, C, D, _/binary>>} ->
            %% ipi_addr: the address in the header, as IPV6_PKTINFO's.
            {ok, destination({A, B, C, D}, Index)};
        _ -> error
    end.

destination(Ip, Index) ->
    case scoped_ipv6_addr:needs_scope(Ip) of
        true -> {{Ip, Index}, Index};
        false -> {Ip, Index}
    end.

int(Ctrl, Item) ->
    case find(Ctrl, Item) of
        #{level := ip, type := tos, data := <<Tos, _/binary>>} -> {ok, Tos};
        #{value := N} when is_integer(N) -> {ok, N};
        #{data := <<N:32/native-signed, _/binary>>} -> {ok, N};
        _ -> error
    end.

%% The control message that carries `Item', on an IPv6 or an IPv4 socket
%% (native/2). IPv6's are matched in the clause's head, as native/2 names
%% them: the per-datagram path of every IPv6 socket.
find([#{level := ipv6, type := Item} = Cmsg | _], Item) ->
    Cmsg;
find([#{level := ip, type := Type} = Cmsg | Rest], Item) ->
    case native(inet, Item) of
        {ip, Type} -> Cmsg;
        _ -> find(Rest, Item)
    end;
find([_ | Rest], Item) -> find(Rest, Item);
find([], _Item) -> none.
