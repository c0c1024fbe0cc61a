%% @doc TCP to and from scoped IPv6 addresses, on ordinary gen_tcp ports.
%%
%% `connect/3,4' and `listen/2' take every address form of
%% {@link scoped_ipv6}: `{Ip6, "eth0"}', `{Ip6, 3}', plain tuples, text
%% such as `"fe80::1%eth0"', as the destination and in `{ip, A}' /
%% `{ifaddr, A}', and host names as the destination. The scope is
%% resolved here and handed to gen_tcp in OTP's own sockaddr form
%% (`#{family => inet6, scope_id => I}', OTP 24.3+), so the inet driver
%% makes, connects, owns and closes the socket itself: what you get is
%% exactly the gen_tcp port the same options would give, and
%% `gen_tcp:close/1' closes it at once.
%%
%% ```
%% {ok, S} = scoped_ipv6_tcp:connect("fe80::2%eth0", 8080, [binary, {active, false}], 5000),
%% ok = gen_tcp:send(S, <<"hello">>),
%% {ok, <<"hello">>} = gen_tcp:recv(S, 5, 5000),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, Eth0}, 8080}} = scoped_ipv6:peername(S).
%% '''
%%
%% Every other option is gen_tcp's, with gen_tcp's meaning and default,
%% and two that gen_tcp lacks, for TCP and UDP alike (Linux): `{mark, N}'
%% (SO_MARK, the fwmark routing rules can match; needs CAP_NET_ADMIN) and
%% `{bind_to_ifindex, I}' (SO_BINDTOIFINDEX: the socket uses interface `I'
%% only).
%% The module is a whole transport: where a library takes a gen_tcp-shaped
%% module (OTP ssh's `{transport, {tcp, scoped_ipv6_tcp, tcp_closed}}',
%% Ranch-style transports), this one reaches scoped addresses, and its
%% `peername/1' and `sockname/1' keep the scope.
%% A link-local address without a scope is `{error, scope_required}'
%% (OTP exits with `badarg' there); an interface index that no interface
%% has is `{error, {no_such_interface, Index}}'.
-module(scoped_ipv6_tcp).

-export([connect/2, connect/3, connect/4, listen/2, accept/1, accept/2]).
%% The rest of a transport module: gen_tcp's calls, and the scope back.
-export([send/2, recv/2, recv/3, controlling_process/2, close/1, shutdown/2,
         setopts/2, getopts/2, peername/1, sockname/1]).
-export([format_error/2]).

-type timeout_ms() :: non_neg_integer() | infinity.

%% @doc gen_tcp's connect with OTP's sockaddr map (OTP 24.3+), its
%% `scope_id' the scope, without a time limit (connect/3 takes one): as
%% connect/4 otherwise; a link-local `addr' without a `scope_id' is
%% `{error, scope_required}'.
%%
%% ```
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% Peer = #{family => inet6, addr => {16#fe80,0,0,0,0,0,0,2}, port => 8080, scope_id => Eth0},
%% {ok, S} = scoped_ipv6_tcp:connect(Peer, [], 5000),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, Eth0}, 8080}} = scoped_ipv6_tcp:peername(S),
%% ok = gen_tcp:close(S),
%% {error, scope_required} = scoped_ipv6_tcp:connect(maps:remove(scope_id, Peer), []).
%% '''
-spec connect(socket:sockaddr_in() | socket:sockaddr_in6(), [term()]) ->
    {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout}.
connect(SockAddr, Opts) ->
    connect(SockAddr, Opts, infinity).

%% @doc Two calls, as `gen_tcp:connect/3' takes them: `connect(Address,
%% Port, Opts)' is `connect(Address, Port, Opts, infinity)' (connect/4),
%% and `connect(SockAddr, Opts, Timeout)', with OTP's sockaddr map first,
%% is connect/2 within `Timeout' milliseconds.
-spec connect(Address :: scoped_ipv6:address() | string() | binary() | atom(),
              Port :: inet:port_number(), Opts :: [term()]) ->
                 {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout};
             (SockAddr :: socket:sockaddr_in() | socket:sockaddr_in6(), Opts :: [term()],
              Timeout :: timeout_ms()) ->
                 {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout}.
