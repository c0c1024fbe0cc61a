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
%% `send/2,3,4', `connect/3', `recv/2,3', active mode (`{udp, Socket, Address, Port, Data}'
%% with the scoped address, `{active, once | N | true}'),
%% `controlling_process/2', `close/1', and multicast (`join_group/3',
%% `leave_group/3', `multicast_if', `multicast_hops', `multicast_loop';
%% IPv4 groups too, by interface, on Linux).
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

-include("scoped_ipv6.hrl").
-include("scoped_ipv6_udp.hrl").

-export([open/1, open/2, connect/3, send/2, send/3, send/4, send/5, recv/2, recv/3, setopts/2,
         getopts/2, controlling_process/2, close/1, join_group/3, leave_group/3, sockname/1, peername/1,
         socket/1, is_socket/1, getstat/1]).
-export([format_error/2]).

%% gen_udp's range for the (ignored) length of recv/2,3.
-define(is_length(L), (is_integer(L) andalso L >= 0 andalso L =< 16#ffffffff)).
-define(is_timeout(T), (T =:= infinity orelse (is_integer(T) andalso T >= 0))).
-opaque socket() :: #scoped_udp{}.
%% The arrival information asked for (see open/2).
-type anc_data() :: [{pktinfo, {Destination :: scoped_ipv6:address(),
                                IfIndex :: non_neg_integer()}} |
                     {hoplimit, 0..255} | {tclass, 0..255} | {ttl, 0..255} | {tos, 0..255}].
-export_type([socket/0, anc_data/0]).


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
%% or `list', `{active, A}', `reuseaddr', `reuseport', `ipv6_v6only',
%% `recbuf', `sndbuf', `bind_to_device', `broadcast', `dontroute',
%% `{priority, N}', `{multicast_if, Scope}', `{multicast_hops, N}',
%% `{multicast_loop, Bool}', `{tclass, N}', `{buffer, N}', and gen_udp's
%% IPv4 `{ttl, N}', `{tos, N}', `{multicast_ttl, N}'. On an IPv4 socket
%% the IPv6 names set their IPv4 counterparts (`unicast_hops' the TTL,
%% `multicast_hops' the multicast TTL, `tclass' the TOS byte), as they
%% name them in arrival information; `{multicast_if, Scope}' names the
%% interface on both (on IPv4, by its index: Linux only).
%%
%% Groups are joined at open, or joined and left by `setopts/2', with
%% gen_udp's `{add_membership, {Group, Interface}}' and
%% `{drop_membership, {Group, Interface}}', where `Interface' is a scope
%% (an interface name or index; 0 lets the kernel choose): the same as
%% `join_group/3' and `leave_group/3'. gen_udp's IPv4 forms work as in
%% gen_udp: `{Group, LocalAddress | any}' and `{Group, LocalAddress |
%% any, Index}', and so does `{multicast_if, LocalAddress}'.
%%
%% `{buffer, N}' (`1..65535', default 65535) is the largest datagram
%% received, as in gen_udp; unlike gen_udp, a longer datagram is never
%% cut silently: it is dropped and reported as `{error, emsgsize}' to
%% `recv/3', or `{udp_error, Socket, emsgsize}' in active mode (which
%% stays on). An option it does not take, or a bad value, raises `badarg'
%% (as gen_udp does; the error names the option). gen_udp's options for
%% its port (`read_packets', `high_msgq_watermark', `low_msgq_watermark',
%% `header', `deliver', `fd') and `netns' are not taken.
%%
%% Arrival information (RFC 3542 on IPv6 sockets; on IPv4 ones the same
%% items from Linux's IP_PKTINFO, IP_TTL and IP_TOS: `hoplimit' is the
%% TTL, `tclass' the TOS byte): with `{recvpktinfo, true}',
%% `{recvhoplimit, true}' or `{recvtclass, true}', each datagram carries
%% an `AncData' list, as gen_udp's does with `recvtclass': `recv/3'
%% answers `{ok, {Address, Port, AncData, Data}}' and active messages are
%% `{udp, Socket, Address, Port, AncData, Data}'. `AncData' holds, in this
%% order and each only when asked for, `{pktinfo, {Destination, IfIndex}}'
%% (the address the datagram was sent to, scoped by the arrival interface
%% when it needs a scope, e.g. `{{16#ff02,0,0,0,0,0,0,16#fb}, 3}', and the
%% index of the interface it arrived on), `{hoplimit, 0..255}' and
%% `{tclass, 0..255}'. gen_udp's IPv4 names work too, on either family:
%% `{recvttl, true}' adds `{ttl, N}' (the same value as `hoplimit') and
%% `{recvtos, true}' `{tos, N}' (as `tclass'), after the others, in
%% gen_udp's order.
%% Without these options the shapes stay `{ok, {Address, Port, Data}}' and
%% `{udp, Socket, Address, Port, Data}'.
%%
%% `{min_hoplimit, N}' (`0..255', 0 = off): the hop-limit guard of RFC
%% 5082 (the TTL on IPv4). A datagram that arrived with a hop limit
%% below `N' is dropped before anyone sees it and counted in
%% `getstat/1'; link-local protocols set 255, which only a sender on the
%% same link can achieve.
%% `{unicast_hops, N}' (`0..255' or `default'): the hop limit of unicast
%% datagrams sent (IPV6_UNICAST_HOPS; the TTL on IPv4).
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary, {recvpktinfo, true}, {recvhoplimit, true}]),
%% ok = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hi">>),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{_PeerIp6, Eth0}, 5353, AncData, <<"a:hi">>}} = scoped_ipv6_udp:recv(S, 0, 5000),
%% [{pktinfo, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, Eth0}}, {hoplimit, 64}] = AncData.
%% '''
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
            scoped_ipv6_udp_server:start(self(), Open);
        {error, {badarg, Refused}} ->
            erlang:error(badarg, [Port, Opts],
                         [{error_info, #{module => ?MODULE, cause => {2, Refused}}}]);
        {error, _} = Error ->
            Error
    end;
open(Port, Opts) ->
    erlang:error(badarg, [Port, Opts]).

%% @private What open/2 refused, for the shell and Elixir (`erl_error'
%% calls it through the error info): the option, which gen_udp would not
%% name.
-spec format_error(term(), erlang:stacktrace()) -> #{pos_integer() => string()}.
format_error(badarg, [{?MODULE, open, _, Info} | _]) ->
    case proplists:get_value(error_info, Info) of
        #{cause := {At, improper_list}} ->
            #{At => "not a proper list"};
        #{cause := {At, Option}} ->
            #{At => lists:flatten(io_lib:format("scoped UDP does not take the option ~0tp "
                                                "(unknown, or a bad value)", [Option]))};
        _ ->
            #{}
    end;
format_error(_Reason, _Stacktrace) ->
    #{}.

%% @doc Connects the socket to `Address' and `Port', as
%% `gen_udp:connect/3': send/2 then sends there, only that peer's
%% datagrams are received, and an ICMP "port unreachable" from it is
%% `{error, econnrefused}' to a later recv or send. `Address' is any form
%% send/4 takes (a link-local one needs a scope). A peer that answers from
%% another of its addresses is not heard on a connected socket.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary]),
%% ok = scoped_ipv6_udp:connect(S, "fe80::2%eth0", 5353),
%% ok = scoped_ipv6_udp:send(S, <<"hi">>),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, Eth0}, 5353}} = scoped_ipv6_udp:peername(S),
%% {error, scope_required} = scoped_ipv6_udp:connect(S, "fe80::2", 5353).
%% '''
-spec connect(socket(), scoped_ipv6:address() | string() | binary() | atom(),
              inet:port_number()) -> ok | {error, scoped_ipv6:reason()}.
