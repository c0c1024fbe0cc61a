%% @private
%% Continuous DNS-SD browsing (RFC 6763 section 5, RFC 6762 section 5.2)
%% and continuous querying for a `.local' host name's addresses (RFC 6762
%% section 5.2): one process per watch, under scoped_ipv6_watch_sup, that
%% keeps asking the links for a service type or a host and tells its
%% owner as services (or the host, on each link) come, change and go.
%% What is watched, and what its records say, is
%% scoped_ipv6_watch_subject's; everything below is the same for both.
%%
%% - Port 5353 (scoped_ipv6_mdns:listen/1, shared with the responder and
%%   avahi), ff02::fb joined on each link watched (224.0.0.251 too with
%%   `mdns_ipv4'); a response counts from port 5353, from the link it
%%   arrived on (scoped_ipv6_mdns:from_link/4, RFC 6762 section 11), and
%%   only for that link.
%% - This host's own responder hears the questions, and its answers come
%%   back, through scoped_ipv6_mdns_multicast: a watch sees this host's
%%   services too, as avahi's and python-zeroconf's browsers do.
%% - Our questions (a type's PTR, a host's AAAA and A) after 20-120 ms,
%%   then 1 s, 2 s, 4 s... apart, up to an hour, from port 5353 (multicast
%%   answers), with the answers to them held as known answers (section
%%   7.1), going on in further messages when they do not fit in one
%%   (section 7.2).
%% - Each link's records in a scoped_ipv6_watch_cache (section 10: goodbyes,
%%   cache flush, refresh at 80-95 % of the TTL, expiry); what the records
%%   leave out (scoped_ipv6_watch_subject:missing/2) is asked of that
%%   link, each question at most every second and three times.
%% - Other hosts' queries on a link (port 5353, QM questions, not
%%   truncated; heard/3): a question it asks, listing no known answer to
%%   it we would not list, stands for our next asking of it there, which
%%   is not sent, the schedule going on as if it was (section 7.3): one
%%   of ours, a record's next refresh, an open question's next try (never
%%   its first); and
%%   the records they should draw out are in doubt, flushed when two such
%%   queries go unanswered ten seconds (section 10.5). The rules are the
%%   cache's.
%% - After every message (at most ?BATCH datagrams are read at a time), what
%%   is due is done, and what each link whose records changed (came, or
%%   expired) shows (scoped_ipv6_watch_subject:results/3) compared with
%%   what was last told: `up', `changed', `down'.
%%
%% The owner's side (start/2, stop/1) runs in the owner: the events go to
%% an alias of its monitor on the watch (erlang:monitor/3 `{alias,
%% demonitor}'), so that once stop/1 has demonitored nothing more can
%% arrive, and what had arrived is flushed.
-module(scoped_ipv6_watch).
-behaviour(gen_server).

-include("scoped_ipv6_mdns.hrl").

-export([start/2, seen/1, stop/1]).
-export([start_link/5, init/1, handle_call/3, handle_cast/2, handle_info/2]).

%% RFC 6762 section 5.2.
-define(FIRST_MIN, 20).
-define(FIRST_SPAN, 100).
-define(FIRST_INTERVAL, 1000).
-define(MAX_INTERVAL, 3600000).
%% A question the answers leave open: again after a second, three times.
-define(RETRY, 1000).
-define(TRIES, 3).
-define(MAX_QUESTIONS, 32).
%% The links are looked at again every second (as the responder does).
-define(POLL, 1000).

%% --- the owner's side ------------------------------------------------------------

%% @doc Starts a watch of `What' (a service type or a `.local' host
%% name) for the calling process: `{ok, Ref}', `{error, Reason}', or
%% `{badarg, Term}' (the public caller raises).
-spec start(term(), term()) -> {ok, reference()} | {error, term()} | {badarg, term()}.
start(What, Opts) ->
    case options(Opts, #{links => default, mdns_ipv4 => false, text => list}) of
        {ok, Options} ->
            case scoped_ipv6_watch_subject:parse(What) of
                {ok, Subject} -> on_links(Subject, Options);
                einval -> {error, einval};
                badarg -> {badarg, What}
            end;
        {badarg, _} = Bad ->
            Bad
    end.

%% `{links, _}' and `{mdns_ipv4, _}' as browse/2 and getaddrs/2 read them
%% (scoped_ipv6_names:mdns_option/2); `{text, list | binary}'.
options([], Options) ->
    {ok, Options};
options([{text, T} | Rest], Options) when T =:= list; T =:= binary ->
    options(Rest, Options#{text := T});
options([{Key, _} = Option | Rest], Options) when Key =:= links; Key =:= mdns_ipv4 ->
    case scoped_ipv6_names:mdns_option(Option, Options) of
        {ok, Next} -> options(Rest, Next);
        error -> {badarg, Option}
    end;
options([Option | _], _Options) ->
    {badarg, Option};
options(Bad, _Options) ->
    {badarg, Bad}.

on_links(Subject, #{text := Text} = Options) ->
    case whereis(scoped_ipv6_watch_sup) =/= undefined andalso
        scoped_ipv6_names:mdns_links(Options) of
        false ->
            {error, not_running};
        {ok, []} ->
            {error, no_link};
        {ok, Links} ->
            Linked = maps:with([links, mdns_ipv4], Options),
            Args = [self(), Subject, Links, Text, Linked],
            try supervisor:start_child(scoped_ipv6_watch_sup, Args) of
                {ok, Pid} ->
                    Ref = erlang:monitor(process, Pid, [{alias, demonitor}]),
                    Pid ! {owner_alias, Ref},
                    put({?MODULE, Ref}, Pid),
                    {ok, Ref};
                {error, _} = Error ->
                    Error
            catch
                exit:{noproc, _} -> {error, not_running};
                exit:{shutdown, _} -> {error, not_running}
            end;
        {error, _} = Error ->
            Error
    end.

%% @doc What the caller's watch `Ref' has told it, and not taken back:
%% `{error, not_found}' for another's, or one that ended.
-spec seen(reference()) -> {ok, [map()]} | {error, not_found}.
seen(Ref) ->
    case get({?MODULE, Ref}) of
        Pid when is_pid(Pid) ->
            try gen_server:call(Pid, seen)
            catch exit:_ -> {error, not_found}
            end;
        undefined ->
            {error, not_found}
    end.

%% @doc Ends the caller's watch `Ref' (another's, or one that ended, is
%% left alone): after it returns, no message of that watch is in the
%% caller's mailbox, and none comes.
-spec stop(reference()) -> ok.
stop(Ref) ->
    %% Demonitoring deactivates the alias the events come to.
    erlang:demonitor(Ref, [flush]),
    case erase({?MODULE, Ref}) of
        Pid when is_pid(Pid) ->
            try supervisor:terminate_child(scoped_ipv6_watch_sup, Pid)
            catch exit:_ -> exit(Pid, kill)
            end;
        undefined ->
            ok
    end,
    flush(Ref).

