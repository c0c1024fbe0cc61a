%% @private
%% Opens scoped TCP sockets: resolves the destination and the addresses in
%% the options, then asks gen_tcp, with OTP's sockaddr map when there is a
%% scope, so that the inet driver makes, connects, owns and closes the
%% socket. What scoped_ipv6_tcp, the epmd query and the distribution
%% carrier all use; the arguments' types are checked by the callers.
-module(scoped_ipv6_tcp_open).

-export([connect/4, listen/2]).

%% `{badarg, Cause}': an option gen_tcp refused (Cause names it, for the
%% caller's error info); `{error, {badarg, Opt}}' from the option split
%% (a malformed list) is given back as it is.
-type refused() :: {badarg, {refused, term()} | unknown}.

-spec connect(term(), inet:port_number(), [term()], timeout()) ->
    {ok, inet:socket()} | {error, term()} | refused().
connect(Address, Port, Opts, Timeout) ->
    Deadline = deadline(Address, Timeout),
    case scoped_ipv6_dest:resolve(Address, Timeout) of
        {ok, {Ip, Scope}} ->
            case scoped_ipv6_sockopts:for_gen_tcp(Opts, 0) of
                {ok, TcpOpts} ->
                    refused(connect, Opts,
                            fun() -> connect_to(Ip, Port, Scope, TcpOpts, remaining(Deadline)) end);
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

%% Only a name (a host name, or text to parse) may spend part of the
%% timeout before the connect starts: an address tuple takes it whole.
deadline(Address, Timeout) when is_tuple(Address); Timeout =:= infinity ->
    {whole, Timeout};
deadline(_Name, Timeout) ->
    {until, erlang:monotonic_time(millisecond) + Timeout}.

%% gen_tcp hands its driver the timeout in 32 bits: 2^32 ms would time
%% out at once. No connect lasts 49 days (the kernel gives up within
%% minutes), so a longer wait is the longest the driver can take.
remaining({whole, infinity}) -> infinity;
remaining({whole, Timeout}) -> min(16#ffffffff, Timeout);
remaining({until, Deadline}) ->
    min(16#ffffffff, max(0, Deadline - erlang:monotonic_time(millisecond))).