connect(#scoped_udp{socket = Socket} = S, Address, Port)
  when is_integer(Port), Port >= 0, Port =< 65535 ->
    to_destination(S, Address, Port, fun(To) -> socket:connect(Socket, To) end);
connect(Socket, Address, Port) ->
    erlang:error(badarg, [Socket, Address, Port]).

%% @doc Sends `Data' to the peer of a connected socket (connect/3), as
%% `gen_udp:send/2'; the kernel's `{error, edestaddrreq}' on one not
%% connected. `Data' that is not iodata raises `badarg'.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% {error, edestaddrreq} = scoped_ipv6_udp:send(S, <<"hi">>),
%% ok = scoped_ipv6_udp:connect(S, {{16#fe80,0,0,0,0,0,0,2}, "eth0"}, 5353),
%% ok = scoped_ipv6_udp:send(S, [<<"h">>, "i"]).
%% '''
-spec send(socket(), iodata()) -> ok | {error, scoped_ipv6:reason()}.
send(#scoped_udp{socket = Socket} = S, Data) ->
    is_iodata(Data) orelse erlang:error(badarg, [S, Data]),
    socket:send(Socket, Data);
send(Socket, Data) ->
    erlang:error(badarg, [Socket, Data]).

%% @doc Sends `Data' to `{Address, Port}' or to OTP's sockaddr map (its
%% `scope_id' the scope), as `gen_udp:send/3' takes a destination;
%% otherwise as send/4.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% ok = scoped_ipv6_udp:send(S, {"fe80::2%eth0", 5353}, <<"hi">>),
%% Peer = #{family => inet6, addr => {16#fe80,0,0,0,0,0,0,2}, port => 5353, scope_id => Eth0},
%% ok = scoped_ipv6_udp:send(S, Peer, <<"hi">>),
%% {error, scope_required} = scoped_ipv6_udp:send(S, Peer#{scope_id => 0}, <<"hi">>).
%% '''
-spec send(socket(), {scoped_ipv6:address() | string() | binary() | atom(), inet:port_number()}
                     | socket:sockaddr_in() | socket:sockaddr_in6(), iodata()) ->
    ok | {error, scoped_ipv6:reason()}.
send(S, {Address, Port}, Data) ->
    send(S, Address, Port, Data);
send(S, #{family := Family, addr := Ip, port := _} = SockAddr, Data)
  when (Family =:= inet orelse Family =:= inet6), is_tuple(Ip) ->
    {Address, Port} = scoped_ipv6_addr:from_sockaddr(SockAddr),
    send(S, Address, Port, Data);
send(S, Destination, Data) ->
    erlang:error(badarg, [S, Destination, Data]).

%% @doc Sends `Data' to `Address' (any form; a link-local one needs a
%% scope, or `{error, scope_required}': Linux would otherwise send it out
%% of whichever link it finds first). As with gen_udp, the destination is
%% of the socket's family: a host name is looked up in it, and an address
%% of the other family is `{error, eafnosupport}'. `Data' that is not
%% iodata raises `badarg', before anything is sent.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% ok = scoped_ipv6_udp:send(S, {{16#fe80,0,0,0,0,0,0,2}, "eth0"}, 5353, ["hel", <<"lo">>]),
%% {error, scope_required} = scoped_ipv6_udp:send(S, "fe80::2", 5353, <<"hello">>),
%% {error, eafnosupport} = scoped_ipv6_udp:send(S, {127,0,0,1}, 5353, <<"hello">>).
%% '''
-spec send(socket(), scoped_ipv6:address() | string() | binary() | atom(),
           inet:port_number(), iodata()) -> ok | {error, scoped_ipv6:reason()}.
send(#scoped_udp{socket = Socket} = S, Address, Port, Data)
  when is_integer(Port), Port >= 0, Port =< 65535 ->
    is_iodata(Data) orelse erlang:error(badarg, [S, Address, Port, Data]),
    to_destination(S, Address, Port, fun(To) -> socket:sendto(Socket, Data, To) end);
send(Socket, Address, Port, Data) ->
    erlang:error(badarg, [Socket, Address, Port, Data]).

%% @doc Sends one datagram as send/4 does, with RFC 3542 ancillary data
%% for it alone (`[]' sends as send/4; gen_udp:send/5's order of
%% arguments):
%% <ul>
%%   <li>`{pktinfo, Source}': the source address and interface. A scoped
%%       `Source' (`"fe80::1%eth0"', `{Ip6, Scope}') leaves from that
%%       interface with that address; the unspecified address with a scope
%%       (`{{0,0,0,0,0,0,0,0}, "eth0"}') chooses only the interface; a
%%       global address only the address. The interface chosen is also the
%%       scope of a link-local `Address' given without one (RFC 3542). A
%%       link-local `Source' without a scope is `{error, scope_required}';
%%       the address must be one of this host's (Linux refuses another with
%%       `{error, einval}'). On an IPv4 socket the source is an IPv4
%%       address, alone or with an interface beside it (`{{10,0,0,1},
%%       "eth0"}', `{{0,0,0,0}, "eth0"}'): IPv4 addresses take no zone.</li>
%%   <li>`{hoplimit, 0..255}': the hop limit of this datagram (IPv4: its
%%       TTL, 1..255).</li>
%%   <li>`{tclass, 0..255}': its traffic class (IPv4: its TOS byte).</li>
%% </ul>
%% An item of another shape, or `AncData' that is not a list, raises
%% `badarg'. `Data' is iodata.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary]),
%% Eth0Only = {{0,0,0,0,0,0,0,0}, "eth0"},
%% ok = scoped_ipv6_udp:send(S, "fe80::2", 5353, [{pktinfo, Eth0Only}, {hoplimit, 255}], <<"hi">>),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{_PeerIp6, Eth0}, 5353, <<"a:hi">>}} = scoped_ipv6_udp:recv(S, 0, 5000),
%% {error, scope_required} = scoped_ipv6_udp:send(S, "fe80::2", 5353, [{hoplimit, 255}], <<"hi">>).
%% '''
-spec send(socket(), scoped_ipv6:address() | string() | binary() | atom(),
           inet:port_number(), [term()], iodata()) -> ok | {error, scoped_ipv6:reason()}.
send(S, Address, Port, [], Data) ->
    send(S, Address, Port, Data);
send(#scoped_udp{socket = Socket} = S, Address, Port, AncData, Data)
  when is_integer(Port), Port >= 0, Port =< 65535 ->
    Args = [S, Address, Port, AncData, Data],
    is_iodata(Data) orelse erlang:error(badarg, Args),
    case scoped_ipv6_cmsg:items(AncData) of
        {ok, Items} ->
            case destination(S, Address, scoped_ipv6_cmsg:interface(Items)) of
                {ok, {Ip, Scope}} -> send_items(Socket, Ip, Port, Scope, Items, Data);
                {error, _} = Error -> Error
            end;
        {error, badarg} ->
            erlang:error(badarg, Args);
        {error, _} = Error ->
            Error
    end;
send(Socket, Address, Port, AncData, Data) ->
    erlang:error(badarg, [Socket, Address, Port, AncData, Data]).

%% The control messages are those of the destination's family, which is
%% the socket's (the kernel refuses another).
send_items(Socket, Ip, Port, Scope, Items, Data) ->
    #{family := Family} = To = scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope),
    case scoped_ipv6_cmsg:encode(Items, Family) of
        {ok, Ctrl} ->
            Msg = #{addr => To, iov => erlang:iolist_to_iovec(Data), ctrl => Ctrl},
            scoped_ipv6_dest:explain(socket:sendmsg(Socket, Msg), Scope);
        {error, _} = Error ->
            Error
    end.

%% RFC 3542 section 6.1: the interface of IPV6_PKTINFO is the scope of a
%% link-local destination given without one.
destination(#scoped_udp{family = Family}, Address, Interface) ->
    case scoped_ipv6_dest:resolve(Address, Family, infinity) of
        {error, scope_required} = Error when Interface > 0 ->
            case scoped_ipv6_addr:resolve(Address) of
                {ok, Ip} when ?is_ip6_address(Ip) -> {ok, {Ip, Interface}};
                _HostName -> Error
            end;
        Other ->
            Other
    end.

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
    {ok, {scoped_ipv6:address(), inet:port_number(), anc_data(), binary() | string()}} |
    {error, term()}.
recv(Socket, Length) ->
    recv(Socket, Length, infinity).

%% @doc Receives one datagram in passive mode: `{ok, {Address, Port,
%% Data}}' with `Address' scoped when it needs a scope. The datagram comes
%% whole, up to `{buffer, N}' bytes (65,535 by default); a longer one is
%% `{error, emsgsize}'. `Length' (`0..16#ffffffff') is ignored, as gen_udp
%% ignores it. `Timeout' may be any non-negative integer (gen_udp answers
%% `einval' above `16#7fffffff'). `{error, einval}' in active mode, as
%% gen_udp. A wrong type or range of an argument raises `badarg'. With
%% arrival information asked for (see open/2), `{ok, {Address, Port,
%% AncData, Data}}'; datagrams the hop-limit guard drops are skipped
%% (and counted) within the same `Timeout'.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary]),
%% {error, timeout} = scoped_ipv6_udp:recv(S, 0, 10),
%% ok = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hi">>),
%% {ok, {{_PeerIp6, _Eth0}, 5353, <<"a:hi">>}} = scoped_ipv6_udp:recv(S, 0, 5000).
%% '''
-spec recv(socket(), non_neg_integer(), timeout()) ->
    {ok, {scoped_ipv6:address(), inet:port_number(), binary() | string()}} |
    {ok, {scoped_ipv6:address(), inet:port_number(), anc_data(), binary() | string()}} |
    {error, term()}.
