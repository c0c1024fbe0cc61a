%% @private
%% Opens scoped TCP sockets: resolves the destination and the addresses in
%% the options, then asks gen_tcp, with OTP's sockaddr map when there is a
%% scope, so that the inet driver makes, connects, owns and closes the
%% socket. What scoped_ipv6_tcp, the epmd query and the distribution
%% carrier all use; the arguments' types are checked by the callers.
-module(scoped_ipv6_tcp_open).

-export([connect/4, listen/2]).

%% RFC 8305 section 8: 250 ms between connection attempts.
-define(STAGGER, 250).

%% Linux: IPPROTO_TCP, TCP_INFO, and tcp_info's first byte for SYN-SENT.
-define(IPPROTO_TCP, 6).
-define(TCP_INFO, 11).
-define(TCP_SYN_SENT, 2).

%% How a connect is made, from its options (scoped_ipv6_sockopts:for_connect/1):
%% gen_tcp's options, the family they choose (`none' when they choose
%% none) and gen_tcp's backend.
-record(how, {opts :: [term()], family :: inet | inet6 | none, backend :: inet | socket}).

%% `{badarg, Cause}': an option gen_tcp refused, or a local address on
%% another link than the destination (Cause says which, for the caller's
%% error info); `{error, {badarg, Opt}}' from the option split (a
%% malformed list) is given back as it is.
-type refused() :: {badarg, {refused, term()} | {other_link, pos_integer(), pos_integer()}
                            | unknown}.

-spec connect(term(), inet:port_number(), [term()], timeout()) ->
    {ok, inet:socket()} | {error, term()} | refused().
connect(Address, Port, Opts, Timeout) ->
    Deadline = deadline(Address, Timeout),
    case scoped_ipv6_dest:resolve_all(Address, Timeout) of
        {ok, Destinations} ->
            case scoped_ipv6_sockopts:for_connect(Opts) of
                {ok, TcpOpts, Family, Backend} ->
                    How = #how{opts = TcpOpts, family = Family, backend = Backend},
                    try connect_any(Destinations, Port, How, Deadline)
                    catch exit:badarg -> refused(Opts, TcpOpts, Destinations)
                    end;
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

-spec listen(inet:port_number(), [term()]) -> {ok, inet:socket()} | {error, term()} | refused().
listen(Port, Opts) ->
    case scoped_ipv6_sockopts:for_gen_tcp(Opts, Port) of
        {ok, TcpOpts} ->
            try gen_tcp:listen(Port, TcpOpts)
            catch exit:badarg -> refused(listen, Opts)
            end;
        {error, _} = Error ->
            Error
    end.

%% --- internal ---------------------------------------------------------------

%% One destination: connected here. Several (a host name with several
%% answers): RFC 8305 (Happy Eyeballs) connection attempts, each in a
%% process of its own, started ?STAGGER ms apart in the resolver's order
%% (the next one at once when one fails); the first to connect wins and
%% is handed to the caller, the others are killed (a connecting socket
%% closes with its process) or, connected too late, closed. The last
%% error is returned when every attempt failed.
connect_any([{Ip, Scope}], Port, How, Deadline) ->
    connect_checked(Ip, Port, Scope, How, Deadline);
