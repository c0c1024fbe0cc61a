%% @private
%% The responder's multicast answers on their way out (RFC 6762 section
%% 6), without sockets, timers or links' states: which records may go,
%% when, and in which message. Times are the caller's, in ms of one
%% monotonic clock; a link is `{Family, Index}', as in
%% scoped_ipv6_mdns_waiting.
%%
%% - Rate limited (section 6): a record is multicast on a link at most
%%   once a second (every 250 ms in a probe's defense): a neighbour that
%%   floods us with questions gets one answer a second, and cannot make us
%%   flood the link. Records sent, or waiting to go, within the interval
%%   are left out, and nothing goes when no answer is left.
%%   (Announcements are not counted: a question right after one is
%%   answered.)
%% - Delayed (section 6): an answer other hosts may send too (`delay': a
%%   shared record, an answer to several questions) goes after a random
%%   20 to 120 ms, so that several hosts' answers do not collide; a
%%   probe's defense (`defend') at once and alone; others (`soon') at
%%   once.
%% - Aggregated (section 6.4): a delayed answer, and one that would go at
%%   once, joins a message already waiting on the link when they fit
%%   (scoped_ipv6_mdns_waiting says when, and bounds what waits).
%% - Suppressed (section 7.4): what another host has just sent, with a
%%   TTL no less than ours, leaves the messages waiting (heard/4).
%%
%% answer/5 and due/3 say what to do: `{send, Link, Answer, Outbox}' now,
%% `{later, Ref, Ms, Outbox}' (call due/3 with `Ref' in `Ms' ms), or
%% `{none, Outbox}'.
-module(scoped_ipv6_mdns_outbox).

-export([new/0, answer/5, due/3, heard/4]).

-define(MULTICAST_INTERVAL, 1000).
-define(PROBE_DEFENSE_INTERVAL, 250).
-define(SHARED_DELAY_MIN, 20).
-define(SHARED_DELAY_SPAN, 100).

-type link() :: scoped_ipv6_mdns_waiting:link().
-type answer() :: scoped_ipv6_mdns_waiting:answer().
-type how() :: defend | delay | soon.
-type action() :: {send, link(), answer(), outbox()}
                | {later, reference(), non_neg_integer(), outbox()}
                | {none, outbox()}.
%% `sent': {Link, record key} => when it was (or will be) multicast.
-opaque outbox() :: #{sent := #{{link(), tuple()} => integer()},
                      waiting := scoped_ipv6_mdns_waiting:waiting()}.
-export_type([outbox/0, how/0, action/0]).

-spec new() -> outbox().
new() ->
    #{sent => #{}, waiting => scoped_ipv6_mdns_waiting:new()}.

%% @doc An answer for `Link' at `Now', going `How', less the records
%% multicast there within the interval.
-spec answer(outbox(), link(), answer(), how(), integer()) -> action().
answer(#{sent := Sent} = Outbox, Link, {Answers, Additional}, How, Now) ->
    Interval = interval(How),
    Due = fun(R) -> Now - maps:get({Link, scoped_ipv6_dns:record_key(R)}, Sent, Now - Interval)
                        >= Interval
          end,
    case [R || R <- Answers, Due(R)] of
        [] ->
            {none, Outbox};
        Fresh ->
            out(How, Link, {Fresh, [R || R <- Additional, Due(R)]}, Now,
                Outbox#{sent := recent(Sent, Now)})
    end.

out(delay, Link, Answer, Now, #{waiting := Waiting} = Outbox) ->
    Ref = make_ref(),
    Due = Now + ?SHARED_DELAY_MIN + rand:uniform(?SHARED_DELAY_SPAN + 1) - 1,
    case scoped_ipv6_mdns_waiting:add(Waiting, Link, Answer, Due, Ref) of
        {new, Next} ->
            {later, Ref, Due - Now, stamped(Link, records(Answer), Due, Outbox#{waiting := Next})};
        {joined, Into, When, Next} ->
            {none, joined(Link, Into, When, Outbox#{waiting := Next})};
        full ->
            {none, Outbox}
    end;
out(soon, Link, Answer, Now, #{waiting := Waiting} = Outbox) ->
    case scoped_ipv6_mdns_waiting:join(Waiting, Link, Answer, Now) of
        {joined, Into, When, Next} -> {none, joined(Link, Into, When, Outbox#{waiting := Next})};
        none -> {send, Link, Answer, stamped(Link, records(Answer), Now, Outbox)}
    end;
out(defend, Link, Answer, Now, Outbox) ->
    {send, Link, Answer, stamped(Link, records(Answer), Now, Outbox)}.

%% @doc Message `Ref' at `Now': sent, unless other hosts sent all its
%% answers; later, when it joined an answer due later since its timer was
%% set.
-spec due(outbox(), reference(), integer()) -> action().
due(#{waiting := Waiting} = Outbox, Ref, Now) ->
    case scoped_ipv6_mdns_waiting:take(Waiting, Ref, Now) of
        {ok, _Link, [], _Additional, Left} -> {none, Outbox#{waiting := Left}};
        {ok, Link, Answers, Additional, Left} -> {send, Link, {Answers, Additional},
                                                  Outbox#{waiting := Left}};
        {wait, Ms} -> {later, Ref, Ms, Outbox};
        none -> {none, Outbox}
    end.

%% @doc Another host's answer heard on `Link' (`Answered', its records'
%% keys with their TTLs, as scoped_ipv6_dns:read_message/1's `known'):
%% a record of it waiting here is as good as sent when its TTL is no less
%% than ours (`TTL').
-spec heard(outbox(), link(), [{tuple(), non_neg_integer()}], non_neg_integer()) -> outbox().
heard(#{waiting := Waiting} = Outbox, Link, Answered, TTL) ->
    Sent = [Key || {Key, T} <- Answered, T >= TTL],
    Outbox#{waiting := scoped_ipv6_mdns_waiting:suppress(Waiting, Link, Sent)}.

interval(defend) -> ?PROBE_DEFENSE_INTERVAL;
interval(_How) -> ?MULTICAST_INTERVAL.

%% The records multicast within the last interval: older ones no longer
%% matter, and are forgotten. (One waiting to go counts from when it
%% will, a time to come.)
recent(Sent, Now) ->
    maps:filter(fun(_Key, Time) -> Now - Time < ?MULTICAST_INTERVAL end, Sent).

%% Message `Ref' now goes at `When', all its records with it. (The same
%% answer cannot wait twice: its records count as multicast from when
%% they go.)
joined(Link, Ref, When, #{waiting := Waiting} = Outbox) ->
    stamped(Link, scoped_ipv6_mdns_waiting:records(Waiting, Ref), When, Outbox).

stamped(Link, Records, Time, #{sent := Sent} = Outbox) ->
    Outbox#{sent := lists:foldl(fun(R, Acc) -> Acc#{{Link, scoped_ipv6_dns:record_key(R)} => Time}
                                end, Sent, Records)}.

records({Answers, Additional}) ->
    Answers ++ Additional.
