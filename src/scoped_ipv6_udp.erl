%% @doc UDP with scoped IPv6 addresses: send to `fe80::2%eth0', and learn
%% the scope of every sender.
%%
%% Why not a gen_udp port: the inet driver drops the sender's scope on
%% receive (`recv', active messages), so a server bound to `::' could not
%% tell two link-local peers on two links apart, nor answer them; and its
%% IPv6 `add_membership' is broken (erlang/otp issues 8176, 5789). OTP's
%% own `socket' module keeps `scope_id' in every address and joins groups
%% correctly, and it waits in the VM's poll set (`enif_select'), so it is
%% the engine here. The socket you get offers the gen_udp-shaped API:
%% `send/4', `recv/2,3', active mode (`{udp, Socket, Address, Port, Data}'
%% with the scoped address, `{active, once | N | true}'),
%% `controlling_process/2', `close/1', and multicast (`join_group/3',
%% `leave_group/3', `multicast_if', `multicast_hops', `multicast_loop').
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary]),
%% ok = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hello">>),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{_PeerIp6, Eth0}, 5353, _Reply}} = scoped_ipv6_udp:recv(S, 0, 5000).
%% '''
%%
%% The reply's scope is the link it came from. Its address is the one the
%% peer's kernel chose as source, which need not be the address asked
%% (a peer with two link-local addresses may answer from the other).
-module(scoped_ipv6_udp).
-behaviour(gen_server).

-include("scoped_ipv6.hrl").
-include("scoped_ipv6_udp.hrl").

-export([open/1, open/2, send/4, recv/2, recv/3, setopts/2, controlling_process/2,
         close/1, join_group/3, leave_group/3, sockname/1, peername/1, socket/1,
         is_socket/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

%% `flags': an atomics array the server writes and recv/3 reads, so that a
%% passive receive costs no call to the server and no getopt:
%% ?ACTIVE is 1 while active, ?BINARY 1 in binary mode, ?BUFFER the
%% largest datagram received.
-record(scoped_udp, {server :: pid(), socket :: socket:socket(), flags :: atomics:atomics_ref()}).
-define(ACTIVE, 1).
-define(BINARY, 2).
-define(BUFFER, 3).
%% The longest wait `receive ... after' and the socket module take at once.
-define(MAX_WAIT, 16#ffffffff).
%% gen_udp's range for the (ignored) length of recv/2,3.
-define(is_length(L), (is_integer(L) andalso L >= 0 andalso L =< 16#ffffffff)).
-define(is_timeout(T), (T =:= infinity orelse (is_integer(T) andalso T >= 0))).
-opaque socket() :: #scoped_udp{}.
-export_type([socket/0]).


%% @equiv open(Port, [])
-spec open(inet:port_number()) -> {ok, socket()} | {error, scoped_ipv6:reason()}.
open(Port) ->
    open(Port, []).

%% @doc A UDP socket bound to `Port' on `{ip, Address}' (scoped, plain, or
%% by default the IPv6 wildcard with `ipv6_v6only' set explicitly, `true'
%% unless you say otherwise). The family follows the options as in gen_udp
%% (`inet', or an IPv4 `{ip, A}', makes an IPv4 socket), except that with
%% neither it is IPv6, where scopes live; a family against the address is
%% `{error, eafnosupport}'. Options: `binary'
%% or `list', `{active, A}', `reuseaddr', `ipv6_v6only', `recbuf',
%% `sndbuf', `bind_to_device', `{multicast_if, Scope}',
%% `{multicast_hops, N}', `{multicast_loop, Bool}', `{buffer, N}'.
%%
%% `{buffer, N}' (`1..65535', default 65535) is the largest datagram
%% received, as in gen_udp; unlike gen_udp, a longer datagram is never
%% cut silently: it is dropped and reported as `{error, emsgsize}' to
%% `recv/3', or `{udp_error, Socket, emsgsize}' in active mode (which
%% stays on). An option it does not take, or a bad value, raises `badarg'
%% (as gen_udp does).
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary, {ip, "fe80::1%eth0"}]),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, _Port}} = scoped_ipv6_udp:sockname(S),
%% {error, scope_required} = scoped_ipv6_udp:open(0, [{ip, "fe80::1"}]),
%% badarg = try scoped_ipv6_udp:open(0, [{buffer, 0}]) catch error:badarg -> badarg end.
%% '''
-spec open(inet:port_number(), [term()]) -> {ok, socket()} | {error, scoped_ipv6:reason()}.
open(Port, Opts) when is_integer(Port), Port >= 0, Port =< 65535, is_list(Opts) ->
    case scoped_ipv6_sockopts:udp_open(Port, Opts) of
        {ok, Open} ->
            case gen_server:start(?MODULE, {self(), Open}, []) of
                {ok, Server} -> gen_server:call(Server, handle);
                {error, {shutdown, Reason}} -> {error, Reason};
                {error, Reason} -> {error, Reason}
            end;
        {error, {badarg, _}} ->
            erlang:error(badarg, [Port, Opts]);
        {error, _} = Error ->
            Error
    end;
