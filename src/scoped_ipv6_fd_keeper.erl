%% @private
%% Closes each descriptor we handed to the inet driver once the port that
%% adopted it is gone: the driver never closes a descriptor it was given
%% (inet_drv.c, `prebound').
%%
%% The caller opens the port itself, so a connect costs no round trip to
%% this process; it tells us with two casts around the opening:
%%   {expect, Handover, Caller}   before: we monitor the caller;
%%   {adopted, Handover, Port}    after: we monitor the port instead.
%% Signals from one process arrive in order, and its 'DOWN' after them, so
%% a caller's 'DOWN' while still expected means it died in between. Then a
%% live port with that descriptor is monitored if there is one; otherwise
%% the descriptor is closed after ?LATE_CLOSE_MS, time for a port that is
%% still exiting to leave the poll set before the number can be reused.
%%
%% A port's 'DOWN' does not close at once either: the descriptor goes to a
%% graveyard, swept every ?SWEEP_MS against one erlang:ports() snapshot,
%% and is closed once its port is no longer listed. An exiting port is
%% listed while the driver may still have the descriptor in the poll set;
%% closing under it would let the number be reused, and the next port to
%% get it would find it "stolen" (seen once in 100,000 soak cycles).
-module(scoped_ipv6_fd_keeper).
-behaviour(gen_server).

-export([start_link/0, adopt/4, count/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(LATE_CLOSE_MS, 1000).
-define(SWEEP_MS, 100).

-type kind() :: connected | listening | udp.

%% @doc Starts the keeper; `ignore' when one runs already: the
%% distribution carrier starts one in kernel's net_sup before this
%% application's supervisor would.
-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    case gen_server:start_link({local, ?MODULE}, ?MODULE, [], []) of
        {error, {already_started, _}} -> ignore;
        Result -> Result
    end.

%% @doc Opens a gen_tcp/gen_udp port on the handed-over descriptor, in the
%% calling process, with `PortOpts'. The descriptor is closed when the port
%% closes, or at once if the port cannot be opened.
-spec adopt(kind(), reference(), inet | inet6, [term()]) ->
    {ok, port()} | {error, term()}.
adopt(Kind, Handover, Family, PortOpts) ->
    Keeper = keeper(),
    gen_server:cast(Keeper, {expect, Handover, self()}),
    case open_port(Kind, Handover, Family, PortOpts) of
        {ok, Port} = Ok ->
            gen_server:cast(Keeper, {adopted, Handover, Port}),
            Ok;
        {error, _} = Error ->
            %% No port uses it: close it now, so the caller sees it gone.
            scoped_ipv6_nif:handover_close(Handover),
            gen_server:cast(Keeper, {failed, Handover}),
            Error
    end.

%% @doc How many descriptors are kept open for live ports (or callers).
-spec count() -> non_neg_integer().
count() ->
    gen_server:call(keeper(), count).

%% Used outside a release (erl -pa, escripts), the application may not be
%% started yet: start it on first use rather than fail.
keeper() ->
    case whereis(?MODULE) of
        undefined ->
            {ok, _} = application:ensure_all_started(scoped_ipv6),
            whereis(?MODULE);
        Pid ->
            Pid
    end.

open_port(Kind, Handover, Family, PortOpts) ->
    case scoped_ipv6_nif:handover_adopt(Handover) of
        {ok, Fd} ->
            Opts = [Family, {active, false} | PortOpts],
            try
                case Kind of
                    connected -> gen_tcp:fdopen(Fd, Opts);
                    listening -> gen_tcp:listen(0, [{fd, Fd} | Opts]);
                    udp -> gen_udp:open(0, [{fd, Fd} | Opts])
                end
            catch
                _:_ -> {error, einval}
            end;
        {error, _} = Error ->
            Error
    end.

%% --- the keeper -----------------------------------------------------------------

-spec init([]) -> {ok, map()}.
init([]) ->
    %% expected: Handover => caller monitor; monitors: monitor => Handover;
    %% graveyard: [{Port, Handover}] waiting for their port to be gone.
    {ok, #{expected => #{}, monitors => #{}, graveyard => []}}.

-spec handle_call(term(), gen_server:from(), map()) -> {reply, term(), map()}.
handle_call(count, _From, #{monitors := Monitors, graveyard := Graveyard} = State) ->
    {reply, map_size(Monitors) + length(Graveyard), State}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast({expect, Handover, Caller}, State) ->
    Monitor = erlang:monitor(process, Caller),
    {noreply, watch(Monitor, Handover, expect(Handover, Monitor, State))};
handle_cast({adopted, Handover, Port}, State0) ->
    State = unexpect(Handover, State0),
    {noreply, watch(erlang:monitor(port, Port), Handover, State)};
handle_cast({failed, Handover}, State) ->
    {noreply, unexpect(Handover, State)}.

-spec handle_info(term(), map()) -> {noreply, map()}.
handle_info({'DOWN', Monitor, Type, Object, _}, #{monitors := Monitors} = State) ->
    case maps:take(Monitor, Monitors) of
        {Handover, Rest} when Type =:= port ->
            {noreply, bury(Object, Handover, State#{monitors := Rest})};
        {Handover, Rest} ->
            %% The caller died between its two casts.
            State1 = forget_expected(Handover, State#{monitors := Rest}),
            {noreply, caller_died(Handover, State1)};
        error ->
            {noreply, State}
    end;
handle_info({late_close, Handover}, State) ->
    scoped_ipv6_nif:handover_close(Handover),
    {noreply, State};
handle_info(sweep, #{graveyard := Graveyard} = State) ->
    Listed = maps:from_keys(erlang:ports(), true),
    Still = [Grave || {Port, Handover} = Grave <- Graveyard,
                      is_map_key(Port, Listed) orelse close(Handover)],
    [erlang:send_after(?SWEEP_MS, self(), sweep) || Still =/= []],
    {noreply, State#{graveyard := Still}};
handle_info(_Message, State) ->
    {noreply, State}.

bury(Port, Handover, #{graveyard := Graveyard} = State) ->
    [erlang:send_after(?SWEEP_MS, self(), sweep) || Graveyard =:= []],
    State#{graveyard := [{Port, Handover} | Graveyard]}.

close(Handover) ->
    scoped_ipv6_nif:handover_close(Handover),
    false.

caller_died(Handover, State) ->
    case port_using(Handover) of
        {ok, Port} ->
            watch(erlang:monitor(port, Port), Handover, State);
        none ->
            erlang:send_after(?LATE_CLOSE_MS, self(), {late_close, Handover}),
            State
    end.

port_using(Handover) ->
    case scoped_ipv6_nif:handover_adopt(Handover) of
        {ok, Fd} ->
            Using = [P || P <- erlang:ports(), erlang:port_info(P, name) =:= {name, "tcp_inet"}
                                  orelse erlang:port_info(P, name) =:= {name, "udp_inet"},
                          inet:getfd(P) =:= {ok, Fd}],
            case Using of
                [Port | _] -> {ok, Port};
                [] -> none
            end;
        {error, closed} ->
            none
    end.

expect(Handover, Monitor, #{expected := Expected} = State) ->
    State#{expected := Expected#{Handover => Monitor}}.

unexpect(Handover, #{expected := Expected, monitors := Monitors} = State) ->
    case maps:take(Handover, Expected) of
        {Monitor, Rest} ->
            erlang:demonitor(Monitor, [flush]),
            State#{expected := Rest, monitors := maps:remove(Monitor, Monitors)};
        error ->
            State
    end.

forget_expected(Handover, #{expected := Expected} = State) ->
    State#{expected := maps:remove(Handover, Expected)}.

watch(Monitor, Handover, #{monitors := Monitors} = State) ->
    State#{monitors := Monitors#{Monitor => Handover}}.
