%% The continuous browse's cache rules (RFC 6762 sections 5.2, 7.1, 10),
%% with the time given: no sockets, no clocks.
-module(scoped_ipv6_watch_cache_tests).

-include_lib("eunit/include/eunit.hrl").

-define(TYPE, "_http._tcp.local").
-define(WEB, "Web._http._tcp.local").
-define(LL2, {16#fe80, 0, 0, 0, 0, 0, 0, 2}).

ptr(TTL) -> {{?TYPE, ptr, ?WEB, TTL}, false}.
srv(Port, TTL, Flush) -> {{?WEB, srv, {0, 0, Port, "host.local"}, TTL}, Flush}.
txt(Strings, TTL, Flush) -> {{?WEB, txt, Strings, TTL}, Flush}.
aaaa(Ip, TTL, Flush) -> {{"host.local", aaaa, Ip, TTL}, Flush}.

%% A cache for a watch of the type, which asks its PTR question.
new() -> scoped_ipv6_watch_cache:new([{?TYPE, ptr}]).

web(TTL) -> [ptr(TTL), srv(80, TTL, true), txt(["a=1"], TTL, true), aaaa(?LL2, TTL, true)].

types(Cache, Now) ->
    lists:sort([{T, D} || {_, T, D, _} <- scoped_ipv6_watch_cache:records(Now, Cache)]).

services(Cache, Now) ->
    {ok, Type} = scoped_ipv6_browse_answers:service_type("_http._tcp"),
    scoped_ipv6_browse_answers:services(Type, scoped_ipv6_watch_cache:records(Now, Cache)).

held_for_the_ttl_then_gone_test() ->
    C = scoped_ipv6_watch_cache:add(web(10), 0, new()),
    ?assertEqual(4, scoped_ipv6_watch_cache:count(C)),
    ?assertMatch([#{name := "Web", port := 80, txt := [<<"a=1">>], addresses := [?LL2]}],
                 services(C, 9999)),
    %% The TTL given to the services is what is left.
    ?assertEqual([{?TYPE, ptr, ?WEB, 4}],
                 [R || {_, ptr, _, _} = R <- scoped_ipv6_watch_cache:records(6000, C)]),
    ?assertEqual(4, scoped_ipv6_watch_cache:count(scoped_ipv6_watch_cache:expire(9999, C))),
    ?assertEqual(0, scoped_ipv6_watch_cache:count(scoped_ipv6_watch_cache:expire(10000, C))),
    ?assertEqual([], services(C, 10000)).

%% Section 10.1: a goodbye leaves the record one second, then it goes; a
%% goodbye for a record never held is nothing.
goodbye_goes_after_a_second_test() ->
    C0 = scoped_ipv6_watch_cache:add(web(120), 0, new()),
    C1 = scoped_ipv6_watch_cache:add([ptr(0), {{?TYPE, ptr, "Other._http._tcp.local", 0}, false}],
                                     5000, C0),
    ?assertEqual(4, scoped_ipv6_watch_cache:count(C1)),
    ?assertMatch([_], services(scoped_ipv6_watch_cache:expire(5999, C1), 5999)),
    C2 = scoped_ipv6_watch_cache:expire(6000, C1),
    ?assertEqual([], services(C2, 6000)),
    ?assertEqual(3, scoped_ipv6_watch_cache:count(C2)),
    %% It is due no refresh in its last second.
    ?assertEqual({[], C1}, scoped_ipv6_watch_cache:due(5500, C1)).

%% Section 10.2: a record with the cache-flush bit gives the others of its
%% name and type one second, unless they came within the last second.
cache_flush_replaces_older_records_test() ->
    Other = {16#fe80, 0, 0, 0, 0, 0, 0, 3},
    C0 = scoped_ipv6_watch_cache:add(web(120), 0, new()),
    %% Within a second: both addresses kept (one answer in two packets).
    C1 = scoped_ipv6_watch_cache:add([aaaa(Other, 120, true)], 500, C0),
    ?assertEqual([?LL2, Other],
                 lists:sort([D || {aaaa, D} <- types(scoped_ipv6_watch_cache:expire(60000, C1),
                                                     60000)])),
    %% Later: the old address and the old port go a second after.
    C2 = scoped_ipv6_watch_cache:add([aaaa(Other, 120, true), srv(81, 120, true)], 5000, C0),
    ?assertMatch([#{port := 81, addresses := [_, _]}], services(C2, 5999)),
    C3 = scoped_ipv6_watch_cache:expire(6000, C2),
    ?assertMatch([#{port := 81, addresses := [Other]}], services(C3, 6000)),
    %% A new TXT within a second of the old one (kept, section 10.2) is
    %% the one seen.
    C5 = scoped_ipv6_watch_cache:add([txt(["a=2"], 120, true)], 800, C0),
    ?assertMatch([#{txt := [<<"a=2">>]}], services(C5, 800)),
    ?assertEqual(5, scoped_ipv6_watch_cache:count(scoped_ipv6_watch_cache:expire(60000, C5))),
    %% A goodbye for that new TXT (the service withdrawn) does not bring
    %% back the old one for the goodbye's last second.
    C6 = scoped_ipv6_watch_cache:add([txt(["a=2"], 0, true)], 900, C5),
    ?assertMatch([#{txt := [<<"a=2">>]}], services(C6, 1000)),
    %% Without the bit, records add up.
    C4 = scoped_ipv6_watch_cache:add([aaaa(Other, 120, false)], 5000, C0),
    ?assertMatch([#{addresses := [_, _]}],
                 services(scoped_ipv6_watch_cache:expire(6000, C4), 6000)).

%% Section 7.1: the PTRs with more than half their TTL left.
known_answers_are_the_ptrs_with_half_their_ttl_left_test() ->
    C0 = scoped_ipv6_watch_cache:add(web(100), 0, new()),
    C1 = scoped_ipv6_watch_cache:add([{{?TYPE, ptr, "Late._http._tcp.local", 100}, false}],
                                     40000, C0),
    ?assertEqual([{?TYPE, ptr, "Late._http._tcp.local", 80}],
                 scoped_ipv6_watch_cache:known(60000, C1)),
    ?assertEqual([{?TYPE, ptr, "Late._http._tcp.local", 91}, {?TYPE, ptr, ?WEB, 51}],
                 scoped_ipv6_watch_cache:known(49000, C1)),
    %% Half left exactly is not more than half.
    ?assertEqual([{?TYPE, ptr, "Late._http._tcp.local", 90}],
                 scoped_ipv6_watch_cache:known(50000, C1)),
    %% A watch of another type holds none.
    ?assertEqual([], scoped_ipv6_watch_cache:known(
                       0, scoped_ipv6_watch_cache:add(web(100), 0, scoped_ipv6_watch_cache:new(
                                                                    [{"_ipp._tcp.local", ptr}])))).

%% Section 5.2: asked again at 80, 85, 90, 95 % of the TTL, each once,
%% each point with 0 to 2 % of the TTL added at random; an answer starts
%% it over.
refresh_at_80_85_90_95_percent_test() ->
    C0 = scoped_ipv6_watch_cache:add(web(100), 0, new()),
    First = scoped_ipv6_watch_cache:next(C0),
    ?assert(First >= 80000 andalso First =< 82000, First),
    ?assertEqual({[], C0}, scoped_ipv6_watch_cache:due(79999, C0)),
    %% Past every record's varied 80 %, before any 85 %.
    {Q1, C1} = scoped_ipv6_watch_cache:due(82000, C0),
    ?assertEqual(lists:sort([{?TYPE, ptr}, {?WEB, srv}, {?WEB, txt}, {"host.local", aaaa}]),
                 lists:sort(Q1)),
    ?assertEqual({[], C1}, scoped_ipv6_watch_cache:due(84999, C1)),
    Second = scoped_ipv6_watch_cache:next(C1),
    ?assert(Second >= 85000 andalso Second =< 87000, Second),
    {Q2, C2} = scoped_ipv6_watch_cache:due(97000, C1),
    ?assertEqual(4, length(Q2)),
    %% All four points passed: nothing more to ask, only the expiry left.
    ?assertEqual({[], C2}, scoped_ipv6_watch_cache:due(99999, C2)),
    ?assertEqual(100000, scoped_ipv6_watch_cache:next(C2)),
    C3 = scoped_ipv6_watch_cache:add([srv(80, 100, true)], 96000, C2),
    ?assertEqual({[{?WEB, srv}], ok},
                 begin {Q, _} = scoped_ipv6_watch_cache:due(178000, C3), {Q, ok} end).

%% The variation is drawn for each record and each point: hosts (and
%% records) that heard the same answer at the same moment do not all ask
%% at the same millisecond.
refresh_points_vary_test() ->
    Points = [begin
                  Name = "host" ++ integer_to_list(N) ++ ".local",
                  Srv = {{?WEB, srv, {0, 0, 80, Name}, 100}, false},
                  Aaaa = {{Name, aaaa, ?LL2, 100}, false},
                  C = scoped_ipv6_watch_cache:add([Srv, Aaaa], 0, new()),
                  scoped_ipv6_watch_cache:next(C)
              end || N <- lists:seq(1, 50)],
    ?assert(lists:all(fun(P) -> P >= 80000 andalso P =< 82000 end, Points), Points),
    ?assert(length(lists:usort(Points)) > 10, Points).

%% An address no SRV points to is not worth asking for again.
only_needed_records_are_refreshed_test() ->
    Stray = {{"stray.local", aaaa, ?LL2, 100}, false},
    C = scoped_ipv6_watch_cache:add([Stray], 0, new()),
    ?assertEqual({[], C}, scoped_ipv6_watch_cache:due(90000, C)),
    ?assertEqual(100000, scoped_ipv6_watch_cache:next(C)).

diff_up_changed_down_test() ->
    A = #{name => "A", port => 1},
    B = #{name => "B", port => 2},
    ?assertEqual([{up, A}, {up, B}], scoped_ipv6_watch_cache:diff(#{}, #{"A" => A, "B" => B})),
    ?assertEqual([], scoped_ipv6_watch_cache:diff(#{"A" => A}, #{"A" => A})),
    A2 = A#{port := 3},
    ?assertEqual([{down, B}, {changed, A2}],
                 scoped_ipv6_watch_cache:diff(#{"A" => A, "B" => B}, #{"A" => A2})),
    ?assertEqual([{down, A}], scoped_ipv6_watch_cache:diff(#{"A" => A}, #{})).

%% A flood: at most 512 records; a record held is still replaced.
bounded_test() ->
    Flood = [{{"I" ++ integer_to_list(N) ++ "._http._tcp.local", txt, ["n"], 120}, false}
             || N <- lists:seq(1, 2000)],
    C = scoped_ipv6_watch_cache:add(Flood, 0, new()),
    ?assertEqual(512, scoped_ipv6_watch_cache:count(C)),
    C1 = scoped_ipv6_watch_cache:add(web(120), 1, C),
    ?assertEqual(512, scoped_ipv6_watch_cache:count(C1)),
    Again = scoped_ipv6_watch_cache:add([hd(Flood)], 2000, C),
    ?assertEqual(512, scoped_ipv6_watch_cache:count(Again)),
    %% The one received again outlives the others.
    ?assertEqual(1, scoped_ipv6_watch_cache:count(scoped_ipv6_watch_cache:expire(121000, Again))),
    %% Expired records make room.
    C2 = scoped_ipv6_watch_cache:add(web(120), 120000, scoped_ipv6_watch_cache:expire(120000, C)),
    ?assertEqual(4, scoped_ipv6_watch_cache:count(C2)),
    %% Services stay at 64 a link whatever is held.
    Ptrs = [{{?TYPE, ptr, "I" ++ integer_to_list(N) ++ "._http._tcp.local", 120}, false}
            || N <- lists:seq(1, 100)] ++
        [{{"I" ++ integer_to_list(N) ++ "._http._tcp.local", srv, {0, 0, 1, "h.local"}, 120}, false}
         || N <- lists:seq(1, 100)],
    C3 = scoped_ipv6_watch_cache:add(Ptrs, 0, new()),
    ?assertEqual(64, length(services(C3, 0))),
    %% The same records again, in another order: the same 64, which a
    %% neighbour repeating its flood cannot churn.
    C4 = scoped_ipv6_watch_cache:add(lists:reverse(Ptrs), 1000, C3),
    ?assertEqual(services(C3, 0), services(C4, 1000)).

%% Large records: at most 64 KiB of names and data, whatever their count.
bytes_bounded_test() ->
    Big = [{{"I" ++ integer_to_list(N) ++ "._http._tcp.local", txt,
             [lists:duplicate(255, $x) || _ <- lists:seq(1, 30)], 120}, false}
           || N <- lists:seq(1, 100)],
    C = scoped_ipv6_watch_cache:add(Big, 0, new()),
    ?assert(scoped_ipv6_watch_cache:count(C) < 10),
    ?assert(scoped_ipv6_watch_cache:bytes(C) =< 65536),
    %% What goes frees its weight.
    ?assertEqual(0, scoped_ipv6_watch_cache:bytes(scoped_ipv6_watch_cache:expire(120000, C))).

%% Malformed records (as a hostile packet could decode) are dropped.
malformed_records_are_dropped_test() ->
    C = scoped_ipv6_watch_cache:add([{{bad, ptr, x, 1}, false}, {nonsense}, {{"n", txt, [], -1}, true}],
                                    0, new()),
    ?assertEqual(0, scoped_ipv6_watch_cache:count(C)).

%% Section 7.3: another host's query stands for ours when it asks our PTR
%% question and lists no known answer to it we would not list ourselves.
duplicate_question_test() ->
    Empty = new(),
    Ours = {?TYPE, ptr},
    Stands = fun(Questions, Known, Cache) ->
                     lists:member(Ours, scoped_ipv6_watch_cache:duplicate(Questions, Known, 1000,
                                                                          Cache))
             end,
    ?assert(Stands([Ours], [], Empty)),
    ?assert(Stands([{"other.local", aaaa}, Ours], [], Empty)),
    ?assertNot(Stands([{?TYPE, srv}], [], Empty)),
    ?assertNot(Stands([{"_ipp._tcp.local", ptr}], [], Empty)),
    %% A known answer we do not hold would keep back an answer we want.
    ?assertNot(Stands([Ours], [{?TYPE, ptr, "web._http._tcp.local"}], Empty)),
    C = scoped_ipv6_watch_cache:add(web(100), 0, Empty),
    %% One we hold (names compared in lower case), or fewer: ours is
    %% answered as fully as if we asked.
    ?assert(Stands([Ours], [{?TYPE, ptr, "web._http._tcp.local"}], C)),
    ?assert(Stands([Ours], [], C)),
    %% One we hold with less than half its TTL left: we would not list it.
    ?assertEqual([], scoped_ipv6_watch_cache:duplicate([Ours], [{?TYPE, ptr, ?WEB}], 50000, C)),
    %% Known answers to other questions do not matter.
    ?assert(Stands([Ours, {"host.local", aaaa}], [{"host.local", aaaa, ?LL2}], Empty)).

%% Section 7.3 for any question, each once: one we never list known
%% answers to (a refresh's, an open one's) stands when the query lists
%% none to it.
duplicate_other_questions_test() ->
    C = scoped_ipv6_watch_cache:add(web(100), 0, new()),
    Srv = {"web._http._tcp.local", srv},
    Host = {"host.local", aaaa},
    ?assertEqual([Host, Srv],
                 scoped_ipv6_watch_cache:duplicate([Srv, Host, Srv], [], 1000, C)),
    ?assertEqual([Srv], scoped_ipv6_watch_cache:duplicate([Srv, Host], [{"host.local", aaaa, ?LL2}],
                                                          1000, C)).

%% Section 7.3 for refreshes: a record another host's question asked
%% for since it came is counted as asked at its next refresh point, with
%% no question; the point after that is asked again.
overheard_refresh_test() ->
    C0 = scoped_ipv6_watch_cache:add(web(100), 0, new()),
    Srv = {"web._http._tcp.local", srv},
    C1 = scoped_ipv6_watch_cache:overheard([Srv, {"nobody.local", aaaa}], C0),
    {Q1, C2} = scoped_ipv6_watch_cache:due(82000, C1),
    ?assertEqual(lists:sort([{?TYPE, ptr}, {?WEB, txt}, {"host.local", aaaa}]), lists:sort(Q1)),
    %% Counted: nothing more due before the next point.
    ?assertEqual({[], C2}, scoped_ipv6_watch_cache:due(84999, C2)),
    {Q2, _} = scoped_ipv6_watch_cache:due(87000, C2),
    ?assert(lists:member({?WEB, srv}, Q2)),
    %% Without the mark, the SRV is asked at the first point.
    {Q3, _} = scoped_ipv6_watch_cache:due(82000, C0),
    ?assert(lists:member({?WEB, srv}, Q3)),
    %% A record that comes again is a new one: the mark is gone.
    C4 = scoped_ipv6_watch_cache:add([srv(80, 100, true)], 10000, C1),
    {Q4, _} = scoped_ipv6_watch_cache:due(92000, C4),
    ?assert(lists:member({?WEB, srv}, Q4)).

%% A host's watch (continuous querying, RFC 6762 section 5.2) asks AAAA
%% and A: its addresses are its known answers (7.1), asked again at 80 %
%% of their TTL (5.2), and each of its questions another host asks stands
%% for ours on its own (7.3).
host_questions_test() ->
    Host = scoped_ipv6_watch_cache:new([{"Device.local", aaaa}, {"Device.local", a}]),
    Ip4 = {10, 0, 0, 2},
    C = scoped_ipv6_watch_cache:add([{{"device.local", aaaa, ?LL2, 100}, true},
                                     {{"DEVICE.local", a, Ip4, 100}, true}], 0, Host),
    ?assertEqual([{"DEVICE.local", a, Ip4, 90}, {"device.local", aaaa, ?LL2, 90}],
                 scoped_ipv6_watch_cache:known(10000, C)),
    ?assert(scoped_ipv6_watch_cache:next(C) >= 80000 andalso scoped_ipv6_watch_cache:next(C) =< 82000),
    {Due, _} = scoped_ipv6_watch_cache:due(82000, C),
    ?assertEqual([{"DEVICE.local", a}, {"device.local", aaaa}], lists:sort(Due)),
    ?assertEqual([{"device.local", aaaa}],
                 scoped_ipv6_watch_cache:duplicate([{"device.local", aaaa}], [], 1000, C)),
    ?assertEqual([{"device.local", a}, {"device.local", aaaa}],
                 scoped_ipv6_watch_cache:duplicate([{"device.local", a}, {"device.local", aaaa}],
                                                   [{"device.local", a, Ip4}], 1000, C)),
    %% An address we do not hold, listed: that question is not ours to skip.
    ?assertEqual([{"device.local", a}],
                 scoped_ipv6_watch_cache:duplicate([{"device.local", a}, {"device.local", aaaa}],
                                                   [{"device.local", aaaa, {16#fd00, 0, 0, 0, 0, 0, 0, 9}}],
                                                   1000, C)).

%% Section 10.5: two queries that should have drawn a record out, and no
%% response with it within ten seconds of the first: it goes then, though
%% its TTL has not run out.
unanswered_queries_flush_a_record_test() ->
    C0 = scoped_ipv6_watch_cache:add(web(4500), 0, new()),
    Ask = [{?TYPE, ptr}],
    C1 = scoped_ipv6_watch_cache:queried(Ask, [], 1000, C0),
    %% One query is not enough.
    ?assertMatch([_], services(scoped_ipv6_watch_cache:expire(60000, C1), 60000)),
    C2 = scoped_ipv6_watch_cache:queried(Ask, [], 2000, C1),
    ?assertEqual(11000, scoped_ipv6_watch_cache:next(C2)),
    ?assertMatch([_], services(scoped_ipv6_watch_cache:expire(10999, C2), 10999)),
    C3 = scoped_ipv6_watch_cache:expire(11000, C2),
    ?assertEqual([], services(C3, 11000)),
    %% Only the PTR was asked for: the rest stays its TTL.
    ?assertEqual(3, scoped_ipv6_watch_cache:count(C3)),
    %% More queries do not move the time.
    C4 = scoped_ipv6_watch_cache:queried(Ask, [], 9000, C2),
    ?assertEqual(11000, scoped_ipv6_watch_cache:next(C4)).

%% The doubt ends when the record comes again; queries ten seconds apart
%% are not two within ten seconds; a record listed as a known answer, or
%% one asked for by another name or type, is not expected.
answered_or_known_records_stay_test() ->
    C0 = scoped_ipv6_watch_cache:add(web(4500), 0, new()),
    Ask = [{?TYPE, ptr}],
    Answered = scoped_ipv6_watch_cache:add([ptr(4500)], 1500,
                                           scoped_ipv6_watch_cache:queried(Ask, [], 1000, C0)),
    C1 = scoped_ipv6_watch_cache:queried(Ask, [], 2000, Answered),
    ?assertEqual(4, scoped_ipv6_watch_cache:count(scoped_ipv6_watch_cache:expire(60000, C1))),
    Apart = scoped_ipv6_watch_cache:queried(Ask, [], 11000,
                                            scoped_ipv6_watch_cache:queried(Ask, [], 1000, C0)),
    ?assertEqual(4, scoped_ipv6_watch_cache:count(scoped_ipv6_watch_cache:expire(60000, Apart))),
    Known = [{?TYPE, ptr, "web._http._tcp.local"}],
    Listed = scoped_ipv6_watch_cache:queried(Ask, Known, 2000,
                                             scoped_ipv6_watch_cache:queried(Ask, Known, 1000, C0)),
    ?assertEqual(C0, Listed),
    Other = [{"_ipp._tcp.local", ptr}, {?TYPE, txt}],
    ?assertEqual(C0, scoped_ipv6_watch_cache:queried(Other, [], 2000,
                                                     scoped_ipv6_watch_cache:queried(Other, [], 1000, C0))),
    %% Type ANY asks for every record of the name: the SRV and TXT go.
    Any = [{"web._http._tcp.local", any}],
    C2 = scoped_ipv6_watch_cache:queried(Any, [], 2000,
                                         scoped_ipv6_watch_cache:queried(Any, [], 1000, C0)),
    ?assertEqual([aaaa, ptr], [T || {T, _} <- types(scoped_ipv6_watch_cache:expire(11000, C2), 11000)]).

%% A flood of queries holds no more than the records do.
queries_cost_no_memory_test() ->
    C0 = scoped_ipv6_watch_cache:add(web(4500), 0, new()),
    Questions = [{"q" ++ integer_to_list(N) ++ ".local", ptr} || N <- lists:seq(1, 200)],
    Flooded = lists:foldl(fun(T, C) -> scoped_ipv6_watch_cache:queried(Questions, [], T, C) end,
                          C0, lists:seq(1, 1000)),
    ?assertEqual(C0, Flooded),
    Asked = lists:foldl(fun(T, C) -> scoped_ipv6_watch_cache:queried([{?TYPE, ptr}], [], T, C) end,
                        C0, lists:seq(1, 1000)),
    ?assertEqual(erts_debug:flat_size(scoped_ipv6_watch_cache:queried([{?TYPE, ptr}], [], 2, C0)),
                 erts_debug:flat_size(Asked)).
