%% @doc TCP to and from scoped IPv6 addresses, on real gen_tcp ports.
%%
%% `connect/3,4' and `listen/2' take every address form of
%% {@link scoped_ipv6}: `{Ip6, "eth0"}', `{Ip6, 3}', plain tuples, text
%% such as `"fe80::1%eth0"', and host names. The NIF makes the socket,
%% binds and connects it with the scope in `sin6_scope_id', waits in the
%% VM's own poll set (never blocking a scheduler), and the socket is then
%% adopted by the inet driver: what you get is a gen_tcp port, on which
%% `gen_tcp', `inet', `ssl:connect/2,3' (TLS upgrade) and libraries such as
%% Ranch work as on any other.
%%
%% ```
%% {ok, S} = scoped_ipv6_tcp:connect("fe80::2%eth0", 8080, [binary, {active, false}], 5000),
%% ok = gen_tcp:send(S, <<"GET / HTTP/1.0\r\n\r\n">>),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, 3}, 8080}} = scoped_ipv6:peername(S).
%% '''
%%
%% Options: those that must precede bind/connect are set by the NIF
%% (`{ip, A}', `{ifaddr, A}' with `A' scoped or plain, `{port, P}',
%% `reuseaddr', `ipv6_v6only', `recbuf', `sndbuf', `bind_to_device');
%% every other gen_tcp option is given to the port. `ipv6_v6only' is always
%% set on IPv6 sockets, `true' unless you say otherwise (RFC 3493 section
%% 5.3). The socket family follows the address; `inet'/`inet6' are ignored.
-module(scoped_ipv6_tcp).

-include("scoped_ipv6.hrl").

-export([connect/3, connect/4, listen/2, accept/1, accept/2]).

-type timeout_ms() :: non_neg_integer() | infinity.

%% @equiv connect(Address, Port, Opts, infinity)
-spec connect(scoped_ipv6:address() | string() | binary() | atom(), inet:port_number(),
              [term()]) -> {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout}.
connect(Address, Port, Opts) ->
    connect(Address, Port, Opts, infinity).

%% @doc Connects to `Address' and `Port' within `Timeout' milliseconds
%% (name lookup included). A link-local destination without a scope is
%% `{error, scope_required}', not OTP's `exit(badarg)'. Scope names are
%% looked up now, so a re-created interface (new index) is found.
-spec connect(scoped_ipv6:address() | string() | binary() | atom(), inet:port_number(),
              [term()], timeout_ms()) ->
    {ok, inet:socket()} | {error, scoped_ipv6:reason() | timeout}.
connect(Address, Port, Opts, Timeout)
  when is_integer(Port), Port >= 0, Port =< 65535, is_list(Opts),
       (Timeout =:= infinity orelse (is_integer(Timeout) andalso Timeout >= 0)) ->
    Deadline = deadline(Timeout),
    case scoped_ipv6_dest:resolve(Address, Timeout) of
        {ok, {Ip, Scope}} ->
            Family = family(Ip),
            scoped_ipv6_sockopts:with_split(Opts, Family, [Address, Port, Opts, Timeout],
                fun(Split) -> connect_socket(Ip, Port, Scope, Family, Split, Deadline) end);
        {error, _} = Error ->
            Error
    end;
connect(Address, Port, Opts, Timeout) ->
    erlang:error(badarg, [Address, Port, Opts, Timeout]).

%% @doc A listening gen_tcp socket, bound to `{ip, Address}' (a scoped
%% address, a plain one, or by default the IPv6 wildcard `::'; `inet' in
%% the options, or an IPv4 `{ip, Address}', makes the socket IPv4). `gen_tcp:accept/1,2' works on it, and
%% {@link scoped_ipv6:peername/1} gives each accepted peer's scope.
-spec listen(inet:port_number(), [term()]) -> {ok, inet:socket()} | {error, scoped_ipv6:reason()}.
listen(Port, Opts) when is_integer(Port), Port >= 0, Port =< 65535, is_list(Opts) ->
    Family = listen_family(Opts, inet6),
    scoped_ipv6_sockopts:with_split(Opts, Family, [Port, Opts],
        fun(#{setup := Setup, backlog := Backlog} = Split) ->
            %% The NIF binds to {Ip, Port, Scope}, whatever Setup's bind says.
            {Ip, Scope} = scoped_ipv6_sockopts:local_address(Split, Family),
            case scoped_ipv6_nif:tcp_listen(Ip, Port, Scope, Setup, Backlog) of
                {ok, Handover} -> adopt(listening, Handover, Family, Split);
                {error, _} = Error -> Error
            end
        end);
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

%% --- internal ---------------------------------------------------------------

connect_socket(Ip, Port, Scope, Family, #{setup := Setup} = Split, Deadline) ->
    Ref = make_ref(),
    case scoped_ipv6_nif:tcp_connect(Ip, Port, Scope, Setup, Ref) of
        {ok, Handover} ->
            adopt(connected, Handover, Family, Split);
        {wait, Pending} ->
            case await_connect(Pending, Ref, Deadline) of
                {ok, Handover} -> adopt(connected, Handover, Family, Split);
                {error, _} = Error -> scoped_ipv6_dest:explain(Error, Scope)
            end;
        {error, _} = Error ->
            scoped_ipv6_dest:explain(Error, Scope)
    end.

%% The NIF selected WRITE on the socket: the VM's poll set tells us when
%% the connect ended. On timeout the NIF closes the socket; a select message
%% that raced with the timeout is flushed.
await_connect(Pending, Ref, Deadline) ->
    receive
        {select, Pending, Ref, ready_output} ->
            scoped_ipv6_nif:connect_finish(Pending)
    after remaining(Deadline) ->
        ok = scoped_ipv6_nif:connect_cancel(Pending),
        receive {select, Pending, Ref, _} -> ok after 0 -> ok end,
        {error, timeout}
    end.

adopt(Kind, Handover, Family, #{port_opts := PortOpts, active := Active}) ->
    case scoped_ipv6_fd_keeper:adopt(Kind, Handover, Family, PortOpts) of
        {ok, Socket} when Active =:= false ->
            {ok, Socket};
        {ok, Socket} ->
            case inet:setopts(Socket, [{active, Active}]) of
                ok -> {ok, Socket};
                {error, _} = Error -> gen_tcp:close(Socket), Error
            end;
        {error, _} = Error ->
            Error
    end.

family(Ip) when ?is_ip4_address(Ip) -> inet;
family(Ip) when ?is_ip6_address(Ip) -> inet6.

%% IPv4 when asked for (`inet'), or when the address to bind is IPv4, as
%% in gen_tcp; IPv6 otherwise. A malformed list is with_split's to refuse.
listen_family([inet | Rest], _Family) ->
    listen_family(Rest, inet);
listen_family([{Key, Address} | Rest], Family) when Key =:= ip; Key =:= ifaddr ->
    listen_family(Rest, case is_ip4(Address) of true -> inet; false -> Family end);
listen_family([_ | Rest], Family) ->
    listen_family(Rest, Family);
listen_family(_End, Family) ->
    Family.

is_ip4(Address) when ?is_ip4_address(Address) ->
    true;
is_ip4(Text) when is_list(Text); is_binary(Text) ->
    case scoped_ipv6:parse(Text) of
        {ok, Ip} when ?is_ip4_address(Ip) -> true;
        _ -> false
    end;
is_ip4(_) ->
    false.

deadline(infinity) -> infinity;
deadline(Timeout) -> erlang:monotonic_time(millisecond) + Timeout.

remaining(infinity) -> infinity;
remaining(Deadline) -> max(0, Deadline - erlang:monotonic_time(millisecond)).