recv(#scoped_udp{socket = Socket, flags = Flags}, Length, Timeout)
  when ?is_length(Length), ?is_timeout(Timeout) ->
    case atomics:get(Flags, ?ACTIVE) of
        0 -> recv_passive(Socket, Flags, deadline(Timeout));
        _Active -> {error, einval}
    end;
recv(Socket, Length, Timeout) ->
    erlang:error(badarg, [Socket, Length, Timeout]).

%% A datagram the hop-limit guard drops (counted there) is skipped, and
%% the wait goes on for the next one until the same deadline.
recv_passive(Socket, Flags, Deadline) ->
    case scoped_ipv6_udp_read:one(Socket, Flags, remaining(Deadline)) of
        dropped -> recv_passive(Socket, Flags, Deadline);
        Result -> Result
    end.

deadline(infinity) -> infinity;
deadline(Timeout) -> {erlang:monotonic_time(millisecond) + Timeout}.

remaining(infinity) -> infinity;
remaining({At}) -> max(0, At - erlang:monotonic_time(millisecond)).

%% @doc Sets `{active, A}', `binary'/`list'/`{mode, M}', `{buffer, N}',
%% `{multicast_if, Scope}', `{multicast_hops, N}', `{multicast_loop, Bool}',
%% `{add_membership, {Group, Interface}}', `{drop_membership, {Group,
%% Interface}}', `{recvpktinfo, B}', `{recvhoplimit, B}', `{recvtclass, B}', `{recvttl, B}',
%% `{recvtos, B}', `{min_hoplimit, N}', `{unicast_hops, N}', `{tclass, N}', `broadcast',
%% `dontroute', `{priority, N}', `{ttl, N}', `{tos, N}',
%% `{multicast_ttl, N}' (see open/2).
%% Every option is checked before any is set: `{error, einval}' for one
%% it does not take, or a bad value, as `inet:setopts/2'.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary]),
%% ok = scoped_ipv6_udp:setopts(S, [{active, once}, {multicast_if, "eth0"}]),
%% ok = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hi">>),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% receive {udp, S, {_PeerIp6, Eth0}, 5353, <<"a:hi">>} -> ok end,
%% {error, einval} = scoped_ipv6_udp:setopts(S, [{active, sometimes}]).
%% '''
-spec setopts(socket(), [term()]) -> ok | {error, term()}.
setopts(#scoped_udp{server = Server}, Opts) when is_list(Opts) ->
    call(Server, {setopts, Opts});
setopts(Socket, Opts) ->
    erlang:error(badarg, [Socket, Opts]).

%% @doc The values of options, as `inet:getopts/2' gives a gen_udp
%% socket's: every option open/2 and setopts/2 take except the addresses,
%% the port and group memberships, each read from the kernel (the IPv6
%% names reading their IPv4 counterparts on an IPv4 socket) or from the
%% socket's own state; `{error, einval}' for any other, as gen_udp.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary, {active, once}, {multicast_if, "eth0"}]),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, [{active, once}, {mode, binary}, {multicast_if, Eth0}]} =
%%     scoped_ipv6_udp:getopts(S, [active, mode, multicast_if]),
%% {error, einval} = scoped_ipv6_udp:getopts(S, [add_membership]).
%% '''
-spec getopts(socket(), [atom()]) -> {ok, [{atom(), term()}]} | {error, term()}.
getopts(#scoped_udp{server = Server}, Names) when is_list(Names) ->
    call(Server, {getopts, Names});
getopts(Socket, Names) ->
    erlang:error(badarg, [Socket, Names]).

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

%% @doc Joins multicast `Group' (e.g. `ff02::fb', as an address or its
%% text) on the interface `Scope' (index or name). Unlike gen_udp's
%% `add_membership' on OTP 25, it joins. An IPv4 group (e.g.
%% `{224,0,0,251}', on an IPv4 socket) is joined on the interface by its
%% index too, as Linux takes it (`{error, enotsup}' on other systems): no
%% interface address is needed. Group text that is not an address, or
%% that carries a zone (the interface is `Scope'), is `{error, einval}'.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(5353, [{reuseaddr, true}]),
%% MDNS = {16#ff02,0,0,0,0,0,0,16#fb},
%% ok = scoped_ipv6_udp:join_group(S, MDNS, "eth0"),
%% ok = scoped_ipv6_udp:join_group(S, "ff02::123", "eth0"),
%% {error, einval} = scoped_ipv6_udp:join_group(S, "ff02::zz", "eth0"),
%% {error, {no_such_interface, "nosuch0"}} = scoped_ipv6_udp:join_group(S, MDNS, "nosuch0"),
%% ok = scoped_ipv6_udp:leave_group(S, MDNS, "eth0").
%% '''
-spec join_group(socket(), inet:ip_address() | string() | binary(), scoped_ipv6:scope()) ->
    ok | {error, term()}.
join_group(Socket, Group, Scope) ->
    case membership(Socket, add_membership, Group, Scope) of
        badarg -> erlang:error(badarg, [Socket, Group, Scope]);
        Result -> Result
    end.

%% @doc Leaves multicast `Group' on the interface `Scope'; see
%% {@link join_group/3}.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% ok = scoped_ipv6_udp:join_group(S, {16#ff02,0,0,0,0,0,0,16#1234}, "eth0"),
%% ok = scoped_ipv6_udp:leave_group(S, {16#ff02,0,0,0,0,0,0,16#1234}, "eth0").
%% '''
-spec leave_group(socket(), inet:ip_address() | string() | binary(), scoped_ipv6:scope()) ->
    ok | {error, term()}.
leave_group(Socket, Group, Scope) ->
    case membership(Socket, drop_membership, Group, Scope) of
        badarg -> erlang:error(badarg, [Socket, Group, Scope]);
        Result -> Result
    end.

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

%% @doc The peer of a connected socket (connect/3; `{error, enotconn}'
%% otherwise).
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% {error, enotconn} = scoped_ipv6_udp:peername(S),
%% ok = scoped_ipv6_udp:connect(S, "fe80::2%eth0", 5353),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
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

%% @doc Counters of this socket: `hoplimit_dropped', the datagrams the
%% hop-limit guard (`{min_hoplimit, N}') dropped since the socket opened.
%% The peer's replies come with the hop limit 64 here: the guard at 255
%% drops them.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [binary, {min_hoplimit, 255}]),
%% {ok, [{hoplimit_dropped, 0}]} = scoped_ipv6_udp:getstat(S),
%% ok = scoped_ipv6_udp:send(S, "fe80::2%eth0", 5353, <<"hi">>),
%% {error, timeout} = scoped_ipv6_udp:recv(S, 0, 2000),
%% {ok, [{hoplimit_dropped, 1}]} = scoped_ipv6_udp:getstat(S).
%% '''
-spec getstat(socket()) -> {ok, [{hoplimit_dropped, non_neg_integer()}]}.
getstat(#scoped_udp{flags = Flags}) ->
    {ok, [{hoplimit_dropped, atomics:get(Flags, ?DROPPED)}]};
getstat(Socket) ->
    erlang:error(badarg, [Socket]).

%% @doc The underlying `socket:socket()', for options this module lacks.
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0),
%% {ok, true} = socket:getopt(scoped_ipv6_udp:socket(S), {ipv6, v6only}).
%% '''
-spec socket(socket()) -> socket:socket().
socket(#scoped_udp{socket = Socket}) ->
    Socket.

call(Server, Request) ->
    try gen_server:call(Server, Request)
    catch exit:{noproc, _} -> {error, closed};
          exit:{normal, _} -> {error, closed}
    end.

%% A group joined or left; `badarg' for a wrong type, which the caller
%% raises with its own arguments.
membership(#scoped_udp{socket = Socket}, Which, Group, Scope) ->
    case group_address(Group) of
        {ok, Ip} ->
            case scoped_ipv6_dest:interface_index(Scope) of
                {ok, Index} -> scoped_ipv6_sockopts:set_membership(Socket, Which, Ip, Index);
                {error, _} = Error -> Error
            end;
        Other ->
            Other
    end;
membership(_Socket, _Which, _Group, _Scope) ->
    badarg.

%% A group address, or its text without a zone (the interface is the
%% caller's `Scope').
group_address(Group) when ?is_ip6_address(Group); ?is_ip4_address(Group) ->
    {ok, Group};
group_address(Text) when is_list(Text); is_binary(Text) ->
    case scoped_ipv6_addr:parse(Text) of
        {ok, Ip} when ?is_ip6_address(Ip); ?is_ip4_address(Ip) -> {ok, Ip};
        _ -> {error, einval}
    end;
group_address(_Group) ->
    badarg.

%% `Do' with `Address' and `Port' as OTP's sockaddr map (a host name looked
%% up in the socket's family, a zone name resolved), and its error
%% explained by the scope.
to_destination(#scoped_udp{family = Family}, Address, Port, Do) ->
    case scoped_ipv6_dest:resolve(Address, Family, infinity) of
        {ok, {Ip, Scope}} ->
            scoped_ipv6_dest:explain(Do(scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope)), Scope);
        {error, _} = Error ->
            Error
    end.

scoped({ok, SockAddr}) -> {ok, scoped_ipv6_addr:from_sockaddr(SockAddr)};
scoped({error, _} = Error) -> Error.
