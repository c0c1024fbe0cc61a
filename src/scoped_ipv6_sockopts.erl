%% @private
%% Splits the options of a connect/listen/open call into what the NIF must
%% set before bind/connect (the setup map) and what the gen_tcp/gen_udp
%% port takes afterwards. Resolves scoped source addresses on the way.
-module(scoped_ipv6_sockopts).

-include("scoped_ipv6.hrl").

-export([split/2, with_split/4, local_address/2, for_gen_tcp/2, family/2, backend/1,
         bound_to_interface/2, refused_option/2]).

-type split() :: #{setup := map(), port_opts := [term()], active := term(),
                   backlog := pos_integer()}.
-export_type([split/0]).

%% Options that only make sense before the socket exists, or that we decide.
-define(DROPPED(O), (O =:= inet orelse O =:= inet6 orelse O =:= local)).

-spec split([term()], inet | inet6) -> {ok, split()} | {error, term()}.
%% @doc Calls `Fun' with the split options; a malformed option raises
%% `badarg' naming the public call's `Args', as a wrong type should.
-spec with_split([term()], inet | inet6, [term()], fun((split()) -> Result)) ->
    Result | {error, term()}.
with_split(Opts, Family, Args, Fun) ->
    case split(Opts, Family) of
        {ok, Split} -> Fun(Split);
        {error, {badarg, _}} -> erlang:error(badarg, Args);
        {error, _} = Error -> Error
    end.

%% @doc Where a listening or UDP socket binds: `{ip, A}' as resolved, or
%% the family's wildcard.
-spec local_address(split(), inet | inet6) -> {inet:ip_address(), non_neg_integer()}.
local_address(#{setup := Setup}, Family) ->
    {Ip, _Port, Scope} = maps:get(bind, Setup, {wildcard(Family), 0, 0}),
    {Ip, Scope}.

%% Socket options that neither gen_tcp nor gen_udp name: the one table
%% of them. Each is a SOL_SOCKET option with a 32-bit value, set before the
%% socket is bound or connected: for TCP as gen_tcp's `{raw, 1, Opt, Value}'
%% (for_gen_tcp/2), for UDP with the socket module (scoped_ipv6_udp). A new
%% option of this kind is one more line here, and its test.
%%
%% `{ok, Number, Raw}' for one of them with a good value, `{error, {badarg,
%% Opt}}' with a bad one, `none' for any other option.
kernel_setting({Key, Value} = Opt) when is_atom(Key) ->
    case {kernel_option(Key), kernel_value(Value)} of
        {{ok, Number}, {ok, Raw}} -> {ok, Number, Raw};
        {{ok, _}, error} -> {error, {badarg, Opt}};
        {error, _} -> none
    end;
kernel_setting(_Opt) ->
    none.

kernel_option(Name) ->
    case os:type() of
        {unix, linux} -> linux_option(Name);
        _ -> error
    end.

linux_option(mark) -> {ok, 36};              % SO_MARK: the packets' fwmark
linux_option(bind_to_ifindex) -> {ok, 62};   % SO_BINDTOIFINDEX (Linux 5.0+)
linux_option(_) -> error.

%% A 32-bit option value, or `error'.
kernel_value(Value) when is_integer(Value), Value >= 0, Value =< 16#ffffffff ->
    {ok, <<Value:32/native>>};
kernel_value(_) ->
    error.

%% @doc gen_tcp's own options, with the addresses in `{ip, A}' and
%% `{ifaddr, A}' resolved to what gen_tcp takes: a plain tuple, or OTP's
%% sockaddr map when the address has a scope (its port is the local port
%% gen_tcp would bind: the last `{port, P}', else `DefaultPort'). Order is
%% kept, so gen_tcp's own rules (the last address wins) still hold.
-spec for_gen_tcp([term()], inet:port_number()) -> {ok, [term()]} | {error, term()}.
for_gen_tcp(Opts, DefaultPort) ->
    case local_port(Opts, DefaultPort) of
        {ok, Port} -> for_gen_tcp(Opts, {backend(Opts), Port}, []);
        {error, _} = Error -> Error
    end.

for_gen_tcp([], _To, Acc) ->
    {ok, lists:reverse(Acc)};
