%% The responder's rules for queries held for their known answers (RFC
%% 6762 section 7.2): which are held, what joins them, and the bounds.
-module(scoped_ipv6_mdns_deferred_tests).

-include_lib("eunit/include/eunit.hrl").

-define(TYPE, "_tc._tcp.local").
-define(LL2, {16#fe80, 0, 0, 0, 0, 0, 0, 2}).
-define(FROM, {inet6, 2, ?LL2, 5353}).

question(Name) -> {Name, ptr, in, false, Name}.
known(Instance) -> {{?TYPE, ptr, Instance ++ "." ++ ?TYPE}, 120}.

query(TC, Questions, Known) ->
    #{reply => false, truncated => TC, id => 0, questions => Questions, known => Known,
      records => [], authority => []}.

browse(TC, Known) -> query(TC, [question(?TYPE)], [known(K) || K <- Known]).
more(TC, Known) -> query(TC, [], [known(K) || K <- Known]).

held(Held, Key, Ref) ->
    {ok, Query, _} = scoped_ipv6_mdns_deferred:take(Held, Key, Ref),
    Query.

%% TC from port 5353 is held; without TC, from a one-shot querier's port
%% (no continuation comes) or a probe (defended at once), it is not.
which_queries_are_held_test() ->
    ?assert(scoped_ipv6_mdns_deferred:holds(browse(true, []), 5353)),
    ?assertNot(scoped_ipv6_mdns_deferred:holds(browse(false, []), 5353)),
    ?assertNot(scoped_ipv6_mdns_deferred:holds(browse(true, []), 40000)),
    Probe = (browse(true, []))#{authority := [{"web." ++ ?TYPE, srv, {0, 0, 80, "h.local"}}]},
    ?assertNot(scoped_ipv6_mdns_deferred:holds(Probe, 5353)).

%% The packets that follow from the same querier, with TC or without,
%% add their known answers; the questions stay the first packet's.
known_answers_of_the_following_packets_join_test() ->
    Ref = make_ref(),
    {ok, H0} = scoped_ipv6_mdns_deferred:hold(scoped_ipv6_mdns_deferred:new(), ?FROM, Ref,
                                              browse(true, ["One"])),
    {ok, H1} = scoped_ipv6_mdns_deferred:join(H0, ?FROM, more(true, ["Two"])),
    {ok, H2} = scoped_ipv6_mdns_deferred:join(H1, ?FROM, more(false, ["Three", "One"])),
    Query = held(H2, ?FROM, Ref),
    ?assertEqual([question(?TYPE)], maps:get(questions, Query)),
    ?assertEqual([known("One"), known("Two"), known("Three")], maps:get(known, Query)),
    %% What suppression then does with them (section 7.1).
    Ours = [scoped_ipv6_dns:pointer_record(?TYPE, I ++ "." ++ ?TYPE, 120, false)
            || I <- ["One", "Two", "Three", "Four"]],
    ?assertEqual([lists:last(Ours)],
                 scoped_ipv6_mdns_records:unknown(Ours, maps:get(known, Query), 120)).

%% Nothing held from a source: its known-answer-only packet is its own
%% (and, asking nothing, unanswered); another source's does not join.
nothing_joins_without_a_held_query_test() ->
    ?assertEqual(none, scoped_ipv6_mdns_deferred:join(scoped_ipv6_mdns_deferred:new(), ?FROM,
                                                      more(false, ["One"]))),
    {ok, H} = scoped_ipv6_mdns_deferred:hold(scoped_ipv6_mdns_deferred:new(), ?FROM, make_ref(),
                                             browse(true, [])),
    ?assertEqual(none, scoped_ipv6_mdns_deferred:join(H, {inet6, 2, ?LL2, 40000},
                                                      more(false, ["One"]))),
    ?assertEqual(none, scoped_ipv6_mdns_deferred:join(H, {inet6, 3, ?LL2, 5353},
                                                      more(false, ["One"]))).

%% A later question from the querier joins too: its known answers count
%% against it, and it is answered with the first.
a_later_question_joins_test() ->
    Ref = make_ref(),
    {ok, H0} = scoped_ipv6_mdns_deferred:hold(scoped_ipv6_mdns_deferred:new(), ?FROM, Ref,
                                              browse(true, [])),
    Other = "_other._tcp.local",
    {ok, H1} = scoped_ipv6_mdns_deferred:join(H0, ?FROM, query(false, [question(Other)],
                                                               [{{Other, ptr, "x." ++ Other},
                                                                 120}])),
    ?assertEqual([question(?TYPE), question(Other)], maps:get(questions, held(H1, ?FROM, Ref))),
    ?assertEqual([{{Other, ptr, "x." ++ Other}, 120}], maps:get(known, held(H1, ?FROM, Ref))).

%% A probe from the querier does not join: it is defended at once.
a_probe_does_not_join_test() ->
    {ok, H} = scoped_ipv6_mdns_deferred:hold(scoped_ipv6_mdns_deferred:new(), ?FROM, make_ref(),
                                             browse(true, [])),
    Probe = (browse(false, []))#{authority := [{"web." ++ ?TYPE, srv, {0, 0, 80, "h.local"}}]},
    ?assertEqual(none, scoped_ipv6_mdns_deferred:join(H, ?FROM, Probe)).

%% Known answers for names the query does not ask can suppress nothing:
%% they are not kept.
known_answers_for_other_names_are_not_kept_test() ->
    Ref = make_ref(),
    Elsewhere = {{"_elsewhere._tcp.local", ptr, "x._elsewhere._tcp.local"}, 120},
    {ok, H0} = scoped_ipv6_mdns_deferred:hold(scoped_ipv6_mdns_deferred:new(), ?FROM, Ref,
                                              query(true, [question(?TYPE)],
                                                    [Elsewhere, known("One")])),
    {ok, H1} = scoped_ipv6_mdns_deferred:join(H0, ?FROM, query(false, [], [Elsewhere])),
    ?assertEqual([known("One")], maps:get(known, held(H1, ?FROM, Ref))).

%% A stale timer (of a query answered before, the source holding a new
%% one) takes nothing.
a_stale_timer_takes_nothing_test() ->
    {ok, H} = scoped_ipv6_mdns_deferred:hold(scoped_ipv6_mdns_deferred:new(), ?FROM, make_ref(),
                                             browse(true, [])),
    ?assertEqual(none, scoped_ipv6_mdns_deferred:take(H, ?FROM, make_ref())),
    ?assertEqual(none, scoped_ipv6_mdns_deferred:take(H, {inet6, 2, ?LL2, 40000}, make_ref())).

%% At most 8 queries held per link (then `full': answered at once), the
%% other links apart; at most 64 known answers and 16 questions a query.
bounded_test() ->
    Source = fun(Index, N) -> {inet6, Index, {16#fe80, 0, 0, 0, 0, 0, 0, N}, 5353} end,
    Hold = fun(Key, H) ->
                   {ok, Next} = scoped_ipv6_mdns_deferred:hold(H, Key, make_ref(),
                                                               browse(true, [])),
                   Next
           end,
    Eight = lists:foldl(Hold, scoped_ipv6_mdns_deferred:new(), [Source(2, N) || N <- lists:seq(1, 8)]),
    ?assertEqual(full, scoped_ipv6_mdns_deferred:hold(Eight, Source(2, 9), make_ref(),
                                                      browse(true, []))),
    ?assertMatch({ok, _}, scoped_ipv6_mdns_deferred:hold(Eight, Source(3, 9), make_ref(),
                                                         browse(true, []))),
    ?assertEqual(8, scoped_ipv6_mdns_deferred:count(Eight)),
    Ref = make_ref(),
    Many = ["I" ++ integer_to_list(N) || N <- lists:seq(1, 100)],
    {ok, H0} = scoped_ipv6_mdns_deferred:hold(scoped_ipv6_mdns_deferred:new(), ?FROM, Ref,
                                              browse(true, lists:sublist(Many, 50))),
    {ok, H1} = scoped_ipv6_mdns_deferred:join(H0, ?FROM, more(false, lists:nthtail(50, Many))),
    ?assertEqual([known(K) || K <- lists:sublist(Many, 64)], maps:get(known, held(H1, ?FROM, Ref))),
    Names = ["_t" ++ integer_to_list(N) ++ "._tcp.local" || N <- lists:seq(1, 20)],
    {ok, H2} = scoped_ipv6_mdns_deferred:join(H1, ?FROM, query(false, [question(N) || N <- Names],
                                                               [])),
    ?assertEqual(16, length(maps:get(questions, held(H2, ?FROM, Ref)))).
