%% The responder's rules for the multicast answers waiting to go out (RFC
%% 6762 sections 6.4 and 7.4): which join one message, when it goes, what
%% leaves it, and the bounds.
-module(scoped_ipv6_mdns_waiting_tests).

-include_lib("eunit/include/eunit.hrl").

-define(W, scoped_ipv6_mdns_waiting).
-define(LINK, {inet6, 2}).

%% A browse's answer: the type's PTR to the instance, its SRV and TXT and
%% the host's address along; `Txt' bytes of TXT make it as large as wanted.
browse(Type, Txt) ->
    Instance = "Web." ++ Type,
    {[scoped_ipv6_dns:pointer_record(Type, Instance, 120, false)],
     [scoped_ipv6_dns:record(Instance, srv, {0, 0, 80, "device.local"}, 120, true),
      scoped_ipv6_dns:record(Instance, txt, txt(Txt), 120, true),
      address()]}.

%% TXT strings of `Bytes' bytes in all, 250 at most each.
txt(Bytes) when Bytes =< 250 -> [lists:duplicate(Bytes, $x)];
txt(Bytes) -> [lists:duplicate(250, $x) | txt(Bytes - 250)].

browse(Type) ->
    browse(Type, 10).

address() ->
    scoped_ipv6_dns:address_record("device.local", aaaa, {16#fe80, 0, 0, 0, 0, 0, 0, 1}, 120,
                                   true).

keys(Records) ->
    [scoped_ipv6_dns:record_key(R) || R <- Records].

added(Waiting, Link, Answer, Due) ->
    Ref = make_ref(),
    {Ref, ?W:add(Waiting, Link, Answer, Due, Ref)}.

%% Two browses for two types on one link: one message, due when the
%% later is, with both answers and each additional record once; taken
%% before then, it says how long to wait.
answers_on_one_link_join_one_message_test() ->
    {Ref, {new, W1}} = added(?W:new(), ?LINK, browse("_a._tcp.local"), 80),
    {_, {joined, Ref, 110, W2}} = added(W1, ?LINK, browse("_b._tcp.local"), 110),
    ?assertEqual(1, ?W:count(W2, ?LINK)),
    ?assertEqual({wait, 30}, ?W:take(W2, Ref, 80)),
    {ok, ?LINK, Answers, Additional, W3} = ?W:take(W2, Ref, 110),
    ?assertEqual(keys(element(1, browse("_a._tcp.local")) ++ element(1, browse("_b._tcp.local"))),
                 keys(Answers)),
    ?assertEqual(1, length([A || A <- keys(Additional), A =:= hd(keys([address()]))])),
    ?assertEqual(5, length(Additional)),
    ?assertEqual(0, ?W:count(W3, ?LINK)),
    ?assertEqual(none, ?W:take(W3, Ref, 200)),
    %% The earlier-due answer joining: the message keeps its time.
    {_, {joined, Ref, 110, _}} = added(W2, ?LINK, browse("_c._tcp.local"), 30).

%% Another link, or the other family on the same link: another message.
other_links_and_families_wait_apart_test() ->
    {_, {new, W1}} = added(?W:new(), ?LINK, browse("_a._tcp.local"), 80),
    {_, {new, W2}} = added(W1, {inet6, 3}, browse("_b._tcp.local"), 80),
    {_, {new, W3}} = added(W2, {inet, 2}, browse("_b._tcp.local"), 80),
    ?assertEqual([1, 1, 1], [?W:count(W3, L) || L <- [?LINK, {inet6, 3}, {inet, 2}]]).

%% Section 6.4: an answer waits at most 500 ms more than it would alone.
%% A message due at 100 may go until 600: an answer due at 550 joins it
%% (then it goes at 550), one due at 700 waits alone; a message due 520
%% is too late for an answer due at 10.
at_most_500_ms_later_for_one_message_test() ->
    {Ref, {new, W1}} = added(?W:new(), ?LINK, browse("_a._tcp.local"), 100),
    {_, {new, _}} = added(W1, ?LINK, browse("_b._tcp.local"), 700),
    {_, {joined, Ref, 550, W2}} = added(W1, ?LINK, browse("_b._tcp.local"), 550),
    {_, {new, _}} = added(W2, ?LINK, browse("_c._tcp.local"), 601),
    {Late, {new, W3}} = added(?W:new(), ?LINK, browse("_a._tcp.local"), 520),
    ?assertMatch({_, {new, _}}, added(W3, ?LINK, browse("_b._tcp.local"), 10)),
    ?assertMatch({joined, Late, 520, _}, ?W:join(W3, ?LINK, browse("_b._tcp.local"), 20)).

%% A message is one packet (1440 bytes): answers that would make it larger
%% wait apart, the one that fits joins; an answer larger alone still goes.
split_beyond_one_packet_test() ->
    {Big, {new, W1}} = added(?W:new(), ?LINK, browse("_a._tcp.local", 250), 80),
    {Other, {new, W2}} = added(W1, ?LINK, browse("_b._tcp.local", 1200), 80),
    ?assertNotEqual(Big, Other),
    {_, {joined, Big, 80, W3}} = added(W2, ?LINK, browse("_c._tcp.local", 250), 80),
    ?assertEqual(2, ?W:count(W3, ?LINK)),
    {ok, _, Answers, Additional, _} = ?W:take(W3, Big, 80),
    ?assert(byte_size(scoped_ipv6_dns:answer_message(0, [], Answers, Additional)) =< 1440),
    ?assertMatch({_, {new, _}}, added(W3, ?LINK, browse("_h._tcp.local", 2000), 80)).

%% A unique answer that would go at once joins a message waiting on its
%% link (join/4), and goes when it does; with none waiting, none.
an_answer_due_now_joins_one_waiting_test() ->
    Address = {[address()], []},
    ?assertEqual(none, ?W:join(?W:new(), ?LINK, Address, 0)),
    {Ref, {new, W1}} = added(?W:new(), ?LINK, browse("_a._tcp.local"), 90),
    ?assertEqual(none, ?W:join(W1, {inet6, 3}, Address, 0)),
    {joined, Ref, 90, W2} = ?W:join(W1, ?LINK, Address, 0),
    %% The address, an additional record of the browse, is now an answer,
    %% and not sent twice.
    {ok, _, Answers, Additional, _} = ?W:take(W2, Ref, 90),
    ?assertEqual(keys(element(1, browse("_a._tcp.local")) ++ [address()]), keys(Answers)),
    ?assertNot(lists:member(hd(keys([address()])), keys(Additional))).

%% Section 7.4: what another host sent on the link leaves the answers
%% waiting there, whichever query they came from; other links keep theirs.
suppression_takes_out_what_another_host_sent_test() ->
    {Ref, {new, W1}} = added(?W:new(), ?LINK, browse("_a._tcp.local"), 80),
    {_, {joined, Ref, 90, W2}} = added(W1, ?LINK, browse("_b._tcp.local"), 90),
    {Other, {new, W3}} = added(W2, {inet6, 3}, browse("_a._tcp.local"), 80),
    Sent = keys(element(1, browse("_a._tcp.local"))),
    W4 = ?W:suppress(W3, ?LINK, Sent),
    {ok, _, Answers, _, _} = ?W:take(W4, Ref, 90),
    ?assertEqual(keys(element(1, browse("_b._tcp.local"))), keys(Answers)),
    {ok, _, Kept, _, _} = ?W:take(W4, Other, 90),
    ?assertEqual(Sent, keys(Kept)).

%% At most 8 messages wait per link and family: the ninth answer that
%% joins none is refused; another link still has room.
bounded_per_link_test() ->
    Apart = fun(N) -> browse("_t" ++ integer_to_list(N) ++ "._tcp.local", 1200) end,
    Full = lists:foldl(fun(N, W) -> {_, {new, Next}} = added(W, ?LINK, Apart(N), 80), Next end,
                       ?W:new(), lists:seq(1, 8)),
    ?assertEqual(8, ?W:count(Full, ?LINK)),
    ?assertEqual(full, element(2, added(Full, ?LINK, Apart(9), 80))),
    ?assertMatch({_, {new, _}}, added(Full, {inet6, 3}, Apart(9), 80)).