connect(#{family := Family, addr := Ip} = SockAddr, Opts, Timeout)
  when (Family =:= inet orelse Family =:= inet6), is_tuple(Ip), is_list(Opts) ->
    {Destination, Port} = scoped_ipv6_addr:from_sockaddr(SockAddr),
    connect(Destination, Port, Opts, Timeout);
connect(SockAddr, Opts, Timeout) when is_map(SockAddr) ->
    %% A map this library does not take: badarg with the caller's arguments.
    erlang:error(badarg, [SockAddr, Opts, Timeout]);
connect(Address, Port, Opts) ->
    connect(Address, Port, Opts, infinity).

%% @doc Connects to `Address' and `Port' within `Timeout' milliseconds
%% (name lookup included). Scope names are looked up now, so a re-created
%% interface (new index) is found. An option gen_tcp refuses raises
%% `badarg', and the error says which.
%%
%% ```
%% {ok, S} = scoped_ipv6_tcp:connect({{16#fe80,0,0,0,0,0,0,2}, "eth0"}, 8080, [], 5000),
%% ok = gen_tcp:close(S),
%% {error, scope_required} = scoped_ipv6_tcp:connect("fe80::2", 8080, [], 5000),
%% {error, {no_such_interface, "nosuch0"}} =
%%     scoped_ipv6_tcp:connect("fe80::2%nosuch0", 8080, [], 5000),
%% badarg = try scoped_ipv6_tcp:connect("fe80::2%eth0", 8080, [{active, sometimes}], 5000)
%%          catch error:badarg -> badarg end.
%% '''
-spec connect(scoped_ipv6:address() | string() | binary() | atom(), inet:port_number(),
              [term()], timeout_ms()) ->
    {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout}.
connect(Address, Port, Opts, Timeout)
  when is_integer(Port), Port >= 0, Port =< 65535, is_list(Opts),
       (Timeout =:= infinity orelse (is_integer(Timeout) andalso Timeout >= 0)) ->
    case scoped_ipv6_tcp_open:connect(Address, Port, Opts, Timeout) of
        {badarg, Cause} ->
            erlang:error(badarg, [Address, Port, Opts, Timeout], error_info(3, Cause));
        {error, {badarg, _}} ->
            erlang:error(badarg, [Address, Port, Opts, Timeout]);
        Result ->
            Result
    end;
connect(Address, Port, Opts, Timeout) ->
    erlang:error(badarg, [Address, Port, Opts, Timeout]).

%% @doc A listening gen_tcp socket, as `gen_tcp:listen/2' makes it; `{ip, A}'
%% and `{ifaddr, A}' may be scoped (`"fe80::1%eth0"': that link only).
%% `gen_tcp:accept/1,2' works on it, and {@link scoped_ipv6:peername/1}
%% gives each accepted peer's scope.
%%
%% ```
%% {ok, L} = scoped_ipv6_tcp:listen(0, [binary, {ip, "fe80::1%eth0"}, {active, false}]),
%% {ok, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, Port}} = scoped_ipv6_tcp:sockname(L),
%% {ok, C} = scoped_ipv6_tcp:connect({{16#fe80,0,0,0,0,0,0,1}, Eth0}, Port, [], 5000),
%% {ok, S} = gen_tcp:accept(L, 5000),
%% {ok, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, _}} = scoped_ipv6_tcp:peername(S),
%% ok = gen_tcp:close(C).
%% '''
-spec listen(inet:port_number(), [term()]) -> {ok, inet:socket()} | {error, scoped_ipv6:reason()}.
listen(Port, Opts) when is_integer(Port), Port >= 0, Port =< 65535, is_list(Opts) ->
    case scoped_ipv6_tcp_open:listen(Port, Opts) of
        {badarg, Cause} -> erlang:error(badarg, [Port, Opts], error_info(2, Cause));
        {error, {badarg, _}} -> erlang:error(badarg, [Port, Opts]);
        Result -> Result
    end;
listen(Port, Opts) ->
    erlang:error(badarg, [Port, Opts]).

%% @equiv gen_tcp:accept(ListenSocket)
-spec accept(inet:socket()) -> {ok, inet:socket()} | {error, term()}.
accept(ListenSocket) ->
    gen_tcp:accept(ListenSocket).

%% @equiv gen_tcp:accept(ListenSocket, Timeout)
-spec accept(inet:socket(), timeout_ms()) -> {ok, inet:socket()} | {error, term()}.
accept(ListenSocket, Timeout) ->
    gen_tcp:accept(ListenSocket, Timeout).

%% @equiv gen_tcp:send(Socket, Data)
-spec send(inet:socket(), iodata()) -> ok | {error, term()}.
send(Socket, Data) ->
    gen_tcp:send(Socket, Data).

%% @equiv gen_tcp:recv(Socket, Length)
-spec recv(inet:socket(), non_neg_integer()) -> {ok, string() | binary()} | {error, term()}.
recv(Socket, Length) ->
    gen_tcp:recv(Socket, Length).

%% @equiv gen_tcp:recv(Socket, Length, Timeout)
-spec recv(inet:socket(), non_neg_integer(), timeout()) ->
    {ok, string() | binary()} | {error, term()}.
recv(Socket, Length, Timeout) ->
    gen_tcp:recv(Socket, Length, Timeout).

%% @equiv gen_tcp:controlling_process(Socket, Pid)
-spec controlling_process(inet:socket(), pid()) -> ok | {error, term()}.
controlling_process(Socket, Pid) ->
    gen_tcp:controlling_process(Socket, Pid).

%% @equiv gen_tcp:close(Socket)
-spec close(inet:socket()) -> ok.
close(Socket) ->
    gen_tcp:close(Socket).

%% @equiv gen_tcp:shutdown(Socket, How)
-spec shutdown(inet:socket(), read | write | read_write) -> ok | {error, term()}.
shutdown(Socket, How) ->
    gen_tcp:shutdown(Socket, How).

%% @equiv inet:setopts(Socket, Opts)
-spec setopts(inet:socket(), [term()]) -> ok | {error, term()}.
setopts(Socket, Opts) ->
    inet:setopts(Socket, Opts).

%% @equiv inet:getopts(Socket, Opts)
-spec getopts(inet:socket(), [term()]) -> {ok, [term()]} | {error, term()}.
getopts(Socket, Opts) ->
    inet:getopts(Socket, Opts).

%% @doc The peer's address and port, scoped when it needs a scope
%% (`inet:peername/1' drops it); see {@link scoped_ipv6:peername/1}.
%%
%% ```
%% {ok, S} = scoped_ipv6_tcp:connect("fe80::2%eth0", 8080, [], 5000),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, _Eth0}, 8080}} = scoped_ipv6_tcp:peername(S),
%% {ok, {{16#fe80,0,0,0,0,0,0,2}, 8080}} = inet:peername(S).
%% '''
-spec peername(inet:socket()) ->
    {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, term()}.
peername(Socket) ->
    scoped_ipv6_addr:socket_addr(Socket, peer).

%% @doc The local address and port, scoped when it needs a scope.
%%
%% ```
%% {ok, S} = scoped_ipv6_tcp:connect("fe80::2%eth0", 8080, [], 5000),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, _Port}} = scoped_ipv6_tcp:sockname(S).
%% '''
-spec sockname(inet:socket()) ->
    {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, term()}.
sockname(Socket) ->
    scoped_ipv6_addr:socket_addr(Socket, sock).

%% @private The text of an option refused with `badarg', for the shell and
%% Elixir (`erl_error' calls it through the error info).
-spec format_error(term(), erlang:stacktrace()) -> #{pos_integer() => string()}.
format_error(badarg, [{?MODULE, _, _, Info} | _]) ->
    case proplists:get_value(error_info, Info) of
        #{cause := {At, {refused, Option}}} ->
            #{At => lists:flatten(io_lib:format("gen_tcp refuses the option ~0tp", [Option]))};
        #{cause := {At, {other_link, Source, Destination}}} ->
            #{At => lists:flatten(io_lib:format("the local address is scoped to interface ~b, "
                                                "the destination to ~b", [Source, Destination]))};
        #{cause := {At, unknown}} ->
            #{At => "gen_tcp refuses these options"};
        _ ->
            #{}
    end;
format_error(_Reason, _Stacktrace) ->
    #{}.

%% --- internal ---------------------------------------------------------------

%% The option gen_tcp refused, named in the error info of argument `At'
%% (format_error/2 renders it).
error_info(At, Cause) ->
    [{error_info, #{module => ?MODULE, cause => {At, Cause}}}].
