%% EUnit tests of the Erlang API, through the real NIF.
-module(scoped_ipv6_tests).

-include_lib("eunit/include/eunit.hrl").
-include("scoped_ipv6.hrl").

-define(LL(Last), {16#fe80, 0, 0, 0, 0, 0, 0, Last}).

%% --- parse ------------------------------------------------------------------

%% The decision table of the README ("Zones: what is accepted"), row by row.
decision_table_test_() ->
    [?_assertEqual(Want, scoped_ipv6:parse(Text)) || {Text, Want} <- [
        {"fe80::1%eth0", {ok, {?LL(1), "eth0"}}},
        {<<"fe80::1%eth0">>, {ok, {?LL(1), <<"eth0">>}}},
        {"fe80::1%2", {ok, {?LL(1), 2}}},
        {"fe80::1%0", {ok, {?LL(1), 0}}},
        {"fe80::1%02", {ok, {?LL(1), 2}}},
        {"fe80::1%4294967295", {ok, {?LL(1), 4294967295}}},
        {"fe80::1%4294967296", {error, einval}},
        {"2001:db8::1%eth0", {ok, {{16#2001, 16#db8, 0, 0, 0, 0, 0, 1}, "eth0"}}},
        {"fe80::1%25eth0", {ok, {?LL(1), "25eth0"}}},
        {"::%eth0", {error, einval}},
        {"::ffff:10.0.0.1%eth0", {error, einval}},
        {"10.0.0.1%eth0", {error, einval}},
        {"fe80::1%", {error, einval}},
        {"fe80::1%a%b", {error, einval}},
        {"fe80::1%eth\0", {error, einval}},
        {"fe80::1%eth\n", {error, einval}},
        {"fe80::1%a b", {error, einval}},
        {"fe80::1%abcdefghijklmno", {ok, {?LL(1), "abcdefghijklmno"}}},
        {"fe80::1%abcdefghijklmnop", {error, einval}},
        {"[fe80::1%eth0]", {error, einval}},
        {"fe80::1%wlan" ++ [16#e9], {ok, {?LL(1), "wlan" ++ [16#e9]}}},
        {[$f, $e, $8, $0, $:, $:, $1, $%, 16#110000], {error, einval}}
    ]].

parse_takes_any_term_like_inet_test_() ->
    [?_assertEqual({error, einval}, scoped_ipv6:parse(T))
     || T <- [42, foo, {1, 2}, [foo], [-1], make_ref(), #{}]].

%% Without '%', parse/1 must agree with inet:parse_address/1 on any text.
agrees_with_inet_parse_address_test() ->
    rand:seed(exsss, {1, 2, 3}),
    Alphabet = "0123456789abcdefABCDEFxX:.+-",
    Texts = [random_text(Alphabet, rand:uniform(24)) || _ <- lists:seq(1, 50000)]
        ++ [inet:ntoa(random_ip6()) || _ <- lists:seq(1, 2000)],
    Disagree = [{T, Ours, Otp} || T <- Texts,
                                  Ours <- [scoped_ipv6:parse(T)],
                                  Otp <- [inet:parse_address(T)],
                                  Ours =/= Otp],
    ?assertEqual([], lists:sublist(Disagree, 10)),
    Accepted = length([T || T <- Texts, element(1, inet:parse_address(T)) =:= ok]),
    %% The random text must exercise both answers to mean anything.
    ?assert(Accepted > 2000).

%% --- ntoa -------------------------------------------------------------------

ntoa_test_() ->
    [?_assertEqual("fe80::1%eth0", scoped_ipv6:ntoa({?LL(1), "eth0"})),
     ?_assertEqual("fe80::1%eth0", scoped_ipv6:ntoa({?LL(1), <<"eth0">>})),
     ?_assertEqual("fe80::1%7", scoped_ipv6:ntoa({?LL(1), 7})),
     ?_assertEqual("2001:db8::1:0:0:1", scoped_ipv6:ntoa({16#2001, 16#db8, 0, 0, 1, 0, 0, 1})),
     ?_assertEqual("::ffff:192.0.2.1", scoped_ipv6:ntoa({0, 0, 0, 0, 0, 16#ffff, 16#c000, 16#201})),
     ?_assertEqual("192.0.2.1", scoped_ipv6:ntoa({192, 0, 2, 1})),
     ?_assertEqual({error, einval}, scoped_ipv6:ntoa({{0, 0, 0, 0, 0, 0, 0, 0}, 1})),
     ?_assertEqual({error, einval}, scoped_ipv6:ntoa({?LL(1), "a/b"})),
     ?_assertEqual({error, einval}, scoped_ipv6:ntoa({?LL(1), ""})),
     ?_assertEqual({error, einval}, scoped_ipv6:ntoa({?LL(1), 1 bsl 32})),
     ?_assertEqual({error, einval}, scoped_ipv6:ntoa({16#10000, 0, 0, 0, 0, 0, 0, 0})),
     ?_assertEqual({error, einval}, scoped_ipv6:ntoa(foo))].

%% No zone on `::' or an IPv4-mapped address (RFC 4007 section 11), in
%% every form an address comes in: text, a tuple to resolve or connect to,
%% a tuple to write as text. Other addresses, global ones included, may
%% carry one.
zone_rule_test_() ->
    Refused = [{0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 16#ffff, 16#c000, 16#201}],
    Allowed = [?LL(1), {16#2001, 16#db8, 0, 0, 0, 0, 0, 1}, {0, 0, 0, 0, 0, 0, 0, 1},
               {0, 0, 0, 0, 0, 16#fffe, 16#c000, 16#201}],
    [?_assertEqual({error, einval}, Call(Ip6))
     || Ip6 <- Refused,
        Call <- [fun(A) -> scoped_ipv6:parse(inet:ntoa(A) ++ "%1") end,
                 fun(A) -> scoped_ipv6:resolve({A, 1}) end,
                 fun(A) -> scoped_ipv6:ntoa({A, 1}) end,
                 fun(A) -> scoped_ipv6_tcp:connect({A, 1}, 9, [], 1000) end]] ++
    [?_assertEqual({ok, {Ip6, 1}}, scoped_ipv6:parse(scoped_ipv6:ntoa({Ip6, 1})))
     || Ip6 <- Allowed].

%% parse(ntoa(X)) =:= {ok, X} for every valid X (index or string zones).
round_trip_property_test() ->
    rand:seed(exsss, {4, 5, 6}),
    Failures = [X || _ <- lists:seq(1, 20000),
                     X <- [random_scoped()],
                     scoped_ipv6:parse(scoped_ipv6:ntoa(X)) =/= {ok, X}],
    ?assertEqual([], lists:sublist(Failures, 10)).

%% --- resolution -------------------------------------------------------------

loopback_test_() ->
    [?_assertEqual({ok, 1}, scoped_ipv6:if_index("lo")),
     ?_assertEqual({ok, 1}, scoped_ipv6:if_index(<<"lo">>)),
     ?_assertEqual({ok, "lo"}, scoped_ipv6:if_name(1)),
     ?_assertEqual({ok, {?LL(1), 1}}, scoped_ipv6:resolve({?LL(1), "lo"})),
     ?_assertEqual({ok, {?LL(1), 1}}, scoped_ipv6:resolve("fe80::1%lo")),
     ?_assertEqual({ok, {?LL(1), 1}}, scoped_ipv6:resolve({?LL(1), 1})),
     ?_assertEqual({ok, {127, 0, 0, 1}}, scoped_ipv6:resolve("127.0.0.1")),
     ?_assertEqual({ok, ?LL(1)}, scoped_ipv6:resolve(?LL(1)))].

unknown_interfaces_test_() ->
    [?_assertEqual({error, {no_such_interface, "nosuch0"}}, scoped_ipv6:if_index("nosuch0")),
     ?_assertEqual({error, {no_such_interface, <<"nosuch0">>}},
                   scoped_ipv6:resolve({?LL(1), <<"nosuch0">>})),
     ?_assertEqual({error, {no_such_interface, 4000000000}}, scoped_ipv6:if_name(4000000000)),
     ?_assertEqual({error, {no_such_interface, 4000000000}},
                   scoped_ipv6:resolve({?LL(1), 4000000000})),
     ?_assertEqual({error, einval}, scoped_ipv6:if_index("a/b")),
     ?_assertEqual({error, einval}, scoped_ipv6:resolve({{0, 0, 0, 0, 0, 0, 0, 0}, "lo"}))].

%% join_group/3 and leave_group/3 take a group's text, as the rest of the
%% API takes addresses, and the interface by name or index; on loopback,
%% where the kernel lists the membership in /proc/net/igmp6.
group_text_test() ->
    {ok, S} = scoped_ipv6_udp:open(0),
    Member = "ff020000000000000000000000004747",
    try
        ?assertEqual(ok, scoped_ipv6_udp:join_group(S, "ff02::4747", "lo")),
        ?assert(lo_member(Member)),
        ?assertEqual(ok, scoped_ipv6_udp:leave_group(S, <<"ff02::4747">>, 1)),
        ?assertNot(lo_member(Member)),
        ?assertEqual({error, einval}, scoped_ipv6_udp:join_group(S, "ff02::zz", "lo")),
        ?assertEqual({error, einval}, scoped_ipv6_udp:join_group(S, "ff02::4747%lo", "lo")),
        ?assertEqual({error, {no_such_interface, "nosuch0"}},
                     scoped_ipv6_udp:join_group(S, "ff02::4747", "nosuch0")),
        %% A wrong type: badarg, with the caller's arguments.
        ?assertMatch({badarg, [{scoped_ipv6_udp, join_group, [S, 42, "lo"], _} | _]},
                     raised(fun() -> scoped_ipv6_udp:join_group(S, 42, "lo") end)),
        ?assertMatch({badarg, [{scoped_ipv6_udp, leave_group, [x, "ff02::1", 1], _} | _]},
                     raised(fun() -> scoped_ipv6_udp:leave_group(x, "ff02::1", 1) end))
    after
        scoped_ipv6_udp:close(S)
    end.

%% The error `Fun' raises, with its stacktrace (OTP 29 deprecates `catch
%% Expr', which gave both).
raised(Fun) ->
    try Fun() of Result -> {returned, Result}
    catch error:Reason:Stacktrace -> {Reason, Stacktrace}
    end.

lo_member(Group) ->
    {ok, Table} = file:read_file("/proc/net/igmp6"),
    [Line || Line <- string:split(binary_to_list(Table), "\n", all),
             [_, "lo", G | _] <- [string:lexemes(Line, " ")], G =:= Group] =/= [].

interfaces_include_loopback_test() ->
    {ok, Interfaces} = scoped_ipv6:interfaces(),
    [Lo] = [I || #{name := "lo"} = I <- Interfaces],
    ?assertMatch(#{index := 1}, Lo),
    ?assert(lists:member(loopback, maps:get(flags, Lo))),
    ?assert(lists:member(#{addr => {127, 0, 0, 1}, prefixlen => 8}, maps:get(addrs, Lo))).

format_error_test_() ->
    {ok, Names} = scoped_ipv6:interfaces(),
    Here = " (this host has: " ++ lists:join(", ", [N || #{name := N} <- Names]) ++ ")",
    [?_assertEqual("a link-local address needs a scope, e.g. fe80::1%eth0",
                   scoped_ipv6:format_error(scope_required)),
     ?_assertEqual(lists:flatten("no such network interface: eth9" ++ Here),
                   scoped_ipv6:format_error({no_such_interface, "eth9"})),
     ?_assertEqual(lists:flatten("no such network interface: eth9" ++ Here),
                   scoped_ipv6:format_error({no_such_interface, <<"eth9">>})),
     ?_assertEqual(lists:flatten("no such network interface: index 9" ++ Here),
                   scoped_ipv6:format_error({no_such_interface, 9})),
     ?_assertEqual(lists:flatten("no such network interface: 25eth0" ++ Here ++
                                     "; %25 is how a URI escapes %: write %eth0"),
                   scoped_ipv6:format_error({no_such_interface, "25eth0"})),
     ?_assertEqual("connection refused", scoped_ipv6:format_error(econnrefused)),
     %% Unknown reasons are shown as they are, never as an unknown POSIX error.
     ?_assertEqual("no_such_reason", scoped_ipv6:format_error(no_such_reason)),
     ?_assertEqual("{x,1}", scoped_ipv6:format_error({x, 1}))].

%% Every alternative of scoped_ipv6:reason() has a text of its own: adding
%% a reason to the type without one fails here.
every_reason_has_a_text_test_() ->
    {ok, {_, [{abstract_code, {raw_abstract_v1, Forms}}]}} =
        beam_lib:chunks(code:which(scoped_ipv6), [abstract_code]),
    [{type, _, union, Alternatives}] =
        [Type || {attribute, _, type, {reason, Type, []}} <- Forms],
    [?_test(check_reason_text(Alternative)) || Alternative <- Alternatives].

check_reason_text({remote_type, _, [{atom, _, inet}, {atom, _, posix}, []]}) ->
    ?assertEqual("connection refused", scoped_ipv6:format_error(econnrefused));
check_reason_text(Alternative) ->
    Reason = sample_reason(Alternative),
    Text = scoped_ipv6:format_error(Reason),
    ?assert(io_lib:char_list(Text)),
    ?assertNotEqual(lists:flatten(io_lib:format("~0tp", [Reason])), Text).

sample_reason({atom, _, Atom}) -> Atom;
sample_reason({type, _, tuple, [{atom, _, no_such_interface}, _]}) -> {no_such_interface, "eth9"};
sample_reason({type, _, tuple, [{atom, _, ambiguous}, _]}) -> {ambiguous, ["linkA", "linkB"]};
sample_reason({type, _, tuple, [{atom, _, not_found}, _]}) -> {not_found, [{"linkA", timeout}]};
sample_reason({type, _, tuple, [{atom, _, bad_node_name}, _]}) -> {bad_node_name, 'x@'}.

guards_tell_the_forms_apart_test_() ->
    Form = fun(A) when ?is_scoped_address(A) -> scoped;
              (A) when ?is_ip6_address(A) -> ip6;
              (A) when ?is_ip4_address(A) -> ip4;
              (_) -> other
           end,
    [?_assertEqual(scoped, Form({?LL(1), "eth0"})),
     ?_assertEqual(scoped, Form({?LL(1), 3})),
     ?_assertEqual(ip6, Form(?LL(1))),
     ?_assertEqual(ip4, Form({10, 0, 0, 1})),
     ?_assertEqual(other, Form({?LL(1), -1})),
     ?_assertEqual(other, Form({?LL(1), foo})),
     ?_assertEqual(other, Form({16#10000, 0, 0, 0, 0, 0, 0, 0}))].

%% --- bad input --------------------------------------------------------------

%% Every public function, fed random terms: {error, _}, a result, or badarg.
%% Never another exception, never a crash, never a new atom.
random_terms_test_() ->
    {timeout, 120, fun() ->
        rand:seed(exsss, {7, 8, 9}),
        Calls = [parse, ntoa, resolve, if_index, if_name, needs_scope, format_error,
                 peername, sockname],
        %% A first batch loads every module these paths use (loading makes
        %% atoms); the second, different batch must then make none.
        _ = wrong_outcomes(Calls, [random_term(3) || _ <- lists:seq(1, 2000)]),
        Terms = [random_term(3) || _ <- lists:seq(1, 20000)],
        AtomsBefore = erlang:system_info(atom_count),
        ?assertEqual([], lists:sublist(wrong_outcomes(Calls, Terms), 5)),
        ?assertEqual(AtomsBefore, erlang:system_info(atom_count))
    end}.

wrong_outcomes(Calls, Terms) ->
    [{F, T, Class, Reason}
     || F <- Calls, T <- Terms,
        {Class, Reason} <- [outcome(fun() -> scoped_ipv6:F(T) end)],
        not acceptable(F, Class, Reason)].

outcome(Fun) ->
    try Fun() of Result -> {ok, Result}
    catch Class:Reason -> {Class, Reason}
    end.

acceptable(_, ok, {error, _}) -> true;
acceptable(format_error, ok, Text) -> io_lib:char_list(Text);
acceptable(needs_scope, ok, Bool) -> is_boolean(Bool);
acceptable(ntoa, ok, Text) -> io_lib:char_list(Text);
acceptable(_, ok, {ok, _}) -> true;
acceptable(_, error, badarg) -> true;
acceptable(_, _, _) -> false.

%% --- the link-local testbed (test/testbed.sh) -------------------------------

testbed_test_() ->
    case in_testbed() of
        false ->
            io:format(user, "~nskipped testbed tests: not inside test/testbed.sh's "
                      "sip6-host namespace (run bin/test as root)~n", []),
            [];
        true ->
            A = sys_ifindex("linkA"),
            B = sys_ifindex("linkB"),
            [?_assertEqual({ok, A}, scoped_ipv6:if_index("linkA")),
             ?_assertEqual({ok, "linkB"}, scoped_ipv6:if_name(B)),
             ?_assertEqual({ok, {?LL(2), A}}, scoped_ipv6:resolve("fe80::2%linkA")),
             ?_assertEqual({ok, {?LL(2), B}}, scoped_ipv6:resolve("fe80::2%linkB")),
             ?_assertNotEqual(A, B),
             fun() ->
                 {ok, Interfaces} = scoped_ipv6:interfaces(),
                 [LinkA] = [I || #{name := "linkA"} = I <- Interfaces],
                 ?assertEqual(A, maps:get(index, LinkA)),
                 Addrs = lists:sort([Addr || #{addr := Addr} <- maps:get(addrs, LinkA)]),
                 ?assertEqual(lists:sort([{?LL(1), A}, {16#fd00, 16#a, 0, 0, 0, 0, 0, 1}]), Addrs),
                 ?assert(lists:member(up, maps:get(flags, LinkA)))
             end]
    end.

in_testbed() ->
    os:getenv("SCOPED_IPV6_TESTBED") =:= "1" andalso
        filelib:is_file("/sys/class/net/linkA").

%% The index as the kernel states it, independent of our code.
sys_ifindex(Name) ->
    {ok, Text} = file:read_file("/sys/class/net/" ++ Name ++ "/ifindex"),
    binary_to_integer(string:trim(Text)).

%% --- generators -------------------------------------------------------------

random_text(Alphabet, N) ->
    [lists:nth(rand:uniform(length(Alphabet)), Alphabet) || _ <- lists:seq(1, N)].

random_ip6() ->
    list_to_tuple([case rand:uniform(3) of 1 -> 0; _ -> rand:uniform(16#10000) - 1 end
                   || _ <- lists:seq(1, 8)]).

random_scoped() ->
    Ip6 = random_ip6(),
    case Ip6 of
        {0, 0, 0, 0, 0, W6, _, _} when W6 =:= 0; W6 =:= 16#ffff -> random_scoped();
        _ ->
            Zone = case rand:uniform(2) of
                       1 -> rand:uniform(1 bsl 32) - 1;
                       2 -> [$e | random_text("abcxyz019_.-", rand:uniform(14) - 1)]
                   end,
            {Ip6, Zone}
    end.

random_term(0) ->
    random_leaf();
random_term(Depth) ->
    case rand:uniform(6) of
        1 -> list_to_tuple([random_term(Depth - 1) || _ <- lists:seq(1, rand:uniform(9) - 1)]);
        2 -> [random_term(Depth - 1) || _ <- lists:seq(1, rand:uniform(4) - 1)];
        3 -> {random_ip6(), random_term(Depth - 1)};
        4 -> random_text("fe80:1%.0lo", rand:uniform(12));
        _ -> random_leaf()
    end.

random_leaf() ->
    case rand:uniform(9) of
        1 -> rand:uniform(1 bsl 40) - (1 bsl 39);
        2 -> rand:uniform(70000) - 1;
        3 -> lists:nth(rand:uniform(4), [foo, ok, error, einval]);
        4 -> list_to_binary(random_text("fe80:1%.0lo", rand:uniform(12)));
        5 -> rand:uniform() * 100;
        6 -> random_ip6();
        7 -> {rand:uniform(300) - 1, 0, 0, 1};
        8 -> crypto_free_bytes(rand:uniform(20));
        9 -> self()
    end.

crypto_free_bytes(N) ->
    << <<(rand:uniform(256) - 1)>> || _ <- lists:seq(1, N) >>.

%% The default backend we read is the one gen_tcp itself uses: what
%% gen_tcp:listen/2 makes without an `inet_backend' option tells.
default_inet_backend_is_gen_tcps_test() ->
    {ok, Socket} = gen_tcp:listen(0, []),
    Used = case is_port(Socket) of true -> inet; false -> socket end,
    ok = gen_tcp:close(Socket),
    ?assertEqual(Used, scoped_ipv6_otp:default_inet_backend()).

%% rebar3 eunit runs a test module only when it pairs with a module of
%% the application (foo_tests with foo) or rebar.config lists it: one that
%% does neither would never run, and nothing would say so.
every_test_module_runs_test() ->
    Root = filename:dirname(filename:dirname(filename:absname(?FILE))),
    {ok, Config} = file:consult(filename:join(Root, "rebar.config")),
    Listed = [M || {module, M} <- proplists:get_value(eunit_tests, Config, [])],
    Tests = [list_to_atom(filename:basename(F, ".erl"))
             || F <- filelib:wildcard(filename:join([Root, "test", "*_tests.erl"]))],
    Unpaired = [T || T <- Tests,
                     not filelib:is_file(filename:join([Root, "src",
                                                        lists:sublist(atom_to_list(T), length(atom_to_list(T)) - 6) ++ ".erl"])),
                     not lists:member(T, Listed)],
    ?assertEqual([], Unpaired).
