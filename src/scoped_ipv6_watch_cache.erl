%% @private
%% One link's multicast DNS cache for a continuous browse (RFC 6762
%% section 10), without sockets or clocks (the time is an argument, in
%% ms): records keyed by lower-case name, type and data, each with when it
%% came and its TTL.
%%
%% - A goodbye (TTL 0) leaves its record one more second (section 10.1).
%% - A record with the cache-flush bit gives the other records of its name
%%   and type one more second, unless they came within the last second
%%   (section 10.2: the rest of the same answer).
%% - A record the services need (PTR, SRV and TXT, and the addresses of
%%   SRV targets) is due to be asked again at 80, 85, 90 and 95 % of its
%%   TTL (section 5.2), and goes at 100 %.
%% - Known answers (section 7.1): the PTRs held with more than half their
%%   TTL left.
%%
%% At most ?MAX_RECORDS records: a neighbour flooding the link costs time,
%% never memory; when full, new records are not kept.
%% Which records matter and what they describe is
%% scoped_ipv6_browse_answers'; what changed between two readings is
%% diff/2's.
-module(scoped_ipv6_watch_cache).

-export([new/0, add/3, expire/2, records/2, known/3, due/2, next/1, size/1, diff/2]).

-define(MAX_RECORDS, 512).
-define(MAX_KNOWN, 64).
%% Section 10.1 and 10.2: what is left to a goodbye or a flushed record.
-define(GRACE, 1000).
%% Section 5.2: percentages of the TTL at which a record is asked again.
-define(REFRESH, [80, 85, 90, 95]).

-record(entry, {name :: string(), type :: atom() | integer(), data :: term(),
                ttl :: non_neg_integer(), received :: integer(),
                %% ms at which it goes
                expires :: integer(),
                %% refresh queries sent for it since it came (0..4)
                asked :: 0..4,
                %% in its last second (a goodbye, or flushed)
                leaving = false :: boolean()}).

-opaque cache() :: #{{string(), atom() | integer(), term()} => #entry{}}.
-type wire() :: {{string(), atom() | integer(), term(), non_neg_integer()}, boolean()}.
-export_type([cache/0]).

-spec new() -> cache().
new() ->
    #{}.

-spec size(cache()) -> non_neg_integer().
size(Cache) ->
    map_size(Cache).

%% @doc Records as read from one answer (`{{Owner, Type, Data, TTL},
%% Flush}', scoped_ipv6_dns:parse_flagged/2), received at `Now'.
-spec add([wire()], integer(), cache()) -> cache().
add(Records, Now, Cache) ->
    lists:foldl(fun(R, Acc) -> add_one(R, Now, Acc) end, Cache, Records).

add_one({{Name, Type, Data, 0}, _Flush}, Now, Cache) when is_list(Name) ->
    Key = key(Name, Type, Data),
    case maps:find(Key, Cache) of
        {ok, E} -> Cache#{Key := goodbye(E, Now)};
        error -> Cache
    end;
add_one({{Name, Type, Data, TTL}, Flush}, Now, Cache)
  when is_list(Name), is_integer(TTL), TTL > 0, is_boolean(Flush) ->
    Key = key(Name, Type, Data),
    Flushed = case Flush of
                  true -> flush(Key, Now, Cache);
                  false -> Cache
              end,
    Entry = #entry{name = Name, type = Type, data = Data, ttl = TTL, received = Now,
                   expires = Now + TTL * 1000, asked = 0},
    case maps:is_key(Key, Flushed) orelse map_size(Flushed) < ?MAX_RECORDS of
        true -> Flushed#{Key => Entry};
        false -> Flushed
    end;
add_one(_Malformed, _Now, Cache) ->
    Cache.

