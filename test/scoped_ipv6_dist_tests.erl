%% The distribution carrier's pure parts; the carrier itself is tested with
%% real nodes in test/testbed_dist_test.exs.
-module(scoped_ipv6_dist_tests).

-include_lib("eunit/include/eunit.hrl").
-include_lib("kernel/include/dist_util.hrl").

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

%% check_ip's rule: a peer within the prefix of one of this host's
%% addresses, on its own link when it has a scope.
on_local_network_test_() ->
    LL = fun(Last) -> {16#fe80, 0, 0, 0, 0, 0, 0, Last} end,
    Interfaces =
        [#{name => "lo", index => 1, flags => [up, loopback],
           addrs => [#{addr => {127, 0, 0, 1}, prefixlen => 8},
                     #{addr => {0, 0, 0, 0, 0, 0, 0, 1}, prefixlen => 128}]},
         #{name => "linkA", index => 7, flags => [up],
           addrs => [#{addr => {LL(1), 7}, prefixlen => 64},
                     #{addr => {16#fd00, 16#a, 0, 0, 0, 0, 0, 1}, prefixlen => 64},
                     #{addr => {192, 168, 7, 1}, prefixlen => 24}]},
         %% No link-local address on this one.
         #{name => "tun0", index => 9, flags => [up],
           addrs => [#{addr => {16#fd00, 16#c, 0, 0, 0, 0, 0, 5}, prefixlen => nil}]}],
    On = fun(Peer) -> scoped_ipv6_addr:on_local_network(Peer, Interfaces) end,
    [?_assert(On({LL(2), 7})),
     ?_assert(On({LL(16#ffff), 7})),
     %% fe80::/64 on linkA is not on tun0's link, nor a network of another
     %% prefix inside fe80::/10.
     ?_assertNot(On({LL(2), 9})),
     ?_assertNot(On({{16#fe80, 0, 0, 1, 0, 0, 0, 2}, 7})),
     ?_assert(On({16#fd00, 16#a, 0, 0, 0, 0, 0, 16#beef})),
     ?_assertNot(On({16#fd00, 16#b, 0, 0, 0, 0, 0, 2})),
     %% Unknown prefix length: that address alone.
     ?_assert(On({16#fd00, 16#c, 0, 0, 0, 0, 0, 5})),
     ?_assertNot(On({16#fd00, 16#c, 0, 0, 0, 0, 0, 6})),
     ?_assert(On({192, 168, 7, 200})),
     ?_assertNot(On({192, 168, 8, 1})),
     ?_assert(On({127, 1, 2, 3})),
     %% A dual-stack socket's IPv4 client.
     ?_assert(On({0, 0, 0, 0, 0, 16#ffff, 16#c0a8, 16#07c8})),
     ?_assertNot(On({0, 0, 0, 0, 0, 16#ffff, 16#c0a8, 16#0801})),
     ?_assert(On({0, 0, 0, 0, 0, 0, 0, 1})),
     ?_assertNot(On({0, 0, 0, 0, 0, 0, 0, 2})),
     ?_assertNot(scoped_ipv6_addr:on_local_network({LL(2), 7}, []))].

%% Forced options first, then the user's that are not forced, then the
%% defaults the user did not name: each name once, on every OTP.
merge_options_test_() ->
    Defaults = [{reuseaddr, true}, {backlog, 128}, {ipv6_v6only, false}],
    Forced = [{active, false}, {packet, 2}],
    [{Name, [?_assertEqual(Forced ++ Defaults, Merge([], Forced, Defaults)),
             ?_assertEqual(Forced ++ [{backlog, 5}, {reuseaddr, true}, {ipv6_v6only, false}],
                           Merge([{backlog, 5}], Forced, Defaults)),
             %% The user cannot take what the carrier must have.
             ?_assertEqual(Forced ++ [{ip, "fe80::1%usb0"}, inet6 | Defaults],
                           Merge([{packet, 4}, {ip, "fe80::1%usb0"}, inet6, {active, true}],
                                 Forced, Defaults)),
             ?_assertEqual(Forced ++ [{send_timeout, 10}],
                           Merge([{send_timeout, 10}], Forced, [])),
             %% binary names the mode, inet6 the family.
             ?_assertEqual([binary, {raw, 1, 2, <<>>}, {family, inet}],
                           Merge([binary, {raw, 1, 2, <<>>}], [], [{mode, list}, {family, inet}]))]}
     || {Name, Merge} <- merges()].

%% The seam takes OTP's own code where OTP exports it (27 and later), and
%% our copy of it on OTP 25; the CI matrix runs this on 25, 27 and 29.
seam_choice_test() ->
    Expected = case otp_release() >= 27 of
                   true -> otp;
                   false -> own
               end,
    ?assertEqual(#{hs_data => Expected, merge_options => Expected},
                 scoped_ipv6_otp:implementation()).

%% Where OTP has its own, our copy sets the same fields.
hs_data_test() ->
    {ok, Listen} = gen_tcp:listen(0, [{ip, loopback}]),
    try
        Own = scoped_ipv6_otp:own_hs_data(inet_tcp, Listen),
        Used = scoped_ipv6_otp:hs_data(inet_tcp, Listen),
        ?assertEqual(set_fields(Own), set_fields(Used)),
        ?assertEqual(Listen, element(#hs_data.socket, Used))
    after
        gen_tcp:close(Listen)
    end.

merges() ->
    [{"own", fun scoped_ipv6_otp:own_merge_options/3},
     {"used", fun scoped_ipv6_otp:merge_options/3}]
    ++ [{"otp", fun inet_tcp_dist:merge_options/3} || otp_release() >= 27].

set_fields(HSData) ->
    [Field || {Field, Value} <- lists:zip(record_info(fields, hs_data), tl(tuple_to_list(HSData))),
              Value =/= undefined].

otp_release() ->
    list_to_integer(erlang:system_info(otp_release)).
