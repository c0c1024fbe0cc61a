%% The rebar3 build writes the Erlang modules' doc chunks too (a post_hook
%% running native/docs): h/2 in erl shows them. The mix build's twin is
%% test/docs_test.exs.
-module(scoped_ipv6_docs_tests).

-include_lib("eunit/include/eunit.hrl").

h_shows_the_erlang_functions_documentation_test_() ->
    [?_test(shown(M, F, A, Words))
     || {M, F, A, Words} <- [{scoped_ipv6, parse, 1, "Parses address text"},
                             {scoped_ipv6_tcp, connect, 4, "Connects to"},
                             {scoped_ipv6_udp, open, 2, "A UDP socket bound to"},
                             {scoped_ipv6_udp, send, 5, "ancillary data"},
                             {scoped_ipv6, ping, 2, "ICMPv6 echo request"},
                             {scoped_ipv6, browse, 2, "DNS-SD type"},
                             {scoped_ipv6, watch, 2, "Watches a DNS-SD type"},
                             {scoped_ipv6, mdns_services, 0, "instance name claimed"},
                             {scoped_ipv6_epmd, port_please, 3, "The distribution port"}]].

%% edoc lists internal functions too; native/docs keeps the exported ones.
only_exported_functions_are_listed_test_() ->
    [?_assertEqual({M, []}, {M, listed(M) -- M:module_info(exports)})
     || M <- [scoped_ipv6, scoped_ipv6_tcp, scoped_ipv6_udp, scoped_ipv6_dist]].

%% What iex prints literally (Elixir 1.14): a <pre> without a <code>
%% inside, a cross-reference's target; native/docs leaves neither.
no_bare_pre_or_cross_reference_test_() ->
    [?_assertEqual({M, []}, {M, unreadable(M)})
     || M <- [scoped_ipv6, scoped_ipv6_tcp, scoped_ipv6_tcp_module, scoped_ipv6_udp,
              scoped_ipv6_epmd, scoped_ipv6_dist]].

%% connect/3 is two calls, as gen_tcp:connect/3: its doc says both.
connect_3_says_both_calls_test() ->
    {ok, {docs_v1, _, _, _, _, _, Entries}} = code:get_doc(scoped_ipv6_tcp),
    [Doc] = [D || {{function, connect, 3}, _, _, #{<<"en">> := D}, _} <- Entries],
    Text = lists:flatten(io_lib:format("~p", [Doc])),
    ?assertNotEqual(nomatch, string:find(Text, "connect(Address, Port, Opts, infinity)")),
    ?assertNotEqual(nomatch, string:find(Text, "connect(SockAddr, Opts, Timeout)")).

unreadable(Module) ->
    {ok, {docs_v1, _, _, _, ModuleDoc, _, Entries}} = code:get_doc(Module),
    Docs = [ModuleDoc | [D || {_, _, _, D, _} <- Entries]],
    lists:append([unreadable_items(Items) || #{<<"en">> := Items} <- Docs]).

unreadable_items(Items) ->
    lists:append([unreadable_item(I) || I <- Items]).

unreadable_item({pre, _, [{code, _, _}]}) -> [];
unreadable_item({pre, _, _} = Bare) -> [Bare];
unreadable_item({a, Attrs, _} = Link) ->
    case proplists:get_value(rel, Attrs) of
        <<"https://erlang.org/doc/link/see", _/binary>> -> [Link];
        _ -> []
    end;
unreadable_item({_Tag, _, Content}) -> unreadable_items(Content);
unreadable_item(_Text) -> [].

listed(Module) ->
    {ok, {docs_v1, _, _, _, _, _, Entries}} = code:get_doc(Module),
    [{F, A} || {{function, F, A}, _, _, _, _} <- Entries].

shown(Module, Function, Arity, Words) ->
    {ok, Docs} = code:get_doc(Module),
    Text = unicode:characters_to_list(render(Module, Function, Arity, Docs)),
    ?assertNotEqual(nomatch, string:find(Text, Words)).

%% OTP 25's shell_docs asks the group leader for its encoding, which
%% EUnit's does not answer: render under the VM's own `user'.
render(Module, Function, Arity, Docs) ->
    Parent = self(),
    Config = #{encoding => unicode, columns => 80, ansi => false},
    {Pid, Ref} = spawn_monitor(
                   fun() ->
                           group_leader(whereis(user), self()),
                           Parent ! {self(), shell_docs:render(Module, Function, Arity, Docs, Config)}
                   end),
    receive
        {Pid, Text} -> erlang:demonitor(Ref, [flush]), Text;
        {'DOWN', Ref, process, Pid, Reason} -> error({render_failed, Reason})
    end.
