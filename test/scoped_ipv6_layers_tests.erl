%% The module graph, read from the compiled modules with xref: public
%% modules call hidden ones, no hidden module calls a public one, nothing
%% calls in a circle, OTP's internals are reached through one module each,
%% and the README shows the graph as it is.
-module(scoped_ipv6_layers_tests).

-include_lib("eunit/include/eunit.hrl").

-export([graph_text/0]).

-define(PUBLIC, [scoped_ipv6, scoped_ipv6_tcp, scoped_ipv6_tcp_module, scoped_ipv6_udp,
                 scoped_ipv6_epmd, scoped_ipv6_dist]).

no_hidden_module_calls_a_public_one_test() ->
    Up = [{From, To} || {From, To} <- edges(), not public(From), public(To)],
    ?assertEqual([], Up).

no_module_calls_in_a_circle_test() ->
    Graph = digraph:new(),
    try
        [digraph:add_vertex(Graph, M) || M <- modules()],
        [digraph:add_edge(Graph, From, To) || {From, To} <- edges()],
        Circles = [C || C <- digraph_utils:strong_components(Graph), length(C) > 1],
        ?assertEqual([], Circles)
    after
        digraph:delete(Graph)
    end.

%% Kernel modules and functions that are no API: each is called from one
%% module of ours, its seam, so that an OTP release that changes one is met
%% in one place. (dist_util's handshake is the API of a distribution
%% carrier, in ERTS's guide "How to implement an alternative carrier".)
-define(SEAMS, [{inet_dns, scoped_ipv6_dns},
                {inet_tcp_dist, scoped_ipv6_otp}, {inet_tcp, scoped_ipv6_otp},
                {inet6_tcp, scoped_ipv6_otp}, {prim_inet, scoped_ipv6_otp},
                {gen_tcp_socket, scoped_ipv6_otp}, {inet_db, scoped_ipv6_otp},
                {{inet, tcp_module}, scoped_ipv6_otp}, {{inet, gen_tcp_module}, scoped_ipv6_otp},
                {{inet, connect_options}, scoped_ipv6_otp},
                {{inet, listen_options}, scoped_ipv6_otp}]).

otp_internals_are_reached_through_their_seam_test() ->
    Calls = external_calls(),
    Wrong = lists:usort([{From, Internal} || {From, To, F} <- Calls, {Internal, Seam} <- ?SEAMS,
                                             Internal =:= To orelse Internal =:= {To, F},
                                             From =/= Seam]),
    ?assertEqual([], Wrong).

the_readme_shows_the_graph_as_it_is_test() ->
    Readme = filename:join(filename:dirname(filename:dirname(filename:absname(?FILE))),
                           "README.md"),
    {ok, Text} = file:read_file(Readme),
    Graph = unicode:characters_to_binary(graph_text()),
    ?assertMatch({_, _}, binary:match(Text, Graph),
                 "README.md's module graph differs from the code: paste "
                 "scoped_ipv6_layers_tests:graph_text() into it").

%% One line a module, public ones first: the modules of this application
%% it calls.
graph_text() ->
    Edges = edges(),
    Order = fun(M) -> {not public(M), M} end,
    Width = lists:max([length(atom_to_list(M)) || M <- modules()]),
    Lines = [io_lib:format("~-6s ~-*s -> ~ts~n",
                           [case public(M) of true -> "public"; false -> "hidden" end,
                            Width, M, calls([T || {F, T} <- Edges, F =:= M])])
             || {_, M} <- lists:sort([{Order(M), M} || M <- modules()])],
    lists:flatten(Lines).

calls([]) -> "(none)";
calls(Modules) -> lists:join(", ", [atom_to_list(M) || M <- Modules]).

public(Module) ->
    lists:member(Module, ?PUBLIC).

modules() ->
    _ = application:load(scoped_ipv6),
    {ok, Modules} = application:get_key(scoped_ipv6, modules),
    Modules.

%% Calls from this application's modules to others: {From, ToModule,
%% ToFunction}.
external_calls() ->
    Ours = modules(),
    lists:usort([{From, To, F} || {{From, _, _}, {To, F, _}} <- xref_query(functions, "XC"),
                                  lists:member(From, Ours), not lists:member(To, Ours)]).

%% Calls between this application's modules.
edges() ->
    Ours = modules(),
    lists:usort([{From, To} || {From, To} <- xref_query(modules, "ME"), From =/= To,
                               lists:member(From, Ours), lists:member(To, Ours)]).

%% xref's answer to `Query' on this application's ebin.
xref_query(Mode, Query) ->
    Ebin = filename:dirname(code:which(scoped_ipv6)),
    {ok, Xref} = xref:start([{xref_mode, Mode}]),
    try
        {ok, _} = xref:add_directory(Xref, Ebin),
        {ok, Answer} = xref:q(Xref, Query),
        Answer
    after
        xref:stop(Xref)
    end.