open(Port, Opts) ->
    erlang:error(badarg, [Port, Opts]).

%% @doc Sends `Data' to `Address' (any form; a link-local one needs a
%% scope, or `{error, scope_required}': Linux would otherwise send it out
%% of whichever link it finds first). `Data' that is not iodata raises
%% `badarg', before anything is sent.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% ok = scoped_ipv6_udp:send(S, {{16#fe80,0,0,0,0,0,0,2}, "eth0"}, 5353, ["hel", <<"lo">>]),
%% {error, scope_required} = scoped_ipv6_udp:send(S, "fe80::2", 5353, <<"hello">>).
%% '''
-spec send(socket(), scoped_ipv6:address() | string() | binary() | atom(),
           inet:port_number(), iodata()) -> ok | {error, scoped_ipv6:reason()}.
send(#scoped_udp{socket = Socket} = S, Address, Port, Data)
  when is_integer(Port), Port >= 0, Port =< 65535 ->
    is_iodata(Data) orelse erlang:error(badarg, [S, Address, Port, Data]),
    case scoped_ipv6_dest:resolve(Address, infinity) of
        {ok, {Ip, Scope}} ->
            To = scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope),
            scoped_ipv6_dest:explain(socket:sendto(Socket, Data, To), Scope);
        {error, _} = Error -> Error
    end;
send(Socket, Address, Port, Data) ->
    erlang:error(badarg, [Socket, Address, Port, Data]).

%% socket:sendto/3 answers `{error, {invalid, {data, _}}}' for these.
is_iodata(Data) when is_binary(Data) ->
    true;
is_iodata(Data) when is_list(Data) ->
    try iolist_size(Data) of
        _ -> true
    catch
        error:badarg -> false
    end;
is_iodata(_) ->
    false.

%% @equiv recv(Socket, Length, infinity)
-spec recv(socket(), non_neg_integer()) ->
    {ok, {scoped_ipv6:address(), inet:port_number(), binary() | string()}} |
    {error, term()}.
recv(Socket, Length) ->
    recv(Socket, Length, infinity).

