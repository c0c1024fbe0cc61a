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
%% Everything runs in the caller's process on OTP's `socket' module, each
%% socket waiting in the VM's poll set (`nowait' and select messages),
%% never on a scheduler; the caller is a short-lived process of
%% scoped_ipv6_names, so leftover select messages die with it.
-module(scoped_ipv6_mdns).

-export([query/4]).

-define(GROUP, {16#ff02, 0, 0, 0, 0, 0, 0, 16#fb}).
-define(GROUP4, {224, 0, 0, 251}).
-define(PORT, 5353).
%% RFC 6762 section 17: a multicast DNS message is at most 9,000 bytes;
%% a longer one is cut and then fails to decode.
-define(MAX_MESSAGE, 9000).
%% At most this many addresses are kept from one link: a flood of
%% answers costs time, never memory.
-define(MAX_PER_LINK, 16).
%% A link that has not answered is asked again after 1 s, then 2 s...
%% (RFC 6762 section 5.2's intervals).
-define(RESEND, 1000).
-define(BATCH, 64).

-type answer() :: {inet:ip_address(), TTL :: non_neg_integer(), Flush :: boolean()}.

%% @doc Asks `Links' (interface indexes, each with its link-local address
%% to bind, or with an IPv4 address of the link: then over IPv4, to
%% 224.0.0.251 from that address) for `Name'. A link may come twice, once
%% each way. Waits until every link has answered, or `settle'
%% ms after the first answer, or the deadline. Returns the records of
%% each link that answered, in the order of `Links'; `{error, no_link}'
%% when no socket could be opened on any link.
-spec query(scoped_ipv6_dns:name(), [a | aaaa],
            [{pos_integer(), inet:ip_address()}],
            #{deadline := integer(), settle := non_neg_integer()}) ->
    {ok, [{pos_integer(), [answer()]}]} | {error, no_link}.
query(Name, Types, Links, #{deadline := Deadline, settle := Settle}) ->
    Id = rand:uniform(65536) - 1,
    Query = scoped_ipv6_dns:query_message(Id, Name, Types, #{}),
    Sockets = [{Index, S} || {Index, Own} <- Links, {ok, S} <- [open(Index, Own)]],
    Asked = lists:usort([Index || {Index, _} <- Sockets]),
    try
        case Sockets of
            [] ->
                {error, no_link};
            _ ->
                [send(S, Index, Query) || {Index, S} <- Sockets],
                State = #{sockets => Sockets, asked => length(Asked), query => Query, id => Id,
                          question => {Name, Types}, answers => #{},
                          interfaces => ipv4_interfaces(Links),
                          deadline => Deadline, settle => Settle, settled => infinity,
                          resend => now_ms() + ?RESEND, interval => ?RESEND},
                Armed = lists:foldl(fun({Index, S}, St) -> arm(S, Index, St) end,
                                    State, Sockets),
                Answers = wait(Armed),
                {ok, [{Index, lists:reverse(Records)}
                      || Index <- in_order(Links, Asked), {ok, Records} <- [maps:find(Index, Answers)]]}
        end
    after
        [socket:close(S) || {_, S} <- Sockets]
    end.

%% The links' indexes in the order given, each once.
in_order(Links, Asked) ->
    lists:foldr(fun({I, _}, Acc) ->
                        case lists:member(I, Asked) of
                            true -> [I | lists:delete(I, Acc)];
                            false -> Acc
                        end
                end, [], Links).

%% IPv4: there is no scope to bind to, so the socket is bound to the
%% link's own IPv4 address and sends from it (IP_MULTICAST_IF); unlike
%% IPv6 link-local addresses, two links with the same IPv4 address are not
%% told apart.
open(_Index, {_, _, _, _} = Own) ->
    open(inet, [{{ip, multicast_if}, Own}, {{ip, multicast_ttl}, 255},
                {{ip, multicast_loop}, false}],
         #{family => inet, addr => Own, port => 0});
open(Index, Own) ->
    open(inet6, [{{ipv6, v6only}, true}, {{ipv6, multicast_if}, Index},
                 {{ipv6, multicast_hops}, 255}, {{ipv6, multicast_loop}, false}],
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

wait(#{answers := Answers, sockets := Sockets, deadline := Deadline, settled := Settled,
       resend := Resend, asked := Asked} = State) ->
    Now = now_ms(),
    Done = map_size(Answers) =:= Asked,
    if
        Done; Now >= Deadline; Now >= Settled ->
            Answers;
        Now >= Resend ->
            [send(S, Index, maps:get(query, State))
             || {Index, S} <- Sockets, not maps:is_key(Index, Answers)],
            Interval = 2 * maps:get(interval, State),
            wait(State#{resend := Now + Interval, interval := Interval});
        true ->
            Until = lists:min([Deadline, Settled, Resend]),
            receive
                {'$socket', S, select, _Handle} ->
                    case lists:keyfind(S, 2, Sockets) of
                        {Index, S} -> wait(arm(S, Index, State));
                        false -> wait(State)
                    end
            after max(0, Until - Now) ->
                wait(State)
            end
    end.

%% An answer counts only from the mDNS port (RFC 6762 section 6.7: legacy
%% unicast replies come from 5353), from this link (from_link/3), to our
%% query id, for our name and types.
take(Index, #{port := ?PORT} = From, Packet,
     #{id := Id, question := Question, answers := Answers, settled := Settled,
       settle := Settle} = State) ->
    case from_link(Index, From, State) andalso scoped_ipv6_dns:parse_reply(Packet, Id, Question) of
        {ok, [_ | _] = Records} ->
            Known = maps:get(Index, Answers, []),
            Merged = lists:foldl(fun add/2, Known, Records),
            First = case Settled of infinity -> now_ms() + Settle; _ -> Settled end,
            State#{answers := Answers#{Index => Merged}, settled := First};
        _Other ->
            State
    end;
take(_Index, _From, _Packet, State) ->
    State.

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

%% Newest first (query/4 reverses), one entry per address, bounded.
add({Ip, _, _} = Record, Known) ->
    case lists:keymember(Ip, 1, Known) of
        true -> lists:keyreplace(Ip, 1, Known, Record);
        false when length(Known) < ?MAX_PER_LINK -> [Record | Known];
        false -> Known
    end.

now_ms() ->
    erlang:monotonic_time(millisecond).
