%% EUnit tests of RFC 3542's arrival information and per-datagram ancillary
%% data on scoped UDP, and of the scoped ping, on loopback: the Erlang
%% documentation's examples, run. The link-local cases, against peers we did
%% not write, are in test/testbed_ancillary_test.exs.
-module(scoped_ipv6_ancillary_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LOOPBACK, {0, 0, 0, 0, 0, 0, 0, 1}).
-define(LL(Last), {16#fe80, 0, 0, 0, 0, 0, 0, Last}).

pair(Opts) ->
    {ok, A} = scoped_ipv6_udp:open(0, [binary, {ip, ?LOOPBACK}]),
    {ok, B} = scoped_ipv6_udp:open(0, [binary, {ip, ?LOOPBACK} | Opts]),
    {ok, {_, Port}} = scoped_ipv6_udp:sockname(B),
    {A, B, Port}.

%% scoped_ipv6_udp:open/2's example, on loopback: the destination, its
%% interface and the hop limit come with the datagram.
open_example_test() ->
    {A, B, Port} = pair([{recvpktinfo, true}, {recvhoplimit, true}]),
    ok = scoped_ipv6_udp:send(A, "::1", Port, <<"hi">>),
    ?assertMatch({ok, {?LOOPBACK, _, [{pktinfo, {?LOOPBACK, 1}}, {hoplimit, 64}], <<"hi">>}},
                 scoped_ipv6_udp:recv(B, 0, 1000)).

%% scoped_ipv6_udp:send/5's example: pktinfo and hoplimit for one datagram.
send5_example_test() ->
    {A, B, Port} = pair([{recvhoplimit, true}, {recvtclass, true}]),
    ok = scoped_ipv6_udp:send(A, "::1", Port, [{pktinfo, "::1"}, {hoplimit, 255},
                                               {tclass, 16#b8}], <<"one">>),
    ok = scoped_ipv6_udp:send(A, "::1", Port, [], <<"two">>),
    ?assertMatch({ok, {_, _, [{hoplimit, 255}, {tclass, 16#b8}], <<"one">>}},
                 scoped_ipv6_udp:recv(B, 0, 1000)),
    ?assertMatch({ok, {_, _, [{hoplimit, 64}, {tclass, 0}], <<"two">>}},
                 scoped_ipv6_udp:recv(B, 0, 1000)),
    ?assertEqual({error, scope_required},
                 scoped_ipv6_udp:send(A, "::1", Port, [{pktinfo, "fe80::1"}], <<>>)),
    ?assertError(badarg, scoped_ipv6_udp:send(A, "::1", Port, [{hoplimit, 256}], <<>>)),
    ?assertError(badarg, scoped_ipv6_udp:send(A, "::1", Port, not_a_list, <<>>)).

%% scoped_ipv6_udp:getstat/1's example, and the guard on loopback.
getstat_example_test() ->
    {A, B, Port} = pair([{min_hoplimit, 255}]),
    ?assertEqual({ok, [{hoplimit_dropped, 0}]}, scoped_ipv6_udp:getstat(B)),
    ok = scoped_ipv6_udp:send(A, "::1", Port, [{hoplimit, 254}], <<"far">>),
    ok = scoped_ipv6_udp:send(A, "::1", Port, [{hoplimit, 255}], <<"near">>),
    ?assertMatch({ok, {?LOOPBACK, _, <<"near">>}}, scoped_ipv6_udp:recv(B, 0, 1000)),
    ?assertEqual({ok, [{hoplimit_dropped, 1}]}, scoped_ipv6_udp:getstat(B)),
    %% Dropped datagrams do not lengthen the wait: the timeout still holds.
    ok = scoped_ipv6_udp:send(A, "::1", Port, [{hoplimit, 1}], <<"far">>),
    ?assertEqual({error, timeout}, scoped_ipv6_udp:recv(B, 0, 500)),
    ?assertEqual({ok, [{hoplimit_dropped, 2}]}, scoped_ipv6_udp:getstat(B)).

unicast_hops_test() ->
    {ok, S} = scoped_ipv6_udp:open(0, [{unicast_hops, 17}]),
    ?assertEqual({ok, 17}, socket:getopt(scoped_ipv6_udp:socket(S), {ipv6, unicast_hops})),
    ok = scoped_ipv6_udp:setopts(S, [{unicast_hops, 3}]),
    ?assertEqual({ok, 3}, socket:getopt(scoped_ipv6_udp:socket(S), {ipv6, unicast_hops})),
    ?assertEqual({error, einval}, scoped_ipv6_udp:setopts(S, [{unicast_hops, 300}])),
    ?assertError(badarg, scoped_ipv6_udp:open(0, [{unicast_hops, 300}])).

%% On an IPv4 socket the IPv6 names set their IPv4 counterparts, and
%% gen_udp's IPv4 names work too; read back from the kernel.
ipv4_counterparts_test() ->
    {ok, S} = scoped_ipv6_udp:open(0, [inet, {unicast_hops, 17}, {multicast_hops, 3},
                                       {multicast_loop, false}, {tclass, 16#b8}]),
    Get = fun(Opt) -> get_option(S, Opt) end,
    ?assertEqual([{ok, 17}, {ok, 3}, {ok, false}, {ok, 16#b8}],
                 [Get(Opt) || Opt <- [{ip, ttl}, {ip, multicast_ttl}, {ip, multicast_loop},
                                      {ip, tos}]]),
    ok = scoped_ipv6_udp:setopts(S, [{ttl, 200}, {multicast_ttl, 9}, {tos, 16#20}]),
    ?assertEqual([{ok, 200}, {ok, 9}, {ok, 16#20}],
                 [Get(Opt) || Opt <- [{ip, ttl}, {ip, multicast_ttl}, {ip, tos}]]),
    %% `default' is the kernel's TTL again.
    {ok, Fresh} = socket:open(inet, dgram, udp),
    {ok, Default} = socket:getopt(Fresh, {ip, ttl}),
    ok = socket:close(Fresh),
    ok = scoped_ipv6_udp:setopts(S, [{unicast_hops, default}]),
    ?assertEqual({ok, Default}, Get({ip, ttl})),
    %% The multicast interface by scope (Linux's ip_mreqn), as on IPv6.
    ?assertEqual(ok, scoped_ipv6_udp:setopts(S, [{multicast_if, "lo"}])),
    ?assertEqual({error, einval}, scoped_ipv6_udp:setopts(S, [{multicast_if, "nosuch0"}])),
    ?assertEqual({error, einval}, scoped_ipv6_udp:setopts(S, [{tos, 256}])).

%% An option as the kernel has it: IP_TOS by number, as OTP 29 decodes
%% `{ip, tos}' into a map (and older releases some values into atoms).
get_option(S, {ip, tos}) ->
    socket:getopt_native(scoped_ipv6_udp:socket(S), {ip, 1}, integer);
get_option(S, Opt) ->
    socket:getopt(scoped_ipv6_udp:socket(S), Opt).

%% gen_udp's IPv4 names for arrival information: the same items, in the
%% same order, as gen_udp's receiver gets from one sender in the same run.
recvttl_recvtos_as_gen_udp_test() ->
    Loopback = {127, 0, 0, 1},
    {ok, Theirs} = gen_udp:open(0, [inet, binary, {ip, Loopback}, {active, false},
                                    {recvttl, true}, {recvtos, true}]),
    {ok, Ours} = scoped_ipv6_udp:open(0, [inet, binary, {ip, Loopback},
                                          {recvttl, true}, {recvtos, true}]),
    {ok, Sender} = gen_udp:open(0, [inet, {ip, Loopback}, {ttl, 9}, {tos, 32}]),
    {ok, TheirPort} = inet:port(Theirs),
    {ok, {_, OurPort}} = scoped_ipv6_udp:sockname(Ours),
    ok = gen_udp:send(Sender, Loopback, TheirPort, <<"x">>),
    ok = gen_udp:send(Sender, Loopback, OurPort, <<"x">>),
    {ok, {_, _, TheirAnc, <<"x">>}} = gen_udp:recv(Theirs, 0, 1000),
    ?assertEqual([{ttl, 9}, {tos, 32}], TheirAnc),
    ?assertMatch({ok, {Loopback, _, TheirAnc, <<"x">>}}, scoped_ipv6_udp:recv(Ours, 0, 1000)),
    %% Beside the RFC 3542 names, and off again.
    ok = scoped_ipv6_udp:setopts(Ours, [{recvhoplimit, true}, {recvtos, false}]),
    ok = gen_udp:send(Sender, Loopback, OurPort, <<"y">>),
    ?assertMatch({ok, {Loopback, _, [{hoplimit, 9}, {ttl, 9}], <<"y">>}},
                 scoped_ipv6_udp:recv(Ours, 0, 1000)),
    ok = scoped_ipv6_udp:setopts(Ours, [{recvhoplimit, false}, {recvttl, false}]),
    ok = gen_udp:send(Sender, Loopback, OurPort, <<"z">>),
    ?assertMatch({ok, {Loopback, _, <<"z">>}}, scoped_ipv6_udp:recv(Ours, 0, 1000)),
    ?assertError(badarg, scoped_ipv6_udp:open(0, [{recvttl, 1}])),
    ?assertEqual({error, einval}, scoped_ipv6_udp:setopts(Ours, [{recvtos, yes}])).

%% gen_udp's socket-level options, at open and by setopts/2, and tclass on
%% an IPv6 socket.
socket_level_options_test() ->
    {ok, S} = scoped_ipv6_udp:open(0, [{broadcast, true}, {dontroute, true}, {priority, 3},
                                       {reuseport, true}, {tclass, 16#b8}]),
    Get = fun(Opt) -> socket:getopt(scoped_ipv6_udp:socket(S), Opt) end,
    ?assertEqual([{ok, true}, {ok, true}, {ok, 3}, {ok, true}, {ok, 16#b8}],
                 [Get(Opt) || Opt <- [{socket, broadcast}, {socket, dontroute},
                                      {socket, priority}, {socket, reuseport},
                                      {ipv6, tclass}]]),
    ok = scoped_ipv6_udp:setopts(S, [{broadcast, false}, {priority, 0}, {tclass, 0}]),
    ?assertEqual([{ok, false}, {ok, 0}, {ok, 0}],
                 [Get(Opt) || Opt <- [{socket, broadcast}, {socket, priority}, {ipv6, tclass}]]),
    [?assertError(badarg, scoped_ipv6_udp:open(0, [Bad]))
     || Bad <- [{broadcast, 1}, {priority, high}, {tclass, 256}, {ttl, -1}, {reuseport, yes}]],
    ?assertEqual({error, einval}, scoped_ipv6_udp:setopts(S, [{dontroute, sometimes}])).

%% Group membership as gen_udp's options, at open and by setopts/2, on
%% loopback (an IPv4 group, so no link is needed): joined by scope, by
%% gen_udp's local address, and by address and index; a group datagram
%% reaches each, and gen_udp's own member beside them; after a drop the
%% unicast datagram sent after the group's arrives first. The sender names
%% its multicast interface by address, as gen_udp does (read back from the
%% kernel: OTP 25's gen_udp reads its own back wrong).
membership_options_test() ->
    Group = {239, 1, 2, 9},
    Loopback = {127, 0, 0, 1},
    {ok, Lo} = scoped_ipv6:if_index("lo"),
    {ok, ByScope} = scoped_ipv6_udp:open(0, [inet, binary, {add_membership, {Group, "lo"}}]),
    {ok, ByAddress} = scoped_ipv6_udp:open(0, [inet, binary,
                                               {add_membership, {Group, Loopback}}]),
    {ok, Theirs} = gen_udp:open(0, [inet, binary, {active, false},
                                    {add_membership, {Group, Loopback}}]),
    {ok, Sender} = scoped_ipv6_udp:open(0, [inet, {multicast_if, Loopback}]),
    ?assertEqual({ok, Loopback}, socket:getopt(scoped_ipv6_udp:socket(Sender),
                                               {ip, multicast_if})),
    Port = fun(S) -> {ok, {_, P}} = scoped_ipv6_udp:sockname(S), P end,
    {ok, TheirPort} = inet:port(Theirs),
    [ok = scoped_ipv6_udp:send(Sender, Group, P, <<"joined">>)
     || P <- [Port(ByScope), Port(ByAddress), TheirPort]],
    ?assertMatch({ok, {Loopback, _, <<"joined">>}}, scoped_ipv6_udp:recv(ByScope, 0, 1000)),
    ?assertMatch({ok, {Loopback, _, <<"joined">>}}, scoped_ipv6_udp:recv(ByAddress, 0, 1000)),
    ?assertMatch({ok, {Loopback, _, <<"joined">>}}, gen_udp:recv(Theirs, 0, 1000)),

    %% Linux hands a group's datagrams to every socket on the port while
    %% any socket is a member there (IP_MULTICAST_ALL), so all leave.
    ok = gen_udp:close(Theirs),
    ok = scoped_ipv6_udp:setopts(ByScope, [{drop_membership, {Group, Lo}}]),
    ok = scoped_ipv6_udp:setopts(ByAddress, [{drop_membership, {Group, any, "lo"}}]),
    [begin
         ok = scoped_ipv6_udp:send(Sender, Group, Port(S), <<"left">>),
         ok = scoped_ipv6_udp:send(Sender, Loopback, Port(S), <<"unicast">>),
         ?assertMatch({ok, {Loopback, _, <<"unicast">>}}, scoped_ipv6_udp:recv(S, 0, 1000))
     end || S <- [ByScope, ByAddress]],
    %% Joined again by setopts/2, with address and index.
    ok = scoped_ipv6_udp:setopts(ByAddress, [{add_membership, {Group, Loopback, Lo}}]),
    ok = scoped_ipv6_udp:send(Sender, Group, Port(ByAddress), <<"again">>),
    ?assertMatch({ok, {Loopback, _, <<"again">>}}, scoped_ipv6_udp:recv(ByAddress, 0, 1000)),

    %% What the kernel refuses is its reason (gen_udp answers `ok' to
    %% both, and does nothing); a bad value is einval, or badarg at open.
    ?assertEqual({error, eaddrnotavail},
                 scoped_ipv6_udp:setopts(ByScope, [{drop_membership, {Group, "lo"}}])),
    ?assertEqual({error, einval},
                 scoped_ipv6_udp:setopts(ByScope, [{add_membership, {{10, 0, 0, 1}, "lo"}}])),
    [?assertEqual({error, einval}, scoped_ipv6_udp:setopts(ByScope, [Bad]))
     || Bad <- [{add_membership, {Group, "nosuch0"}}, {add_membership, Group},
                {drop_membership, {Group, any, any}}, {multicast_if, {1, 2, 3}},
                {add_membership, {{16#ff02, 0, 0, 0, 0, 0, 0, 1}, Loopback}}]],
    [?assertError(badarg, scoped_ipv6_udp:open(0, [inet, Bad]))
     || Bad <- [{add_membership, {Group, "nosuch0"}}, {add_membership, nope},
                {multicast_if, any}]],
    [ok = scoped_ipv6_udp:close(S) || S <- [ByScope, ByAddress, Sender]].

%% What OTP's socket gives (a decoded `value', or only native `data', as a
%% release may), and what the caller sees: the same.
decoded_and_native_cmsgs_agree_test() ->
    Ip = ?LL(1),
    Data = <<<<W:16>> || W <- tuple_to_list(Ip)>>,
    Decoded = [#{level => ipv6, type => pktinfo, data => <<Data/binary, 3:32/native>>,
                 value => #{addr => Ip, ifindex => 3}},
               #{level => ipv6, type => hoplimit, data => <<255:32/native>>, value => 255},
               #{level => ipv6, type => tclass, data => <<8:32/native>>, value => 8}],
    Native = [maps:remove(value, C) || C <- Decoded],
    Want = [{pktinfo, {{Ip, 3}, 3}}, {hoplimit, 255}, {tclass, 8}],
    ?assertEqual(Want, scoped_ipv6_cmsg:arrival(Decoded, 7)),
    ?assertEqual(Want, scoped_ipv6_cmsg:arrival(lists:reverse(Native), 7)),
    ?assertEqual([{hoplimit, 255}], scoped_ipv6_cmsg:arrival(Native, 2)),
    ?assertEqual([], scoped_ipv6_cmsg:arrival([], 7)),
    ?assertEqual(255, scoped_ipv6_cmsg:hoplimit(Native)),
    ?assertEqual(undefined, scoped_ipv6_cmsg:hoplimit([])),
    %% What send/5 encodes is what a receiver would decode.
    Items = [{pktinfo, {Ip, 3}}, {hoplimit, 255}, {tclass, 8}],
    {ok, Ctrl} = scoped_ipv6_cmsg:encode(Items, inet6),
    ?assertEqual(Want, scoped_ipv6_cmsg:arrival(Ctrl, 7)),
    ?assertEqual(3, scoped_ipv6_cmsg:interface(Items)),
    ?assertEqual({error, eafnosupport}, scoped_ipv6_cmsg:encode(Items, inet)).

%% The same three items on an IPv4 socket: IP_PKTINFO (its header
%% destination, ipi_addr), IP_TTL and IP_TOS, which OTP 25 decodes into a
%% `value' (the TOS byte by name, for some), or leaves as `data'.
ipv4_cmsgs_test() ->
    Decoded = [#{level => ip, type => pktinfo, data => <<3:32/native, 10,13,0,1, 224,0,0,251>>,
                 value => #{addr => {224,0,0,251}, ifindex => 3, spec_dst => {10,13,0,1}}},
               #{level => ip, type => ttl, data => <<255:32/native>>, value => 255},
               #{level => ip, type => tos, data => <<16>>, value => lowdelay}],
    Native = [maps:remove(value, C) || C <- Decoded],
    Want = [{pktinfo, {{224,0,0,251}, 3}}, {hoplimit, 255}, {tclass, 16}],
    ?assertEqual(Want, scoped_ipv6_cmsg:arrival(Decoded, 7)),
    ?assertEqual(Want, scoped_ipv6_cmsg:arrival(lists:reverse(Native), 7)),
    ?assertEqual(255, scoped_ipv6_cmsg:hoplimit(Native)),
    %% On send: in_pktinfo with the source as ipi_spec_dst, the interface
    %% given beside the address (IPv4 has no zone), TTL and TOS as ints.
    {ok, Items} = scoped_ipv6_cmsg:items([{pktinfo, {{127,0,0,1}, "lo"}}, {hoplimit, 7},
                                          {tclass, 16#b8}]),
    ?assertEqual(1, scoped_ipv6_cmsg:interface(Items)),
    ?assertEqual({ok, [#{level => ip, type => pktinfo, data => <<1:32/native, 127,0,0,1, 0:32>>},
                       #{level => ip, type => ttl, data => <<7:32/native>>},
                       #{level => ip, type => tos, data => <<16#b8:32/native>>}]},
                 scoped_ipv6_cmsg:encode(Items, inet)),
    ?assertEqual({error, eafnosupport}, scoped_ipv6_cmsg:encode(Items, inet6)).

%% On IPv4 sockets, end to end on loopback: what a datagram was sent with
%% is what the receiver reads, and the guard reads the TTL.
ipv4_arrival_and_guard_test() ->
    {ok, A} = scoped_ipv6_udp:open(0, [binary, {ip, {127,0,0,1}}]),
    {ok, B} = scoped_ipv6_udp:open(0, [binary, {ip, {127,0,0,1}}, {recvpktinfo, true},
                                       {recvhoplimit, true}, {recvtclass, true}]),
    {ok, {_, Port}} = scoped_ipv6_udp:sockname(B),
    ok = scoped_ipv6_udp:send(A, {127,0,0,1}, Port, [{pktinfo, {{127,0,0,1}, "lo"}},
                                                     {hoplimit, 7}, {tclass, 16#b8}], <<"v4">>),
    ?assertMatch({ok, {{127,0,0,1}, _, [{pktinfo, {{127,0,0,1}, 1}}, {hoplimit, 7},
                                        {tclass, 16#b8}], <<"v4">>}},
                 scoped_ipv6_udp:recv(B, 0, 1000)),
    ?assertEqual({error, eafnosupport},
                 scoped_ipv6_udp:send(A, {127,0,0,1}, Port, [{pktinfo, "::1"}], <<>>)),
    {ok, G} = scoped_ipv6_udp:open(0, [binary, {ip, {127,0,0,1}}, {min_hoplimit, 255}]),
    {ok, {_, GPort}} = scoped_ipv6_udp:sockname(G),
    ok = scoped_ipv6_udp:send(A, {127,0,0,1}, GPort, [{hoplimit, 64}], <<"far">>),
    ok = scoped_ipv6_udp:send(A, {127,0,0,1}, GPort, [{hoplimit, 255}], <<"near">>),
    ?assertMatch({ok, {{127,0,0,1}, _, <<"near">>}}, scoped_ipv6_udp:recv(G, 0, 1000)),
    ?assertEqual({ok, [{hoplimit_dropped, 1}]}, scoped_ipv6_udp:getstat(G)),
    [ok = scoped_ipv6_udp:close(S) || S <- [A, B, G]].

%% scoped_ipv6:ping/2's example, on loopback: as root (or with
%% net.ipv4.ping_group_range allowing this process), a round trip in
%% microseconds; otherwise eacces, the documented answer.
ping_example_test() ->
    ?assertEqual({error, scope_required}, scoped_ipv6:ping("fe80::2")),
    ?assertEqual({error, {no_such_interface, "nosuch0"}}, scoped_ipv6:ping("fe80::2%nosuch0")),
    ?assertError(badarg, scoped_ipv6:ping("::1", [{timeout, soon}])),
    case {os:cmd("id -u"), scoped_ipv6:ping("::1", [{timeout, 5000}])} of
        {"0\n", Answer} -> ?assertMatch({ok, Us} when is_integer(Us), Answer);
        {_User, {error, eacces}} -> ok;
        {_User, Answer} -> ?assertMatch({ok, Us} when is_integer(Us), Answer)
    end.
