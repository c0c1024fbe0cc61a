%% @private
-module(scoped_ipv6_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) -> {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    %% The multicast DNS cache's table lives as long as its owner.
    Cache = #{id => scoped_ipv6_mdns_cache,
              start => {scoped_ipv6_mdns_cache, start_link, []}},
    %% The responder for this host's own name.local, when configured.
    Responder = case scoped_ipv6_mdns_responder:config() of
                    {ok, Config} ->
                        [#{id => scoped_ipv6_mdns_responder,
                           start => {scoped_ipv6_mdns_responder, start_link, [Config]}}];
                    none ->
                        []
                end,
    %% What the responder and the watches multicast, each given the
    %% other's (a pg scope): before both, which join it.
    Multicast = #{id => scoped_ipv6_mdns_multicast,
                  start => {scoped_ipv6_mdns_multicast, start_link, []}},
    %% Continuous browses (scoped_ipv6:watch/2), one child each.
    Watches = #{id => scoped_ipv6_watch_sup, start => {scoped_ipv6_watch_sup, start_link, []},
                type => supervisor},
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10},
          [Cache, Multicast, Watches | Responder]}}.
