%% The application's .app facts, checked against what it does.
-module(scoped_ipv6_app_tests).

-include_lib("eunit/include/eunit.hrl").

%% `registered' is what systools checks a release's names against: every
%% name our processes take, those the application starts and those the
%% distribution carrier starts in kernel's net_sup (each registered under
%% its module's name, the child id).
registered_list_is_true_test() ->
    _ = application:stop(scoped_ipv6),
    Before = erlang:registered(),
    {ok, _} = application:ensure_all_started(scoped_ipv6),
    Started = erlang:registered() -- Before,
    {ok, Carrier} = scoped_ipv6_dist:childspecs(),
    {ok, Listed} = application:get_key(scoped_ipv6, registered),
    ?assertEqual(lists:usort(Started ++ [Id || #{id := Id} <- Carrier]), lists:sort(Listed)).
