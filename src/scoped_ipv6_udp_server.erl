%% @private
%% The process that owns a scoped UDP socket (scoped_ipv6_udp): it opens
%% and binds it, closes it when its controlling process exits, delivers
%% active messages, and sets and reads options (scoped_ipv6_sockopts's
%% table). What the caller's own reads need (active or not, the mode, the
%% buffer, the arrival information, the hop-limit guard) it publishes in
%% the socket's flags, so a passive receive costs no call here.
-module(scoped_ipv6_udp_server).
-behaviour(gen_server).

-include("scoped_ipv6_udp.hrl").

-export([start/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

%% Receive errors that concern one datagram: one too long for the buffer,
%% or an ICMP error for one sent (Linux's icmpv6_err_convert and
%% icmp_err_convert: port unreachable, no route, host or network
%% unreachable, administratively prohibited, parameter problem). The
%% kernel reports each once; the socket goes on.
-define(IS_ONE_OFF(Reason),
        (Reason =:= emsgsize orelse Reason =:= econnrefused orelse Reason =:= ehostunreach
         orelse Reason =:= enetunreach orelse Reason =:= eacces orelse Reason =:= eproto)).

%% @doc A process that opens the socket as `Open' says, owned by `Owner':
%% the socket's handle, or the reason it could not be opened.
-spec start(pid(), scoped_ipv6_sockopts:udp_open()) -> {ok, tuple()} | {error, term()}.
start(Owner, Open) ->
    case gen_server:start(?MODULE, {Owner, Open}, []) of
        {ok, Server} -> gen_server:call(Server, handle);
        {error, {shutdown, Reason}} -> {error, Reason};
        {error, Reason} -> {error, Reason}
    end.

-spec init({pid(), scoped_ipv6_sockopts:udp_open()}) -> {ok, map()} | {stop, term()}.
init({Owner, #{after_bind := Settings} = Open}) ->
    Family = family(Open),
    case open_socket(Family, Open) of
        {ok, Socket} ->
            Handle = #scoped_udp{server = self(), socket = Socket, family = Family,
                                 flags = atomics:new(?FLAGS, [{signed, false}])},
            State = #{handle => Handle, owner => Owner,
                      monitor => erlang:monitor(process, Owner),
                      active => false, mode => list, buffer => ?MAX_DATAGRAM,
                      ask => 0, min_hops => 0, pending => undefined},
            case apply_settings(Settings, State) of
                {ok, State1} -> {ok, State1};
                {error, Reason} -> socket:close(Socket), {stop, {shutdown, Reason}}
            end;
        {error, Reason} ->
            {stop, {shutdown, Reason}}
    end.

-spec handle_call(term(), gen_server:from(), map()) ->
    {reply, term(), map()} | {stop, normal, ok, map()}.
handle_call(handle, _From, #{handle := Handle} = State) ->
    {reply, {ok, Handle}, State};
handle_call({setopts, Opts}, _From, State) ->
    case apply_opts(Opts, State) of
        {ok, State1} -> {reply, ok, State1};
        {error, _} = Error -> {reply, Error, State}
    end;
handle_call({getopts, Names}, _From, State) ->
    {reply, read_opts(Names, State, []), State};
handle_call({controlling_process, Owner, NewOwner}, _From,
            #{owner := Owner, monitor := Monitor} = State) ->
    erlang:demonitor(Monitor, [flush]),
    {reply, ok, State#{owner := NewOwner, monitor := erlang:monitor(process, NewOwner)}};
handle_call({controlling_process, _NotOwner, _}, _From, State) ->
    {reply, {error, not_owner}, State};
handle_call(close, _From, State) ->
    {stop, normal, ok, State}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(_Message, State) ->
    {noreply, State}.

-spec handle_info(term(), map()) -> {noreply, map()} | {stop, normal, map()}.
handle_info({'$socket', Socket, select, Handle},
            #{handle := #scoped_udp{socket = Socket},
              pending := {select_info, _, Handle}} = State) ->
    {noreply, receive_active(State#{pending := undefined})};
handle_info({'DOWN', Monitor, process, _, _}, #{monitor := Monitor} = State) ->
    {stop, normal, State};
handle_info(_Message, State) ->
    {noreply, State}.

-spec terminate(term(), map()) -> ok.
terminate(_Reason, #{handle := #scoped_udp{socket = Socket}}) ->
    _ = socket:close(Socket),
    ok.

%% Delivers datagrams to the owner while active, then waits in the poll set.
receive_active(#{active := false} = State) ->
    State;
receive_active(#{handle := #scoped_udp{socket = Socket, flags = Flags} = Handle,
                 owner := Owner, active := Active} = State) ->
    case scoped_ipv6_udp_read:one(Socket, Flags, nowait) of
        {ok, Datagram} ->
            Owner ! active_message(Handle, Datagram),
            receive_active(set_active(countdown(Active), State));
        dropped ->
            receive_active(State);
        {select, SelectInfo} ->
            State#{pending := SelectInfo};
        {error, Reason} when ?IS_ONE_OFF(Reason) ->
            %% That datagram is gone (the next one may fit), or an ICMP
            %% error came back for a datagram sent: reported, and active
            %% mode stays on, as gen_udp's.
            Owner ! {udp_error, Handle, Reason},
            receive_active(State);
        {error, Reason} ->
            Owner ! {udp_error, Handle, Reason},
            publish_flags(State#{active := false})
    end.

active_message(Handle, {Address, Port, Payload}) ->
    {udp, Handle, Address, Port, Payload};
active_message(Handle, {Address, Port, AncData, Payload}) ->
    {udp, Handle, Address, Port, AncData, Payload}.

countdown(true) -> true;
countdown(once) -> false;
countdown(N) when N > 1 -> N - 1;
countdown(_Last) -> passive.

set_active(passive, #{handle := Handle, owner := Owner} = State) ->
    Owner ! {udp_passive, Handle},
    publish_flags(State#{active := false});
set_active(false, State) ->
    publish_flags(State#{active := false});
set_active(Active, State) ->
    State#{active := Active}.

%% As inet:setopts/2: a bad option is einval, and the socket stays open.
%% Every option is checked before any is applied.
apply_opts(Opts, #{handle := #scoped_udp{family = Family}} = State) ->
    case settings(Opts, Family, []) of
        {ok, Settings} -> apply_settings(Settings, State);
        {error, einval} = Error -> Error
    end.

settings([], _Family, Acc) ->
    {ok, lists:reverse(Acc)};
settings([Opt | Rest], Family, Acc) ->
    case scoped_ipv6_sockopts:udp_setting(Opt, Family) of
        {ok, Setting} -> settings(Rest, Family, [Setting | Acc]);
        {error, einval} = Error -> Error
    end;
settings(_Improper, _Family, _Acc) ->
    {error, einval}.

apply_settings([], State) ->
    {ok, start_or_stop(publish_flags(State))};
apply_settings([Setting | Rest], #{handle := #scoped_udp{socket = Socket}} = State) ->
    case apply_setting(Setting, Socket, State) of
        {ok, State1} -> apply_settings(Rest, State1);
        {error, _} = Error -> Error
    end.

apply_setting({server, active, N}, _Socket, #{active := Current} = State) when is_integer(N) ->
    Now = case Current of C when is_integer(C) -> C + N; _ -> N end,
    {ok, State#{active := if Now > 0 -> Now; true -> false end}};
apply_setting({server, Key, Value}, _Socket, State) ->
    {ok, State#{Key := Value}};
apply_setting({socket, SockOpt, {native, Raw}}, Socket, State) ->
    ok_state(socket:setopt_native(Socket, SockOpt, Raw), State);
apply_setting({socket, SockOpt, Value}, Socket, State) ->
    ok_state(socket:setopt(Socket, SockOpt, Value), State);
%% Arrival information (RFC 3542; IPv4: IP_PKTINFO, IP_RECVTTL,
%% IP_RECVTOS) and RFC 5082's guard.
apply_setting({arrival, min_hoplimit, N}, Socket, State) ->
    ask(Socket, State#{min_hops := N});
apply_setting({arrival, Opt, B}, Socket, #{ask := Ask} = State) ->
    Bit = scoped_ipv6_cmsg:ask_bit(Opt),
    ask(Socket, State#{ask := case B of true -> Ask bor Bit; false -> Ask band bnot Bit end}).

%% Option values for getopts/2, in the order asked.
read_opts([], _State, Acc) ->
    {ok, lists:reverse(Acc)};
read_opts([Name | Rest], #{handle := #scoped_udp{family = Family}} = State, Acc) ->
    case read_opt(scoped_ipv6_sockopts:udp_reading(Name, Family), Name, State) of
        {ok, Value} -> read_opts(Rest, State, [{Name, Value} | Acc]);
        {error, _} = Error -> Error
    end;
read_opts(_Improper, _State, _Acc) ->
    {error, einval}.

read_opt({ok, {server, Key}}, _Name, State) ->
    {ok, maps:get(Key, State)};
read_opt({ok, {arrival, min_hoplimit}}, _Name, #{min_hops := MinHops}) ->
    {ok, MinHops};
read_opt({ok, {arrival, Opt}}, _Name, #{ask := Ask}) ->
    {ok, Ask band scoped_ipv6_cmsg:ask_bit(Opt) =/= 0};
read_opt({ok, {native, SockOpt}}, _Name, #{handle := #scoped_udp{socket = Socket}}) ->
    socket:getopt_native(Socket, SockOpt, integer);
read_opt({ok, {socket, {socket, bindtodevice}}}, _Name,
         #{handle := #scoped_udp{socket = Socket}}) ->
    case socket:getopt(Socket, {socket, bindtodevice}) of
        %% The kernel's buffer, NUL and all: gen_udp gives the name.
        {ok, Device} -> {ok, list_to_binary(lists:takewhile(fun(C) -> C =/= 0 end, Device))};
        {error, _} = Error -> Error
    end;
read_opt({ok, {socket, SockOpt}}, _Name, #{handle := #scoped_udp{socket = Socket}}) ->
    socket:getopt(Socket, SockOpt);
read_opt(error, _Name, _State) ->
    {error, einval}.

%% The kernel reports what was asked for, and the hop limit for the guard.
ask(Socket, #{ask := Ask, min_hops := MinHops, handle := #scoped_udp{family = Family}} = State) ->
    Asked = fun(Opts) -> lists:any(fun(O) -> Ask band scoped_ipv6_cmsg:ask_bit(O) =/= 0 end,
                                   Opts) end,
    Settings = [{recvpktinfo, Asked([recvpktinfo])},
                {recvhoplimit, Asked([recvhoplimit, recvttl]) orelse MinHops > 0},
                {recvtclass, Asked([recvtclass, recvtos])}],
    ok_state(scoped_ipv6_sockopts:set(Socket, [scoped_ipv6_sockopts:on_family(Family, {ipv6, Opt}, B)
                              || {Opt, B} <- Settings]), State).

ok_state(ok, State) -> {ok, State};
ok_state({error, _} = Error, _State) -> Error.

%% recv/3 runs in the caller and reads the mode and active flag from here.
publish_flags(#{handle := #scoped_udp{flags = Flags}, active := Active, mode := Mode,
                buffer := Buffer, ask := Ask, min_hops := MinHops} = State) ->
    atomics:put(Flags, ?ACTIVE, case Active of false -> 0; _ -> 1 end),
    atomics:put(Flags, ?BINARY, case Mode of binary -> 1; list -> 0 end),
    atomics:put(Flags, ?BUFFER, Buffer),
    atomics:put(Flags, ?ASK, Ask),
    atomics:put(Flags, ?MIN_HOPS, MinHops),
    State.

start_or_stop(#{active := false, pending := undefined} = State) ->
    State;
start_or_stop(#{active := false, pending := SelectInfo,
                handle := #scoped_udp{socket = S}} = State) ->
    _ = socket:cancel(S, SelectInfo),
    State#{pending := undefined};
start_or_stop(#{pending := undefined} = State) ->
    receive_active(State);
start_or_stop(State) ->
    State.

family(#{bind := {{_, _, _, _}, _, _}}) -> inet;
family(#{bind := _Ip6}) -> inet6.

open_socket(Family, #{bind := {Ip, Port, Scope}, before_bind := Before}) ->
    case socket:open(Family, dgram, udp) of
        {ok, Socket} ->
            case scoped_ipv6_sockopts:set(Socket, Before) of
                ok ->
                    case socket:bind(Socket, scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope)) of
                        ok -> {ok, Socket};
                        {error, _} = Error -> socket:close(Socket), Error
                    end;
                {error, _} = Error ->
                    socket:close(Socket),
                    Error
            end;
        {error, _} = Error ->
            Error
    end.
