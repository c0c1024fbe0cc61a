%% @private
-module(scoped_ipv6_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    Keeper = #{id => scoped_ipv6_fd_keeper,
               start => {scoped_ipv6_fd_keeper, start_link, []},
               %% Its state is which descriptor to close when which port goes:
               %% lost on a crash (the descriptors then leak rather than
               %% close under a live port), so nothing but monitors and NIF
               %% calls run in it.
               restart => permanent},
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10}, [Keeper]}}.
