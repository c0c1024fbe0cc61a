%% The responder's rules for multicast answers on their way out (RFC 6762
%% section 6): the once-a-second limit per record and link (250 ms for a
%% probe's defense), the shared answer's 20-120 ms, aggregation with what
%% waits, and another host's answer making ours unneeded (section 7.4).
-module(scoped_ipv6_mdns_outbox_tests).

-include_lib("eunit/include/eunit.hrl").

-define(O, scoped_ipv6_mdns_outbox).
-define(LINK, {inet6, 2}).

address(Last) ->
    scoped_ipv6_dns:address_record("device.local", aaaa, {16#fe80, 0, 0, 0, 0, 0, 0, Last}, 120,
                                   true).

pointer(Type) ->
    scoped_ipv6_dns:pointer_record(Type, "Web." ++ Type, 120, false).

keys(Records) ->
    [scoped_ipv6_dns:record_key(R) || R <- Records].

%% Sent at once, then not again on that link within the second, on the
%% other link or family at once, and again from the second on.
a_record_goes_once_a_second_per_link_test() ->
    Answer = {[address(1)], []},
    {send, ?LINK, Answer, O1} = ?O:answer(?O:new(), ?LINK, Answer, soon, 1000),
    ?assertMatch({none, _}, ?O:answer(O1, ?LINK, Answer, soon, 1999)),
    ?assertMatch({send, {inet6, 3}, Answer, _}, ?O:answer(O1, {inet6, 3}, Answer, soon, 1500)),
    ?assertMatch({send, {inet, 2}, Answer, _}, ?O:answer(O1, {inet, 2}, Answer, soon, 1500)),
    ?assertMatch({send, ?LINK, Answer, _}, ?O:answer(O1, ?LINK, Answer, soon, 2000)).

%% Only the records not sent lately go, the additional ones too; a
%% probe's defense may go again after 250 ms.
only_what_was_not_sent_lately_goes_test() ->
    {send, _, _, O1} = ?O:answer(?O:new(), ?LINK, {[address(1)], [address(3)]}, soon, 0),
    {send, ?LINK, {Answers, Additional}, _} =
        ?O:answer(O1, ?LINK, {[address(1), address(2)], [address(3), address(4)]}, soon, 500),
    ?assertEqual(keys([address(2)]), keys(Answers)),
    ?assertEqual(keys([address(4)]), keys(Additional)),
    ?assertMatch({none, _}, ?O:answer(O1, ?LINK, {[address(1)], []}, defend, 249)),
    ?assertMatch({send, _, _, _}, ?O:answer(O1, ?LINK, {[address(1)], []}, defend, 250)).

%% A shared answer waits 20 to 120 ms, and counts as sent from when it
%% goes: asked again meanwhile, it is not added twice.
a_shared_answer_waits_20_to_120_ms_test() ->
    Delays = [begin
                  {later, _, Ms, _} = ?O:answer(?O:new(), ?LINK, {[pointer("_a._tcp.local")], []},
                                                delay, 0),
                  Ms
              end || _ <- lists:seq(1, 200)],
    ?assert(lists:all(fun(Ms) -> Ms >= 20 andalso Ms =< 120 end, Delays)),
    ?assert(length(lists:usort(Delays)) > 1),
    {later, Ref, Ms, O1} = ?O:answer(?O:new(), ?LINK, {[pointer("_a._tcp.local")], []}, delay, 0),
    ?assertMatch({none, _}, ?O:answer(O1, ?LINK, {[pointer("_a._tcp.local")], []}, delay, 10)),
    ?assertEqual({later, Ref, Ms - 5, O1}, ?O:due(O1, Ref, 5)),
    {send, ?LINK, {Answers, []}, O2} = ?O:due(O1, Ref, Ms),
    ?assertEqual(keys([pointer("_a._tcp.local")]), keys(Answers)),
    ?assertMatch({none, _}, ?O:due(O2, Ref, Ms)).

%% Section 6.4: another shared answer, and one that would go at once,
%% join the message waiting on the link; it goes with all of them.
answers_join_the_waiting_message_test() ->
    {later, Ref, Ms, O1} = ?O:answer(?O:new(), ?LINK, {[pointer("_a._tcp.local")], []}, delay, 0),
    {none, O2} = ?O:answer(O1, ?LINK, {[pointer("_b._tcp.local")], []}, delay, 0),
    {none, O3} = ?O:answer(O2, ?LINK, {[address(1)], []}, soon, 0),
    {send, ?LINK, {Answers, []}, _} = ?O:due(O3, Ref, Ms + 120),
    ?assertEqual(lists:sort(keys([pointer("_a._tcp.local"), pointer("_b._tcp.local"),
                                  address(1)])),
                 lists:sort(keys(Answers))),
    %% A probe's defense never waits for one.
    ?assertMatch({send, ?LINK, _, _}, ?O:answer(O1, ?LINK, {[address(1)], []}, defend, 0)).

%% Section 7.4: what another host sent with a TTL no less than ours
%% leaves the message; all of it gone, nothing is sent.
what_another_host_sent_is_not_sent_again_test() ->
    {later, Ref, Ms, O1} = ?O:answer(?O:new(), ?LINK, {[pointer("_a._tcp.local")], []}, delay, 0),
    [Key] = keys([pointer("_a._tcp.local")]),
    Shorter = ?O:heard(O1, ?LINK, [{Key, 119}], 120),
    ?assertMatch({send, _, _, _}, ?O:due(Shorter, Ref, Ms)),
    OtherLink = ?O:heard(O1, {inet6, 3}, [{Key, 120}], 120),
    ?assertMatch({send, _, _, _}, ?O:due(OtherLink, Ref, Ms)),
    Heard = ?O:heard(O1, ?LINK, [{Key, 120}], 120),
    ?assertMatch({none, _}, ?O:due(Heard, Ref, Ms)).
