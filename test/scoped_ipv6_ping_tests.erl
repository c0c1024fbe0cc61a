%% How scoped_ipv6_ping reads what comes back on a raw ICMPv6 socket: RFC
%% 4443 messages built here byte by byte, each error quoting our echo
%% request as a router or the kernel would. (The testbed tests ping real
%% peers; no router there sends "time exceeded" or "packet too big".)
-module(scoped_ipv6_ping_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ID, 16#1234).
-define(SEQ, 7).
-define(TOKEN, <<1, 2, 3, 4, 5, 6, 7, 8>>).

match() ->
    #{type => raw, id => ?ID, seq => ?SEQ, data => <<?TOKEN/binary, "payload">>,
      size => 8 + 8 + 7}.

request() ->
    request(?ID, ?SEQ, ?TOKEN).

request(Id, Seq, Token) ->
    <<128, 0, 16#abcd:16, Id:16, Seq:16, Token/binary, "payload">>.

%% Our request as it left: an IPv6 header (next header 58), then the echo.
invoking(Request) ->
    Src = <<16#fe80:16, 0:48, 1:64>>,
    Dst = <<16#fe80:16, 0:48, 2:64>>,
    <<6:4, 0:8, 0:20, (byte_size(Request)):16, 58, 64, Src/binary, Dst/binary,
      Request/binary>>.

icmp_error(Type, Code, Request) ->
    <<Type, Code, 16#ffff:16, 1280:32, (invoking(Request))/binary>>.

%% Linux's errno for each (net/ipv6/icmp.c, icmpv6_err_convert), which a
%% datagram ping socket's receive returns.
errors_test_() ->
    [?_assertEqual({error, Reason}, scoped_ipv6_ping:answer(icmp_error(Type, Code, request()), match()))
     || {Type, Code, Reason} <- [{1, 0, enetunreach}, {1, 1, eacces}, {1, 2, ehostunreach},
                                 {1, 3, ehostunreach}, {1, 4, econnrefused}, {1, 5, eacces},
                                 {1, 6, eacces}, {1, 7, eproto},
                                 {2, 0, emsgsize}, {3, 0, ehostunreach}, {3, 1, ehostunreach},
                                 {4, 0, eproto}, {4, 2, eproto}]].

reply_test() ->
    Reply = <<129, 0, 0:16, ?ID:16, ?SEQ:16, ?TOKEN/binary, "payload">>,
    ?assertEqual(reply, scoped_ipv6_ping:answer(Reply, match())),
    %% Another process's reply (its identifier) on a raw socket.
    Theirs = <<129, 0, 0:16, (?ID + 1):16, ?SEQ:16, ?TOKEN/binary, "payload">>,
    ?assertEqual(false, scoped_ipv6_ping:answer(Theirs, match())),
    %% A datagram socket's identifier is its port, rewritten by the kernel.
    ?assertEqual(reply, scoped_ipv6_ping:answer(Theirs, (match())#{type => dgram})).

not_ours_test_() ->
    [?_assertEqual(false, scoped_ipv6_ping:answer(Packet, match()))
     || Packet <- [icmp_error(3, 0, request(?ID, ?SEQ + 1, ?TOKEN)),    % another request
                   icmp_error(3, 0, request(?ID, ?SEQ, <<0:64>>)),      % another token
                   icmp_error(3, 0, request(?ID + 1, ?SEQ, ?TOKEN)),    % another identifier
                   icmp_error(128, 0, request()),                       % informational
                   icmp_error(5, 0, request()),                         % unassigned error type
                   binary_part(icmp_error(3, 0, request()), 0, 50),     % cut short
                   <<>>, <<1>>]].
