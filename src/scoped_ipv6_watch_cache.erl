%% @private
%% One link's multicast DNS cache for a watch (RFC 6762 section 10),
%% without sockets or clocks (the time is an argument, in ms; the one
%% thing drawn at random is section 5.2's 2 %): records keyed by
%% lower-case name, type and data, each with when it came and its TTL,
%% and the questions the watch keeps asking (`Ours':
%% scoped_ipv6_watch_subject:questions/1, names in lower case).
%%
%% - A goodbye (TTL 0) leaves its record one more second (section 10.1).
%% - A record with the cache-flush bit gives the other records of its name
%%   and type one more second, unless they came within the last second
%%   (section 10.2: the rest of the same answer).
%% - A record the watch needs (one that answers our questions, SRV and
%%   TXT, and the addresses of SRV targets) is due to be asked again at
%%   80, 85, 90 and 95 % of its TTL, each point with a random 0 to 2 % of
%%   the TTL added (section 5.2: hosts that heard the same answer do not
%%   all ask at once), and goes at 100 %.
%% - Known answers (section 7.1): the records answering our questions
%%   held with more than half their TTL left.
%% - Another host's query that asks a question and lists no known answer
%%   to it we would not list stands for our next asking of it (section
%%   7.3): duplicate/4 says which of its questions do. For our own
%%   questions the watch keeps that; a record the watch needs that such a
%%   question asks for is marked (overheard/2), and its next refresh
%%   point counts as asked without a question (due/2).
%% - Passive observation of failures (section 10.5): a record another
%%   host's query should draw out (asked by name and type, or type ANY,
%%   and not among its known answers) is in doubt from that query; a
%%   second such query within ten seconds of the first makes it go ten
%%   seconds after the first, unless a response brings it again (which
%%   makes a new entry, the doubt gone). One time and a count of at most
%%   two an entry: a neighbour flooding queries costs no memory.
%%
%% At most ?MAX_RECORDS records, of at most ?MAX_BYTES bytes (their names
%% and data in the external term format: about a sixteenth of the memory
%% they take as strings): a neighbour flooding the link costs time, never
%% memory; when full, new records are not kept.
%% Which records matter and what they describe is
%% scoped_ipv6_watch_subject's; what changed between two readings is
%% diff/2's.
-module(scoped_ipv6_watch_cache).

-export([new/1, add/3, expire/2, records/2, known/2, due/2, next/1, count/1, bytes/1, diff/2,
         queried/4, duplicate/4, overheard/2]).

-define(MAX_RECORDS, 512).
-define(MAX_BYTES, 65536).
-define(MAX_KNOWN, 64).
%% Section 10.1 and 10.2: what is left to a goodbye or a flushed record.
-define(GRACE, 1000).
%% Section 5.2: percentages of the TTL at which a record is asked again,
%% and the random variation added to each, in hundredths of the TTL.
-define(REFRESH, [80, 85, 90, 95]).
-define(VARIATION, 2).
%% Section 10.5: how long a record queried for may go unanswered.
-define(POOF, 10000).

-record(entry, {name :: string(), type :: atom() | integer(), data :: term(),
                ttl :: non_neg_integer(), received :: integer(),
                %% ms at which it goes
                expires :: integer(),
                %% refresh queries sent for it since it came (0..4)
                asked :: 0..4,
                %% ms at which each is due (?REFRESH, varied)
                points :: [integer()],
                %% in its last second (a goodbye, or flushed)
                leaving = false :: boolean(),
                %% when its key first came: a record received again keeps
                %% its place, so that the first 64 instances stay the same
                %% (set as it is stored, add_one/3)
                order :: integer() | undefined,
                %% section 10.5: when the first query since it came that
                %% should have drawn it out was heard, and how many such
                %% queries (1, or 2 for two or more)
                doubted = none :: none | {integer(), 1 | 2},
                %% section 7.3: a question for it that stands for ours was
                %% heard since it came or since its last refresh point
                overheard = false :: boolean()}).

%% Our questions, the bytes held (weight/2), and the entries.
-opaque cache() :: {[question()], non_neg_integer(),
                    #{{string(), atom() | integer(), term()} => #entry{}}}.
-type wire() :: {{string(), atom() | integer(), term(), non_neg_integer()}, boolean()}.
-type question() :: {string(), atom() | integer()}.
-export_type([cache/0]).

%% @doc An empty cache for a watch that asks `Ours' (`{Name, Type}').
-spec new([question()]) -> cache().
new(Ours) ->
    {[{scoped_ipv6_dns:lower(N), T} || {N, T} <- Ours], 0, #{}}.

%% @doc How many records are held.
-spec count(cache()) -> non_neg_integer().
count({_Ours, _Bytes, Cache}) ->
    map_size(Cache).

%% @doc What the records held weigh against ?MAX_BYTES.
-spec bytes(cache()) -> non_neg_integer().
bytes({_Ours, Bytes, _Cache}) ->
    Bytes.

weight(#entry{name = Name, data = Data}) ->
    erlang:external_size(Name) + erlang:external_size(Data).

%% @doc Records as read from one answer (`{{Owner, Type, Data, TTL},
%% Flush}', scoped_ipv6_dns:parse_flagged/2), received at `Now'.
-spec add([wire()], integer(), cache()) -> cache().
add(Records, Now, Cache) ->
    lists:foldl(fun(R, Acc) -> add_one(R, Now, Acc) end, Cache, Records).

add_one({{Name, Type, Data, 0}, _Flush}, Now, {Ours, Bytes, Cache}) when is_list(Name) ->
    Key = key(Name, Type, Data),
    case maps:find(Key, Cache) of
        {ok, E} -> {Ours, Bytes, Cache#{Key := goodbye(E, Now)}};
        error -> {Ours, Bytes, Cache}
    end;
add_one({{Name, Type, Data, TTL}, Flush}, Now, {Ours, Bytes, Cache})
  when is_list(Name), is_integer(TTL), TTL > 0, is_boolean(Flush) ->
    Key = key(Name, Type, Data),
    Flushed = case Flush of
                  true -> flush(Key, Now, Cache);
                  false -> Cache
              end,
    Entry = #entry{name = Name, type = Type, data = Data, ttl = TTL, received = Now,
                   expires = Now + TTL * 1000, asked = 0, points = points(Now, TTL)},
    Weight = weight(Entry),
    case maps:find(Key, Flushed) of
        {ok, #entry{order = Order} = Old} ->
            %% The same name, type and data: the same weight.
            {Ours, Bytes + Weight - weight(Old), Flushed#{Key := Entry#entry{order = Order}}};
        error when map_size(Flushed) < ?MAX_RECORDS, Bytes + Weight =< ?MAX_BYTES ->
            %% Only the order, never a value read: the rules stay pure.
            Order = erlang:unique_integer([monotonic]),
            {Ours, Bytes + Weight, Flushed#{Key => Entry#entry{order = Order}}};
        error ->
            {Ours, Bytes, Flushed}
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
expire(Now, {Ours, Bytes, Cache}) ->
    {Kept, Gone} = maps:fold(fun(K, #entry{expires = X} = E, {In, Out}) when X > Now ->
                                     {In#{K => E}, Out};
                                (_K, E, {In, Out}) ->
                                     {In, Out + weight(E)}
                             end, {#{}, 0}, Cache),
    {Ours, Bytes - Gone, Kept}.

%% @doc The records held at `Now', as scoped_ipv6_browse_answers reads
%% them (`{Owner, Type, Data, TTL}', the TTL what is left, at least 1 s),
%% in place/1's order.
-spec records(integer(), cache()) -> [{string(), atom() | integer(), term(), pos_integer()}].
records(Now, {_Ours, _Bytes, Cache}) ->
    Live = lists:sort([{place(E), E} || #entry{expires = X} = E <- maps:values(Cache), X > Now]),
    [{N, T, D, max(1, (X - Now) div 1000)}
     || {_, #entry{name = N, type = T, data = D, expires = X}} <- Live].

%% An instance's SRV and TXT: the newest first (services/2 takes the
%% first), so that a new one that came within a second of the old one,
%% which section 10.2 keeps, is seen at once; the newest even in its last
%% second, so that a goodbye for it does not bring the older one back
%% (no more current than when the new one came). The others in the order
%% their keys first came, those in their last second after the rest.
place(#entry{type = T, received = R, order = O}) when T =:= srv; T =:= txt -> {-R, O};
place(#entry{leaving = L, order = O}) -> {L, O}.

%% @doc The known answers to our questions (section 7.1): the records
%% answering them held with more than half their TTL left, with what is
%% left, at most 64.
-spec known(integer(), cache()) -> [{string(), atom() | integer(), term(), pos_integer()}].
known(Now, {Ours, _Bytes, Cache}) ->
    Held = [{N, T, D, (X - Now) div 1000}
            || {{O, T, _}, #entry{name = N, data = D, ttl = TTL, expires = X}}
                   <- lists:sort(maps:to_list(Cache)),
               lists:member({O, T}, Ours), T =/= ptr orelse is_list(D),
               (X - Now) * 2 > TTL * 1000, TTL > 0],
    lists:sublist(Held, ?MAX_KNOWN).

%% @doc Section 7.3: which of another host's QM `Questions' (`{Name,
%% Type}', the name in lower case), with its `Known' answers (`{Name,
%% Type, Data}'), as read at `Now', stand for ours, each once: those it
%% lists no known answer to that we would not list ourselves (known/2:
%% none for a question not among ours, such as a refresh's), so that
%% its answers are all ours would draw. Known answers to other questions
%% cannot keep an answer to ours back.
-spec duplicate([question()], [{string(), atom() | integer(), term()}], integer(), cache()) ->
    [question()].
duplicate(Questions, Known, Now, Cache) ->
    Held = [same(N, T, D) || {N, T, D, _TTL} <- known(Now, Cache)],
    Listed = [same(N, T, D) || {N, T, D} <- Known],
    lists:usort([Q || Q <- Questions,
                      lists:all(fun(K) -> lists:member(K, Held) end,
                                [K || {O, T, _} = K <- Listed, {O, T} =:= Q])]).

%% @doc Section 7.3 for refreshes: the records held that `Stood'
%% (duplicate/4's answer) ask for by name and type are marked, so that
%% their next refresh point counts as asked with no question (due/2).
-spec overheard([question()], cache()) -> cache().
overheard([], Cache) ->
    Cache;
overheard(Stood, {Ours, Bytes, Cache}) ->
    Asked = maps:from_list([{Q, true} || Q <- Stood]),
    {Ours, Bytes, maps:map(fun({O, T, _}, E) when is_map_key({O, T}, Asked) ->
                                   E#entry{overheard = true};
                              (_K, E) ->
                                   E
                           end, Cache)}.

%% @doc Section 10.5: another host's query, as duplicate/4 takes it, heard
%% at `Now': each record held that it asks for (by name and type, or
%% type ANY) and does not list as a known answer, which a responder would
%% multicast, is in doubt; doubted by a second query within ?POOF ms of
%% the first, it goes ?POOF ms after the first, unless it comes again.
-spec queried([{string(), atom() | integer()}], [{string(), atom() | integer(), term()}],
              integer(), cache()) -> cache().
queried([], _Known, _Now, Cache) ->
    Cache;
queried(Questions, Known, Now, {Ours, Bytes, Cache}) ->
    Asked = maps:from_list([{Q, true} || Q <- Questions]),
    Listed = maps:from_list([{same(N, T, D), true} || {N, T, D} <- Known]),
    Doubted = maps:map(fun({O, T, _}, #entry{leaving = false, name = N, data = D} = E)
                             when is_map_key({O, T}, Asked); is_map_key({O, any}, Asked) ->
                               case is_map_key(same(N, T, D), Listed) of
                                   true -> E;
                                   false -> doubt(E, Now)
                               end;
                          (_K, E) ->
                               E
                       end, Cache),
    {Ours, Bytes, Doubted}.

%% One more query the record should have answered, at `Now'.
doubt(#entry{doubted = {First, _}, expires = Expires} = E, Now) when Now < First + ?POOF ->
    E#entry{doubted = {First, 2}, expires = min(Expires, First + ?POOF)};
doubt(E, Now) ->
    E#entry{doubted = {Now, 1}}.

%% A record as queries and known answers name it: names in lower case,
%% and the name a PTR points to.
same(Name, ptr, Data) when is_list(Data) ->
    {scoped_ipv6_dns:lower(Name), ptr, scoped_ipv6_dns:lower(Data)};
same(Name, Type, Data) ->
    {scoped_ipv6_dns:lower(Name), Type, Data}.

%% @doc The questions due at `Now' for the records the watch needs,
%% each `{Name, Type}' once, and the cache with them counted as asked.
%% A record overheard (overheard/2) is counted as asked with no question
%% (section 7.3), and its mark is spent.
-spec due(integer(), cache()) -> {[{string(), atom() | integer()}], cache()}.
due(Now, {Ours, Bytes, Cache}) ->
    Needed = needed(Ours, Cache),
    {Questions, Due} =
        maps:fold(fun(K, #entry{overheard = Overheard} = E, {Qs, Acc}) ->
                          case Needed(K, E) andalso passed(E, Now) of
                              Asked when is_integer(Asked), Asked > E#entry.asked ->
                                  Q = {E#entry.name, E#entry.type},
                                  Counted = Acc#{K := E#entry{asked = Asked, overheard = false}},
                                  case Overheard orelse lists:member(Q, Qs) of
                                      true -> {Qs, Counted};
                                      false -> {[Q | Qs], Counted}
                                  end;
                              _ ->
                                  {Qs, Acc}
                          end
                  end, {[], Cache}, Cache),
    {Questions, {Ours, Bytes, Due}}.

%% How many of the refresh points have passed at `Now'.
passed(#entry{points = Points}, Now) ->
    length([P || P <- Points, Now >= P]).

%% When a record received at `Now' with `TTL' is due to be asked again:
%% at each percentage of the TTL, plus up to ?VARIATION % more.
points(Now, TTL) ->
    Span = TTL * 10 * ?VARIATION,
    [Now + TTL * 10 * Percent + rand:uniform(Span + 1) - 1 || Percent <- ?REFRESH].

%% The records answering our questions (a type's PTRs, a host's
%% addresses), SRV and TXT (all of them about the type: relevant/2 kept
%% no other), and the addresses of the hosts an SRV names.
needed(Ours, Cache) ->
    Targets = maps:from_list([{scoped_ipv6_dns:lower(T), true}
                              || #entry{type = srv, data = {_, _, _, T}} <- maps:values(Cache),
                                 is_list(T)]),
    fun({_O, T, _}, _E) when T =:= srv; T =:= txt -> true;
       ({O, T, _}, _E) -> lists:member({O, T}, Ours) orelse maps:is_key(O, Targets)
    end.

%% @doc When something is next due: a record going, or one to ask again;
%% `infinity' when nothing is held.
-spec next(cache()) -> integer() | infinity.
next({Ours, _Bytes, Cache}) ->
    Needed = needed(Ours, Cache),
    Times = lists:append(
              [[X | [lists:nth(A + 1, Points) || A < length(?REFRESH), Needed(K, E)]]
               || {K, #entry{expires = X, points = Points, asked = A} = E}
                      <- maps:to_list(Cache)]),
    lists:min([infinity | Times]).

%% @doc What changed from `Old' to `New' (services by name, or a host,
%% as the watch shows them): `{up, S}' for a name new in `New',
%% `{changed, S}' for one in both that differs (port, host, TXT,
%% addresses), `{down, S}' for one
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