flush(Ref) ->
    receive
        {scoped_ipv6_watch, Ref, _} -> flush(Ref)
    after 0 ->
        ok
    end.

%% --- the watch --------------------------------------------------------------------

-spec start_link(pid(), scoped_ipv6_watch_subject:subject(),
                 [{pos_integer(), inet:ip_address()}], list | binary, map()) ->
    {ok, pid()} | {error, term()}.
start_link(Owner, Subject, Links, Text, Linked) ->
    gen_server:start_link(?MODULE, {Owner, Subject, Links, Text, Linked}, []).

%% @private gen_server callback.
-spec init({pid(), scoped_ipv6_watch_subject:subject(), [{pos_integer(), inet:ip_address()}],
            list | binary, map()}) ->
    {ok, map(), non_neg_integer()} | {stop, term()}.
init({Owner, Subject, Links, Text, Linked}) ->
    case scoped_ipv6_mdns:listen(inet6) of
        {ok, S} ->
            %% IPv4 when a link is asked over IPv4 from the start.
            S4 = case lists:any(fun({_I, Own}) -> tuple_size(Own) =:= 4 end, Links) andalso
                     scoped_ipv6_mdns:listen(inet) of
                     {ok, Socket4} -> Socket4;
                     _ -> none
                 end,
            erlang:monitor(process, Owner),
            ok = scoped_ipv6_mdns_multicast:join(watch),
            Now = now_ms(),
            %% No link yet: watched/3 joins them, as it joins links that
            %% come later.
            State = #{owner => Owner, alias => undefined, subject => Subject,
                      %% What is asked again and again, names as sent.
                      questions => scoped_ipv6_watch_subject:questions(Subject), text => Text,
                      socket => S, socket4 => S4, v6 => [], v4 => [], interfaces => [],
                      %% Index => the link's records.
                      caches => #{},
                      %% Index => #{Key => Result}: what the owner was told.
                      shown => #{},
                      %% Index => true: links whose records changed since.
                      changed => #{},
                      %% {Index, Question} => {Tries, LastMs, Overheard}:
                      %% open questions asked; Overheard: another host
                      %% asked it there since (section 7.3).
                      asked => #{},
                      %% Index => [Question]: those of our questions
                      %% another host asked there since we last did
                      %% (heard/3), names in lower case.
                      duplicated => #{},
                      query_at => Now, interval => ?FIRST_INTERVAL,
                      %% The `links' and `mdns_ipv4' options: which links
                      %% to watch, looked at every ?POLL ms (relink/2).
                      linked => Linked, poll_at => Now + ?POLL},
            tick(arm(inet, arm(inet6, watched(Links, Now, State))));
        {error, Reason} ->
            {stop, Reason}
    end.