%% @doc Receives one datagram in passive mode: `{ok, {Address, Port,
%% Data}}' with `Address' scoped when it needs a scope. The datagram comes
%% whole, up to `{buffer, N}' bytes (65,535 by default); a longer one is
%% `{error, emsgsize}'. `Length' (`0..16#ffffffff') is ignored, as gen_udp
%% ignores it. `Timeout' may be any non-negative integer (gen_udp answers
%% `einval' above `16#7fffffff'). `{error, einval}' in active mode, as
%% gen_udp. A wrong type or range of an argument raises `badarg'.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary]),
%% {error, timeout} = scoped_ipv6_udp:recv(S, 0, 10),
%% ok = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hi">>),
%% {ok, {{_PeerIp6, _Eth0}, 5353, <<"a:hi">>}} = scoped_ipv6_udp:recv(S, 0, 5000).
%% '''
-spec recv(socket(), non_neg_integer(), timeout()) ->
    {ok, {scoped_ipv6:address(), inet:port_number(), binary() | string()}} |
    {error, term()}.
recv(#scoped_udp{socket = Socket, flags = Flags}, Length, Timeout)
  when ?is_length(Length), ?is_timeout(Timeout) ->
    case atomics:get(Flags, ?ACTIVE) of
        0 ->
            case recv_whole(Socket, atomics:get(Flags, ?BUFFER), Timeout) of
                {ok, {From, Data}} -> {ok, datagram(From, Data, mode(Flags))};
                {error, _} = Error -> Error
            end;
        _Active ->
            {error, einval}
    end;
recv(Socket, Length, Timeout) ->
    erlang:error(badarg, [Socket, Length, Timeout]).

%% One whole datagram of at most `Buffer' bytes, or `{error, emsgsize}'
%% for a longer one (the kernel drops its tail and says so with MSG_TRUNC).
%% A wait longer than the socket module takes is made of several.
recv_whole(Socket, Buffer, Timeout) when is_integer(Timeout), Timeout > ?MAX_WAIT ->
    case recv_whole(Socket, Buffer, ?MAX_WAIT) of
        {error, timeout} -> recv_whole(Socket, Buffer, Timeout - ?MAX_WAIT);
        Other -> Other
    end;
recv_whole(Socket, Buffer, Timeout) ->
    case socket:recvmsg(Socket, Buffer, 0, [], Timeout) of
        {ok, #{flags := Flags} = Msg} ->
            case lists:member(trunc, Flags) of
                false -> {ok, {maps:get(addr, Msg), iolist_to_binary(maps:get(iov, Msg))}};
                true -> {error, emsgsize}
            end;
        Other ->
            Other
    end.

%% @doc Sets `{active, A}', `binary'/`list'/`{mode, M}', `{buffer, N}',
%% `{multicast_if, Scope}', `{multicast_hops, N}', `{multicast_loop, Bool}'.
%% Every option is checked before any is set: `{error, einval}' for one
%% it does not take, or a bad value, as `inet:setopts/2'.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary]),
%% ok = scoped_ipv6_udp:setopts(S, [{active, once}, {multicast_if, "eth0"}]),
%% ok = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hi">>),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% receive {udp, S, {_PeerIp6, Eth0}, 5353, <<"a:hi">>} -> ok end,
%% {error, einval} = scoped_ipv6_udp:setopts(S, [{active, maybe}]).
%% '''
-spec setopts(socket(), [term()]) -> ok | {error, term()}.
setopts(#scoped_udp{server = Server}, Opts) when is_list(Opts) ->
    call(Server, {setopts, Opts});
setopts(Socket, Opts) ->
    erlang:error(badarg, [Socket, Opts]).

%% @doc Makes `Pid' the process that gets active messages and whose exit
%% closes the socket. Only the current controlling process may call it.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% Pid = spawn(fun() -> receive stop -> ok end end),
%% ok = scoped_ipv6_udp:controlling_process(S, Pid),
%% {error, not_owner} = scoped_ipv6_udp:controlling_process(S, self()),
%% Pid ! stop.
%% '''
-spec controlling_process(socket(), pid()) -> ok | {error, not_owner | closed}.
controlling_process(#scoped_udp{server = Server}, Pid) when is_pid(Pid) ->
    call(Server, {controlling_process, self(), Pid});
controlling_process(Socket, Pid) ->
    erlang:error(badarg, [Socket, Pid]).

%% @doc Closes the socket; closing it again is `ok' too.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% ok = scoped_ipv6_udp:close(S),
%% ok = scoped_ipv6_udp:close(S),
%% {error, closed} = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hi">>).
%% '''
-spec close(socket()) -> ok.
close(#scoped_udp{server = Server}) ->
    case call(Server, close) of
        {error, closed} -> ok;
        Result -> Result
    end;
close(Socket) ->
    erlang:error(badarg, [Socket]).

%% @doc Joins multicast `Group' (e.g. `ff02::fb') on the interface `Scope'
%% (index or name). Unlike gen_udp's `add_membership' on OTP 25, it joins.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(5353, [{reuseaddr, true}]),
%% MDNS = {16#ff02,0,0,0,0,0,0,16#fb},
%% ok = scoped_ipv6_udp:join_group(S, MDNS, "eth0"),
%% {error, {no_such_interface, "nosuch0"}} = scoped_ipv6_udp:join_group(S, MDNS, "nosuch0"),
%% ok = scoped_ipv6_udp:leave_group(S, MDNS, "eth0").
%% '''
-spec join_group(socket(), inet:ip_address(), scoped_ipv6:scope()) -> ok | {error, term()}.
join_group(Socket, Group, Scope) ->
    membership(Socket, add_membership, Group, Scope).

%% @doc Leaves multicast `Group' on the interface `Scope'; see
%% {@link join_group/3}.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% ok = scoped_ipv6_udp:join_group(S, {16#ff02,0,0,0,0,0,0,16#1234}, "eth0"),
%% ok = scoped_ipv6_udp:leave_group(S, {16#ff02,0,0,0,0,0,0,16#1234}, "eth0").
%% '''
-spec leave_group(socket(), inet:ip_address(), scoped_ipv6:scope()) -> ok | {error, term()}.
leave_group(Socket, Group, Scope) ->
    membership(Socket, drop_membership, Group, Scope).

%% @doc The local address, scoped when it needs a scope.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [{ip, "fe80::1%eth0"}]),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, _Port}} = scoped_ipv6_udp:sockname(S).
%% '''
-spec sockname(socket()) -> {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, term()}.
sockname(#scoped_udp{socket = Socket}) ->
    scoped(socket:sockname(Socket));
sockname(Socket) ->
    erlang:error(badarg, [Socket]).

%% @doc The peer of a connected socket (`{error, enotconn}' otherwise).
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% {error, enotconn} = scoped_ipv6_udp:peername(S),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% ok = socket:connect(scoped_ipv6_udp:socket(S),
%%                     #{family => inet6, addr => {16#fe80,0,0,0,0,0,0,2}, port => 5353, scope_id => Eth0}),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, Eth0}, 5353}} = scoped_ipv6_udp:peername(S).
%% '''
-spec peername(socket()) -> {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, term()}.
peername(#scoped_udp{socket = Socket}) ->
    scoped(socket:peername(Socket));
peername(Socket) ->
    erlang:error(badarg, [Socket]).

%% @doc Whether `Term' is a socket of this module (open or closed).
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% true = scoped_ipv6_udp:is_socket(S),
%% false = scoped_ipv6_udp:is_socket(self()),
%% ok = scoped_ipv6_udp:close(S).
%% '''
-spec is_socket(term()) -> boolean().
is_socket(#scoped_udp{}) -> true;
is_socket(_Other) -> false.

%% @doc The underlying `socket:socket()', for options this module lacks.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% {ok, true} = socket:getopt(scoped_ipv6_udp:socket(S), {ipv6, v6only}).
%% '''
-spec socket(socket()) -> socket:socket().
socket(#scoped_udp{socket = Socket}) ->
    Socket.

%% --- the socket's server: lifetime, ownership and active mode ---------------

%% @private gen_server callback.
-spec init({pid(), scoped_ipv6_sockopts:udp_open()}) -> {ok, map()} | {stop, term()}.
init({Owner, #{after_bind := Settings} = Open}) ->
    case open_socket(Open) of
        {ok, Socket} ->
            Handle = #scoped_udp{server = self(), socket = Socket,
                                 flags = atomics:new(3, [{signed, false}])},
            State = #{handle => Handle, owner => Owner,
                      monitor => erlang:monitor(process, Owner),
                      active => false, mode => list, buffer => ?MAX_DATAGRAM,
                      pending => undefined},
            case apply_settings(Settings, State) of
                {ok, State1} -> {ok, State1};
                {error, Reason} -> socket:close(Socket), {stop, {shutdown, Reason}}
            end;
        {error, Reason} ->
            {stop, {shutdown, Reason}}
    end.

%% @private gen_server callback.
-spec handle_call(term(), gen_server:from(), map()) ->
    {reply, term(), map()} | {stop, normal, ok, map()}.
handle_call(handle, _From, #{handle := Handle} = State) ->
    {reply, {ok, Handle}, State};
handle_call({setopts, Opts}, _From, State) ->
    case apply_opts(Opts, State) of
        {ok, State1} -> {reply, ok, State1};
        {error, _} = Error -> {reply, Error, State}
    end;
handle_call({controlling_process, Owner, NewOwner}, _From,
            #{owner := Owner, monitor := Monitor} = State) ->
    erlang:demonitor(Monitor, [flush]),
    {reply, ok, State#{owner := NewOwner, monitor := erlang:monitor(process, NewOwner)}};
handle_call({controlling_process, _NotOwner, _}, _From, State) ->
    {reply, {error, not_owner}, State};
handle_call(close, _From, State) ->
    {stop, normal, ok, State}.

%% @private gen_server callback.
-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(_Message, State) ->
    {noreply, State}.

%% @private gen_server callback.
-spec handle_info(term(), map()) -> {noreply, map()} | {stop, normal, map()}.
handle_info({'$socket', Socket, select, Handle},
            #{handle := #scoped_udp{socket = Socket},
              pending := {select_info, _, Handle}} = State) ->
    {noreply, receive_active(State#{pending := undefined})};
handle_info({'DOWN', Monitor, process, _, _}, #{monitor := Monitor} = State) ->
    {stop, normal, State};
handle_info(_Message, State) ->
    {noreply, State}.

%% @private gen_server callback.
-spec terminate(term(), map()) -> ok.
terminate(_Reason, #{handle := #scoped_udp{socket = Socket}}) ->
    _ = socket:close(Socket),
    ok.

%% Delivers datagrams to the owner while active, then waits in the poll set.
receive_active(#{active := false} = State) ->
    State;
receive_active(#{handle := #scoped_udp{socket = Socket} = Handle, owner := Owner,
                 active := Active, mode := Mode, buffer := Buffer} = State) ->
    case recv_whole(Socket, Buffer, nowait) of
        {ok, {From, Data}} ->
            {Address, Port, Payload} = datagram(From, Data, Mode),
            Owner ! {udp, Handle, Address, Port, Payload},
            receive_active(set_active(countdown(Active), State));
        {select, SelectInfo} ->
            State#{pending := SelectInfo};
        {error, emsgsize} ->
            %% That datagram is gone; the next one may fit.
            Owner ! {udp_error, Handle, emsgsize},
            receive_active(State);
        {error, Reason} ->
            Owner ! {udp_error, Handle, Reason},
            State#{active := false}
    end.

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
apply_opts(Opts, State) ->
    case settings(Opts, []) of
        {ok, Settings} -> apply_settings(Settings, State);
        {error, einval} = Error -> Error
    end.

settings([], Acc) ->
    {ok, lists:reverse(Acc)};
settings([Opt | Rest], Acc) ->
    case scoped_ipv6_sockopts:udp_setting(Opt) of
        {ok, Setting} -> settings(Rest, [Setting | Acc]);
        {error, einval} = Error -> Error
    end;
settings(_Improper, _Acc) ->
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
apply_setting({socket, SockOpt, Value}, Socket, State) ->
    ok_state(socket:setopt(Socket, SockOpt, Value), State).

ok_state(ok, State) -> {ok, State};
ok_state({error, _} = Error, _State) -> Error.

%% recv/3 runs in the caller and reads the mode and active flag from here.
publish_flags(#{handle := #scoped_udp{flags = Flags}, active := Active, mode := Mode,
                buffer := Buffer} = State) ->
    atomics:put(Flags, ?ACTIVE, case Active of false -> 0; _ -> 1 end),
    atomics:put(Flags, ?BINARY, case Mode of binary -> 1; list -> 0 end),
    atomics:put(Flags, ?BUFFER, Buffer),
    State.

mode(Flags) ->
    case atomics:get(Flags, ?BINARY) of
        1 -> binary;
        0 -> list
    end.

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

call(Server, Request) ->
    try gen_server:call(Server, Request)
    catch exit:{noproc, _} -> {error, closed};
          exit:{normal, _} -> {error, closed}
    end.

%% --- addresses ---------------------------------------------------------------

open_socket(#{bind := {Ip, Port, Scope}, before_bind := Before}) ->
    Family = case Ip of {_, _, _, _} -> inet; _ -> inet6 end,
    case socket:open(Family, dgram, udp) of
        {ok, Socket} ->
            case set_all(Socket, Before) of
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

%% socket:setopt/3, or setopt_native/3 for the table's options by number.
set_all(Socket, Opts) ->
    lists:foldl(fun({SockOpt, {native, Raw}}, ok) -> socket:setopt_native(Socket, SockOpt, Raw);
                   ({SockOpt, Value}, ok) -> socket:setopt(Socket, SockOpt, Value);
                   (_, Error) -> Error
                end, ok, Opts).

membership(#scoped_udp{socket = Socket}, Which, Group, Scope) when ?is_ip6_address(Group) ->
    case scoped_ipv6_dest:interface_index(Scope) of
        {ok, Index} ->
            socket:setopt(Socket, {ipv6, Which}, #{multiaddr => Group, interface => Index});
        {error, _} = Error ->
            Error
    end;
membership(Socket, Which, Group, Scope) ->
    erlang:error(badarg, [Socket, Which, Group, Scope]).

datagram(From, Data, Mode) ->
    {Address, Port} = scoped_ipv6_addr:from_sockaddr(From),
    {Address, Port, case Mode of binary -> Data; list -> binary_to_list(Data) end}.

scoped({ok, SockAddr}) -> {ok, scoped_ipv6_addr:from_sockaddr(SockAddr)};
scoped({error, _} = Error) -> Error.
