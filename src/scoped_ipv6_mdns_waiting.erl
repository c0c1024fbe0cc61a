%% @private
%% The multicast answers of the responder that wait to go out (RFC 6762
%% sections 6, 6.4 and 7.4), without sockets, timers or clocks: each a
%% message for one link and family (`{Family, Index}'), its answer and
%% additional records, when it is due and how late it may go at most.
%% Times are the caller's, in ms of one monotonic clock.
%%
%% - Aggregated (section 6.4): an answer for a link joins a message already
%%   waiting there when the two fit one packet (?MTU_MESSAGE: what saves
%%   a packet; a message beyond the MTU would be sent in as many
%%   fragments, and a lost one would lose both answers). The message then
%%   goes at the later of the two times, and no answer in it goes more
%%   than ?AGGREGATE_WAIT ms after its own time: section 6.4 allows that
%%   much for the sake of one message. Otherwise the answer waits alone.
%% - Each record once: an additional record already in the message is not
%%   added again, nor one that is among its answers.
%% - Suppressed (section 7.4): answers another host sent meanwhile leave
%%   the message, whatever query they came from.
%% - Bounded: at most ?MAX_PER_LINK messages per link and family, each one
%%   packet (or one answer, if that alone is larger): a neighbour flooding
%%   questions costs no memory; beyond that add/5 says `full'.
-module(scoped_ipv6_mdns_waiting).

-include("scoped_ipv6_mdns.hrl").

-export([new/0, add/5, join/4, take/3, suppress/3, records/2, count/2]).

-define(MAX_PER_LINK, 8).
%% RFC 6762 section 6.4: an answer may wait up to 500 ms more than it
%% would have alone, to go in one message with others.
-define(AGGREGATE_WAIT, 500).

-type link() :: {inet | inet6, non_neg_integer()}.
%% Answer and additional records, as scoped_ipv6_mdns_records:answers/4
%% gives them.
-type answer() :: {[tuple()], [tuple()]}.
-type message() :: #{link := link(), answers := [tuple()], additional := [tuple()],
                     due := integer(), latest := integer()}.
-opaque waiting() :: #{reference() => message()}.
-export_type([waiting/0, link/0, answer/0]).

-spec new() -> waiting().
new() ->
    #{}.

%% @doc An answer for `Link' due at `Due': joined to a message waiting
%% there (`{joined, Ref, When, Waiting}': message `Ref' now goes at
%% `When'), or waiting alone as message `Ref' (`{new, Waiting}'), or
%% `full' when neither can be.
-spec add(waiting(), link(), answer(), integer(), reference()) ->
    {joined, reference(), integer(), waiting()} | {new, waiting()} | full.
add(Waiting, Link, Answer, Due, Ref) ->
    case join(Waiting, Link, Answer, Due) of
        {joined, _, _, _} = Joined ->
            Joined;
        none ->
            case count(Waiting, Link) >= ?MAX_PER_LINK of
                true -> full;
                false -> {new, Waiting#{Ref => message(Link, Answer, Due)}}
            end
    end.

%% @doc An answer for `Link' due at `Due' joined to a message waiting
%% there, the earliest due that takes it; `none' when none does.
-spec join(waiting(), link(), answer(), integer()) ->
    {joined, reference(), integer(), waiting()} | none.
join(Waiting, Link, Answer, Due) ->
    Here = lists:sort([{D, Ref} || {Ref, #{link := L, due := D}} <- maps:to_list(Waiting),
                                   L =:= Link]),
    joined([Ref || {_, Ref} <- Here], Waiting, Answer, Due).

joined([], _Waiting, _Answer, _Due) ->
    none;
joined([Ref | Refs], Waiting, Answer, Due) ->
    case merged(maps:get(Ref, Waiting), Answer, Due) of
        {ok, #{due := When} = Message} -> {joined, Ref, When, Waiting#{Ref := Message}};
        none -> joined(Refs, Waiting, Answer, Due)
    end.

%% `Message' with the answer added, when it is then due within both
%% answers' latest times and fits one packet.
merged(#{answers := Answers, additional := Additional, due := When, latest := Latest} = Message,
       {MoreAnswers, MoreAdditional}, Due) ->
    Together = scoped_ipv6_dns:distinct_records(Answers ++ MoreAnswers, []),
    Extra = scoped_ipv6_dns:distinct_records(Additional ++ MoreAdditional, keys(Together)),
    Later = max(When, Due),
    Limit = min(Latest, Due + ?AGGREGATE_WAIT),
    case Later =< Limit andalso bytes(Together, Extra) =< ?MTU_MESSAGE of
        true -> {ok, Message#{answers := Together, additional := Extra, due := Later,
                              latest := Limit}};
        false -> none
    end.

message(Link, {Answers, Additional}, Due) ->
    #{link => Link, answers => Answers, additional => Additional, due => Due,
      latest => Due + ?AGGREGATE_WAIT}.

%% @doc Message `Ref' taken out when it is due at `Now': its link and
%% records (no answers left when other hosts sent them all, section 7.4);
%% `{wait, Ms}' when it went later since its timer was set (it joined an
%% answer due later); `none' for none.
-spec take(waiting(), reference(), integer()) ->
    {ok, link(), [tuple()], [tuple()], waiting()} | {wait, pos_integer()} | none.
take(Waiting, Ref, Now) ->
    case maps:find(Ref, Waiting) of
        {ok, #{due := Due}} when Due > Now ->
            {wait, Due - Now};
        {ok, #{link := Link, answers := Answers, additional := Additional}} ->
            {ok, Link, Answers, Additional, maps:remove(Ref, Waiting)};
        error ->
            none
    end.

%% @doc The answers of the messages waiting for `Link' that another host
%% has just sent (`Sent', record keys as scoped_ipv6_dns:record_key/1
%% gives them) taken out: as good as sent (section 7.4).
-spec suppress(waiting(), link(), [tuple()]) -> waiting().
suppress(Waiting, Link, Sent) ->
    Left = fun(Answers) ->
                   [R || R <- Answers, not lists:member(scoped_ipv6_dns:record_key(R), Sent)]
           end,
    maps:map(fun(_Ref, #{link := L, answers := Answers} = Message) when L =:= Link ->
                     Message#{answers := Left(Answers)};
                (_Ref, Message) ->
                     Message
             end, Waiting).

%% @doc Every record of message `Ref' (none for none).
-spec records(waiting(), reference()) -> [tuple()].
records(Waiting, Ref) ->
    case maps:find(Ref, Waiting) of
        {ok, #{answers := Answers, additional := Additional}} -> Answers ++ Additional;
        error -> []
    end.

%% @doc How many messages wait for `Link'.
-spec count(waiting(), link()) -> non_neg_integer().
count(Waiting, Link) ->
    length([Ref || {Ref, #{link := L}} <- maps:to_list(Waiting), L =:= Link]).

keys(Records) ->
    [scoped_ipv6_dns:record_key(R) || R <- Records].

bytes(Answers, Additional) ->
    byte_size(scoped_ipv6_dns:answer_message(0, [], Answers, Additional)).
