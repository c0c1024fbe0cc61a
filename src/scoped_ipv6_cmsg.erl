%% @private
%% RFC 3542 ancillary data of scoped UDP sockets, between OTP's `socket'
%% control messages and the `AncData' lists of scoped_ipv6_udp.
%%
%% On receive OTP's socket decodes IPV6_PKTINFO, IPV6_HOPLIMIT and
%% IPV6_TCLASS into a `value' (seen on OTP 25, documented in current
%% sources); where a release leaves only the native `data' (its documented
%% fallback: a `value' only if it could decode one), it is decoded here.
%% On send, OTP 25's socket cannot encode an IPV6_PKTINFO `value'
%% (`{invalid, {msg, ctrl, _}}'), so every control message goes out as
%% native `data', which the socket NIF copies as it is. Pure: no socket,
%% no NIF.
-module(scoped_ipv6_cmsg).

-include("scoped_ipv6.hrl").

-export([arrival/2, hoplimit/1, encode/1, interface/1]).

%% What a socket asked to learn, as a bit mask (kept in an atomics array).
-define(PKTINFO, 1).
-define(HOPLIMIT, 2).
-define(TCLASS, 4).

-type arrival() :: [{pktinfo, {scoped_ipv6:address(), non_neg_integer()}} |
                    {hoplimit, 0..255} | {tclass, 0..255}].
-export_type([arrival/0]).

%% @doc The arrival information asked for (`Ask', a mask of ?PKTINFO,
%% ?HOPLIMIT, ?TCLASS), in that order, each present when the kernel gave
%% it. The destination of `pktinfo' is scoped when it needs a scope (the
%% arrival interface is its scope).
-spec arrival([map()], non_neg_integer()) -> arrival().
arrival(Ctrl, Ask) ->
    [{pktinfo, Info} || Ask band ?PKTINFO =/= 0, {ok, Info} <- [pktinfo(Ctrl)]] ++
        [{hoplimit, H} || Ask band ?HOPLIMIT =/= 0, {ok, H} <- [int(Ctrl, hoplimit)]] ++
        [{tclass, T} || Ask band ?TCLASS =/= 0, {ok, T} <- [int(Ctrl, tclass)]].

%% @doc The hop limit a datagram arrived with, or `undefined'.
-spec hoplimit([map()]) -> 0..255 | undefined.
hoplimit(Ctrl) ->
    case int(Ctrl, hoplimit) of
        {ok, H} -> H;
        error -> undefined
    end.

%% @doc send/5's `AncData' as OTP control messages: `{pktinfo, Source}'
%% (a source address, scoped where it needs a scope, or the unspecified
%% address with a scope to choose only the interface), `{hoplimit, 0..255}',
%% `{tclass, 0..255}'. `{error, badarg}' for an item of the wrong shape,
%% `{error, Reason}' for a source that cannot be resolved.
-spec encode(term()) -> {ok, [map()]} | {error, term()}.
encode(AncData) when is_list(AncData) ->
    encode(AncData, []);
encode(_) ->
    {error, badarg}.

encode([], Acc) ->
    {ok, lists:reverse(Acc)};
encode([{pktinfo, Source} | Rest], Acc) ->
    case source(Source) of
        {ok, {Ip, Index}} ->
            Data = <<<<W:16>> || W <- tuple_to_list(Ip)>>,
            encode(Rest, [cmsg(pktinfo, <<Data/binary, Index:32/native>>) | Acc]);
        {error, _} = Error ->
            Error
    end;
encode([{hoplimit, N} | Rest], Acc) when is_integer(N), N >= 0, N =< 255 ->
    encode(Rest, [cmsg(hoplimit, <<N:32/native-signed>>) | Acc]);
encode([{tclass, N} | Rest], Acc) when is_integer(N), N >= 0, N =< 255 ->
    encode(Rest, [cmsg(tclass, <<N:32/native-signed>>) | Acc]);
encode(_Bad, _Acc) ->
    {error, badarg}.

%% @doc The interface an encoded IPV6_PKTINFO chooses (0: none).
-spec interface([map()]) -> non_neg_integer().
interface(Ctrl) ->
    case find(Ctrl, pktinfo) of
        #{data := <<_:16/binary, Index:32/native>>} -> Index;
        _ -> 0
    end.

cmsg(Type, Data) ->
    #{level => ipv6, type => Type, data => Data}.

%% IPV6_PKTINFO's address and interface: the unspecified address with a
%% scope names only the interface (RFC 3542 section 6.1); any other
%% address follows scoped_ipv6_addr's rules (a link-local one needs a scope).
source({{0, 0, 0, 0, 0, 0, 0, 0} = Any, Scope}) when ?is_scope(Scope) ->
    case scoped_ipv6_dest:interface_index(Scope) of
        {ok, Index} -> {ok, {Any, Index}};
        {error, _} = Error -> Error
    end;
source(Source) when ?is_scoped_address(Source); ?is_ip6_address(Source); ?is_ip4_address(Source);
                    is_list(Source); is_binary(Source) ->
    case scoped_ipv6_addr:resolve(Source) of
        {ok, {Ip6, Index}} when ?is_ip6_address(Ip6) -> {ok, {Ip6, Index}};
        {ok, Ip6} when ?is_ip6_address(Ip6) -> scoped_ipv6_addr:with_scope(Ip6, 0);
        {ok, _Ip4} -> {error, eafnosupport};
        {error, _} = Error -> Error
    end;
source(_) ->
    {error, badarg}.

pktinfo(Ctrl) ->
    case find(Ctrl, pktinfo) of
        #{value := #{addr := Ip, ifindex := Index}} -> {ok, destination(Ip, Index)};
        #{data := <<Bytes:16/binary, Index:32/native, _/binary>>} ->
            Ip = list_to_tuple([W || <<W:16>> <= Bytes]),
            {ok, destination(Ip, Index)};
        _ -> error
    end.

destination(Ip, Index) ->
    case scoped_ipv6_addr:needs_scope(Ip) of
        true -> {{Ip, Index}, Index};
        false -> {Ip, Index}
    end.

int(Ctrl, Type) ->
    case find(Ctrl, Type) of
        #{value := N} when is_integer(N) -> {ok, N};
        #{data := <<N:32/native-signed, _/binary>>} -> {ok, N};
        _ -> error
    end.

find([#{level := ipv6, type := Type} = Cmsg | _], Type) -> Cmsg;
find([_ | Rest], Type) -> find(Rest, Type);
find([], _Type) -> none.
