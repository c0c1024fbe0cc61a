%% @private
%% Splits the options of a connect/listen/open call into what the NIF must
%% set before bind/connect (the setup map) and what the gen_tcp/gen_udp
%% port takes afterwards. Resolves scoped source addresses on the way.
-module(scoped_ipv6_sockopts).

-include("scoped_ipv6.hrl").

-export([split/2, with_split/4, local_address/2]).

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
            split(Rest, Family, Acc#{port_opts := [Opt | PortOpts]});
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
    case scoped_ipv6:resolve(Address) of
        {ok, {Ip6, Index}} when ?is_ip6_address(Ip6), Family =:= inet6 ->
            {ok, {Ip6, Index}};
        {ok, Ip6} when ?is_ip6_address(Ip6), Family =:= inet6 ->
            case scoped_ipv6:needs_scope(Ip6) of
                true -> {error, scope_required};
                false -> {ok, {Ip6, 0}}
            end;
        {ok, Ip4} when ?is_ip4_address(Ip4), Family =:= inet ->
            {ok, {Ip4, 0}};
        {ok, _OtherFamily} ->
            {error, eafnosupport};
        {error, _} = Error ->
            Error
    end.

wildcard(inet) -> {0, 0, 0, 0};
wildcard(inet6) -> {0, 0, 0, 0, 0, 0, 0, 0}.
