%% @doc Scoped addresses through gen_tcp itself, for code you cannot change.
%%
%% gen_tcp takes `{tcp_module, Module}' in its connect and listen options
%% (documented by OTP: the module gen_tcp asks to look up the destination,
%% connect and listen). Given this module, `gen_tcp:connect/3,4' and
%% `gen_tcp:listen/2' take every address form of {@link scoped_ipv6_tcp}:
%% `"fe80::2%eth0"', `{Ip6, "eth0"}', `{Ip6, 3}', host names (`.local' by
%% multicast DNS), and scoped `{ip, A}' / `{ifaddr, A}'. So a library that
%% passes your socket options to gen_tcp and your host to
%% `gen_tcp:connect/4' (OTP's httpc, Ranch and Cowboy listeners, many
%% clients) reaches a link-local peer without a change to its code:
%%
%% ```
%% {ok, S} = gen_tcp:connect("fe80::2%eth0", 8080,
%%                           [{tcp_module, scoped_ipv6_tcp_module}, binary,
%%                            {active, false}], 5000),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, Eth0}, 8080}} = scoped_ipv6:peername(S),
%% ok = gen_tcp:close(S),
%% {ok, L} = gen_tcp:listen(0, [{tcp_module, scoped_ipv6_tcp_module},
%%                              {ip, "fe80::1%eth0"}]),
%% {ok, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, _Port}} = scoped_ipv6:sockname(L),
%% ok = gen_tcp:close(L),
%% {error, scope_required} =
%%     gen_tcp:connect("fe80::2", 8080, [{tcp_module, scoped_ipv6_tcp_module}], 5000).
%% '''
%%
%% What you get is what {@link scoped_ipv6_tcp} gives for the same
%% arguments: the same gen_tcp port, the same errors (`scope_required'
%% where OTP exits with `badarg'), and gen_tcp's `exit(badarg)' for an
%% option it refuses or an argument of the wrong type. A destination with
%% several addresses is one attempt for gen_tcp: they are raced here
%% (RFC 8305), within gen_tcp's timeout.
%%
%% Three rules come from gen_tcp, not from this module:
%% <ul>
%% <li>Before OTP 29 the first of `{tcp_module, M}', `inet' and `inet6' in
%%   the list chooses the module (erlang/otp#9822): put this option first,
%%   or leave the family out (the address decides it). From OTP 29
%%   `tcp_module' wins wherever it is.</li>
%% <li>gen_tcp drops `inet' and `inet6' before it calls the module, so the
%%   family is the destination's (and for a listen, `{ip, A}''s, else
%%   gen_tcp's default, IPv4).</li>
%% <li>gen_tcp's `socket' backend (`{inet_backend, socket}' or
%%   `-kernel inet_backend socket') knows only OTP's own tcp modules, and
%%   its code raises with this one: there, use {@link scoped_ipv6_tcp}
%%   directly.</li>
%% </ul>
-module(scoped_ipv6_tcp_module).

%% What gen_tcp calls on a `tcp_module' (OTP 25 to 29). Sockets are made
%% by OTP's inet6_tcp and inet_tcp, and gen_tcp sends their accept, send,
%% recv and shutdown there.
-export([getaddrs/2, getserv/1, connect/3, connect/4, listen/2]).

%% @private gen_tcp's callback: the destination as it is, one attempt;
%% connect/4 resolves it.
-spec getaddrs(term(), term()) -> {ok, [term()]}.
getaddrs(Destination, _Timer) ->
    {ok, [Destination]}.

%% @private gen_tcp's callback: a port number, or a service name looked up
%% as OTP's own tcp modules do (and anything else refused as they refuse it).
-spec getserv(inet:port_number() | atom()) -> {ok, inet:port_number()} | {error, term()}.
getserv(Port) when is_integer(Port) -> {ok, Port};
getserv(Name) when is_atom(Name) -> inet:getservbyname(Name, tcp).

%% @private gen_tcp's callback for `gen_tcp:connect/3,4' with an address
%% or a name.
-spec connect(term(), inet:port_number(), [term()], timeout()) ->
    {ok, inet:socket()} | {error, term()}.
connect(Destination, Port, Opts, Timeout) ->
    gen_tcp_result(fun() -> scoped_ipv6_tcp_open:connect(Destination, Port, Opts, Timeout) end).

%% @private gen_tcp's callback for `gen_tcp:connect/3' with OTP's sockaddr
%% map: connected as its address and scope, with this module's options.
-spec connect(socket:sockaddr_in() | socket:sockaddr_in6(), [term()], timeout()) ->
    {ok, inet:socket()} | {error, term()}.
connect(#{addr := Ip} = SockAddr, Opts, Timeout) when is_tuple(Ip) ->
    {Destination, Port} = scoped_ipv6_addr:from_sockaddr(SockAddr),
    connect(Destination, Port, Opts, Timeout);
connect(SockAddr, Opts, Timeout) ->
    %% `any' or `loopback': OTP's answer, whatever it is.
    scoped_ipv6_otp:inet_connect(SockAddr, Opts, Timeout).

%% @private gen_tcp's callback for `gen_tcp:listen/2'.
-spec listen(inet:port_number(), [term()]) -> {ok, inet:socket()} | {error, term()}.
listen(Port, Opts) ->
    gen_tcp_result(fun() -> scoped_ipv6_tcp_open:listen(Port, Opts) end).

%% The library's answers in gen_tcp's terms. An argument of the wrong type
%% (the library raises `badarg') and an option gen_tcp refuses are
%% gen_tcp's own `exit(badarg)', which gen_tcp gives for both (it turns
%% `{error, einval}' from its tcp module into that, and its modules exit).
gen_tcp_result(Open) ->
    try Open() of
        {badarg, _Cause} -> exit(badarg);
        {error, {badarg, _}} -> exit(badarg);
        Result -> Result
    catch
        error:badarg -> exit(badarg)
    end.
