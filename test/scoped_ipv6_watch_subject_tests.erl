%% What a watch follows (scoped_ipv6_watch_subject): a DNS-SD type or a
%% `.local' host name, told apart by the type parser; a host's questions,
%% records and results. No sockets.
-module(scoped_ipv6_watch_subject_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LL2, {16#fe80, 0, 0, 0, 0, 0, 0, 2}).
-define(ULA, {16#fd00, 16#a, 0, 0, 0, 0, 0, 2}).

parse(Text) ->
    {ok, Subject} = scoped_ipv6_watch_subject:parse(Text),
    Subject.

%% What the type parser reads is a type; another `.local' name is a host.
types_and_hosts_test() ->
    ?assertEqual([{"_http._tcp.local", ptr}],
                 scoped_ipv6_watch_subject:questions(parse("_http._tcp"))),
    ?assertEqual([{"_services._dns-sd._udp.local", ptr}],
                 scoped_ipv6_watch_subject:questions(parse(<<"_services._dns-sd._udp.local">>))),
    ?assertEqual([{"Nerves-1234.local", aaaa}, {"Nerves-1234.local", a}],
                 scoped_ipv6_watch_subject:questions(parse("Nerves-1234.local."))),
    ?assertEqual([{"b\303\244r.local", aaaa}, {"b\303\244r.local", a}],
                 scoped_ipv6_watch_subject:questions(parse(<<"bär.local"/utf8>>))),
    ?assertEqual([{"a.b.local", aaaa}, {"a.b.local", a}],
                 scoped_ipv6_watch_subject:questions(parse("a.b.local"))).

%% Neither: einval; not text: badarg (never an atom made).
refused_test() ->
    [?assertEqual({Text, einval}, {Text, scoped_ipv6_watch_subject:parse(Text)})
     || Text <- ["http", "device", "device.lan", ".local", "local", "", "a..local",
                 "Web._http._tcp.local", "_x.local", "a\\b.local", "a b.local",
                 lists:duplicate(250, $a) ++ ".local", <<255, ".local">>]],
    [?assertEqual(badarg, scoped_ipv6_watch_subject:parse(T))
     || T <- [device, 1, [device], {"a.local"}, [-1]]].

%% A host's records: its own addresses only, any case; shown once it has
%% one, scoped and ordered as getaddrs/2 gives them.
host_results_test() ->
    Host = parse("Device.local"),
    Records = [{"device.local", aaaa, ?ULA, 120}, {"DEVICE.LOCAL", aaaa, ?LL2, 120},
               {"device.local", a, {10, 0, 0, 2}, 120}],
    ?assert(lists:all(fun(R) -> scoped_ipv6_watch_subject:relevant(Host, R) end, Records)),
    ?assertNot(scoped_ipv6_watch_subject:relevant(Host, {"other.local", aaaa, ?LL2, 120})),
    ?assertNot(scoped_ipv6_watch_subject:relevant(Host, {"device.local", txt, ["x"], 120})),
    ?assertEqual([], scoped_ipv6_watch_subject:missing(Host, [])),
    ?assertEqual([], scoped_ipv6_watch_subject:results(Host, 3, [])),
    ?assertEqual([{"device.local", #{name => "Device.local", link => 3,
                                     addresses => [{?LL2, 3}, {10, 0, 0, 2}, ?ULA]}}],
                 scoped_ipv6_watch_subject:results(Host, 3, Records)).
