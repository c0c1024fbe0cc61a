%% The distribution carrier's pure parts; the carrier itself is tested with
%% real nodes in test/testbed_dist_test.exs.
-module(scoped_ipv6_dist_tests).

-include_lib("eunit/include/eunit.hrl").

split_node_test_() ->
    Split = fun scoped_ipv6_dist_zones:split_node/1,
    [?_assertEqual({ok, "b", "fe80::2"}, Split('b@fe80::2')),
     ?_assertEqual({ok, "w", "fe80::2%linkA"}, Split('w@fe80::2%linkA')),
     ?_assertEqual({ok, "p", "127.0.0.1"}, Split('p@127.0.0.1')),
     ?_assertEqual(error, Split('nohost')),
     ?_assertEqual(error, Split('a@b@c')),
     ?_assertEqual(error, Split('@fe80::2')),
     ?_assertEqual(error, Split('b@')),
     ?_assertEqual(error, Split("b@fe80::2")),
     ?_assert(scoped_ipv6_dist:is_node_name('b@fe80::2')),
     ?_assertNot(scoped_ipv6_dist:is_node_name('a@b@c'))].

%% Defaults, then the user's, then the forced options, each name once.
options_test_() ->
    Options = fun scoped_ipv6_dist:options/3,
    Defaults = [{reuseaddr, true}, {backlog, 128}, {ipv6_v6only, false}],
    Forced = [{active, false}, {packet, 2}],
    [?_assertEqual(Defaults ++ Forced, Options(Defaults, [], Forced)),
     ?_assertEqual([{reuseaddr, true}, {ipv6_v6only, false}, {backlog, 5}, {active, false},
                    {packet, 2}],
                   Options(Defaults, [{backlog, 5}], Forced)),
     %% The user cannot take what the carrier must have.
     ?_assertEqual(Defaults ++ [{ip, "fe80::1%usb0"}, inet6 | Forced],
                   Options(Defaults, [{packet, 4}, {ip, "fe80::1%usb0"}, inet6, {active, true}],
                           Forced)),
     ?_assertEqual([{send_timeout, 10} | Forced], Options([], [{send_timeout, 10}], Forced))].
