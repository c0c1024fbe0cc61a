%% DNS-SD answers read into services, without a network: real messages
%% encoded by OTP's inet_dns, read back by scoped_ipv6_dns:parse_records/2
%% and sifted as a browse does. Hostile records: bounded, no atoms.
-module(scoped_ipv6_browse_answers_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LL2, {16#fe80, 0, 0, 0, 0, 0, 0, 2}).

%% --- service types ------------------------------------------------------------

service_types_test_() ->
    Ok = fun(T) -> element(1, scoped_ipv6_browse_answers:service_type(T)) end,
    [?_assertMatch({ok, #{display := "_http._tcp", question := "_http._tcp.local",
                          owner := "_http._tcp.local", suffix := "._http._tcp.local",
                          enumeration := false}},
                   scoped_ipv6_browse_answers:service_type("_http._tcp")),
     ?_assertMatch({ok, #{display := "_HTTP._Tcp", owner := "_http._tcp.local"}},
                   scoped_ipv6_browse_answers:service_type(<<"_HTTP._Tcp.LOCAL.">>)),
     ?_assertMatch({ok, #{display := "_ipp._tcp", question := "_color._sub._ipp._tcp.local",
                          suffix := "._ipp._tcp.local"}},
                   scoped_ipv6_browse_answers:service_type("_color._sub._ipp._tcp")),
     ?_assertMatch({ok, #{enumeration := true}},
                   scoped_ipv6_browse_answers:service_type("_services._dns-sd._udp.local")),
     [?_assertEqual({T, ok}, {T, Ok(T)})
      || T <- ["_a._udp", "_123456789012345._tcp", "_x-y._tcp.local"]],
     [?_assertEqual({T, einval}, {T, scoped_ipv6_browse_answers:service_type(T)})
      || T <- ["", "http", "_http", "_http._sctp", "_._tcp", "_1234567890123456._tcp",
               "_h p._tcp", "_h_p._tcp", "http._tcp", "_http._tcp.example",
               "_http._tcp.local.local", "a._http._tcp", "a\\b._sub._http._tcp",
               "_http..", [16#e9], <<255, 0>>, lists:duplicate(300, $a),
               binary:copy(<<"a">>, 300)]],
     [?_assertEqual({T, badarg}, {T, scoped_ipv6_browse_answers:service_type(T)})
      || T <- [http, 1, {"_http._tcp"}, ["_http", "._tcp"], [$_, foo], [-1]]],
     %% A long list is refused after 254 cells, whatever follows.
     ?_assertEqual(einval, scoped_ipv6_browse_answers:service_type(lists:duplicate(254, $a) ++ [foo]))].

%% --- services -----------------------------------------------------------------

http() ->
    {ok, T} = scoped_ipv6_browse_answers:service_type("_http._tcp"),
    T.

rr(Name, Type, Data) -> rr(Name, Type, Data, 120).
rr(Name, Type, Data, TTL) ->
    inet_dns:make_rr([{domain, Name}, {type, Type}, {class, in}, {ttl, TTL}, {data, Data}]).

%% A reply with id 7, as a browse for `_http._tcp' (or `Type') reads it.
read(Answers, Additional) ->
    read(http(), Answers, Additional).

read(Type, Answers, Additional) ->
    Msg = inet_dns:make_msg([{header, inet_dns:make_header([{id, 7}, {qr, true}, {aa, true}])},
                             {anlist, Answers}, {arlist, Additional}]),
    {ok, Records} = scoped_ipv6_dns:parse_records(iolist_to_binary(inet_dns:encode(Msg)), 7),
    [R || R <- Records, scoped_ipv6_browse_answers:relevant(Type, R)].

full_answer_test() ->
    %% Owners in other cases (RFC 6762 section 16), a dot and UTF-8 in the
    %% instance's label, and records that are none of ours.
    Cafe = binary_to_list(<<"Caf", 16#c3, 16#a9, "\\.1">>),
    Records = read([rr("_HTTP._tcp.local", ptr, "Web A._http._tcp.local"),
                    rr("_http._tcp.local", ptr, Cafe ++ "._http._tcp.local"),
                    rr("_other._tcp.local", ptr, "Other._other._tcp.local")],
                   [rr("web a._HTTP._tcp.local", srv, {0, 0, 8080, "Peer-A.local"}),
                    rr("Web A._http._tcp.local", txt, ["path=/a", "", "v=1"]),
                    rr("peer-a.local", aaaa, ?LL2),
                    rr("PEER-A.local", a, {10, 0, 0, 2}),
                    rr("peer-a.local", aaaa, ?LL2),
                    rr(Cafe ++ "._http._tcp.local", srv, {0, 0, 80, "c.local"}),
                    rr(Cafe ++ "._http._tcp.local", txt, [""]),
                    rr("Other._other._tcp.local", srv, {0, 0, 1, "o.local"})]),
    %% The other type's PTR and SRV are dropped as they are read.
    ?assertEqual(9, length(Records)),
    ?assertEqual([#{name => [$C, $a, $f, 16#e9, $., $1], type => "_http._tcp", host => "c.local",
                    port => 80, txt => [], addresses => []},
                  #{name => "Web A", type => "_http._tcp", host => "Peer-A.local", port => 8080,
                    txt => [<<"path=/a">>, <<"v=1">>], addresses => [?LL2, {10, 0, 0, 2}]}],
                 scoped_ipv6_browse_answers:services(http(), Records)),
    %% c.local has no address: asked for, both kinds.
    ?assertEqual([{"c.local", aaaa}, {"c.local", a}],
                 scoped_ipv6_browse_answers:missing(http(), Records)).

missing_test() ->
    Ptr = read([rr("_http._tcp.local", ptr, "Web A._http._tcp.local")], []),
    ?assertEqual([], scoped_ipv6_browse_answers:services(http(), Ptr)),
    ?assertEqual([{"Web A._http._tcp.local", srv}, {"Web A._http._tcp.local", txt}],
                 scoped_ipv6_browse_answers:missing(http(), Ptr)),
    Srv = Ptr ++ read([rr("Web A._http._tcp.local", srv, {0, 0, 8080, "peer-a.local"})], []),
    ?assertEqual([{"Web A._http._tcp.local", txt}, {"peer-a.local", aaaa}, {"peer-a.local", a}],
                 scoped_ipv6_browse_answers:missing(http(), Srv)),
    All = Srv ++ read([rr("Web A._http._tcp.local", txt, ["x"]),
                       rr("peer-a.local", aaaa, ?LL2)], []),
    ?assertEqual([], scoped_ipv6_browse_answers:missing(http(), All)),
    ?assertMatch([#{name := "Web A", port := 8080, txt := [<<"x">>], addresses := [?LL2]}],
                 scoped_ipv6_browse_answers:services(http(), All)),
    %% Nothing to ask when browsing the types.
    {ok, Enumeration} = scoped_ipv6_browse_answers:service_type("_services._dns-sd._udp"),
    ?assertEqual([], scoped_ipv6_browse_answers:missing(Enumeration, Ptr)).

goodbyes_and_dead_ends_test() ->
    Records = read([rr("_http._tcp.local", ptr, "Gone._http._tcp.local", 0),
                    rr("_http._tcp.local", ptr, "Nowhere._http._tcp.local"),
                    rr("_http._tcp.local", ptr, "two.labels._http._tcp.local"),
                    rr("_http._tcp.local", ptr, "Bad._other._tcp.local")],
                   [rr("Gone._http._tcp.local", srv, {0, 0, 1, "g.local"}),
                    %% RFC 2782: a target of "." is no service.
                    rr("Nowhere._http._tcp.local", srv, {0, 0, 1, "."}),
                    rr("two.labels._http._tcp.local", srv, {0, 0, 1, "t.local"})]),
    ?assertEqual([], scoped_ipv6_browse_answers:services(http(), Records)).

%% Labels that are not UTF-8 are no instance name (RFC 6763 section 4.1.1).
not_utf8_test() ->
    Bad = [255, $x],
    Records = read([rr("_http._tcp.local", ptr, Bad ++ "._http._tcp.local")],
                   [rr(Bad ++ "._http._tcp.local", srv, {0, 0, 1, "h.local"}),
                    rr(Bad ++ "._http._tcp.local", txt, ["a"])]),
    ?assertEqual([], scoped_ipv6_browse_answers:services(http(), Records)).

bounds_test() ->
    Names = ["I" ++ integer_to_list(N) ++ "._http._tcp.local" || N <- lists:seq(1, 200)],
    Records = read([rr("_http._tcp.local", ptr, N) || N <- Names],
                   [rr(N, srv, {0, 0, 1, "h.local"}) || N <- Names] ++
                       [rr(N, txt, ["k"]) || N <- Names] ++
                       [rr("h.local", aaaa, {16#fe80, 0, 0, 0, 0, 0, 1, I}) || I <- lists:seq(1, 100)]),
    Services = scoped_ipv6_browse_answers:services(http(), Records),
    ?assertEqual(64, length(Services)),
    %% The first 64 instances, each with the first 16 addresses.
    ?assertEqual(lists:sort(["I" ++ integer_to_list(N) || N <- lists:seq(1, 64)]),
                 [N || #{name := N} <- Services]),
    ?assert(lists:all(fun(#{addresses := A}) -> length(A) =:= 16 end, Services)),
    %% 200 instances without SRV: at most 32 questions at a time.
    Bare = read([rr("_http._tcp.local", ptr, N) || N <- Names], []),
    ?assertEqual(32, length(scoped_ipv6_browse_answers:missing(http(), Bare))).

types_test() ->
    Owner = "_services._dns-sd._udp.local",
    {ok, Enumeration} = scoped_ipv6_browse_answers:service_type("_services._dns-sd._udp"),
    Records = read(Enumeration, [rr(Owner, ptr, "_ipp._tcp.local"), rr(Owner, ptr, "_http._tcp.local"),
                    rr(Owner, ptr, "_ipp._tcp.local"), rr(Owner, ptr, "_gone._tcp.local", 0),
                    rr(Owner, ptr, "not a type.local"), rr(Owner, ptr, "_x._tcp.example"),
                    rr(Owner, ptr, "_c._sub._ipp._tcp.local"),
                    rr("_http._tcp.local", ptr, "_ftp._tcp.local")], []),
    %% A PTR from another name is dropped as it is read.
    ?assertEqual(7, length(Records)),
    ?assertEqual(["_http._tcp", "_ipp._tcp"], scoped_ipv6_browse_answers:types(Records)),
    Many = read(Enumeration, [rr(Owner, ptr, "_t" ++ integer_to_list(N) ++ "._tcp.local")
                 || N <- lists:seq(1, 100)], []),
    ?assertEqual(64, length(scoped_ipv6_browse_answers:types(Many))).

%% --- reading messages ---------------------------------------------------------

parse_records_test_() ->
    Reply = fun(Id, Flags) ->
                    Msg = inet_dns:make_msg([{header, inet_dns:make_header([{id, Id} | Flags])},
                                             {anlist, [rr("x.local", aaaa, ?LL2)]}]),
                    iolist_to_binary(inet_dns:encode(Msg))
            end,
    [?_assertEqual({ok, [{"x.local", aaaa, ?LL2, 120}]},
                   scoped_ipv6_dns:parse_records(Reply(7, [{qr, true}]), 7)),
     ?_assertEqual({error, mismatch}, scoped_ipv6_dns:parse_records(Reply(8, [{qr, true}]), 7)),
     ?_assertEqual({error, mismatch}, scoped_ipv6_dns:parse_records(Reply(7, []), 7)),
     ?_assertEqual({error, truncated},
                   scoped_ipv6_dns:parse_records(Reply(7, [{qr, true}, {tc, true}]), 7)),
     ?_assertEqual({error, nxdomain},
                   scoped_ipv6_dns:parse_records(Reply(7, [{qr, true}, {rcode, 3}]), 7)),
     ?_assertEqual({error, formerr}, scoped_ipv6_dns:parse_records(<<0, 7, 16#84, 0, 0, 0, 0, 1>>, 7)),
     %% A compression pointer to itself.
     ?_assertEqual({error, formerr},
                   scoped_ipv6_dns:parse_records(<<0, 7, 16#84, 0, 0:16, 1:16, 0:16, 0:16,
                                                   16#c0, 12, 0, 28, 0, 1, 0, 0, 0, 120, 0, 16,
                                                   0:128>>, 7))].

%% Random bytes after a good header: never a crash, never an atom.
random_replies_make_no_atoms_test() ->
    rand:seed(exsss, {7, 8, 9}),
    Random = fun() -> <<0, 7, 16#84, 0, (crypto:strong_rand_bytes(rand:uniform(300)))/binary>> end,
    Read = fun(P) ->
                   case scoped_ipv6_dns:parse_records(P, 7) of
                       {ok, Rs} ->
                           Kept = [R || R <- Rs, scoped_ipv6_browse_answers:relevant(http(), R)],
                           scoped_ipv6_browse_answers:services(http(), Kept),
                           scoped_ipv6_browse_answers:missing(http(), Kept);
                       {error, _} ->
                           ok
                   end
           end,
    [Read(Random()) || _ <- lists:seq(1, 500)],
    Atoms = erlang:system_info(atom_count),
    [Read(Random()) || _ <- lists:seq(1, 2000)],
    ?assertEqual(Atoms, erlang:system_info(atom_count)).

questions_message_test() ->
    Packet = scoped_ipv6_dns:questions_message(9, [{"Web\\.A._http._tcp.local", srv},
                                                   {"peer-a.local", aaaa}]),
    {ok, Msg} = inet_dns:decode(Packet),
    ?assertEqual([{"Web\\.A._http._tcp.local", srv}, {"peer-a.local", aaaa}],
                 [{inet_dns:dns_query(Q, domain), inet_dns:dns_query(Q, type)}
                  || Q <- inet_dns:msg(Msg, qdlist)]),
    ?assertEqual(9, inet_dns:header(inet_dns:msg(Msg, header), id)).

%% An instance name as a label (RFC 6763 section 4.1.1: any UTF-8 but
%% controls, 63 bytes), escaped as inet_dns writes names; and the PTR a
%% resolve of one named instance starts from, which services/2 and
%% missing/2 read as they read a browse's answer.
instance_label_test_() ->
    Label = fun scoped_ipv6_browse_answers:instance_label/1,
    {ok, Http} = scoped_ipv6_browse_answers:service_type("_HTTP._tcp"),
    Seed = scoped_ipv6_browse_answers:seed(Http, "Web\\.A"),
    [?_assertEqual({ok, "Web A"}, Label("Web A")),
     ?_assertEqual({ok, "a\\.b\\\\c"}, Label(<<"a.b\\c">>)),
     ?_assertEqual({ok, binary_to_list(<<"é"/utf8>>)}, Label([233])),
     ?_assertEqual({ok, lists:duplicate(63, $a)}, Label(lists:duplicate(63, $a))),
     ?_assertEqual(error, Label(lists:duplicate(64, $a))),
     ?_assertEqual(error, Label(binary:copy(<<"é"/utf8>>, 32))),
     ?_assertEqual(error, Label("")),
     ?_assertEqual(error, Label("a\nb")),
     ?_assertEqual(error, Label(<<255>>)),
     ?_assertEqual(badarg, Label([foo])),
     ?_assertEqual(badarg, Label(foo)),
     ?_assertEqual([{"_http._tcp.local", ptr, "Web\\.A._HTTP._tcp.local", 1}], Seed),
     ?_assertEqual([{"Web\\.A._HTTP._tcp.local", srv}, {"Web\\.A._HTTP._tcp.local", txt}],
                   scoped_ipv6_browse_answers:missing(Http, Seed)),
     ?_assertMatch([#{name := "Web.A", port := 80}],
                   scoped_ipv6_browse_answers:services(
                     Http, Seed ++ [{"web\\.a._http._tcp.local", srv, {0, 0, 80, "h.local"}, 120}]))].

%% --- the public function, without a network ----------------------------------

browse_arguments_test_() ->
    [?_assertError(badarg, scoped_ipv6:browse(http)),
     ?_assertError(badarg, scoped_ipv6:browse("_http._tcp", notalist)),
     ?_assertError(badarg, scoped_ipv6:browse("_http._tcp", [{timeout, -1}])),
     ?_assertError(badarg, scoped_ipv6:browse("_http._tcp", [{settle, infinity}])),
     ?_assertError(badarg, scoped_ipv6:browse("_http._tcp", [bogus])),
     ?_assertError(badarg, scoped_ipv6:browse("_http._tcp", [{links, "lo"} | improper])),
     ?_assertError(badarg, scoped_ipv6:browse("_http._tcp", [{instance, web}])),
     ?_assertEqual({error, einval}, scoped_ipv6:browse("http")),
     ?_assertEqual({error, einval}, scoped_ipv6:browse("_http._tcp", [{instance, ""}])),
     ?_assertEqual({error, einval},
                   scoped_ipv6:browse("_services._dns-sd._udp", [{instance, "Web"}])),
     ?_assertEqual({error, no_link}, scoped_ipv6:browse("_http._tcp", [{links, ["lo"]}])),
     ?_assertEqual({error, {no_such_interface, "nosuch0"}},
                   scoped_ipv6:browse(<<"_http._tcp">>, [{links, ["nosuch0"]}]))].
