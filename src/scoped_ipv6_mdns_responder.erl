%% @private
%% A minimal multicast DNS responder (RFC 6762) for this host's own name:
%% with `{mdns_responder, #{name => "device", links => ["usb0"]}}' in the
%% application env, `device.local' answers A and AAAA questions on those
%% links (`links => all': every link that is up, multicast, not loopback)
%% with the addresses of the link the question came on.
%%
%% Per link, as RFC 6762 section 8 asks: after a random 0-250 ms, three
%% probes 250 ms apart (a question for the name, type ANY, with the
%% records we mean to claim in the authority section); an answer from
%% someone else for the name on that link during probing is a conflict:
%% that link probes again for another name (section 9: `device-2.local',
%% then `device-3.local', as avahi chooses; a warning is logged), after 5 s
%% once fifteen conflicts came within 10 s (section 8.1). Each link keeps
%% the name it won: a name taken on one link stays ours on the others.
%% Then two announcements 1 s apart, answers with the cache-flush bit.
%% An answer later on that gives our name an address not ours on the link
%% sends the link back to probing (section 9); another host probing for
%% the name while we do is settled by section 8.2's tie-break.
%% Links are looked at every ?POLL ms: a link that went away is dropped
%% (its queries stop coming anyway), and probed again when it is back; an
%% announced link whose addresses changed is announced again (section
%% 8.4), its records with the cache-flush bit replacing what neighbours
%% have.
%% On stop, goodbyes (TTL 0) go out on every link that was announced.
%%
%% Questions are answered on the link they arrived on (IPV6_PKTINFO).
%% Over IPv6 (ff02::fb) on every link served, and over IPv4 (224.0.0.251)
%% too on those with an IPv4 address: probes, announcements and goodbyes
%% go out on both, an answer on the family it was asked on.
%% A packet sent to ff02::fb or 224.0.0.251 comes from that link (no
%% router forwards it); one sent to an address of ours is taken only from a source on the
%% link it arrived on, link-local or within one of that link's prefixes
%% (RFC 6762 sections 5.5 and 11): others could come from anywhere, to
%% learn our addresses or to fake a conflict. A one-shot query (source port not 5353,
%% RFC 6762 section 6.7) gets a unicast answer with its id and question
%% and a 10 s TTL; a QU question a unicast answer; others a multicast
%% answer, without the records the question lists as known answers with
%% at least half their TTL left (section 7.1). A reverse question for one
%% of the link's addresses (`...ip6.arpa', `...in-addr.arpa', PTR) is
%% answered with our name there. Response delays and aggregation, service
%% discovery (PTR/SRV/TXT) is not done.
-module(scoped_ipv6_mdns_responder).
-behaviour(gen_server).

