%% @private
%% The continuous browses (scoped_ipv6_watch), one process each, started
%% on demand and never restarted: a watch that ends is told to its owner
%% as its monitor's 'DOWN'.
-module(scoped_ipv6_watch_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    Watch = #{id => scoped_ipv6_watch, start => {scoped_ipv6_watch, start_link, []},
              restart => temporary, shutdown => 1000},
    {ok, {#{strategy => simple_one_for_one, intensity => 5, period => 10}, [Watch]}}.
