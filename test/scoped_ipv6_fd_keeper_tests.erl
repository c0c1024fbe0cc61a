%% The keeper's rarest path, driven directly: a caller that dies between
%% its two casts ({expect, ...} sent, {adopted, ...} never) loses no
%% descriptor, whether or not it had opened the port.
-module(scoped_ipv6_fd_keeper_tests).

-include_lib("eunit/include/eunit.hrl").

caller_dies_between_casts_test_() ->
    {timeout, 30, [fun() -> dies_between(with_port) end,
                   fun() -> dies_between(before_port) end]}.

dies_between(When) ->
    {ok, _} = application:ensure_all_started(scoped_ipv6),
    Baseline = fd_count(),
    Loopback = {0, 0, 0, 0, 0, 0, 0, 1},
    {ok, Handover} = scoped_ipv6_nif:tcp_listen(Loopback, 0, 0, #{}, 5),
    ?assertEqual(Baseline + 1, fd_count()),
    {Caller, Monitor} =
        spawn_monitor(fun() ->
            gen_server:cast(scoped_ipv6_fd_keeper, {expect, Handover, self()}),
            case When of
                with_port ->
                    {ok, Fd} = scoped_ipv6_nif:handover_adopt(Handover),
                    {ok, _Port} = gen_tcp:listen(0, [inet6, {fd, Fd}]);
                before_port ->
                    ok
            end,
            exit(died_between_casts)
        end),
    receive {'DOWN', Monitor, process, Caller, died_between_casts} -> ok end,
    %% Not closed at once (a port may still be leaving the poll set)...
    ?assertEqual(Baseline + 1, fd_count()),
    %% ...but closed soon after, exactly once.
    ?assertEqual(ok, wait_for(fun() -> fd_count() =:= Baseline end, 100)),
    ?assertEqual({error, closed}, scoped_ipv6_nif:handover_adopt(Handover)).

fd_count() ->
    {ok, Fds} = file:list_dir("/proc/self/fd"),
    length(Fds).

wait_for(_Check, 0) -> timeout;
wait_for(Check, Tries) ->
    case Check() of
        true -> ok;
        false -> timer:sleep(50), wait_for(Check, Tries - 1)
    end.