-export([start_link/1, config/0, names/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-ifdef(TEST).
-export([alternative/1]).
-endif.

-define(GROUP, {16#ff02, 0, 0, 0, 0, 0, 0, 16#fb}).
-define(GROUP4, {224, 0, 0, 251}).
-define(PORT, 5353).
-define(TTL, 120).
-define(LEGACY_TTL, 10).
-define(PROBE_WAIT, 250).
-define(PROBE_DEFER, 1000).
%% RFC 6762 section 8.1: after 15 conflicts within 10 s, 5 s before each probe.
-define(CONFLICT_LIMIT, 15).
-define(CONFLICT_PERIOD, 10000).
-define(CONFLICT_WAIT, 5000).
-define(ANNOUNCE_WAIT, 1000).
-define(POLL, 1000).
-define(MAX_MESSAGE, 9000).
-define(BATCH, 64).

%% @doc The responder's settings from the application env, if any:
%% `{ok, {Name, Links}}' with the name as a DNS name (`"device.local"').
-spec config() -> {ok, {string(), all | [scoped_ipv6:scope()]}} | none.
config() ->
    case application:get_env(scoped_ipv6, mdns_responder) of
        {ok, #{name := Name} = Config} ->
            Links = maps:get(links, Config, all),
            case scoped_ipv6_dns:name(Name) of
                {ok, Host} when Links =:= all; is_list(Links) ->
                    Full = case scoped_ipv6_dns:is_local(Host) of
                               true -> Host;
                               false -> Host ++ ".local"
                           end,
                    {ok, {Full, Links}};
                _ ->
                    logger:warning("scoped_ipv6: mdns_responder ignored: bad name or links ~0tp",
                                   [Config]),
                    none
            end;
        _ ->
            none
    end.

%% @doc The name announced on each link, by interface index;
%% `{error, not_running}' without a responder.
-spec names() -> {ok, #{non_neg_integer() => string()}} | {error, not_running}.
names() ->
    try gen_server:call(?MODULE, names) of
        Names -> {ok, Names}
    catch
        exit:{noproc, _} -> {error, not_running};
        exit:{normal, _} -> {error, not_running};
        exit:{shutdown, _} -> {error, not_running}
    end.

-spec start_link({string(), all | [scoped_ipv6:scope()]}) -> {ok, pid()} | {error, term()}.
start_link(Config) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, Config, []).

%% @private gen_server callback.
-spec init({string(), all | [scoped_ipv6:scope()]}) -> {ok, map()} | ignore.
init({Name, Links}) ->
    process_flag(trap_exit, true),
    case open(inet6) of
        {ok, Socket} ->
            State = #{socket => Socket, name => Name, links => Links,
                      %% IPv4 (224.0.0.251) too, on the links with an IPv4
                      %% address (`joined4'), where this host has IPv4.
                      socket4 => case open(inet) of {ok, S4} -> S4; {error, _} -> none end,
                      pending4 => undefined, joined4 => [],
                      %% Index => the name claimed there, when not `name'.
                      names => #{},
                      %% Index => the times of the last conflicts there.
                      conflicts => #{},
                      %% Index => probing | {announcing, N} | announced
                      state => #{},
                      %% Index => the current probe sequence's number: a
                      %% sequence started again (after a lost tie-break or a
                      %% claim) makes the old one's messages stale.
                      probes => #{}, pending => undefined,
                      %% The links served, as scoped_ipv6_addr:interfaces/0
                      %% gives them (their addresses, with prefixes).
                      interfaces => []},
            self() ! poll,
            {ok, arm(inet, arm(inet6, State))};
        {error, Reason} ->
            %% Without its socket there is nothing to answer with; the
            %% application runs on without a responder.
            logger:warning("scoped_ipv6: mDNS responder for ~ts not started: ~0tp",
                           [Name, Reason]),
            ignore
    end.

%% Port 5353 of `Family', the arrival link and address told (PKTINFO), our
%% own multicast not looped back, sent with the TTL RFC 6762 asks.
open(Family) ->
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

%% @private gen_server callback.
-spec handle_call(term(), gen_server:from(), map()) -> {reply, term(), map()}.
handle_call(links, _From, #{state := Links} = State) ->
    {reply, Links, State};
handle_call(names, _From, #{state := Links} = State) ->
    {reply, maps:from_list([{I, name(State, I)} || {I, announced} <- maps:to_list(Links)]),
     State};
handle_call(_Request, _From, State) ->
    {reply, {error, einval}, State}.

%% @private gen_server callback.
-spec handle_cast(term(), map()) -> {noreply, map()}.
handle_cast(_Message, State) ->
    {noreply, State}.

%% @private gen_server callback.
-spec handle_info(term(), map()) -> {noreply, map()}.
handle_info({'$socket', S, select, Handle},
            #{socket := S, pending := {select_info, _, Handle}} = State) ->
    {noreply, arm(inet6, State#{pending := undefined})};
handle_info({'$socket', S, select, Handle},
            #{socket4 := S, pending4 := {select_info, _, Handle}} = State) ->
    {noreply, arm(inet, State#{pending4 := undefined})};
handle_info({rearm, Family}, State) ->
    case maps:get(pending_key(Family), State) of
        undefined -> {noreply, arm(Family, State)};
        _Waiting -> {noreply, State}
    end;
handle_info(poll, State) ->
    erlang:send_after(?POLL, self(), poll),
    {noreply, poll(State)};
handle_info({probe, Index, N, Sequence}, #{state := Links, probes := Probes} = State) ->
    case {maps:get(Index, Links, gone), maps:get(Index, Probes, none)} of
        {probing, Sequence} when N < 3 ->
            send_multicast(Index, probe(State, Index), State),
            erlang:send_after(?PROBE_WAIT, self(), {probe, Index, N + 1, Sequence}),
            {noreply, State};
        {probing, Sequence} ->
            self() ! {announce, Index, 0},
            {noreply, State#{state := Links#{Index => {announcing, 0}}}};
        _ ->
            {noreply, State}
    end;
handle_info({announce, Index, N}, #{state := Links} = State) ->
    case maps:get(Index, Links, gone) of
        {announcing, _} ->
            send_multicast(Index, announcement(State, Index, ?TTL), State),
            case N of
                0 ->
                    erlang:send_after(?ANNOUNCE_WAIT, self(), {announce, Index, 1}),
                    {noreply, State#{state := Links#{Index => {announcing, 1}}}};
                _ ->
                    {noreply, State#{state := Links#{Index => announced}}}
            end;
        _ ->
            {noreply, State}
    end;
handle_info(_Message, State) ->
    {noreply, State}.

%% @private gen_server callback.
-spec terminate(term(), map()) -> ok.
terminate(_Reason, #{socket := S, state := Links} = State) ->
    [send_multicast(I, announcement(State, I, 0), State)
     || {I, L} <- maps:to_list(Links), L =:= announced orelse is_tuple(L)],
    _ = socket:close(S),
    _ = maps:get(socket4, State) =:= none orelse socket:close(maps:get(socket4, State)),
    ok.

%% --- links --------------------------------------------------------------------

%% The links that should be served now, each with its addresses; new ones
%% are joined and probed, gone ones dropped, announced ones whose
%% addresses changed announced again.
poll(#{socket := S, links := Wanted, state := Links, interfaces := Before} = State) ->
    Usable = usable(Wanted),
    Changed = [I || {I, announced} <- maps:to_list(Links),
                    lists:sort(link_addresses(Before, I)) =/= lists:sort(link_addresses(Usable, I))],
    [self() ! {announce, I, 0} || I <- Changed],
    Announcing = maps:from_list([{I, {announcing, 0}} || I <- Changed]),
    Here = [I || #{index := I} <- Usable],
    Gone = [I || I <- maps:keys(Links), not lists:member(I, Here)],
    New = [I || I <- Here, not maps:is_key(I, Links)],
    [socket:setopt(S, {ipv6, drop_membership}, #{multiaddr => ?GROUP, interface => I})
     || I <- Gone],
    Joined = [I || I <- New,
                   socket:setopt(S, {ipv6, add_membership},
                                 #{multiaddr => ?GROUP, interface => I}) =:= ok],
    %% RFC 6762 section 8.1: a random 0-250 ms before the first probe, so
    %% that hosts started together do not probe in step.
    lists:foldl(fun(I, Acc) -> probe_from(I, rand:uniform(?PROBE_WAIT) - 1, Acc) end,
                join4(State#{state := maps:merge(maps:without(Gone, Links), Announcing),
                             interfaces := Usable}), Joined).

%% 224.0.0.251 joined on the served links with an IPv4 address, left on
%% the others.
join4(#{socket4 := none} = State) ->
    State;
join4(#{socket4 := S4, joined4 := Joined, interfaces := Interfaces} = State) ->
    With = [I || #{index := I, addrs := As} <- Interfaces,
                 lists:any(fun(#{addr := {_, _, _, _}}) -> true; (_) -> false end, As)],
    [membership4(S4, drop_membership, I) || I <- Joined, not lists:member(I, With)],
    Now = [I || I <- With, lists:member(I, Joined) orelse
                               membership4(S4, add_membership, I) =:= ok],
    State#{joined4 := Now}.

membership4(S4, Which, Index) ->
    case scoped_ipv6_sockopts:membership(Which, ?GROUP4, any, Index) of
        {ok, Setting} -> scoped_ipv6_sockopts:set(S4, [Setting]);
        {error, _} = Error -> Error
    end.

%% Link `Index' probes (again), its first probe `Delay' ms from now.
probe_from(Index, Delay, #{state := Links, probes := Probes} = State) ->
    Sequence = maps:get(Index, Probes, 0) + 1,
    erlang:send_after(Delay, self(), {probe, Index, 0, Sequence}),
    State#{state := Links#{Index => probing}, probes := Probes#{Index => Sequence}}.

usable(Wanted) ->
    case scoped_ipv6_addr:interfaces() of
        {ok, Interfaces} ->
            [Interface
             || #{index := I, name := Name, flags := Flags, addrs := Addrs} = Interface
                    <- Interfaces,
                lists:member(up, Flags), lists:member(multicast, Flags),
                not lists:member(loopback, Flags),
                lists:any(fun(#{addr := {{W, _, _, _, _, _, _, _}, _}}) ->
                                  W band 16#ffc0 =:= 16#fe80;
                             (_) -> false
                          end, Addrs),
                wanted(I, Name, Wanted)];
        {error, _} ->
            []
    end.

wanted(_I, _Name, all) -> true;
wanted(I, Name, Links) ->
    lists:any(fun(L) when is_integer(L) -> L =:= I;
                 (L) -> text(L) =:= Name
              end, Links).

text(L) ->
    try unicode:characters_to_list(L)
    catch error:_ -> error
    end.

%% Our records of `Types' for link `Index': its IPv6 addresses (AAAA) and
%% IPv4 (A).
records(State, Index, TTL, Flush, Types) ->
    Name = name(State, Index),
    Addrs = addresses(State, Index),
    Aaaa = lists:member(aaaa, Types),
    A = lists:member(a, Types),
    [rr(Name, aaaa, Ip, TTL, Flush) || Aaaa, {_, _, _, _, _, _, _, _} = Ip <- Addrs] ++
        [rr(Name, a, Ip, TTL, Flush) || A, {_, _, _, _} = Ip <- Addrs].

%% The addresses of link `Index' without their scopes (records carry
%% none): the scoped (link-local) ones first, then other IPv6, then IPv4.
addresses(#{interfaces := Interfaces}, Index) ->
    Addrs = [A || #{addr := A} <- link_addresses(Interfaces, Index)],
    [Ip || {{_, _, _, _, _, _, _, _} = Ip, _Scope} <- Addrs] ++
        [Ip || {_, _, _, _, _, _, _, _} = Ip <- Addrs] ++
        [Ip || {_, _, _, _} = Ip <- Addrs].

%% The addresses of link `Index' as scoped_ipv6_addr:interfaces/0 gives them.
link_addresses(Interfaces, Index) ->
    lists:append([As || #{index := I, addrs := As} <- Interfaces, I =:= Index]).

rr(Name, Type, Ip, TTL, Flush) ->
    scoped_ipv6_dns:address_record(Name, Type, Ip, TTL, Flush).

%% Every record of ours on link `Index', as an unsolicited answer (TTL 0:
%% a goodbye, RFC 6762 section 10.1).
announcement(State, Index, TTL) ->
    scoped_ipv6_dns:answer_message(0, [], records(State, Index, TTL, true, [a, aaaa])).

probe(State, Index) ->
    scoped_ipv6_dns:probe_message(name(State, Index), records(State, Index, ?TTL, false, [a, aaaa])).

%% Probes, announcements and goodbyes go to ff02::fb on the link, and to
%% 224.0.0.251 where we joined it there.
send_multicast(Index, Packet, #{joined4 := Joined4} = State) ->
    send_multicast(inet6, Index, Packet, State),
    _ = lists:member(Index, Joined4) andalso send_multicast(inet, Index, Packet, State),
    ok.

send_multicast(inet6, Index, Packet, #{socket := S}) ->
    socket:sendto(S, Packet, #{family => inet6, addr => ?GROUP, port => ?PORT,
                               scope_id => Index, flowinfo => 0});
send_multicast(inet, Index, Packet, #{socket4 := S4}) ->
    %% IP_PKTINFO's interface chooses the link.
    {ok, Ctrl} = scoped_ipv6_cmsg:encode([{pktinfo, {{0, 0, 0, 0}, Index}}], inet),
    socket:sendmsg(S4, #{addr => #{family => inet, addr => ?GROUP4, port => ?PORT},
                         iov => [Packet], ctrl => Ctrl}).

socket_of(inet6, #{socket := S}) -> S;
socket_of(inet, #{socket4 := S4}) -> S4.

pending_key(inet6) -> pending;
pending_key(inet) -> pending4.

%% --- questions ------------------------------------------------------------------

%% At most ?BATCH packets at a time, then the other messages (probes,
%% polls) get their turn: a flood cannot starve them.
arm(inet, #{socket4 := none} = State) ->
    State;
arm(Family, State) ->
    arm(Family, State, ?BATCH).

arm(Family, State, 0) ->
    self() ! {rearm, Family},
    State#{pending_key(Family) := undefined};
arm(Family, State, Budget) ->
    case socket:recvmsg(socket_of(Family, State), ?MAX_MESSAGE, 0, [], nowait) of
        {ok, #{addr := From, iov := Iov} = Msg} ->
            %% A packet this code cannot handle is dropped; the responder
            %% stays up for the others.
            Next = try handle(From, arrival(Msg), iolist_to_binary(Iov), State)
                   catch Class:Reason ->
                           logger:warning("scoped_ipv6: mDNS packet dropped: ~0tp", [{Class, Reason}]),
                           State
                   end,
            arm(Family, Next, Budget - 1);
        {select, SelectInfo} ->
            State#{pending_key(Family) := SelectInfo};
        {error, _} ->
            State
    end.

%% The interface a packet arrived on and the address it was sent to,
%% scoped by that interface when it needs a scope (IPV6_PKTINFO, read by
%% scoped_ipv6_cmsg). `{0, none}' without one.
arrival(#{ctrl := Ctrl}) ->
    case scoped_ipv6_cmsg:pktinfo(Ctrl) of
        {ok, {To, Index}} -> {Index, To};
        error -> {0, none}
    end;
arrival(_) ->
    {0, none}.

handle(#{family := Family, port := Port} = From, {Index, To}, Packet,
       #{state := Links} = State) ->
    LinkState = maps:get(Index, Links, gone),
    Lower = lower(name(State, Index)),
    case LinkState =/= gone andalso from_link(From, Index, To, State) andalso
        scoped_ipv6_dns:read_message(Packet) of
        {ok, #{reply := false} = Msg} when LinkState =:= announced ->
            question(Msg, Index, Lower, {Family, From, Port}, State);
        {ok, #{reply := true} = Msg} when LinkState =:= probing ->
            conflict(Msg, Index, Lower, State);
        {ok, #{reply := false} = Msg} when LinkState =:= probing ->
            tie_break(Msg, Index, Lower, State);
        {ok, #{reply := true} = Msg} when LinkState =:= announced ->
            contested(Msg, Index, Lower, State);
        _ ->
            State
    end;
handle(_From, _Arrival, _Packet, State) ->
    State.

%% Sent to ff02::fb or 224.0.0.251: from the link. Sent to us: only from link `Index'
%% (RFC 6762 section 5.5; scoped_ipv6_addr:from_link/3).
from_link(_From, Index, {?GROUP, Index}, _State) ->
    true;
from_link(_From, _Index, ?GROUP4, _State) ->
    %% 224.0.0.0/24 is never forwarded: from the arrival link.
    true;
from_link(From, Index, _To, #{interfaces := Interfaces}) ->
    {Source, _Port} = scoped_ipv6_addr:from_sockaddr(From),
    scoped_ipv6_addr:from_link(Source, Index, Interfaces).

question(#{id := Id, questions := Questions, known := Known}, Index, Lower,
         {Family, From, Port}, State) ->
    S = socket_of(Family, State),
    {Ours, Wanted} = asked(Questions, Lower, addresses(State, Index)),
    case Ours of
        [] ->
            State;
        _ when Port =/= ?PORT ->
            %% One-shot (legacy unicast) query: id and question back, short TTL.
            Records = unknown(answers(State, Index, ?LEGACY_TTL, false, Wanted), Known,
                              ?LEGACY_TTL),
            _ = Records =/= [] andalso
                socket:sendto(S, scoped_ipv6_dns:answer_message(Id, Ours, Records), From),
            State;
        _ ->
            Records = unknown(answers(State, Index, ?TTL, true, Wanted), Known, ?TTL),
            Unicast = lists:any(fun({_, _, _, QU, _}) -> QU end, Ours),
            Packet = scoped_ipv6_dns:answer_message(0, [], Records),
            _ = Records =/= [] andalso
                case Unicast of
                    true -> socket:sendto(S, Packet, From);
                    %% RFC 6762 section 6: the family it was asked on.
                    false -> send_multicast(Family, Index, Packet, State)
                end,
            State
    end.

%% The questions that are ours, and what they ask for: `a' and `aaaa' for
%% our name, `{ptr, Ip}' for the reverse name (ip6.arpa, in-addr.arpa) of
%% one of the link's addresses `Ips'.
asked(Questions, Lower, Ips) ->
    Reverse = [{scoped_ipv6_dns:reverse_name(Ip), Ip} || lists:any(fun is_reverse/1, Questions),
                                                        Ip <- Ips],
    Asked = [{Q, Wanted} || {Name, Type, Class, _Unicast, _} = Q <- Questions,
                            lists:member(Class, [in, any]),
                            Wanted <- wanted(Name, Type, Lower, Reverse)],
    {lists:usort([Q || {Q, _} <- Asked]), [W || {_, W} <- Asked]}.

wanted(Lower, any, Lower, _Reverse) -> [a, aaaa];
wanted(Lower, Type, Lower, _Reverse) when Type =:= a; Type =:= aaaa -> [Type];
wanted(Name, Type, _Lower, Reverse) when Type =:= ptr; Type =:= any ->
    [{ptr, Ip} || {Reversed, Ip} <- Reverse, Reversed =:= Name];
wanted(_Name, _Type, _Lower, _Reverse) ->
    [].

is_reverse({Name, _, _, _, _}) ->
    lists:suffix(".arpa", Name).

%% Our records for what was asked: the addresses of `Wanted''s types, and
%% a reverse pointer to our name for each `{ptr, Ip}'.
answers(State, Index, TTL, Flush, Wanted) ->
    Name = name(State, Index),
    records(State, Index, TTL, Flush, [T || T <- Wanted, is_atom(T)]) ++
        [scoped_ipv6_dns:pointer_record(scoped_ipv6_dns:reverse_name(Ip), Name, TTL, Flush)
         || {ptr, Ip} <- lists:usort([W || {ptr, _} = W <- Wanted])].

%% RFC 6762 section 7.1: a record the question already lists among its
%% known answers, with at least half the TTL we would give, is not sent.
unknown(Records, Known, TTL) ->
    Fresh = [Key || {Key, Left} <- Known, Left >= TTL div 2],
    [R || R <- Records, not lists:member(scoped_ipv6_dns:record_key(R), Fresh)].

%% Someone else answers for our name on this link while we probe: the
%% link probes again for the next name (section 9), at once, or 5 s from
%% now after fifteen conflicts within 10 s (section 8.1).
conflict(#{records := Records}, Index, Lower,
         #{names := Names, conflicts := Conflicts} = State) ->
    case [R || {Owner, _Type, _Data} = R <- Records, Owner =:= Lower] of
        [] ->
            State;
        _Theirs ->
            Taken = name(State, Index),
            Next = alternative(Taken),
            logger:warning("scoped_ipv6: ~ts is taken on link ~p: trying ~ts there",
                           [Taken, Index, Next]),
            Now = erlang:monotonic_time(millisecond),
            Recent = [T || T <- maps:get(Index, Conflicts, []), Now - T < ?CONFLICT_PERIOD],
            Delay = case length(Recent) >= ?CONFLICT_LIMIT of
                        true -> ?CONFLICT_WAIT;
                        false -> 0
                    end,
            probe_from(Index, Delay,
                       State#{names := Names#{Index => Next},
                              conflicts := Conflicts#{Index => lists:sublist([Now | Recent],
                                                                             ?CONFLICT_LIMIT)}})
    end.

%% The name claimed on link `Index'.
name(#{names := Names, name := Name}, Index) ->
    maps:get(Index, Names, Name).

%% The name to try after `Name' was taken: its first label with `-2'
%% added, or its number raised (`device' -> `device-2' -> `device-3'), as
%% avahi chooses; the label is cut to stay within 63 bytes.
alternative(Name) ->
    {Label, Domain} = lists:splitwith(fun(C) -> C =/= $. end, Name),
    {Base, N} = numbered(Label),
    Suffix = "-" ++ integer_to_list(N + 1),
    lists:sublist(Base, 63 - length(Suffix)) ++ Suffix ++ Domain.

numbered(Label) ->
    case string:split(Label, "-", trailing) of
        [Base, Digits] when Base =/= [], Digits =/= [], length(Digits) =< 9 ->
            case lists:all(fun(C) -> C >= $0 andalso C =< $9 end, Digits) of
                true -> {Base, list_to_integer(Digits)};
                false -> {Label, 1}
            end;
        _ ->
            {Label, 1}
    end.

%% RFC 6762 section 9: an answer, after we announced, that gives our name
%% an address we do not have on this link is another host's claim. The
%% link is probed again: if that host answers a probe, the name is its
%% there and we probe for the next (conflict/4); if not, we announce
%% again. An answer with only our own addresses (another host's cache,
%% say) is no conflict.
contested(#{records := Records}, Index, Lower, State) ->
    Ours = addresses(State, Index),
    Claimed = [Data || {Owner, Type, Data} <- Records, Owner =:= Lower,
                       Type =:= a orelse Type =:= aaaa, not lists:member(Data, Ours)],
    case Claimed of
        [] ->
            State;
        _ ->
            probe_from(Index, 0, State)
    end.

%% RFC 6762 section 8.2: another host probing for our name on this link
%% while we do. Each side's address records, sorted (class, type, then
%% the data's bytes), are compared in order, a longer list winning a tie
%% of its first records; the lexicographically later side wins. We lose:
%% we probe again in a second, by when the winner answers for the name.
%% We win, or the records are the same: its probe is ignored.
tie_break(#{authority := Authority}, Index, Lower, State) ->
    Theirs = lists:sort([sortable(Data) || {Owner, Type, Data} <- Authority,
                                           Owner =:= Lower, is_address(Type, Data)]),
    Ours = lists:sort([sortable(Ip) || Ip <- addresses(State, Index)]),
    case Theirs =/= [] andalso Ours < Theirs of
        true -> probe_from(Index, ?PROBE_DEFER, State);
        false -> State
    end.

%% An A or AAAA record's data as decoded (anything else is no address).
is_address(a, {_, _, _, _}) -> true;
is_address(aaaa, {_, _, _, _, _, _, _, _}) -> true;
is_address(_Type, _Data) -> false.

%% An address record as section 8.2 orders it: its class (IN, 1), its
%% type (A 1, AAAA 28), then the data as sent.
sortable({_, _, _, _} = Ip) -> {1, 1, scoped_ipv6_addr:to_bytes(Ip)};
sortable({_, _, _, _, _, _, _, _} = Ip) -> {1, 28, scoped_ipv6_addr:to_bytes(Ip)}.

lower(Name) -> scoped_ipv6_dns:lower(Name).
