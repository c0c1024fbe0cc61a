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
    {ok, Ctrl} = scoped_ipv6_cmsg:encode([{pktinfo, {Ip, 3}}, {hoplimit, 255}, {tclass, 8}]),
    ?assertEqual(Want, scoped_ipv6_cmsg:arrival(Ctrl, 7)),
    ?assertEqual(3, scoped_ipv6_cmsg:interface(Ctrl)).

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