for_gen_tcp([{Key, Address} | Rest], To, Acc) when Key =:= ip; Key =:= ifaddr ->
    case tcp_address(Address, To) of
        {ok, Options} -> for_gen_tcp(Rest, To, lists:reverse(Options, Acc));
        {error, _} = Error -> Error
    end;
for_gen_tcp([Opt | Rest], To, Acc) ->
    case kernel_setting(Opt) of
        {ok, Number, Raw} -> for_gen_tcp(Rest, To, [{raw, 1, Number, Raw} | Acc]);
        {error, _} = Error -> Error;
        none -> for_gen_tcp(Rest, To, [Opt | Acc])
    end.

%% @doc Which option of a list gen_tcp refused (it says only `badarg'):
%% the first that it refuses alone (scoped_ipv6_otp knows how to ask).
-spec refused_option(connect | listen, [term()]) -> {refused, term()} | unknown.
refused_option(Kind, Opts) ->
    Refused = [Opt || is_list(Opts), Opt <- Opts,
                      scoped_ipv6_otp:gen_tcp_refuses(Kind, Opt) =:= true],
    case Refused of
        [Opt | _] -> {refused, Opt};
        [] -> unknown
    end.

%% @doc The gen_tcp backend these options choose: the first option, or the
%% node's default (`-kernel inet_backend').
-spec backend([term()]) -> inet | socket.
backend([{inet_backend, Backend} | _]) when Backend =:= inet; Backend =:= socket ->
    Backend;
backend(_Opts) ->
    case application:get_env(kernel, inet_backend, inet) of
        socket -> socket;
        _ -> inet
    end.

%% @doc `Opts' with `{bind_to_device, Name}' for interface `Index' added
%% where gen_tcp reads options (after a leading `inet_backend').
-spec bound_to_interface(pos_integer(), [term()]) -> {ok, [term()]} | {error, term()}.
bound_to_interface(Index, Opts) ->
    case bind_to_device(Index) of
        {ok, Bound} ->
            case Opts of
                [{inet_backend, _} = Backend | Rest] -> {ok, [Backend, Bound | Rest]};
                _ -> {ok, [Bound | Opts]}
            end;
        {error, _} = Error ->
            Error
    end.

bind_to_device(Index) ->
    case scoped_ipv6_addr:if_name(Index) of
        {ok, Name} -> {ok, {bind_to_device, unicode:characters_to_binary(Name)}};
        {error, _} = Error -> Error
    end.

local_port(Opts, Port) ->
    try lists:foldl(fun({port, P}, _) -> P; (_, P) -> P end, Port, Opts) of
        P -> {ok, P}
    catch
        error:_ -> {error, {badarg, improper_list}}
    end.

tcp_address(#{} = SockAddr, _To) ->
    {ok, [{ifaddr, SockAddr}]};
tcp_address(Address, {Backend, Port}) ->
    case source(Address, any) of
        {ok, {Ip6, Index}} when Index > 0, Backend =:= inet ->
            {ok, [{ifaddr, scoped_ipv6_addr:to_sockaddr(Ip6, Port, Index)}]};
        {ok, {Ip6, Index}} when Index > 0, Backend =:= socket ->
            %% As for a scoped connect: see scoped_ipv6_tcp_open.
            case bind_to_device(Index) of
                {ok, Bound} -> {ok, [{ip, Ip6}, Bound]};
                {error, _} = Error -> Error
            end;
        {ok, {Ip, 0}} ->
            {ok, [{ip, Ip}]};
        {error, _} = Error ->
            Error
    end.

%% @doc The address family gen_tcp would choose for these options: the
%% first `inet'/`inet6', else that of the last `{ip, A}'/`{ifaddr, A}',
%% else `Default' (the destination's).
-spec family([term()], inet | inet6) -> inet | inet6.
family(Opts, Default) ->
    case [F || F <- Opts, F =:= inet orelse F =:= inet6] of
        [Family | _] -> Family;
        [] -> lists:foldl(fun address_family/2, Default, Opts)
    end.

address_family({Key, Address}, Family) when Key =:= ip; Key =:= ifaddr ->
    case Address of
        #{family := Given} -> Given;
        _ when ?is_ip4_address(Address) -> inet;
        _ when ?is_ip6_address(Address); ?is_scoped_address(Address) -> inet6;
        _ when is_list(Address); is_binary(Address) ->
            case scoped_ipv6_addr:parse(Address) of
                {ok, Ip} when ?is_ip4_address(Ip) -> inet;
                {ok, _Ip6} -> inet6;
                {error, einval} -> Family
            end;
        _ -> Family
    end;
address_family(_, Family) ->
    Family.

split(Opts, Family) ->
    split(Opts, Family, #{setup => #{}, port_opts => [], active => false,
                          backlog => 5, source => undefined, source_port => 0}).

split([], Family, Acc) ->
    finish(Family, Acc);
split([Opt | Rest], Family, #{setup := Setup, port_opts := PortOpts} = Acc) ->
    case Opt of
        _ when ?DROPPED(Opt) ->
            split(Rest, Family, Acc);
        {ip, Address} ->
            split(Rest, Family, Acc#{source := Address});
        {ifaddr, Address} ->
            split(Rest, Family, Acc#{source := Address});
        {port, P} when is_integer(P), P >= 0, P =< 65535 ->
            split(Rest, Family, Acc#{source_port := P});
        {reuseaddr, B} when is_boolean(B) ->
            split(Rest, Family, Acc#{setup := Setup#{reuseaddr => B}});
        {ipv6_v6only, B} when is_boolean(B) ->
            split(Rest, Family, Acc#{setup := Setup#{ipv6_v6only => B}});
        {recbuf, N} when is_integer(N), N > 0 ->
            split(Rest, Family, Acc#{setup := Setup#{recbuf => N}});
        {sndbuf, N} when is_integer(N), N > 0 ->
            split(Rest, Family, Acc#{setup := Setup#{sndbuf => N}});
        {bind_to_device, Name} when is_binary(Name) ->
            split(Rest, Family, Acc#{setup := Setup#{bind_to_device => Name}});
        {active, A} when is_boolean(A); A =:= once; is_integer(A) ->
            split(Rest, Family, Acc#{active := A});
        {backlog, N} when is_integer(N), N > 0 ->
            split(Rest, Family, Acc#{backlog := N, port_opts := [Opt | PortOpts]});
        {inet_backend, inet} ->
            split(Rest, Family, Acc);
        {tcp_module, _} ->
            split(Rest, Family, Acc);
        {udp_module, _} ->
            split(Rest, Family, Acc);
        _ when is_atom(Opt); is_tuple(Opt) ->
            case kernel_setting(Opt) of
                {ok, Number, Raw} ->
                    split(Rest, Family, Acc#{setup := Setup#{{kernel, Number} => Raw}});
                {error, _} = Error ->
                    Error;
                none ->
                    split(Rest, Family, Acc#{port_opts := [Opt | PortOpts]})
            end;
        _ ->
            {error, {badarg, Opt}}
    end;
split(_Improper, _Family, _Acc) ->
    {error, {badarg, improper_list}}.

finish(Family, #{source := Source, source_port := SourcePort, setup := Setup} = Acc) ->
    case source(Source, Family) of
        {ok, none} when SourcePort =:= 0 ->
            {ok, result(Acc, Setup)};
        {ok, none} ->
            {ok, result(Acc, Setup#{bind => {wildcard(Family), SourcePort, 0}})};
        {ok, {Ip, Scope}} ->
            {ok, result(Acc, Setup#{bind => {Ip, SourcePort, Scope}})};
        {error, _} = Error ->
            Error
    end.

result(#{port_opts := PortOpts, active := Active, backlog := Backlog}, Setup) ->
    #{setup => Setup, port_opts => lists:reverse(PortOpts), active => Active,
      backlog => Backlog}.

source(undefined, _Family) ->
    {ok, none};
source(Address, Family) ->
    case scoped_ipv6_addr:resolve(Address) of
        {ok, {Ip6, Index}} when ?is_ip6_address(Ip6), Family =/= inet ->
            {ok, {Ip6, Index}};
        {ok, Ip6} when ?is_ip6_address(Ip6), Family =/= inet ->
            scoped_ipv6_addr:with_scope(Ip6, 0);
        {ok, Ip4} when ?is_ip4_address(Ip4), Family =/= inet6 ->
            {ok, {Ip4, 0}};
        {ok, _OtherFamily} ->
            {error, eafnosupport};
        {error, _} = Error ->
            Error
    end.

wildcard(inet) -> {0, 0, 0, 0};
wildcard(inet6) -> {0, 0, 0, 0, 0, 0, 0, 0}.
