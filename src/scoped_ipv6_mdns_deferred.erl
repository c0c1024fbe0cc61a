%% @private
%% Queries held for the rest of their known answers (RFC 6762 section
%% 7.2), without sockets, timers or clocks: the responder's table of
%% them, keyed by the querier (`{Family, Index, Address, Port}': one
%% source on one link).
%%
%% A querier whose known answers do not fit one packet sets TC and sends
%% the rest in the packets that follow, questions-less, TC on all but the
%% last. The responder holds such a query 400-500 ms (its timer) and
%% merges into it what the same querier sends meanwhile; then it answers
%% the query as one, with all the known answers.
%%
%% - Held: a query with TC set, from port 5353 (a one-shot querier, RFC
%%   6762 section 6.7, sends no more packets), that is no probe (a probe
%%   with authority records is defended at once: its sender waits only
%%   250 ms). Whether it asks for something of ours is the responder's to
%%   say.
%% - Joined: every later packet from the same querier that is no probe,
%%   with TC or without: its known answers and its questions are added to
%%   the held query's. The timer is kept: packets may arrive out of order,
%%   and other responders answer at random points of the same window.
%% - Bounded: at most ?MAX_PER_LINK held queries per link (a neighbour
%%   flooding TC queries costs no memory: beyond that, hold/4 says `full'
%%   and the query is answered at once, as without this section), at most
%%   ?MAX_QUESTIONS questions and ?MAX_KNOWN known answers per held query
%%   (beyond that they are not kept: we may then send a record the
%%   querier knows, which costs a packet, never a wrong answer). Known
%%   answers are kept only for names the query asks: the only records
%%   they can suppress (section 7.1) are answers to its questions.
-module(scoped_ipv6_mdns_deferred).

-include("scoped_ipv6_mdns.hrl").

-export([new/0, holds/2, hold/4, join/3, take/3, count/1]).

-define(MAX_PER_LINK, 8).
-define(MAX_QUESTIONS, 16).
-define(MAX_KNOWN, 64).

-type key() :: {inet | inet6, non_neg_integer(), inet:ip_address(), inet:port_number()}.
%% A query as scoped_ipv6_dns:read_message/1 gives it.
-type message() :: #{questions := [scoped_ipv6_dns:question()],
                     known := [{tuple(), non_neg_integer()}], _ => _}.
-opaque held() :: #{key() => {reference(), message()}}.
-export_type([key/0, held/0]).

-spec new() -> held().
new() ->
    #{}.

%% @doc Whether a query from source port `Port' is one to hold for its
%% known answers: TC set, from port 5353, no probe.
-spec holds(map(), inet:port_number()) -> boolean().
holds(#{truncated := true, authority := []}, ?PORT) -> true;
holds(_Message, _Port) -> false.

%% @doc Holds the query from `Key' (which holds none), with the reference
%% its timer will carry; `full' when its link holds ?MAX_PER_LINK already.
-spec hold(held(), key(), reference(), message()) -> {ok, held()} | full.
hold(Held, {_, Index, _, _} = Key, Ref, Message) ->
    case length([K || {_, I, _, _} = K <- maps:keys(Held), I =:= Index]) >= ?MAX_PER_LINK of
        true -> full;
        false -> {ok, Held#{Key => {Ref, merged(Message#{questions := [], known := []}, Message)}}}
    end.

%% @doc A packet from `Key' added to the query held from there, if any
%% (`none': not held, the packet is taken on its own). A probe does not
%% join: it is answered at once.
-spec join(held(), key(), map()) -> {ok, held()} | none.
join(Held, Key, #{authority := []} = Message) ->
    case maps:find(Key, Held) of
        {ok, {Ref, Query}} -> {ok, Held#{Key := {Ref, merged(Query, Message)}}};
        error -> none
    end;
join(_Held, _Key, _Message) ->
    none.

%% @doc The query held from `Key', taken out when `Ref' is its timer's
%% (a timer of a query answered before is stale).
-spec take(held(), key(), reference()) -> {ok, message(), held()} | none.
take(Held, Key, Ref) ->
    case maps:find(Key, Held) of
        {ok, {Ref, Query}} -> {ok, Query, maps:remove(Key, Held)};
        _ -> none
    end.

%% @doc How many queries are held.
-spec count(held()) -> non_neg_integer().
count(Held) ->
    maps:size(Held).

%% The questions and known answers of `Message' added to those of
%% `Query', within the bounds; known answers only for names asked.
merged(#{questions := Questions, known := Known} = Query,
       #{questions := MoreQuestions, known := MoreKnown}) ->
    Asked = bounded(Questions, MoreQuestions, ?MAX_QUESTIONS),
    Names = [Name || {Name, _, _, _, _} <- Asked],
    Relevant = [K || {{Owner, _, _}, _} = K <- MoreKnown, lists:member(Owner, Names)],
    Query#{questions := Asked, known := bounded(Known, Relevant, ?MAX_KNOWN)}.

%% `More' after `Items', each once, at most `Max' in all.
bounded(Items, More, Max) ->
    lists:foldl(fun(Item, Acc) ->
                        case length(Acc) < Max andalso not lists:member(Item, Acc) of
                            true -> Acc ++ [Item];
                            false -> Acc
                        end
                end, Items, More).