connect_any(Destinations, Port, How, Deadline) ->
    Ref = make_ref(),
    race(Destinations, Port, How, Deadline, Ref, #{}, {error, timeout}).

race(Waiting, Port, How, Deadline, Ref, Running, Last) ->
    {Running1, Waiting1} =
        case Waiting of
            [{Ip, Scope} | Rest] ->
                Started = attempt(Ip, Port, Scope, How, Deadline, Ref),
                {Running#{Started => erlang:monitor(process, Started)}, Rest};
            [] ->
                {Running, []}
        end,
    Next = case Waiting1 of
               [] -> remaining(Deadline);
               _ -> min(?STAGGER, remaining(Deadline))
           end,
    case map_size(Running1) of
        0 ->
            Last;
        _ ->
            receive
                {Ref, Pid, {ok, Socket}} ->
                    lose(maps:remove(Pid, Running1), Ref),
                    erlang:demonitor(maps:get(Pid, Running1), [flush]),
                    {ok, Socket};
                {Ref, Pid, badarg} ->
                    %% gen_tcp refused an option: as if connected here.
                    lose(maps:remove(Pid, Running1), Ref),
                    erlang:demonitor(maps:get(Pid, Running1), [flush]),
                    exit(badarg);
                {Ref, Pid, {error, _} = Error} ->
                    erlang:demonitor(maps:get(Pid, Running1), [flush]),
                    race(Waiting1, Port, How, Deadline, Ref, maps:remove(Pid, Running1), Error);
                {'DOWN', _, process, Pid, Reason} when is_map_key(Pid, Running1) ->
                    race(Waiting1, Port, How, Deadline, Ref, maps:remove(Pid, Running1),
                         {error, Reason})
            after Next ->
                case {Waiting1, remaining(Deadline)} of
                    {_, 0} ->
                        lose(Running1, Ref),
                        {error, timeout};
                    _ ->
                        race(Waiting1, Port, How, Deadline, Ref, Running1, Last)
                end
            end
    end.

%% An attempt hands its socket to the caller before saying so, so that a
%% socket the caller never takes is the caller's to close.
attempt(Ip, Port, Scope, How, Deadline, Ref) ->
    Caller = self(),
    spawn(fun() ->
                  Result = try connect_checked(Ip, Port, Scope, How, Deadline)
                           catch exit:badarg -> badarg
                           end,
                  case Result of
                      {ok, Socket} ->
                          case gen_tcp:controlling_process(Socket, Caller) of
                              ok -> Caller ! {Ref, self(), {ok, Socket}};
                              {error, _} = Error -> Caller ! {Ref, self(), Error}
                          end;
                      Error ->
                          Caller ! {Ref, self(), Error}
                  end
          end).

%% The losers: killed, waited for, and any socket one handed over closed.
lose(Running, Ref) ->
    [exit(Pid, kill) || Pid <- maps:keys(Running)],
    [receive {'DOWN', Monitor, process, Pid, _} -> ok end
     || {Pid, Monitor} <- maps:to_list(Running)],
    [receive
         {Ref, Pid, {ok, Socket}} -> gen_tcp:close(Socket);
         {Ref, Pid, _} -> ok
     after 0 -> ok
     end || Pid <- maps:keys(Running)],
    ok.

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
connect_checked(Ip, Port, Scope, How, Deadline) ->
    Until = until(Deadline),
    checked(connect_to(Ip, Port, Scope, How, remaining(Deadline)), Ip, Port, Scope, How, Until).

checked({ok, Socket} = Ok, Ip, Port, Scope, How, Until) ->
    case inet:peername(Socket) of
        {error, enotconn} ->
            case still_connecting(Socket) of
                true ->
                    ok = gen_tcp:close(Socket),
                    checked(connect_to(Ip, Port, Scope, How, remaining(Until)), Ip, Port, Scope,
                            How, Until);
                false ->
                    Ok
            end;
        _ ->
            Ok
    end;
checked(Result, _Ip, _Port, _Scope, _How, _Until) ->
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
            %% SOL_SOCKET, SO_ERROR on BSD and macOS.
            case inet:getopts(Socket, [{raw, 16#ffff, 16#1007, 4}]) of
                {ok, [{raw, _, _, <<0:32>>}]} -> true;
                _ -> false
            end
    end.

%% The deadline a second connect keeps to: a whole timeout becomes one
%% from now (a clock read only here, before the first connect).
until({whole, infinity} = Deadline) -> Deadline;
until({whole, Timeout}) -> {until, erlang:monotonic_time(millisecond) + Timeout};
until({until, _} = Deadline) -> Deadline.

%% Without a scope, gen_tcp is asked exactly as the caller would have.
connect_to(Ip, Port, 0, #how{opts = Opts}, Timeout) ->
    gen_tcp:connect(Ip, Port, Opts, Timeout);
connect_to(_Ip, _Port, _Scope, #how{family = inet}, _Timeout) ->
    %% What gen_tcp answers for an IPv6 destination and `inet'.
    {error, eafnosupport};
connect_to(Ip, Port, Scope, #how{opts = Opts, backend = inet}, Timeout) ->
    explained(scoped_ipv6_otp:inet_connect(scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope), Opts,
                                           Timeout), Scope);
connect_to(Ip, Port, Scope, #how{opts = Opts, backend = socket}, Timeout) ->
    %% OTP's socket backend drops `scope_id' from a sockaddr map (OTP 25
    %% has no map connect there at all); a socket bound to the interface
    %% needs no scope on Linux, so that backend gets the interface by name.
    case scoped_ipv6_sockopts:bound_to_interface(Scope, Opts) of
        {ok, Bound} -> explained(gen_tcp:connect(Ip, Port, Bound, Timeout), Scope);
        {error, _} = Error -> Error
    end.

explained({ok, _} = Connected, _Scope) -> Connected;
explained(Error, Scope) -> scoped_ipv6_dest:explain(Error, Scope).

%% gen_tcp exits with `badarg' for an option it refuses, naming nothing:
%% the caller raises `badarg' with the option found here.
refused(Kind, Opts) ->
    {badarg, scoped_ipv6_sockopts:refused_option(Kind, Opts)}.

%% A connect's `badarg': an option gen_tcp refuses, or else a local
%% address scoped to another link than the destination's (the kernel's
%% EINVAL, which gen_tcp turns into `badarg' too).
refused(Opts, TcpOpts, [{_Ip, Destination}]) ->
    case {refused(connect, Opts), [S || {ifaddr, #{scope_id := S}} <- TcpOpts, S > 0]} of
        {{badarg, unknown}, [Source]} when Destination > 0, Source =/= Destination ->
            {badarg, {other_link, Source, Destination}};
        {Refused, _} ->
            Refused
    end;
refused(Opts, _TcpOpts, _Destinations) ->
    refused(connect, Opts).

%% Only a name (a host name, or text to parse) may spend part of the
%% timeout before the connect starts: an address tuple takes it whole.
deadline(Address, Timeout) when is_tuple(Address); Timeout =:= infinity ->
    {whole, Timeout};
deadline(_Name, Timeout) ->
    {until, erlang:monotonic_time(millisecond) + Timeout}.

%% The inet driver takes the timeout in 32 bits, 16#ffffffff meaning
%% none: 2^32 ms would time out at once. No connect lasts 49 days (the
%% kernel gives up within minutes), so a longer wait is the longest the
%% driver can take.
-define(LONGEST, 16#fffffffe).
remaining({whole, infinity}) -> infinity;
remaining({whole, Timeout}) -> min(?LONGEST, Timeout);
remaining({until, Deadline}) ->
    min(?LONGEST, max(0, Deadline - erlang:monotonic_time(millisecond))).
