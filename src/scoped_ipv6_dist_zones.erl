%% @private
%% Which link reaches a node named by a link-local address: the zone choice
%% of the `scoped_ipv6' distribution carrier.
%%
%% The order of the choice, and why, is written once, in the README's
%% "Names, and how the link is chosen": a pin (pinned/1, and nothing else
%% when there is one), the zone in the name and the learned link
%% (first_known/4, each given ?KNOWN_MS), then probing every link
%% (probe/3, ?SETTLE_MS for the others once one has answered).
-module(scoped_ipv6_dist_zones).
-behaviour(gen_server).

-export([start_link/0, locate/2, learn/2, split_node/1]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(TABLE, ?MODULE).
%% How long other links may still answer once one has: see probe/3.
-define(SETTLE_MS, 200).
%% How long a zone from the name or from a past handshake may take to
%% answer before probing takes over (a live link answers in milliseconds).
-define(KNOWN_MS, 1000).

-type located() :: {ok, scoped_ipv6:address(), inet:port_number(),
                    Version :: non_neg_integer()}.

%% @doc Starts the owner of the learned-zones table (with the carrier, in
%% kernel's net_sup).
-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc The address and port of `Node', and epmd's protocol version.
-spec locate(node(), timeout()) -> located() | {error, term()}.
locate(Node, Timeout) ->
    case split_node(Node) of
        {ok, Name, Host} -> locate(Node, Name, Host, Timeout);
        error -> {error, {bad_node_name, Node}}
    end.

%% @doc Remembers the link on which `Node' completed a handshake.
-spec learn(node(), non_neg_integer()) -> ok.
learn(Node, Index) when Index > 0 ->
    case scoped_ipv6_addr:if_name(Index) of
        {ok, Link} ->
            %% The table is gone only while the carrier stops: nothing to keep.
            try ets:insert(?TABLE, {Node, Link}) of
                true -> ok
            catch
                error:badarg -> ok
            end;
        {error, _} -> ok
    end;
learn(_Node, 0) ->
    ok.

%% @doc `name@host' as `{ok, Name, Host}'; exactly one `@', neither empty.
-spec split_node(node()) -> {ok, string(), string()} | error.
split_node(Node) when is_atom(Node) ->
    case string:split(atom_to_list(Node), "@") of
        [Name, Host] when Name =/= [], Host =/= [] ->
            case lists:member($@, Host) of
                false -> {ok, Name, Host};
                true -> error
            end;
        _ ->
            error
    end;
split_node(_) ->
    error.

%% --- the choice -------------------------------------------------------------

locate(Node, Name, Host, Timeout) ->
    case scoped_ipv6_addr:parse(Host) of
        {ok, {Ip, Zone}} -> choose(Node, Name, Ip, [Zone], Timeout);
        {ok, Ip} ->
            case scoped_ipv6_addr:needs_scope(Ip) of
                true -> choose(Node, Name, Ip, [], Timeout);
                false -> ask(Name, Ip, Timeout)
            end;
        {error, einval} ->
            %% A host name: getaddrinfo keeps a scope if the answer has one.
            case scoped_ipv6_dest:resolve(Host, Timeout) of
                {ok, Address} -> port_of(Name, Address, Timeout);
                {error, _} = Error -> Error
            end
    end.

choose(Node, Name, Ip, NameZone, Timeout) ->
    case pinned(Node) of
        {ok, Zone} ->
            ask(Name, {Ip, Zone}, Timeout);
        none ->
            Here = [Z || Z <- NameZone, {ok, _} <- [scoped_ipv6_dest:interface_index(Z)]],
            Known = lists:uniq(Here ++ learned(Node)),
            first_known(Name, Ip, Known, deadline(Timeout))
    end.

first_known(Name, Ip, [Zone | Rest], Deadline) ->
    %% A known link gone silent must not use up the time left to probe.
    case ask(Name, {Ip, Zone}, min(?KNOWN_MS, remaining(Deadline))) of
        {ok, _, _, _} = Found -> Found;
        _NotThere -> first_known(Name, Ip, Rest, Deadline)
    end;
first_known(Name, Ip, [], Deadline) ->
    probe(Name, Ip, remaining(Deadline)).

%% Every candidate link at once. Once a link has answered with a port, the
%% others get ?SETTLE_MS more (a second answer means ambiguity); a link
%% still silent then, typically one without that address (neighbour
%% discovery fails and TCP retries until the setup time is up), is not
%% waited for.
probe(Name, Ip, Timeout) ->
    Self = self(),
    Asks = maps:from_list(
             [{spawn_link(fun() -> Self ! {probed, self(), ask(Name, {Ip, Link}, Timeout)} end),
               Link} || Link <- links()]),
    case map_size(Asks) of
        0 -> {error, no_link};
        _ -> verdict(collect(Asks, [], infinity))
    end.

collect(Asks, Answers, _Settle) when map_size(Asks) =:= 0 ->
    Answers;
collect(Asks, Answers, Settle) ->
    receive
        {probed, Pid, Answer} when is_map_key(Pid, Asks) ->
            {Link, Rest} = maps:take(Pid, Asks),
            Next = case Answer of
                       {ok, _, _, _} when Settle =:= infinity -> deadline(?SETTLE_MS);
                       _ ->
                           Settle
                   end,
            collect(Rest, [{Link, Answer} | Answers], Next)
    after remaining(Settle) ->
        maps:foreach(fun(Pid, _Link) -> stop_asking(Pid) end, Asks),
        [{Link, timeout} || Link <- maps:values(Asks)] ++ Answers
    end.

%% Its pending connect closes with it. Its answer, if it sent one first, is
%% in the mailbox before its 'DOWN': flushed, as it would reach the
%% connection process that this one becomes.
stop_asking(Pid) ->
    Monitor = erlang:monitor(process, Pid),
    unlink(Pid),
    exit(Pid, kill),
    receive {'DOWN', Monitor, process, Pid, _} -> ok end,
    receive {probed, Pid, _} -> ok after 0 -> ok end.

verdict(Answers) ->
    case [{Link, Found} || {Link, {ok, _, _, _} = Found} <- Answers] of
        [{_Link, Found}] -> Found;
        [] -> {error, {not_found, lists:sort(Answers)}};
        Several -> {error, {ambiguous, lists:sort([Link || {Link, _} <- Several])}}
    end.

deadline(infinity) -> infinity;
deadline(Timeout) -> erlang:monotonic_time(millisecond) + Timeout.

remaining(infinity) -> infinity;
remaining(Deadline) -> max(0, Deadline - erlang:monotonic_time(millisecond)).

%% The port query, at any address form; `-erl_epmd_port P' (no epmd)
%% fixes the port instead.
ask(Name, Address, Timeout) ->
    case scoped_ipv6_dest:resolve(Address, Timeout) of
        {ok, Resolved} -> port_of(Name, Resolved, Timeout);
        {error, _} = Error -> Error
    end.