%% @private gen_server callback.
-spec handle_call(term(), gen_server:from(), map()) -> {reply, term(), map(), timeout()}.
handle_call(seen, _From, #{shown := Shown, text := Text} = State) ->
    Seen = [text(Service, Text) || I <- lists:sort(maps:keys(Shown)),
                                   {_Key, Service} <- lists:sort(maps:to_list(maps:get(I, Shown)))],
    {reply, {ok, Seen}, State, 0};
handle_call(_Request, _From, State) ->
    {reply, {error, einval}, State, 0}.

%% @private gen_server callback.
-spec handle_cast(term(), map()) -> {noreply, map(), timeout()}.
handle_cast(_Message, State) ->
    {noreply, State, 0}.

%% @private gen_server callback.
-spec handle_info(term(), map()) -> {noreply, map(), timeout()} | {stop, normal, map()}.
handle_info({'DOWN', _, process, Owner, _}, #{owner := Owner} = State) ->
    {stop, normal, State};
handle_info({owner_alias, Alias}, State) ->
    next(tick(State#{alias := Alias}));
handle_info({'$socket', S, select, _}, #{socket := S} = State) ->
    next(tick(arm(inet6, State)));
handle_info({'$socket', S, select, _}, #{socket4 := S} = State) ->
    next(tick(arm(inet, State)));
handle_info({rearm, Family}, State) ->
    next(tick(arm(Family, State)));
handle_info(?LOOPED(Family, Index, Packet), State) ->
    %% This host's responder's answer (scoped_ipv6_mdns_multicast).
    next(tick(received(Family, Index, Packet, State)));
handle_info(_Timeout, State) ->
    next(tick(State)).

next({ok, State, Timeout}) -> {noreply, State, Timeout}.

%% --- reading -------------------------------------------------------------------------

%% What waits, a batch at a time (scoped_ipv6_mdns:read/3); after a full
%% batch, a message to itself stands for the select, so that the timers
%% get their turn: a flood cannot starve them.
arm(inet, #{socket4 := none} = State) ->
    State;
arm(Family, State) ->
    Take = fun(#{addr := From} = Msg, Packet, St) ->
                   take(Family, From, scoped_ipv6_cmsg:received_on(Msg), Packet, St)
           end,
    case scoped_ipv6_mdns:read(socket_of(Family, State), Take, State) of
        {more, Next} ->
            self() ! {rearm, Family},
            Next;
        {_SelectOrError, Next} ->
            Next
    end.

%% A message from port 5353 (RFC 6762 section 6), from the link it
%% arrived on (section 11).
take(Family, #{port := ?PORT} = From, {Index, To}, Packet,
     #{interfaces := Interfaces} = State) ->
    case scoped_ipv6_mdns:from_link(From, Index, To, Interfaces) of
        true -> received(Family, Index, Packet, State);
        false -> State
    end;
take(_Family, _From, _Arrival, _Packet, State) ->
    State.

%% A message on a watched link: a response's records that matter go
%% into the link's cache; a query is another host's (heard/3).
received(Family, Index, Packet, #{subject := Subject, caches := Caches} = State) ->
    case lists:member(Index, maps:get(family_key(Family), State)) andalso
        scoped_ipv6_dns:parse_flagged(Packet, any) of
        {ok, Flagged} ->
            Relevant = [F || {R, _} = F <- Flagged, scoped_ipv6_watch_subject:relevant(Subject, R)],
            Cache = scoped_ipv6_watch_cache:add(Relevant, now_ms(), maps:get(Index, Caches)),
            changed(Index, State#{caches := Caches#{Index := Cache}});
        {error, mismatch} ->
            %% A query (QR clear, refused before decoding): none of its
            %% records go into the cache.
            heard(Index, Packet, State);
        _ ->
            State
    end.

%% Another host's query on link `Index', from port 5353: its QM questions
%% and known answers, unless more known answers follow (TC, section 7.2),
%% put the records they ask for in doubt (section 10.5), and it may stand
%% for our next asking of some of our questions there, of the records
%% it asks for, and of the open questions it asks (section 7.3, ask/4).
heard(Index, Packet, #{caches := Caches, questions := Ours, asked := Tried,
                       duplicated := Duplicated} = State) ->
    case scoped_ipv6_dns:read_message(Packet) of
        {ok, #{reply := false, truncated := false, questions := Asked, known := Listed}} ->
            Questions = [{Name, Type} || {Name, Type, in, false, _} <- Asked],
            Known = [Key || {Key, _TTL} <- Listed],
            Now = now_ms(),
            Cache = maps:get(Index, Caches),
            Doubted = scoped_ipv6_watch_cache:queried(Questions, Known, Now, Cache),
            Stood = scoped_ipv6_watch_cache:duplicate(Questions, Known, Now, Cache),
            Lowered = [lower(O) || O <- Ours],
            Mine = [Q || Q <- Stood, lists:member(Q, Lowered)],
            Before = maps:get(Index, Duplicated, []),
            State#{caches := Caches#{Index := scoped_ipv6_watch_cache:overheard(Stood, Doubted)},
                   asked := overheard(Index, Stood, Tried),
                   duplicated := Duplicated#{Index => lists:usort(Mine ++ Before)}};
        _ ->
            State
    end.

%% The open questions tried on link `Index' that `Stood' (another host
%% asked them there) are marked: their next try is not sent (ask/4).
overheard(_Index, [], Tried) ->
    Tried;
overheard(Index, Stood, Tried) ->
    maps:map(fun({I, M}, {Tries, Last, _} = Try) when I =:= Index ->
                     case lists:member(lower(M), Stood) of
                         true -> {Tries, Last, true};
                         false -> Try
                     end;
                (_, Try) ->
                     Try
             end, Tried).

%% --- timers, questions, events ----------------------------------------------------------

%% Everything due now: expiry, our questions, refreshes and open
%% questions, then what the owner is told. Returns the time to the next.
tick(#{poll_at := PollAt} = Before) ->
    Now = now_ms(),
    State0 = case Now >= PollAt of
                 true -> relink(Now, Before#{poll_at := Now + ?POLL});
                 false -> Before
             end,
    #{caches := Caches, query_at := QueryAt, interval := Interval} = Expired =
        expire(Now, State0),
    Browse = Now >= QueryAt,
    State1 = case Browse of
                 true -> Expired#{query_at := Now + Interval,
                                  interval := min(2 * Interval, ?MAX_INTERVAL),
                                  interfaces := interfaces()};
                 false -> Expired
             end,
    State2 = maps:fold(fun(I, _C, St) -> ask(I, Browse, Now, St) end, State1, Caches),
    State3 = tell(State2),
    {ok, State3, timeout(Now, State3)}.

%% Without the records gone by `Now'; a link that lost some has changed.
expire(Now, #{caches := Caches} = State) ->
    maps:fold(fun(I, C, St) ->
                      Kept = scoped_ipv6_watch_cache:expire(Now, C),
                      Next = St#{caches := (maps:get(caches, St))#{I := Kept}},
                      case scoped_ipv6_watch_cache:count(Kept) =:= scoped_ipv6_watch_cache:count(C) of
                          true -> Next;
                          false -> changed(I, Next)
                      end
              end, State, Caches).

changed(Index, #{changed := Changed} = State) ->
    State#{changed := Changed#{Index => true}}.

%% Link `Index''s questions now: ours (with known answers) when
%% `Browse', the records due for refresh, and what is still missing. One
%% another host asked there since we last did (heard/3) stands for ours
%% (section 7.3): ours is counted as asked, not sent (for a refresh, the
%% cache's due/2 sees to it).
ask(Index, Browse, Now, #{subject := Subject, questions := Ours, caches := Caches,
                          asked := Asked, duplicated := Duplicated} = State) ->
    Stood = maps:get(Index, Duplicated, []),
    Repeated = [Q || Browse, Q <- Ours, not lists:member(lower(Q), Stood)],
    {Due, Cache} = scoped_ipv6_watch_cache:due(Now, maps:get(Index, Caches)),
    Records = scoped_ipv6_watch_cache:records(Now, Cache),
    Missing = scoped_ipv6_watch_subject:missing(Subject, Records),
    Open = [M || M <- Missing,
                 case maps:find({Index, M}, Asked) of
                     {ok, {Tries, Last, _}} -> Tries < ?TRIES andalso Now - Last >= ?RETRY;
                     error -> true
                 end],
    Unheard = [M || M <- Open, {_, _, false} <- [maps:get({Index, M}, Asked, {0, 0, false})]],
    Still = maps:filter(fun({I, M}, _) -> I =/= Index orelse lists:member(M, Missing) end, Asked),
    Counted = lists:foldl(fun(M, Acc) ->
                                  {Tries, _, _} = maps:get({Index, M}, Acc, {0, 0, false}),
                                  Acc#{{Index, M} => {Tries + 1, Now, false}}
                          end, Still, Open),
    Asking = [lower(Q) || Q <- Repeated],
    Refresh = [D || D <- Due, not lists:member(lower(D), Asking)],
    Questions = Repeated ++ uniq(Refresh ++ Unheard),
    %% The known answers to those of our questions asked now.
    Sent = [lower(Q) || Q <- Questions],
    Known = [scoped_ipv6_dns:record(N, T, D, TTL, false)
             || {N, T, D, TTL} <- scoped_ipv6_watch_cache:known(Now, Cache),
                lists:member(lower({N, T}), Sent)],
    send(Index, Questions, Known, State),
    Left = case Browse of
               true -> maps:remove(Index, Duplicated);
               false -> Duplicated
           end,
    State#{caches := Caches#{Index := Cache}, asked := Counted, duplicated := Left}.

%% In messages of at most ?MAX_QUESTIONS questions; the known answers
%% with the first, going on in messages of their own, one after the
%% other, when they do not fit in ?MTU_MESSAGE bytes (RFC 6762 section
%% 7.2: the TC bit tells responders that more follow).
send(_Index, [], _Known, _State) ->
    ok;
send(Index, Questions, Known, State) ->
    {First, Rest} = lists:split(min(?MAX_QUESTIONS, length(Questions)), Questions),
    multicast(Index, scoped_ipv6_dns:questions_messages(First, Known, ?MTU_MESSAGE),
              scoped_ipv6_dns:questions_message(0, First, Known), State),
    send(Index, Rest, [], State).

%% To the link, and whole to this host's responder
%% (scoped_ipv6_mdns_multicast:send/5).
multicast(Index, Packets, Whole, #{socket := S, socket4 := S4, v6 := V6, v4 := V4}) ->
    _ = lists:member(Index, V6) andalso
        scoped_ipv6_mdns_multicast:send(S, inet6, Index, Packets, Whole),
    _ = lists:member(Index, V4) andalso S4 =/= none andalso
        scoped_ipv6_mdns_multicast:send(S4, inet, Index, Packets, Whole),
    ok.

%% What each link whose records changed shows, against what the owner
%% was told (once the owner's alias is here).
tell(#{alias := undefined} = State) ->
    State;
tell(#{subject := Subject, caches := Caches, shown := Shown, changed := Changed} = State) ->
    Now = now_ms(),
    New = maps:map(fun(I, true) ->
                           Records = scoped_ipv6_watch_cache:records(Now, maps:get(I, Caches)),
                           maps:from_list(scoped_ipv6_watch_subject:results(Subject, I, Records))
                   end, maps:with(maps:keys(Caches), Changed)),
    [tell_owner(State, Event, Service)
     || I <- lists:sort(maps:keys(New)),
        {Event, Service} <- scoped_ipv6_watch_cache:diff(maps:get(I, Shown), maps:get(I, New))],
    State#{shown := maps:merge(Shown, New), changed := #{}}.

%% One event to the owner (once its alias is here).
tell_owner(#{alias := undefined}, _Event, _Service) ->
    ok;
tell_owner(#{alias := Alias, text := Text}, Event, Service) ->
    Alias ! {scoped_ipv6_watch, Alias, {Event, text(Service, Text)}}.

text(Service, list) ->
    Service;
text(Service, binary) ->
    maps:map(fun(K, V) when K =:= name; K =:= type; K =:= host -> unicode:characters_to_binary(V);
                (_K, V) -> V
             end, Service).

timeout(Now, #{query_at := QueryAt, poll_at := PollAt, caches := Caches, asked := Asked}) ->
    Retries = [Last + ?RETRY || {_, {Tries, Last, _}} <- maps:to_list(Asked), Tries < ?TRIES],
    Next = lists:min([QueryAt, PollAt | Retries] ++
                         [scoped_ipv6_watch_cache:next(C) || C <- maps:values(Caches)]),
    max(0, Next - Now).

%% --- links that come and go ---------------------------------------------------------------

%% The links as the options choose them now: a new one (a USB gadget
%% plugged in) is joined and asked at once, the questions' intervals
%% starting over as at the start (RFC 6762 section 5.2); one gone (a
%% named link deleted, or down) is left, its services `down'.
relink(Now, #{linked := Linked} = State) ->
    case links_now(Linked) of
        keep -> State;
        Links -> watched(Links, Now, State)
    end.

%% `Links' (`{Index, Own}', as scoped_ipv6_names:mdns_links/1 gives them)
%% are the links watched from now: those new joined, with a cache each,
%% and asked at once; those gone left.
watched(Links, Now, #{socket := S, socket4 := S4, v6 := V6, v4 := V4, questions := Ours} = State) ->
    NewV6 = lists:usort([I || {I, {_, _, _, _, _, _, _, _}} <- Links]),
    NewV4 = case S4 of
                none -> [];
                _ -> lists:usort([I || {I, {_, _, _, _}} <- Links])
            end,
    Member = fun(Socket, Group, How, Indexes) ->
                     [scoped_ipv6_sockopts:set_membership(Socket, How, Group, I)
                      || I <- Indexes]
             end,
    _ = Member(S, ?GROUP, add_membership, NewV6 -- V6),
    _ = Member(S, ?GROUP, drop_membership, V6 -- NewV6),
    _ = S4 =/= none andalso Member(S4, ?GROUP4, add_membership, NewV4 -- V4),
    _ = S4 =/= none andalso Member(S4, ?GROUP4, drop_membership, V4 -- NewV4),
    Before = lists:usort(V6 ++ V4),
    After = lists:usort(NewV6 ++ NewV4),
    Gone = Before -- After,
    Next = lists:foldl(fun gone/2, State#{v6 := NewV6, v4 := NewV4,
                                          interfaces := interfaces()}, Gone),
    case After -- Before of
        [] ->
            Next;
        Added ->
            #{caches := Caches, shown := Shown} = Next,
            Next#{caches := maps:merge(Caches, maps:from_list(
                                                 [{I, scoped_ipv6_watch_cache:new(Ours)}
                                                  || I <- Added])),
                  shown := maps:merge(Shown, maps:from_list([{I, #{}} || I <- Added])),
                  query_at := Now + ?FIRST_MIN + rand:uniform(?FIRST_SPAN + 1) - 1,
                  interval := ?FIRST_INTERVAL}
    end.

%% Link `Index' is no longer watched: what the owner was told of it goes
%% down.
gone(Index, #{caches := Caches, shown := Shown, changed := Changed, asked := Asked,
              duplicated := Duplicated} = State) ->
    _ = [tell_owner(State, down, Service) || Service <- maps:values(maps:get(Index, Shown, #{}))],
    State#{caches := maps:remove(Index, Caches), shown := maps:remove(Index, Shown),
           changed := maps:remove(Index, Changed),
           asked := maps:filter(fun({I, _}, _) -> I =/= Index end, Asked),
           duplicated := maps:remove(Index, Duplicated)}.

%% The links the options choose now. Named links one by one, so that one
%% deleted leaves the others; `keep' when the interfaces cannot be read.
links_now(#{links := default} = Linked) ->
    case scoped_ipv6_names:mdns_links(Linked) of
        {ok, Links} -> Links;
        {error, _} -> keep
    end;
links_now(#{links := Scopes} = Linked) ->
    lists:append([Links || Scope <- Scopes,
                           {ok, Links} <- [scoped_ipv6_names:mdns_links(Linked#{links := [Scope]})]]).

%% --- helpers -----------------------------------------------------------------------------

socket_of(inet6, #{socket := S}) -> S;
socket_of(inet, #{socket4 := S4}) -> S4.

family_key(inet6) -> v6;
family_key(inet) -> v4.

interfaces() ->
    case scoped_ipv6_addr:interfaces() of
        {ok, Interfaces} -> Interfaces;
        {error, _} -> []
    end.

%% A question as others' queries and the caches name it: in lower case.
lower({Name, Type}) ->
    {scoped_ipv6_dns:lower(Name), Type}.

uniq(List) ->
    lists:reverse(lists:foldl(fun(X, Acc) ->
                                      case lists:member(X, Acc) of
                                          true -> Acc;
                                          false -> [X | Acc]
                                      end
                              end, [], List)).

now_ms() ->
    erlang:monotonic_time(millisecond).
