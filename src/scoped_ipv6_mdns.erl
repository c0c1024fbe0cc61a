%% @private
%% Multicast DNS one-shot queries (RFC 6762 section 5.1): the question is
%% sent to `ff02::fb' port 5353 on each link asked, from an ephemeral port
%% of a socket bound to that link's own link-local address, and responders
%% answer it by unicast to that port (section 6.7, "legacy unicast").
%%
%% A socket bound to `fe80::1%linkA' is bound to linkA (the kernel sets
%% the socket's device from the scope): it receives only what arrives on
%% linkA, so an answer is scoped with the link it came on, never with the
%% link it claims. The sender's scope is checked as well. Binding to the
%% address needs no privilege, where SO_BINDTODEVICE needs CAP_NET_RAW.
%%
%% Everything runs in a process of its own (one per query) on OTP's
%% `socket' module, each socket waiting in the VM's poll set (`nowait'
%% and select messages), never on a scheduler; leftover select messages
%% die with that process, never reaching the caller's mailbox.
%%
%% Two callers: host names (query/4, for scoped_ipv6_names) and DNS-SD
%% browsing (ask/2, for scoped_ipv6_browse), which asks other questions
%% and reads other records, the same way on the same sockets.
%%
%% Also the shared port 5353 itself, for those that listen on it (the
%% responder, scoped_ipv6_mdns_responder, and continuous browsing,
%% scoped_ipv6_watch): the socket (listen/1), and whether a packet's
%% sender may be believed (from_link/4; the link it arrived on is
%% scoped_ipv6_cmsg:received_on/1's; what they send is
%% scoped_ipv6_mdns_multicast's).
-module(scoped_ipv6_mdns).

-include("scoped_ipv6_mdns.hrl").

-export([query/4, ask/2, link_order/1, links/1, listen/1, read/3, from_link/4]).

%% At most this many addresses are kept from one link: a flood of
%% answers costs time, never memory.
-define(MAX_PER_LINK, 16).
%% A link that has not answered is asked again after 1 s, then 2 s...
%% (RFC 6762 section 5.2's intervals).
-define(RESEND, 1000).

-type answer() :: {inet:ip_address(), TTL :: non_neg_integer(), Flush :: boolean()}.
-type own() :: inet:ip_address().

%% @doc Asks `Links' (interface indexes, each with its link-local address
%% to bind, or with an IPv4 address of the link: then over IPv4, to
%% 224.0.0.251 from that address) for `Name'. A link may come twice, once
%% each way. Waits until every link has answered, or `settle'
%% ms after the first answer, or the deadline. Returns the records of
%% each link that answered, in the order of `Links'; `{error, no_link}'
%% when no socket could be opened on any link.
-spec query(scoped_ipv6_dns:name(), [a | aaaa], [{pos_integer(), own()}],
            #{deadline := integer(), settle := non_neg_integer()}) ->
    {ok, [{pos_integer(), [answer()]}]} | {error, no_link}.
query(Name, Types, Links, #{deadline := Deadline, settle := Settle}) ->
    Question = [{Name, Type} || Type <- Types],
    ask([{Index, Own, Question} || {Index, Own} <- Links],
        #{deadline => Deadline, settle => Settle, settle_from => first,
          read => fun(Packet, Id) -> scoped_ipv6_dns:parse_reply(Packet, Id, {Name, Types}) end,
          key => fun({Ip, _TTL, _Flush}) -> Ip end, max => ?MAX_PER_LINK,
          complete => fun(_Index, Records) -> Records =/= [] end}).

%% @doc Asks each link its own questions (`{Index, Own, [{Name, Type}]}',
%% `Own' as for query/4) in one message, and keeps what `read' makes of
%% each answer from that link (`{ok, Records}'; anything else is
%% dropped), one record per `key', newest kept, at most `max' a link.
%% Ends at the deadline, when `complete' holds for every link asked (given
%% the link's records so far), or `settle' ms after the first answer
%% (`settle_from => first') or after the latest one that brought a record
%% (`last'). Links that are not complete are asked again after 1 s, 2 s...
%% Returns each link's records, oldest first, links in the order given,
%% those without records left out.
-spec ask([{pos_integer(), own(), [{scoped_ipv6_dns:name(), atom()}]}],
          #{deadline := integer(), settle := non_neg_integer(), settle_from := first | last,
            read := fun((binary(), 0..65535) -> term()), key := fun((term()) -> term()),
            max := pos_integer(), complete := fun((pos_integer(), [term()]) -> boolean())}) ->
    {ok, [{pos_integer(), [term()]}]} | {error, term()}.
ask(Asks, Options) ->
    isolated(fun() -> run(Asks, Options) end).

run(Asks, #{deadline := Deadline} = Options) ->
    Id = rand:uniform(65536) - 1,
    Sockets = [{Index, S, scoped_ipv6_dns:questions_message(Id, Questions)}
               || {Index, Own, Questions} <- Asks, {ok, S} <- [open(Index, Own)]],
    Asked = lists:usort([Index || {Index, _, _} <- Sockets]),
    Links = [{Index, Own} || {Index, Own, _} <- Asks],
    try
        case Sockets of
            [] ->
                {error, no_link};
            _ ->
                [send(S, Index, Query) || {Index, S, Query} <- Sockets],
                State = Options#{sockets => Sockets, asked => Asked, id => Id, answers => #{},
                                 complete_links => [], interfaces => ipv4_interfaces(Links),
                                 settled => infinity, resend => now_ms() + ?RESEND,
                                 interval => ?RESEND, deadline => Deadline},
                Armed = lists:foldl(fun({Index, S, _}, St) -> arm(S, Index, St) end,
                                    State, Sockets),
                Answers = wait(Armed),
                {ok, [{Index, [R || {_, R} <- lists:reverse(Records)]}
                      || Index <- link_order(Links), lists:member(Index, Asked),
                         {ok, Records} <- [maps:find(Index, Answers)]]}
        end
    after
        [socket:close(S) || {_, S, _} <- Sockets]
    end.

%% The query runs in a process of its own: its sockets' select messages
%% never reach the caller's mailbox, and die with it.
isolated(Fun) ->
    Ref = make_ref(),
    Caller = self(),
    {Pid, Monitor} = spawn_monitor(fun() -> Caller ! {Ref, Fun()} end),
    receive
        {Ref, Result} ->
            erlang:demonitor(Monitor, [flush]),
            Result;
        {'DOWN', Monitor, process, Pid, Reason} ->
            {error, Reason}
    end.

%% @doc The indexes of `Links' (`{Index, Own}'; a link may come twice,
%% over IPv6 and IPv4) in the order given, each once, where it first
%% comes.
-spec link_order([{pos_integer(), own()}]) -> [pos_integer()].
link_order(Links) ->
    lists:foldr(fun({I, _}, Acc) -> [I | lists:delete(I, Acc)] end, [], Links).

%% IPv4: there is no scope to bind to, so the socket is bound to the
%% link's own IPv4 address and sends from it (IP_MULTICAST_IF); unlike
%% IPv6 link-local addresses, two links with the same IPv4 address are not
%% told apart.
%%
%% The question is looped back (IP(V6)_MULTICAST_LOOP, the OS default):
%% this host's own responders on port 5353 (ours, avahi) hear it as from
%% the link and answer by unicast, from our own address with the link's
%% scope, so that this host's names and services are found as a
%% neighbour's are.
open(_Index, {_, _, _, _} = Own) ->
    open(inet, [{{ip, multicast_if}, Own}, {{ip, multicast_ttl}, 255},
                {{ip, multicast_loop}, true}],
         #{family => inet, addr => Own, port => 0});
open(Index, Own) ->
    open(inet6, [{{ipv6, v6only}, true}, {{ipv6, multicast_if}, Index},
                 {{ipv6, multicast_hops}, 255}, {{ipv6, multicast_loop}, true}],
         scoped_ipv6_addr:to_sockaddr(Own, 0, Index)).

open(Family, Setup, Bind) ->
    case socket:open(Family, dgram, udp) of
        {ok, S} ->
            Ok = lists:all(fun({Opt, V}) -> socket:setopt(S, Opt, V) =:= ok end, Setup)
                andalso socket:bind(S, Bind) =:= ok,
            case Ok of
                true -> {ok, S};
                false -> socket:close(S), error
            end;
        {error, _} ->
            error
    end.

send(S, Index, Query) ->
    case socket:info(S) of
        #{domain := inet} -> socket:sendto(S, Query, #{family => inet, addr => ?GROUP4, port => ?PORT});
        _ -> socket:sendto(S, Query, scoped_ipv6_addr:to_sockaddr(?GROUP, ?PORT, Index))
    end.

%% Reads what is there, then waits in the poll set for more. At most
%% ?BATCH datagrams at a time: then the deadline is looked at again (a
%% message to itself stands for the select), so that a neighbour flooding
%% the link cannot keep a lookup past its timeout.
arm(S, Index, State) ->
    arm(S, Index, State, ?BATCH).

arm(S, _Index, State, 0) ->
    self() ! {'$socket', S, select, more},
    State;
arm(S, Index, State, Budget) ->
    case socket:recvfrom(S, ?MAX_MESSAGE, [], nowait) of
        {ok, {From, Packet}} -> arm(S, Index, take(Index, From, Packet, State), Budget - 1);
        {select, _} -> State;
        {error, _} -> State
    end.

wait(#{sockets := Sockets, deadline := Deadline, settled := Settled, resend := Resend,
       asked := Asked, complete_links := Complete} = State) ->
    Now = now_ms(),
    Done = length(Complete) =:= length(Asked),
    if
        Done; Now >= Deadline; Now >= Settled ->
            maps:get(answers, State);
        Now >= Resend ->
            [send(S, Index, Query) || {Index, S, Query} <- Sockets,
                                      not lists:member(Index, Complete)],
            Interval = 2 * maps:get(interval, State),
            wait(State#{resend := Now + Interval, interval := Interval});
        true ->
            Until = lists:min([Deadline, Settled, Resend]),
            receive
                {'$socket', S, select, _Handle} ->
                    case lists:keyfind(S, 2, Sockets) of
                        {Index, S, _} -> wait(arm(S, Index, State));
                        false -> wait(State)
                    end
            after max(0, Until - Now) ->
                wait(State)
            end
    end.

%% An answer counts only from the mDNS port (RFC 6762 section 6.7: legacy
%% unicast replies come from 5353), from this link (from_link/3), to our
%% query id, and as far as `read' makes records of it.
take(Index, #{port := ?PORT} = From, Packet,
     #{id := Id, read := Read, answers := Answers, settled := Settled} = State) ->
    case from_link(Index, From, State) andalso Read(Packet, Id) of
        {ok, [_ | _] = Records} ->
            Known = maps:get(Index, Answers, []),
            Merged = lists:foldl(fun(R, Acc) -> add(R, Acc, State) end, Known, Records),
            settle(Index, Merged, Merged =/= Known, State#{answers := Answers#{Index => Merged}},
                   Settled);
        _Other ->
            State
    end;
take(_Index, _From, _Packet, State) ->
    State.

%% When the lookup ends: `settle' ms after the first answer, or after
%% the latest that brought something new; at once when every link is
%% complete.
settle(Index, Merged, New, #{settle := Settle, settle_from := From,
                             complete := Complete, complete_links := Done} = State, Settled) ->
    Until = case {From, Settled, New} of
                {first, infinity, _} -> now_ms() + Settle;
                {first, _, _} -> Settled;
                {last, _, true} -> now_ms() + Settle;
                {last, _, false} -> Settled
            end,
    Finished = case New andalso not lists:member(Index, Done)
                   andalso Complete(Index, [R || {_, R} <- lists:reverse(Merged)]) of
                   true -> [Index | Done];
                   false -> Done
               end,
    State#{settled := Until, complete_links := Finished}.

%% RFC 6762 section 11: answers only from the link asked. Over IPv6 the
%% socket is bound to the link-local address, which no router forwards
%% to: a link-local sender must carry this link's scope. Over IPv4 the
%% socket's address is routable: the sender must be on the link
%% (scoped_ipv6_addr:from_link/3: link-local, or within its prefix).
from_link(Index, #{family := inet, addr := Ip4}, #{interfaces := Interfaces}) ->
    scoped_ipv6_addr:from_link(Ip4, Index, Interfaces);
from_link(Index, #{addr := Ip} = From, _State) ->
    maps:get(scope_id, From, 0) =:= Index orelse not scoped_ipv6_addr:needs_scope(Ip).

%% The interfaces, with their prefixes, when a link is asked over IPv4;
%% none (every IPv4 answer refused) when they cannot be read.
ipv4_interfaces(Links) ->
    case lists:any(fun({_, Own}) -> tuple_size(Own) =:= 4 end, Links) andalso
        scoped_ipv6_addr:interfaces() of
        {ok, Interfaces} -> Interfaces;
        _ -> []
    end.

%% Newest first (run/2 reverses), one entry per key, bounded.
add(Record, Known, #{key := Key, max := Max}) ->
    K = Key(Record),
    case lists:keymember(K, 1, Known) of
        true -> lists:keyreplace(K, 1, Known, {K, Record});
        false when length(Known) < Max -> [{K, Record} | Known];
        false -> Known
    end.

%% @doc The interfaces (as scoped_ipv6_addr:interfaces/0 gives them)
%% multicast DNS may use: up, multicast, not loopback.
-spec links([scoped_ipv6:interface()]) -> [scoped_ipv6:interface()].
links(Interfaces) ->
    [Interface || #{flags := Flags} = Interface <- Interfaces, lists:member(up, Flags),
                  lists:member(multicast, Flags), not lists:member(loopback, Flags)].

%% @doc Port 5353 of `Family' (`reuseaddr': shared with other responders
%% and queriers on this host, avahi's too), the arrival link and address
%% told (PKTINFO), our own multicast not looped back, sent with the TTL
%% RFC 6762 asks. No group joined yet.
-spec listen(inet | inet6) -> {ok, socket:socket()} | {error, term()}.
listen(Family) ->
    case socket:open(Family, dgram, udp) of
        {ok, S} ->
            Setup = case Family of
                        inet6 -> [{{socket, reuseaddr}, true}, {{ipv6, v6only}, true},
                                  {{ipv6, recvpktinfo}, true}, {{ipv6, multicast_hops}, 255},
                                  {{ipv6, multicast_loop}, false}];
                        inet -> [{{socket, reuseaddr}, true}, {{ip, pktinfo}, true},
                                 {{ip, multicast_ttl}, 255}, {{ip, multicast_loop}, false}]
                    end,
            case lists:all(fun({O, V}) -> socket:setopt(S, O, V) =:= ok end, Setup) andalso
                socket:bind(S, #{family => Family, addr => any, port => ?PORT}) of
                ok -> {ok, S};
                {error, _} = Error -> socket:close(S), Error;
                false -> socket:close(S), {error, einval}
            end;
        {error, _} = Error ->
            Error
    end.

%% @doc Reads what waits on a socket of listen/1, at most ?BATCH
%% datagrams (then the caller's timers and other messages get their turn:
%% a neighbour flooding the link cannot starve them), giving each to
%% `Handle' as socket:recvmsg/5 gives it (its sender in `addr', its
%% arrival in `ctrl': scoped_ipv6_cmsg:received_on/1 reads it) with its
%% bytes. A datagram `Handle'
%% cannot handle (it raises) is dropped with a warning; the reading goes
%% on. Returns why it stopped: `more' (the batch is used up: read again
%% soon), `{select, Info}' (nothing more: a select message will come) or
%% `error'.
-spec read(socket:socket(),
           fun((socket:msg_recv(), binary(), Acc) -> Acc),
           Acc) -> {more | {select, term()} | error, Acc}.
read(S, Handle, Acc) ->
    read(S, Handle, Acc, ?BATCH).

read(_S, _Handle, Acc, 0) ->
    {more, Acc};
read(S, Handle, Acc, Budget) ->
    case socket:recvmsg(S, ?MAX_MESSAGE, 0, [], nowait) of
        {ok, #{iov := Iov} = Msg} ->
            Next = try Handle(Msg, iolist_to_binary(Iov), Acc)
                   catch Class:Reason ->
                           logger:warning("scoped_ipv6: mDNS packet dropped: ~0tp",
                                          [{Class, Reason}]),
                           Acc
                   end,
            read(S, Handle, Next, Budget - 1);
        {select, Info} ->
            {{select, Info}, Acc};
        {error, _} ->
            {error, Acc}
    end.

%% @doc Whether a packet that arrived on link `Index', sent to `To', came
%% from that link (RFC 6762 sections 5.5 and 11): sent to ff02::fb or
%% 224.0.0.251, yes (no router forwards them); sent to an address of ours,
%% only from a source on the link, link-local or within one of its
%% prefixes (scoped_ipv6_addr:from_link/3, given `Interfaces' as
%% scoped_ipv6_addr:interfaces/0 gives them).
-spec from_link(map(), non_neg_integer(), scoped_ipv6:address() | none, [map()]) -> boolean().
from_link(_From, Index, {?GROUP, Index}, _Interfaces) ->
    true;
from_link(_From, _Index, ?GROUP4, _Interfaces) ->
    true;
from_link(From, Index, _To, Interfaces) ->
    {Source, _Port} = scoped_ipv6_addr:from_sockaddr(From),
    scoped_ipv6_addr:from_link(Source, Index, Interfaces).

now_ms() ->
    erlang:monotonic_time(millisecond).