%% One second left, and nothing more asked for it.
goodbye(#entry{expires = Expires} = E, Now) ->
    E#entry{expires = min(Expires, Now + ?GRACE), asked = length(?REFRESH), leaving = true}.

%% The other records of the name and type, received over a second ago.
flush({Owner, Type, _} = Key, Now, Cache) ->
    maps:map(fun({O, T, _} = K, #entry{received = R} = E)
                   when O =:= Owner, T =:= Type, K =/= Key, R < Now - ?GRACE ->
                     goodbye(E, Now);
                (_K, E) ->
                     E
             end, Cache).

%% @doc Without the records that have gone by `Now'.
-spec expire(integer(), cache()) -> cache().
expire(Now, Cache) ->
    maps:filter(fun(_K, #entry{expires = X}) -> X > Now end, Cache).

%% @doc The records held at `Now', as scoped_ipv6_browse_answers reads
%% them (`{Owner, Type, Data, TTL}', the TTL what is left, at least 1 s),
%% oldest first, those in their last second after the others (a new SRV
%% or TXT that flushed the old one is the one services/2 takes).
-spec records(integer(), cache()) -> [{string(), atom() | integer(), term(), pos_integer()}].
records(Now, Cache) ->
    Live = lists:sort([{L, R, E} || #entry{received = R, expires = X, leaving = L} = E
                                        <- maps:values(Cache), X > Now]),
    [{N, T, D, max(1, (X - Now) div 1000)}
     || {_, _, #entry{name = N, type = T, data = D, expires = X}} <- Live].

%% @doc The known answers for a PTR question to `Owner' (lower case):
%% the PTRs from it held with more than half their TTL left, with what
%% is left (section 7.1), at most 64.
-spec known(string(), integer(), cache()) -> [{string(), ptr, string(), pos_integer()}].
known(Owner, Now, Cache) ->
    Held = [{N, ptr, D, (X - Now) div 1000}
            || {{O, ptr, _}, #entry{name = N, data = D, ttl = TTL, expires = X}}
                   <- lists:sort(maps:to_list(Cache)),
               O =:= Owner, (X - Now) * 2 > TTL * 1000, TTL > 0],
    lists:sublist(Held, ?MAX_KNOWN).

%% @doc The questions due at `Now' for the records the services need,
%% each `{Name, Type}' once, and the cache with them counted as asked.
-spec due(integer(), cache()) -> {[{string(), atom() | integer()}], cache()}.
due(Now, Cache) ->
    Needed = needed(Cache),
    maps:fold(fun(K, E, {Questions, Acc}) ->
                      case Needed(K, E) andalso passed(E, Now) of
                          Asked when is_integer(Asked), Asked > E#entry.asked ->
                              Q = {E#entry.name, E#entry.type},
                              {[Q || not lists:member(Q, Questions)] ++ Questions,
                               Acc#{K := E#entry{asked = Asked}}};
                          _ ->
                              {Questions, Acc}
                      end
              end, {[], Cache}, Cache).

%% How many of the refresh points have passed at `Now'.
passed(#entry{received = R, ttl = TTL}, Now) ->
    length([P || P <- ?REFRESH, Now >= point(R, TTL, P)]).

point(Received, TTL, Percent) ->
    Received + TTL * 10 * Percent.

%% PTR, SRV and TXT (all of them about the type: relevant/2 kept no
%% other), and the addresses of the hosts an SRV names.
needed(Cache) ->
    Targets = maps:from_list([{scoped_ipv6_dns:lower(T), true}
                              || #entry{type = srv, data = {_, _, _, T}} <- maps:values(Cache),
                                 is_list(T)]),
    fun({_O, T, _}, _E) when T =:= ptr; T =:= srv; T =:= txt -> true;
       ({O, _T, _}, _E) -> maps:is_key(O, Targets)
    end.

%% @doc When something is next due: a record going, or one to ask again;
%% `infinity' when nothing is held.
-spec next(cache()) -> integer() | infinity.
next(Cache) ->
    Needed = needed(Cache),
    Times = lists:append(
              [[X | [point(R, TTL, lists:nth(A + 1, ?REFRESH))
                     || A < length(?REFRESH), Needed(K, E)]]
               || {K, #entry{expires = X, received = R, ttl = TTL, asked = A} = E}
                      <- maps:to_list(Cache)]),
    lists:min([infinity | Times]).

%% @doc What changed from `Old' to `New' (services by name, as the watch
%% shows them): `{up, S}' for a name new in `New', `{changed, S}' for one
%% in both that differs (port, host, TXT, addresses), `{down, S}' for one
%% gone (as it was last), in name order, downs first.
-spec diff(#{term() => map()}, #{term() => map()}) ->
    [{up | changed | down, map()}].
diff(Old, New) ->
    [{down, S} || {K, S} <- lists:sort(maps:to_list(Old)), not maps:is_key(K, New)] ++
        lists:append([case maps:find(K, Old) of
                          error -> [{up, S}];
                          {ok, S} -> [];
                          {ok, _Other} -> [{changed, S}]
                      end || {K, S} <- lists:sort(maps:to_list(New))]).

key(Name, Type, Data) ->
    {scoped_ipv6_dns:lower(Name), Type, Data}.
