%% Loaded on the benchmark's nodes (bench/dist.exs): round trips to another
%% node, timed on the calling node.
-module(dist_rpc).
-export([rpc_calls/2, echo/0, messages/3]).

%% Mean microseconds per `rpc:call(Node, erlang, node, [])'.
-spec rpc_calls(node(), pos_integer()) -> float().
rpc_calls(Node, N) ->
    Node = rpc:call(Node, erlang, node, []),
    T0 = erlang:monotonic_time(),
    rpc_loop(Node, N),
    per_call(T0, N).

rpc_loop(_Node, 0) -> ok;
rpc_loop(Node, N) -> Node = rpc:call(Node, erlang, node, []), rpc_loop(Node, N - 1).

%% Mean microseconds per message round trip of `Size' bytes to an echo
%% process on `Node'.
-spec messages(node(), pos_integer(), non_neg_integer()) -> float().
messages(Node, N, Size) ->
    Echo = spawn(Node, ?MODULE, echo, []),
    Payload = binary:copy(<<"x">>, Size),
    round_trip(Echo, Payload),
    T0 = erlang:monotonic_time(),
    [round_trip(Echo, Payload) || _ <- lists:seq(1, N)],
    Time = per_call(T0, N),
    Echo ! stop,
    Time.

round_trip(Echo, Payload) ->
    Echo ! {self(), Payload},
    receive {Echo, Payload} -> ok end.

-spec echo() -> ok.
echo() ->
    receive
        {From, Payload} -> From ! {self(), Payload}, echo();
        stop -> ok
    end.

per_call(T0, N) ->
    erlang:convert_time_unit(erlang:monotonic_time() - T0, native, nanosecond) / N / 1000.