port_of(Name, {Ip, Scope}, Timeout) ->
    Address = case Scope of 0 -> Ip; _ -> {Ip, Scope} end,
    case init:get_argument(erl_epmd_port) of
        {ok, [[Port | _] | _]} ->
            {ok, Address, list_to_integer(Port), 6};
        _ ->
            case scoped_ipv6_epmd_query:port_please(Name, Address, Timeout) of
                {ok, Port, Version} -> {ok, Address, Port, Version};
                noport -> {error, noport};
                {error, _} = Error -> Error
            end
    end.

%% Links that can carry a link-local address: up, not loopback, with one
%% assigned (not still in duplicate address detection).
links() ->
    case scoped_ipv6_addr:assigned_interfaces() of
        {ok, Interfaces} ->
            [Link || #{name := Link, flags := Flags} = Interface <- Interfaces,
                     lists:member(up, Flags), not lists:member(loopback, Flags),
                     scoped_ipv6_addr:link_local(Interface) =/= none];
        {error, _} ->
            []
    end.

pinned(Node) ->
    load_env(),
    Pins = application:get_env(scoped_ipv6, dist_zones, []),
    case lists:keyfind(Node, 1, pins(Pins)) of
        {Node, Zone} -> {ok, Zone};
        false -> none
    end.

pins(Pins) when is_map(Pins) -> maps:to_list(Pins);
pins(Pins) when is_list(Pins) -> Pins.

%% Outside a release the application may not be loaded yet, and
%% `-scoped_ipv6 dist_zones ...' then not in its env. Loading is safe even
%% while kernel starts: the application controller starts applications from
%% a process of their own and answers meanwhile.
load_env() ->
    _ = application:load(scoped_ipv6),
    ok.

learned(Node) ->
    try ets:lookup(?TABLE, Node) of
        [{Node, Link}] -> [Link];
        [] -> []
    catch
        error:badarg -> []
    end.

%% --- the table's owner ------------------------------------------------------

-spec init([]) -> {ok, nil}.
init([]) ->
    ?TABLE = ets:new(?TABLE, [named_table, public, {read_concurrency, true}]),
    {ok, nil}.

-spec handle_call(term(), gen_server:from(), nil) -> {reply, ok, nil}.
handle_call(_Request, _From, State) ->
    {reply, ok, State}.

-spec handle_cast(term(), nil) -> {noreply, nil}.
handle_cast(_Request, State) ->
    {noreply, State}.
