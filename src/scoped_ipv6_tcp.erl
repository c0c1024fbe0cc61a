%% @doc TCP to and from scoped IPv6 addresses, on ordinary gen_tcp ports.
%%
%% `connect/3,4' and `listen/2' take every address form of
%% {@link scoped_ipv6}: `{Ip6, "eth0"}', `{Ip6, 3}', plain tuples, text
%% such as `"fe80::1%eth0"', and host names, as the destination and in
%% `{ip, A}' / `{ifaddr, A}'. The scope is resolved here and handed to
%% gen_tcp in OTP's own sockaddr form (`#{family => inet6, scope_id => I}',
%% OTP 24.3+), so the inet driver makes, connects, owns and closes the
%% socket itself: what you get is exactly the gen_tcp port the same
%% options would give, and `gen_tcp:close/1' closes it at once.
%%
%% ```
%% {ok, S} = scoped_ipv6_tcp:connect("fe80::2%eth0", 8080, [binary, {active, false}], 5000),
%% ok = gen_tcp:send(S, <<"GET / HTTP/1.0\r\n\r\n">>),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, 3}, 8080}} = scoped_ipv6:peername(S).
%% '''
%%
%% Every other option is gen_tcp's, with gen_tcp's meaning and default.
%% The module is a whole transport: where a library takes a gen_tcp-shaped
%% module (OTP ssh's `{transport, {tcp, scoped_ipv6_tcp, tcp_closed}}',
%% Ranch-style transports), this one reaches scoped addresses, and its
%% `peername/1' and `sockname/1' keep the scope.
%% A link-local address without a scope is `{error, scope_required}'
%% (OTP exits with `badarg' there); an interface index that no interface
%% has is `{error, {no_such_interface, Index}}'.
-module(scoped_ipv6_tcp).

-include("scoped_ipv6.hrl").

-export([connect/3, connect/4, listen/2, accept/1, accept/2]).
%% The rest of a transport module: gen_tcp's calls, and the scope back.
-export([send/2, recv/2, recv/3, controlling_process/2, close/1, shutdown/2,
         setopts/2, getopts/2, peername/1, sockname/1]).
-export([format_error/2]).

-type timeout_ms() :: non_neg_integer() | infinity.

%% @equiv connect(Address, Port, Opts, infinity)
-spec connect(scoped_ipv6:address() | string() | binary() | atom(), inet:port_number(),
              [term()]) -> {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout}.
connect(Address, Port, Opts) ->
    connect(Address, Port, Opts, infinity).

%% @doc Connects to `Address' and `Port' within `Timeout' milliseconds
%% (name lookup included). Scope names are looked up now, so a re-created
%% interface (new index) is found.
-spec connect(scoped_ipv6:address() | string() | binary() | atom(), inet:port_number(),
              [term()], timeout_ms()) ->
    {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout}.
connect(Address, Port, Opts, Timeout)
  when is_integer(Port), Port >= 0, Port =< 65535, is_list(Opts),
       (Timeout =:= infinity orelse (is_integer(Timeout) andalso Timeout >= 0)) ->
    Deadline = deadline(Timeout),
    case scoped_ipv6_dest:resolve(Address, Timeout) of
        {ok, {Ip, Scope}} ->
            case scoped_ipv6_sockopts:for_gen_tcp(Opts, 0) of
                {ok, TcpOpts} ->
                    case refused(fun() -> connect_to(Ip, Port, Scope, TcpOpts, remaining(Deadline)) end) of
                        refused ->
                            erlang:error(badarg, [Address, Port, Opts, Timeout],
                                         refused_option(connect, 3, Opts));
                        Result ->
                            Result
                    end;
                {error, {badarg, _}} -> erlang:error(badarg, [Address, Port, Opts, Timeout]);
                {error, _} = Error -> Error
            end;
        {error, _} = Error ->
            Error
    end;
connect(Address, Port, Opts, Timeout) ->
    erlang:error(badarg, [Address, Port, Opts, Timeout]).

%% @doc A listening gen_tcp socket, as `gen_tcp:listen/2' makes it; `{ip, A}'
%% and `{ifaddr, A}' may be scoped (`"fe80::1%eth0"': that link only).
%% `gen_tcp:accept/1,2' works on it, and {@link scoped_ipv6:peername/1}
%% gives each accepted peer's scope.
-spec listen(inet:port_number(), [term()]) -> {ok, inet:socket()} | {error, scoped_ipv6:reason()}.
listen(Port, Opts) when is_integer(Port), Port >= 0, Port =< 65535, is_list(Opts) ->
    case scoped_ipv6_sockopts:for_gen_tcp(Opts, Port) of
        {ok, TcpOpts} ->
            case refused(fun() -> gen_tcp:listen(Port, TcpOpts) end) of
                refused -> erlang:error(badarg, [Port, Opts], refused_option(listen, 2, Opts));
                Result -> Result
            end;
        {error, {badarg, _}} -> erlang:error(badarg, [Port, Opts]);
        {error, _} = Error -> Error
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
-spec peername(inet:socket()) ->
    {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, term()}.
peername(Socket) ->
    scoped_ipv6:peername(Socket).

%% @doc The local address and port, scoped when it needs a scope.
-spec sockname(inet:socket()) ->
    {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, term()}.
sockname(Socket) ->
    scoped_ipv6:sockname(Socket).

%% @private The text of an option refused with `badarg', for the shell and
%% Elixir (`erl_error' calls it through the error info).
-spec format_error(term(), erlang:stacktrace()) -> #{pos_integer() => string()}.
format_error(badarg, [{?MODULE, _, _, Info} | _]) ->
    case proplists:get_value(error_info, Info) of
        #{cause := {At, {refused, Option}}} ->
            #{At => lists:flatten(io_lib:format("gen_tcp refuses the option ~0tp", [Option]))};
        #{cause := {At, unknown}} ->
            #{At => "gen_tcp refuses these options"};
        _ ->
            #{}
    end;
format_error(_Reason, _Stacktrace) ->
    #{}.

%% --- internal ---------------------------------------------------------------

%% Without a scope, gen_tcp is asked exactly as the caller would have.
connect_to(Ip, Port, 0, Opts, Timeout) ->
    gen_tcp:connect(Ip, Port, Opts, Timeout);
connect_to(Ip, Port, Scope, Opts, Timeout) ->
    case scoped_ipv6_sockopts:family(Opts, inet6) of
        inet6 ->
            explain(connect_scoped(Ip, Port, Scope, Opts, Timeout), Scope);
        _Other ->
            %% What gen_tcp answers for an IPv6 destination and `inet'.
            {error, eafnosupport}
    end.

%% OTP's socket backend drops `scope_id' from a sockaddr map (OTP 25 has
%% no map connect there at all); a socket bound to the interface needs no
%% scope on Linux, so that backend gets the interface by name instead.
connect_scoped(Ip, Port, Scope, Opts, Timeout) ->
    case scoped_ipv6_sockopts:backend(Opts) of
        inet ->
            SockAddr = #{family => inet6, addr => Ip, port => Port, scope_id => Scope},
            gen_tcp:connect(SockAddr, Opts, Timeout);
        socket ->
            case scoped_ipv6_sockopts:bound_to_interface(Scope, Opts) of
                {ok, Bound} -> gen_tcp:connect(Ip, Port, Bound, Timeout);
                {error, _} = Error -> Error
            end
    end.

explain(Result, Scope) ->
    scoped_ipv6_dest:explain(Result, Scope).

%% gen_tcp exits with `badarg' for an option it refuses, naming nothing;
%% ours raise `badarg' as for any wrong argument, with the option named in
%% the error info (the shell and Elixir's ArgumentError show it).
refused(Call) ->
    try Call()
    catch exit:badarg -> refused
    end.

refused_option(Kind, At, Opts) ->
    Cause = {At, scoped_ipv6_sockopts:refused_option(Kind, Opts)},
    [{error_info, #{module => ?MODULE, cause => Cause}}].

deadline(infinity) -> infinity;
deadline(Timeout) -> erlang:monotonic_time(millisecond) + Timeout.

%% gen_tcp hands its driver the timeout in 32 bits: 2^32 ms would time
%% out at once. No connect lasts 49 days (the kernel gives up within
%% minutes), so a longer wait is the longest the driver can take.
remaining(infinity) -> infinity;
remaining(Deadline) ->
    min(16#ffffffff, max(0, Deadline - erlang:monotonic_time(millisecond))).
