%% @private
%% Opens scoped TCP sockets: resolves the destination and the addresses in
%% the options, then asks gen_tcp, with OTP's sockaddr map when there is a
%% scope, so that the inet driver makes, connects, owns and closes the
%% socket. What scoped_ipv6_tcp, the epmd query and the distribution
%% carrier all use; the arguments' types are checked by the callers.
-module(scoped_ipv6_tcp_open).

-export([connect/4, listen/2]).

%% Linux: IPPROTO_TCP, TCP_INFO, and tcp_info's first byte for SYN-SENT.
-define(IPPROTO_TCP, 6).
-define(TCP_INFO, 11).
-define(TCP_SYN_SENT, 2).

%% `{badarg, Cause}': an option gen_tcp refused (Cause names it, for the
%% caller's error info); `{error, {badarg, Opt}}' from the option split
%% (a malformed list) is given back as it is.
-type refused() :: {badarg, {refused, term()} | unknown}.

-spec connect(term(), inet:port_number(), [term()], timeout()) ->
    {ok, inet:socket()} | {error, term()} | refused().
connect(Address, Port, Opts, Timeout) ->
    Deadline = deadline(Timeout),
    case scoped_ipv6_dest:resolve(Address, Timeout) of
        {ok, {Ip, Scope}} ->
            case scoped_ipv6_sockopts:for_gen_tcp(Opts, 0) of
                {ok, TcpOpts} ->
                    Connect = fun(Wait) -> connect_to(Ip, Port, Scope, TcpOpts, Wait) end,
                    refused(connect, Opts,
                            fun() -> connected(Connect(first_wait(Address, Timeout, Deadline)),
                                               Connect, Deadline) end);
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

-spec listen(inet:port_number(), [term()]) -> {ok, inet:socket()} | {error, term()} | refused().
listen(Port, Opts) ->
    case scoped_ipv6_sockopts:for_gen_tcp(Opts, Port) of
        {ok, TcpOpts} -> refused(listen, Opts, fun() -> gen_tcp:listen(Port, TcpOpts) end);
        {error, _} = Error -> Error
    end.

%% --- internal ---------------------------------------------------------------

%% Without a scope, gen_tcp is asked exactly as the caller would have.
connect_to(Ip, Port, 0, Opts, Timeout) ->
    gen_tcp:connect(Ip, Port, Opts, Timeout);
connect_to(Ip, Port, Scope, Opts, Timeout) ->
    case scoped_ipv6_sockopts:family(Opts, inet6) of
        inet6 ->
            scoped_ipv6_dest:explain(connect_scoped(Ip, Port, Scope, Opts, Timeout), Scope);
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
            gen_tcp:connect(scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope), Opts, Timeout);
        socket ->
            case scoped_ipv6_sockopts:bound_to_interface(Scope, Opts) of
                {ok, Bound} -> gen_tcp:connect(Ip, Port, Bound, Timeout);
                {error, _} = Error -> Error
            end
    end.

%% gen_tcp exits with `badarg' for an option it refuses, naming nothing:
%% the caller raises `badarg' with the option found here.
refused(Kind, Opts, Call) ->
    try Call()
    catch exit:badarg -> {badarg, scoped_ipv6_sockopts:refused_option(Kind, Opts)}
    end.

%% OTP's inet driver takes a writable event on a connecting socket, with
%% SO_ERROR 0, as the connect done (tcp_inet_output, OTP 25-29), and erts
%% can hand a port an event that belonged to the socket that had its fd
%% number just before (erl_check_io.c looks the state up by fd number; an
%% error event there fires every event the new owner selected). Measured
%% on a loaded 2-core machine: `{ok, S}' from a connect to an address no
%% neighbour answers, with peername `enotconn' and the kernel's state
%% SYN-SENT, when another socket closed with an event pending (a caller
%% killed while its connect was being refused). Such a socket has connected
%% nowhere: it is closed, and the connect made again in the time left.
connected({ok, Socket} = Ok, Connect, Deadline) ->
    case inet:peername(Socket) of
        {error, enotconn} ->
            case still_connecting(Socket) of
                true ->
                    ok = gen_tcp:close(Socket),
                    connected(Connect(remaining(Deadline)), Connect, Deadline);
                false ->
                    Ok
            end;
        _ ->
            Ok
    end;
connected(Result, _Connect, _Deadline) ->
    Result.

%% Whether the kernel has the socket still connecting: TCP_INFO's state
%% SYN-SENT on Linux; elsewhere no pending error and no peer (a socket
%% reset after it connected has SO_ERROR set; one still connecting has not).
still_connecting(Socket) ->
    case os:type() of
        {unix, linux} ->
            case inet:getopts(Socket, [{raw, ?IPPROTO_TCP, ?TCP_INFO, 1}]) of
                {ok, [{raw, _, _, <<State>>}]} -> State =:= ?TCP_SYN_SENT;
                _ -> false
            end;
        _ ->
            case inet:getopts(Socket, [{raw, 16#ffff, 16#1007, 4}]) of  % SOL_SOCKET, SO_ERROR (BSD, macOS)
                {ok, [{raw, _, _, <<0:32>>}]} -> true;
                _ -> false
            end
    end.

%% A deadline only for a finite timeout (one clock read).
deadline(infinity) -> infinity;
deadline(Timeout) -> erlang:monotonic_time(millisecond) + Timeout.

%% Only a name (a host name, or text to parse) may spend part of the
%% timeout before the connect starts: an address tuple takes it whole.
first_wait(Address, Timeout, _Deadline) when is_tuple(Address) -> clamp(Timeout);
first_wait(_Name, _Timeout, Deadline) -> remaining(Deadline).

%% gen_tcp hands its driver the timeout in 32 bits: 2^32 ms would time
%% out at once. No connect lasts 49 days (the kernel gives up within
%% minutes), so a longer wait is the longest the driver can take.
remaining(infinity) -> infinity;
remaining(Deadline) -> clamp(max(0, Deadline - erlang:monotonic_time(millisecond))).

clamp(infinity) -> infinity;
clamp(Timeout) -> min(16#ffffffff, Timeout).
