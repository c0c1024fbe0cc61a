%% @private
%% The multicast DNS cache: what each link answered for a name, until its
%% TTL runs out (RFC 6762 section 10). A record with the cache-flush bit
%% replaces that link's records of its type for the name (section 10.2;
%% the one-second grace for records just received is not kept); a TTL of
%% 0 removes its record (a "goodbye", section 10.1).
%%
%% An ETS table owned by this server, under the application's supervisor;
%% lookups and stores run in the caller (a public table), the server only
%% owns it. At most ?MAX_KEYS names-and-links: when full, expired entries
%% go first, and if none has expired the new answer is not cached.
%% Without the application (table missing) nothing is cached.
-module(scoped_ipv6_mdns_cache).
-behaviour(gen_server).

-export([start_link/0, lookup/4, store/4, clear/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(TABLE, scoped_ipv6_mdns_cache).
-define(MAX_KEYS, 512).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% @doc The cached, unexpired addresses for `Name' (lowercase) of `Types'
%% on each of `Links', in that order; links without any are left out.
-spec lookup(string(), [a | aaaa], [pos_integer()], integer()) ->
    [{pos_integer(), [inet:ip_address()]}].
lookup(Name, Types, Links, Now) ->
    [{Index, Ips} || Index <- Links,
                     Ips <- [[Ip || {Ip, Type, Expires} <- entries({Name, Index}),
                                    Expires > Now, lists:member(Type, Types)]],
                     Ips =/= []].

%% @doc Stores a link's answer (`{Ip, TTL, Flush}' records) for `Name'.
-spec store(string(), pos_integer(), [{inet:ip_address(), non_neg_integer(), boolean()}],
            integer()) -> ok.
store(Name, Index, Records, Now) ->
    Key = {Name, Index},
    Old = [E || {_, _, Expires} = E <- entries(Key), Expires > Now],
    New = lists:foldl(fun(Record, Acc) -> merge(Record, Acc, Records, Now) end, Old, Records),
    try
        case New of
            [] -> ets:delete(?TABLE, Key);
            _ -> room(Key, Now) andalso ets:insert(?TABLE, {Key, New})
        end,
        ok
    catch
        error:badarg -> ok
    end.

%% @doc Forgets everything.
-spec clear() -> ok.
clear() ->
    try ets:delete_all_objects(?TABLE), ok
    catch error:badarg -> ok
    end.

merge({Ip, TTL, Flush}, Acc, Records, Now) ->
    Type = type(Ip),
    Kept = case Flush of
               %% Flush: only this answer's records of that type remain.
               true -> [E || {OldIp, T, _} = E <- Acc,
                             T =/= Type orelse lists:keymember(OldIp, 1, Records)];
               false -> Acc
           end,
    Without = lists:keydelete(Ip, 1, Kept),
    case TTL of
        0 -> Without;
        _ -> [{Ip, Type, Now + TTL * 1000} | Without]
    end.

type(Ip) when tuple_size(Ip) =:= 8 -> aaaa;
type(_) -> a.

entries(Key) ->
    try ets:lookup(?TABLE, Key) of
        [{_, Entries}] -> Entries;
        [] -> []
    catch
        error:badarg -> []
    end.

room(Key, Now) ->
    ets:member(?TABLE, Key) orelse ets:info(?TABLE, size) < ?MAX_KEYS orelse
        begin
            Expired = [K || {K, Entries} <- ets:tab2list(?TABLE),
                            lists:all(fun({_, _, Expires}) -> Expires =< Now end, Entries)],
            [ets:delete(?TABLE, K) || K <- Expired],
            ets:info(?TABLE, size) < ?MAX_KEYS
        end.

%% --- the table's owner --------------------------------------------------------

%% @private gen_server callback.
-spec init([]) -> {ok, ets:tid() | atom()}.
init([]) ->
    {ok, ets:new(?TABLE, [named_table, public, set, {read_concurrency, true}])}.

%% @private gen_server callback.
-spec handle_call(term(), gen_server:from(), term()) -> {reply, ok, term()}.
handle_call(_Request, _From, State) ->
    {reply, ok, State}.

%% @private gen_server callback.
-spec handle_cast(term(), term()) -> {noreply, term()}.
handle_cast(_Message, State) ->
    {noreply, State}.

%% @private gen_server callback.
-spec handle_info(term(), term()) -> {noreply, term()}.
handle_info(_Message, State) ->
    {noreply, State}.
