%% @private
%% Opens the ports that adopt our descriptors, and closes each descriptor
%% once its port is gone: the inet driver never closes a descriptor it was
%% given (inet_drv.c, `prebound'). Opening the port here, monitoring it,
%% and only then handing it to the caller leaves no moment at which the
%% caller's death could lose a descriptor.
-module(scoped_ipv6_fd_keeper).
-behaviour(gen_server).

-export([start_link/0, adopt/4, count/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-type kind() :: connected | listening | udp.

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc Opens a gen_tcp/gen_udp port on the handed-over descriptor, with
%% `PortOpts', and makes the caller its controlling process. The descriptor
%% is closed when the port closes, or at once if the port cannot be opened.
-spec adopt(kind(), reference(), inet | inet6, [term()]) ->
    {ok, port()} | {error, term()}.
adopt(Kind, Handover, Family, PortOpts) ->
    ensure_started(),
    gen_server:call(?MODULE, {adopt, Kind, Handover, Family, PortOpts, self()}, infinity).

%% @doc How many descriptors are kept open for live ports.
-spec count() -> non_neg_integer().
count() ->
    ensure_started(),
    gen_server:call(?MODULE, count).

%% Used outside a release (erl -pa, escripts), the application may not be
%% started yet: start it on first use rather than fail.
ensure_started() ->
    case whereis(?MODULE) of
        undefined -> {ok, _} = application:ensure_all_started(scoped_ipv6), ok;
        _ -> ok
    end.

-spec init([]) -> {ok, #{reference() => reference()}}.
init([]) ->
    {ok, #{}}.

-spec handle_call(term(), gen_server:from(), map()) -> {reply, term(), map()}.
handle_call({adopt, Kind, Handover, Family, PortOpts, Owner}, _From, Kept) ->
    case open_port(Kind, Handover, Family, PortOpts) of
        {ok, Port} ->
            Monitor = erlang:monitor(port, Port),
            case hand_to(Kind, Port, Owner) of
                ok ->
                    {reply, {ok, Port}, Kept#{Monitor => Handover}};
                {error, _} = Error ->
                    %% The caller died meanwhile: 'DOWN' will close the descriptor.
                    catch erlang:port_close(Port),
                    {reply, Error, Kept#{Monitor => Handover}}
            end;
        {error, _} = Error ->
            scoped_ipv6_nif:handover_close(Handover),
            {reply, Error, Kept}
    end;
handle_call(count, _From, Kept) ->
    {reply, map_size(Kept), Kept}.

-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(_Message, Kept) ->
    {noreply, Kept}.

-spec handle_info(term(), map()) -> {noreply, map()}.
handle_info({'DOWN', Monitor, port, _Port, _Reason}, Kept) ->
    case maps:take(Monitor, Kept) of
        {Handover, Rest} ->
            scoped_ipv6_nif:handover_close(Handover),
            {noreply, Rest};
        error ->
            {noreply, Kept}
    end;
handle_info(_Message, Kept) ->
    {noreply, Kept}.

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

hand_to(udp, Port, Owner) -> gen_udp:controlling_process(Port, Owner);
hand_to(_Tcp, Port, Owner) -> gen_tcp:controlling_process(Port, Owner).
