%% Every example in the public Erlang modules' docs runs, one EUnit test
%% each, as written: the code between ``` and ''' in their comments (what
%% edoc shows, and h/2 in the shell). Two kinds:
%%
%%   Pattern = Expr, ...          run as Erlang; every match must hold
%%   1> Expr.                     a shell session: each Expr is run and its
%%   Result                       value must match the Result printed
%%
%% The examples speak of a link `eth0' (or `usb0') whose peer is fe80::2:
%% they run in the testbed (test/testbed.sh), with `linkA' for that link,
%% and with the peers they name started in sip6-a: a TCP echo on 8080 and a
%% UDP echo on 5353 (test/peers/peer.py, Python's own sockets), and an OTP
%% node `app' whose distribution listens on 40123. Outside the testbed they
%% are not run (and not counted), with the reason printed; CI requires the
%% testbed (SCOPED_IPV6_REQUIRE_TESTBED=1).
-module(scoped_ipv6_examples_tests).

-include_lib("eunit/include/eunit.hrl").

-define(PUBLIC, [scoped_ipv6, scoped_ipv6_tcp, scoped_ipv6_tcp_module, scoped_ipv6_udp,
                 scoped_ipv6_epmd, scoped_ipv6_dist]).

%% Blocks that are not Erlang (a command line and a session of two nodes),
%% and the test that runs what they show.
-define(NOT_ERLANG, [{scoped_ipv6_dist, moduledoc, "test/testbed_dist_test.exs"}]).

every_documented_example_runs_test_() ->
    case in_testbed() of
        true ->
            {setup, fun start_peers/0, fun stop_peers/1,
             [{lists:flatten(io_lib:format("~s:~s example ~b", [M, F, N])),
               {timeout, 30, fun() -> run(M, F, Kind, Text) end}}
              || {M, F, N, Kind, Text} <- examples(), Kind =/= not_erlang]};
        false ->
            case os:getenv("SCOPED_IPV6_REQUIRE_TESTBED") of
                "1" -> [?_assert(error(testbed_required))];
                _ -> io:format(user, "~s: not run: no testbed (run bin/test as root)~n",
                               [?MODULE]),
                     []
            end
    end.

%% Each public function documented with an example, and the blocks that are
%% not Erlang exactly those listed above.
every_public_function_has_an_example_test_() ->
    Examples = examples(),
    [?_assertEqual({M, []}, {M, undocumented(M, Examples)}) || M <- ?PUBLIC, M =/= scoped_ipv6_dist]
    ++ [?_assertEqual([{M, F} || {M, F, _} <- ?NOT_ERLANG],
                      [{M, F} || {M, F, _, not_erlang, _} <- Examples])].

%% The exported functions of `Module' without an example of their own.
undocumented(Module, Examples) ->
    Equivs = equivs(Module),
    Shown = [F || {M, F, _, _, _} <- Examples, M =:= Module],
    [F || {F, _} <- Module:module_info(exports), F =/= module_info,
          not documented_elsewhere(Module, F), not lists:member(F, Equivs),
          not lists:member(F, Shown)].

%% Functions documented as `@equiv' another call, which has the example.
equivs(Module) ->
    {ok, Source} = file:read_file(source(Module)),
    Lines = string:split(unicode:characters_to_list(Source), "\n", all),
    equivs(Lines, false).

equivs([], _Pending) -> [];
equivs(["%% @equiv" ++ _ | Rest], _Pending) -> equivs(Rest, true);
equivs([Line | Rest], true) ->
    case function(Line) of
        none -> equivs(Rest, true);
        F -> [F | equivs(Rest, false)]
    end;
equivs([_ | Rest], false) -> equivs(Rest, false).

%% Callbacks, called by OTP rather than by users: erl_error's
%% format_error/2 (which renders the badarg of a refused option, shown in
%% scoped_ipv6_tcp's connect/4 and scoped_ipv6_udp's open/2 examples).
documented_elsewhere(Module, format_error) when Module =:= scoped_ipv6_tcp;
                                                 Module =:= scoped_ipv6_udp ->
    true;
%% gen_tcp's callbacks, called by gen_tcp: the module's doc shows them
%% through gen_tcp.
documented_elsewhere(scoped_ipv6_tcp_module, _F) ->
    true;
documented_elsewhere(_M, _F) ->
    false.

%% --- reading the examples ---------------------------------------------------

%% [{Module, Function | moduledoc, N, Kind, Text}], N counting per function.
examples() ->
    lists:append([examples(M) || M <- ?PUBLIC]).

examples(Module) ->
    {ok, Source} = file:read_file(source(Module)),
    Lines = string:split(unicode:characters_to_list(Source), "\n", all),
    Blocks = blocks(Lines, moduledoc, none, []),
    number(Module, Blocks, #{}).

source(Module) ->
    filename:join([root(), "src", atom_to_list(Module) ++ ".erl"]).

root() ->
    filename:dirname(filename:dirname(filename:absname(?FILE))).

%% Walks the source: a block opens at a comment line "```" and closes at
%% "'''"; it belongs to the next function defined after it, or to the
%% module when the module attribute comes first.
blocks([], _Owner, _Open, Acc) ->
    lists:reverse(Acc);
blocks([Line | Rest], Owner, none, Acc) ->
    case {comment(Line), Line} of
        {{ok, "```"}, _} -> blocks(Rest, Owner, [], Acc);
        {_, "-module(" ++ _} -> blocks(Rest, after_module, none, owned(Acc, moduledoc));
        {error, _} when Owner =:= after_module -> blocks(Rest, Owner, none, owned(Acc, function(Line)));
        _ -> blocks(Rest, Owner, none, Acc)
    end;
blocks([Line | Rest], Owner, Open, Acc) ->
    case comment(Line) of
        {ok, "'''"} -> blocks(Rest, Owner, none, [{unowned, lists:reverse(Open)} | Acc]);
        {ok, Text} -> blocks(Rest, Owner, [Text | Open], Acc)
    end.

comment("%% " ++ Text) -> {ok, string:trim(Text, trailing)};
comment("%%" ++ Text) -> {ok, string:trim(Text, trailing)};
comment(_) -> error.

%% A function's name from the line defining it, or `none'.
function(Line) ->
    case re:run(Line, "^([a-z][a-zA-Z0-9_]*)\\(", [{capture, all_but_first, list}]) of
        {match, [Name]} -> list_to_atom(Name);
        nomatch -> none
    end.

owned(Acc, none) -> Acc;
owned(Acc, Owner) -> [case B of {unowned, T} -> {Owner, T}; _ -> B end || B <- Acc].

number(Module, [{Owner, Lines} | Rest], Counts) ->
    N = maps:get(Owner, Counts, 0) + 1,
    [{Module, Owner, N, kind(Lines), Lines} | number(Module, Rest, Counts#{Owner => N})];
number(_Module, [], _Counts) ->
    [].

kind(["erl " ++ _ | _]) -> not_erlang;
kind([First | _]) ->
    case re:run(First, "^[0-9]+> ") of
        {match, _} -> session;
        nomatch -> erlang
    end.

%% --- running them ------------------------------------------------------------

run(_Module, _Function, Kind, Lines) ->
    Local = [localize(L) || L <- Lines],
    case Kind of
        erlang -> eval(string:join(Local, "\n"), erl_eval:new_bindings());
        session -> session(Local, erl_eval:new_bindings())
    end.

%% The testbed's link in place of the examples' eth0/usb0.
localize(Line) ->
    re:replace(Line, "\\b(eth0|usb0)\\b", "linkA", [global, {return, list}]).

eval(Text, Bindings) ->
    {ok, Tokens, _} = erl_scan:string(Text),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    {value, Value, Bindings1} = erl_eval:exprs(Exprs, Bindings),
    {Value, Bindings1}.

%% "N> Expr." then the printed result, up to the next prompt.
session([], _Bindings) ->
    ok;
session([Prompt | Rest], Bindings) ->
    {match, [Expr]} = re:run(Prompt, "^[0-9]+> (.*)$", [{capture, all_but_first, list}]),
    {Printed, Next} = lists:splitwith(fun(L) -> re:run(L, "^[0-9]+> ") =:= nomatch end, Rest),
    {Value, Bindings1} = eval(Expr, Bindings),
    {ok, Tokens, _} = erl_scan:string(string:join(Printed, "\n") ++ "."),
    {ok, Expected} = erl_parse:parse_term(Tokens),
    ?assertEqual({Expr, Expected}, {Expr, Value}),
    session(Next, Bindings1).

%% --- the peers the examples name ---------------------------------------------

start_peers() ->
    Python = os:find_executable("python3"),
    Peer = filename:join([root(), "test", "peers", "peer.py"]),
    Eval = "io:format(\"ready~n\"), io:get_line(\"\"), halt().",
    [spawn_in("sip6-a", [Python, Peer, "tcp-echo", "8080"]),
     spawn_in("sip6-a", [Python, Peer, "udp-echo", "5353", "a"]),
     spawn_in("sip6-a", [os:find_executable("erl"), "-sname", "app", "-setcookie", "scoped",
                         "-noshell", "-kernel", "inet_dist_listen_min", "40123",
                         "inet_dist_listen_max", "40123", "-eval", Eval])].

stop_peers(Peers) ->
    [begin
         {os_pid, Pid} = erlang:port_info(Port, os_pid),
         os:cmd("kill " ++ integer_to_list(Pid)),
         try port_close(Port) catch error:badarg -> closed end
     end || Port <- Peers],
    os:cmd("ip netns exec sip6-a epmd -kill"),
    ok.

%% `ip netns exec' execs the command: the port's OS pid is the peer's.
spawn_in(Namespace, [Executable | Args]) ->
    Ip = os:find_executable("ip"),
    Port = open_port({spawn_executable, Ip},
                     [{args, ["netns", "exec", Namespace, Executable | Args]},
                      {line, 256}, binary, exit_status]),
    receive
        {Port, {data, {eol, <<"ready">>}}} -> Port
    after 15000 ->
        error({peer_not_ready, Args})
    end.

in_testbed() ->
    os:getenv("SCOPED_IPV6_TESTBED") =:= "1" andalso
        filelib:is_file("/sys/class/net/linkA").
