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
%% Over IPv6 (ff02::fb) on every link served with a link-local address,
%% and over IPv4 (224.0.0.251) on those with an IPv4 address (a link
%% without a link-local address is served over IPv4 alone): probes,
%% announcements and goodbyes go out on each, an answer on the family it
%% was asked on.
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
%% answered with our name there (those PTRs are announced with the rest,
%% and so get goodbyes; a removed address's at once). An answer with
%% shared records waits 20 to 120 ms (section 6), and so does every answer
%% to a query of several questions (section 6.3); a probe's defense never
%% waits. A query with TC set (its known answers go on in the next
%% packets) waits 400 to 500 ms instead, the same querier's packets
%% meanwhile adding theirs (section 7.2, scoped_ipv6_mdns_deferred).
%% Multicast answers go through scoped_ipv6_mdns_outbox: a record at most
%% once a second on a link (every 250 ms to a probe), answers aggregated
%% in one message (section 6.4), what another host sends meanwhile left
%% out (section 7.4).
%%
%% Services (DNS-SD, RFC 6763): with `services => [#{type => "_http._tcp",
%% port => 80, name => "Web", txt => ["path=/"], subtypes => ["_printer"]}]'
%% in the settings, each
%% service's instance name (`Web._http._tcp.local', the host's label when
%% no name is given) is probed with the host name and renamed on a
%% conflict as avahi does (`Web #2'); its SRV (the port, on the name the
%% link has) and TXT records are ours alone, the PTRs of its type and
%% subtypes (`_printer._sub._http._tcp.local') and the enumeration PTR
%% (`_services._dns-sd._udp.local') shared. A browse (PTR for the type or
%% a subtype) is answered with the SRV, TXT and addresses along (section
%% 12).
%%
%% Services change while it runs (advertise/1, withdraw/1): a new one is
%% probed on each link, which keeps answering for its host name and the
%% services it had announced meanwhile (`confirmed'), then announced; a
%% new port or TXT for a service it has is announced at once (section
%% 8.4); a withdrawn one's records get their goodbyes. The application
%% environment is updated too, so that a restarted responder advertises
%% what this one did.
-module(scoped_ipv6_mdns_responder).
-behaviour(gen_server).

-include("scoped_ipv6_mdns.hrl").

-export([start_link/1, config/0, names/0, services/0, advertise/1, withdraw/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

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
%% RFC 6762 section 7.2: a query whose known answers go on in the next
%% packets (TC) waits 400 to 500 ms for them.
-define(HOLD_MIN, 400).
-define(HOLD_SPAN, 100).

%% @doc The responder's settings from the application env, if any:
%% `{ok, {Name, Links, Services}}' with the name as a DNS name
%% (`"device.local"') and the services as scoped_ipv6_mdns_records:service/2
%% reads them.
-spec config() -> {ok, config()} | none.
config() ->
    case application:get_env(scoped_ipv6, mdns_responder) of
        {ok, #{name := Name} = Config} ->
            case settings(Name, maps:get(links, Config, all), maps:get(services, Config, [])) of
                {ok, _} = Settings ->
                    Settings;
                error ->
                    logger:warning("scoped_ipv6: mdns_responder ignored: bad name, links or "
                                   "services ~0tp", [Config]),
                    none
            end;
        _ ->
            none
    end.

settings(Name, Links, Services) when Links =:= all; is_list(Links) ->
    case scoped_ipv6_dns:name(Name) of
        {ok, Host} ->
            Full = case scoped_ipv6_dns:is_local(Host) of
                       true -> Host;
                       false -> Host ++ ".local"
                   end,
            case configured(Services, Host) of
                {ok, Read} -> {ok, {Full, Links, Read}};
                error -> error
            end;
        error ->
            error
    end;
settings(_Name, _Links, _Services) ->
    error.

%% Each service's instance is named after the host's label by default.
configured(Configs, Host) when is_list(Configs) ->
    Label = hd(string:split(Host, ".")),
    Services = [scoped_ipv6_mdns_records:service(C, Label) || C <- Configs],
    case lists:all(fun(S) -> S =/= error end, Services) of
        true -> {ok, [S || {ok, S} <- Services]};
        false -> error
    end;
configured(_Configs, _Name) ->
    error.

%% @doc The name announced on each link, by interface index;
%% `{error, not_running}' without a responder.
-spec names() -> {ok, #{non_neg_integer() => string()}} | {error, not_running}.
names() ->
    running(names).

%% @doc The services advertised on each link, by interface index, with the
%% instance names claimed there (`Printer #2' where another host held
%% `Printer'), in the shape browse gives them: `name', `type', `port',
%% `txt' (binaries, the empty string dropped); `{error, not_running}'
%% without a responder.
-spec services() -> {ok, #{non_neg_integer() => [map()]}} | {error, not_running}.
services() ->
    running(services).

%% @doc Advertises a service (a map as in the settings), or gives one
%% already advertised (the same type and instance name) a new port or
%% TXT. `{error, einval}' for what service/2 refuses.
-spec advertise(map()) -> ok | {error, einval | not_running}.
advertise(Config) ->
    case running({advertise, Config}) of
        {ok, Reply} -> Reply;
        Error -> Error
    end.

%% @doc Withdraws the service of this type and instance name (`name'
%% defaults to the host's label, as for advertise/1): goodbyes on every
%% link that had announced it. `{error, not_found}' when there is none.
-spec withdraw(map()) -> ok | {error, einval | not_found | not_running}.
withdraw(Config) ->
    case running({withdraw, Config}) of
        {ok, Reply} -> Reply;
        Error -> Error
    end.

running(Request) ->
    try gen_server:call(?MODULE, Request) of
        Reply -> {ok, Reply}
    catch
        exit:{noproc, _} -> {error, not_running};
        exit:{normal, _} -> {error, not_running};
        exit:{shutdown, _} -> {error, not_running}
    end.

-type config() :: {string(), all | [scoped_ipv6:scope()], [scoped_ipv6_mdns_records:service()]}.

-spec start_link(config()) -> {ok, pid()} | {error, term()}.
start_link(Config) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, Config, []).

%% @private gen_server callback.
-spec init(config()) -> {ok, map()} | ignore.
init({Name, Links, Services}) ->
    process_flag(trap_exit, true),
    case scoped_ipv6_mdns:listen(inet6) of
        {ok, Socket} ->
            State = #{socket => Socket, links => Links,
                      %% IPv4 (224.0.0.251) too, where this host has IPv4.
                      socket4 => case scoped_ipv6_mdns:listen(inet) of
                                     {ok, S4} -> S4;
                                     {error, _} -> none
                                 end,
                      pending4 => undefined,
                      %% The links where ff02::fb and 224.0.0.251 are
                      %% joined (join/2).
                      joined6 => [], joined4 => [],
                      %% The names and services claimed on each link.
                      claims => scoped_ipv6_mdns_claims:new(Name, Services),
                      %% The multicast answers on their way out: the
                      %% records sent lately, the messages waiting.
                      outbox => scoped_ipv6_mdns_outbox:new(),
                      %% The queries with TC set held for the rest of
                      %% their known answers (query/5).
                      held => scoped_ipv6_mdns_deferred:new(),
                      %% Index => the times of the last conflicts there.
                      conflicts => #{},
                      %% Index => probing | {announcing, N} | announced
                      state => #{},
                      %% Index => the current probe sequence's number: a
                      %% sequence started again (after a lost tie-break or a
                      %% claim) makes the old one's messages stale.
                      probes => #{}, pending => undefined,
                      %% The links served, as
                      %% scoped_ipv6_addr:assigned_interfaces/0 gives them
                      %% (their addresses, with prefixes).
                      interfaces => []},
            ok = scoped_ipv6_mdns_multicast:join(responder),
            self() ! poll,
            {ok, arm(inet, arm(inet6, State))};
        {error, Reason} ->
            %% Without its socket there is nothing to answer with; the
            %% application runs on without a responder.
            logger:warning("scoped_ipv6: mDNS responder for ~ts not started: ~0tp",
                           [Name, Reason]),
            ignore
    end.

%% @private gen_server callback.
-spec handle_call(term(), gen_server:from(), map()) -> {reply, term(), map()}.
handle_call(links, _From, #{state := Links} = State) ->
    {reply, Links, State};
handle_call(names, _From, State) ->
    {reply, maps:from_list([{I, Name} || {I, {Name, _, _}} <- serving(State)]), State};
handle_call(services, _From, State) ->
    {reply, maps:from_list([{I, [#{name => unicode:characters_to_list(Instance), type => Type,
                                   port => Port, txt => [list_to_binary(T) || T <- Txt, T =/= ""]}
                                 || #{instance := Instance, type := Type, port := Port,
                                      txt := Txt} <- Services]}
                            || {I, {_, _, Services}} <- serving(State)]),
     State};
handle_call({advertise, Config}, _From, State) ->
    case scoped_ipv6_mdns_records:service(Config, label(State)) of
        {ok, Service} -> {reply, ok, remember(advertised(Service, State))};
        error -> {reply, {error, einval}, State}
    end;
handle_call({withdraw, Config}, _From, #{claims := Claims} = State) when is_map(Config) ->
    %% Only the type and name count; the rest of a service advertised
    %% (its port, TXT, subtypes) may come along, a key unknown there not.
    case scoped_ipv6_mdns_records:service(Config#{port => 0}, label(State)) of
        {ok, Service} ->
            case scoped_ipv6_mdns_claims:find(Claims, Service) of
                0 -> {reply, {error, not_found}, State};
                N -> {reply, ok, remember(withdrawn(N, State))}
            end;
        error ->
            {reply, {error, einval}, State}
    end;
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
handle_info(?LOOPED(Family, Index, Packet), State) ->
    %% A question of this host's own watches (scoped_ipv6_mdns_multicast),
    %% answered as one from the link, to the group.
    case joined(Family, Index, State) of
        true -> {noreply, handle_message(scoped_ipv6_mdns_multicast:group(Family, Index), Index,
                                         Packet, State)};
        false -> {noreply, State}
    end;
handle_info(poll, State) ->
    erlang:send_after(?POLL, self(), poll),
    {noreply, poll(State)};
handle_info({probe, Index, N, Sequence}, #{state := Links, probes := Probes} = State) ->
    case {maps:get(Index, Links, gone), maps:get(Index, Probes, none)} of
        {probing, Sequence} when N < 3 ->
            send_multicast(Index, scoped_ipv6_mdns_records:probe(on_link(State, Index), ?TTL), State),
            erlang:send_after(?PROBE_WAIT, self(), {probe, Index, N + 1, Sequence}),
            {noreply, State};
        {probing, Sequence} ->
            self() ! {announce, Index, 0},
            {noreply, State#{state := Links#{Index => {announcing, 0}},
                             claims := scoped_ipv6_mdns_claims:unconfirm(claims(State), Index)}};
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
handle_info({held, Key, Ref, Index, Source}, #{held := Held} = State) ->
    case scoped_ipv6_mdns_deferred:take(Held, Key, Ref) of
        {ok, Query, Left} -> {noreply, answer_held(Query, Index, Source, State#{held := Left})};
        none -> {noreply, State}
    end;
handle_info({send, Ref}, #{outbox := Outbox} = State) ->
    {noreply, out(scoped_ipv6_mdns_outbox:due(Outbox, Ref, erlang:monotonic_time(millisecond)),
                  State)};
handle_info(_Message, State) ->
    {noreply, State}.

%% @private gen_server callback.
-spec terminate(term(), map()) -> ok.
terminate(_Reason, #{socket := S} = State) ->
    [send_multicast(I, announcement(State, I, 0), State) || {I, _Link} <- serving(State)],
    _ = socket:close(S),
    _ = maps:get(socket4, State) =:= none orelse socket:close(maps:get(socket4, State)),
    ok.

%% --- links --------------------------------------------------------------------

%% The links that should be served now, each with its addresses; new ones
%% are joined and probed, gone ones dropped, announced ones whose
%% addresses changed announced again.
poll(#{links := Wanted, state := Links, interfaces := Before} = State) ->
    Usable = usable(Wanted, State),
    Here = [I || #{index := I} <- Usable],
    %% Announced again: the links still here whose addresses changed (one
    %% gone has none left, and is dropped below, not announced).
    Changed = [I || {I, announced} <- maps:to_list(Links), lists:member(I, Here),
                    lists:sort(link_addresses(Before, I)) =/= lists:sort(link_addresses(Usable, I))],
    Gone = [I || I <- maps:keys(Links), not lists:member(I, Here)],
    Joined = join(inet, join(inet6, State#{state := maps:without(Gone, Links),
                                           interfaces := Usable})),
    %% The reverse names of the addresses those links no longer have get
    %% their goodbyes (the announcement's cache-flush reaches our name's
    %% records, not names of their own).
    [send_multicast(I, scoped_ipv6_mdns_records:reverse_withdrawal(on_link(State, I), Removed),
                    Joined)
     || I <- Changed, Removed <- [addresses(State, I) -- addresses(Joined, I)], Removed =/= []],
    %% A new link is served once a group is joined there.
    New = [I || I <- Here, not maps:is_key(I, Links), joined(inet6, I, Joined) orelse
                                                          joined(inet, I, Joined)],
    %% RFC 6762 section 8.1: a random 0-250 ms before the first probe, so
    %% that hosts started together do not probe in step.
    lists:foldl(fun(I, Acc) -> probe_from(I, rand:uniform(?PROBE_WAIT) - 1, Acc) end,
                announce_again(Changed, Joined), New).

%% The group of `Family' (ff02::fb, 224.0.0.251) joined on the served
%% links with an address of that family (for IPv6, a link-local one: our
%% answers' source), left on the others.
join(inet, #{socket4 := none} = State) ->
    State;
join(Family, #{interfaces := Interfaces} = State) ->
    {Key, Group} = case Family of
                       inet6 -> {joined6, ?GROUP};
                       inet -> {joined4, ?GROUP4}
                   end,
    S = socket_of(Family, State),
    Joined = maps:get(Key, State),
    With = [I || #{index := I} = Interface <- Interfaces, has(Family, Interface)],
    [scoped_ipv6_sockopts:set_membership(S, drop_membership, Group, I)
     || I <- Joined, not lists:member(I, With)],
    Now = [I || I <- With, lists:member(I, Joined) orelse
                               scoped_ipv6_sockopts:set_membership(S, add_membership, Group,
                                                                   I) =:= ok],
    State#{Key := Now}.

joined(inet6, Index, #{joined6 := Joined}) -> lists:member(Index, Joined);
joined(inet, Index, #{joined4 := Joined}) -> lists:member(Index, Joined).

%% Whether an interface can carry multicast DNS of `Family': a link-local
%% address for IPv6, any address for IPv4.
has(inet6, Interface) ->
    scoped_ipv6_addr:link_local(Interface) =/= none;
has(inet, Interface) ->
    scoped_ipv6_addr:ipv4(Interface) =/= none.

%% Link `Index' probes (again), its first probe `Delay' ms from now.
probe_from(Index, Delay, #{state := Links, probes := Probes} = State) ->
    Sequence = maps:get(Index, Probes, 0) + 1,
    erlang:send_after(Delay, self(), {probe, Index, 0, Sequence}),
    State#{state := Links#{Index => probing}, probes := Probes#{Index => Sequence}}.

%% The links wanted that can be served: over IPv6, or over IPv4 alone
%% (a link without a link-local address) when there is an IPv4 socket.
%% Their addresses are those assigned: one still in duplicate address
%% detection is neither our answers' source nor in them (a neighbour
%% would be sent to an address that is not ours yet, and may never be);
%% once assigned, the link's addresses have changed, and it is announced
%% again (poll/1).
usable(Wanted, #{socket4 := S4}) ->
    case scoped_ipv6_addr:assigned_interfaces() of
        {ok, Interfaces} ->
            [Interface || #{index := I, name := Name} = Interface
                              <- scoped_ipv6_mdns:links(Interfaces),
                          has(inet6, Interface) orelse (S4 =/= none andalso has(inet, Interface)),
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

%% The addresses of link `Index' without their scopes (records carry
%% none): the scoped (link-local) ones first, then other IPv6, then IPv4.
addresses(#{interfaces := Interfaces}, Index) ->
    Addrs = [A || #{addr := A} <- link_addresses(Interfaces, Index)],
    [Ip || {{_, _, _, _, _, _, _, _} = Ip, _Scope} <- Addrs] ++
        [Ip || {_, _, _, _, _, _, _, _} = Ip <- Addrs] ++
        [Ip || {_, _, _, _} = Ip <- Addrs].

%% Link `Index' as scoped_ipv6_mdns_records takes it: the name claimed
%% there, its addresses, and the services with their instance names there.
on_link(State, Index) ->
    {name(State, Index), addresses(State, Index), services(State, Index)}.

%% Every record of ours on link `Index', as an unsolicited answer (TTL 0:
%% a goodbye, RFC 6762 section 10.1).
announcement(State, Index, TTL) ->
    scoped_ipv6_mdns_records:announcement(on_link(State, Index), TTL).

%% The addresses of link `Index' as scoped_ipv6_addr:assigned_interfaces/0
%% gives them.
link_addresses(Interfaces, Index) ->
    lists:append([As || #{index := I, addrs := As} <- Interfaces, I =:= Index]).

%% Probes, announcements and goodbyes go to each group joined on the
%% link: ff02::fb, 224.0.0.251.
send_multicast(Index, Packet, State) ->
    [send_multicast(Family, Index, Packet, State)
     || Family <- [inet6, inet], joined(Family, Index, State)],
    ok.

%% Sent on the link, and given to this host's watches.
send_multicast(Family, Index, Packet, State) ->
    scoped_ipv6_mdns_multicast:send(socket_of(Family, State), Family, Index, Packet).

socket_of(inet6, #{socket := S}) -> S;
socket_of(inet, #{socket4 := S4}) -> S4.

pending_key(inet6) -> pending;
pending_key(inet) -> pending4.

%% --- questions ------------------------------------------------------------------

%% What waits, a batch at a time (scoped_ipv6_mdns:read/3); after a full
%% batch the other messages (probes, polls) get their turn: a flood
%% cannot starve them.
arm(inet, #{socket4 := none} = State) ->
    State;
arm(Family, State) ->
    Handle = fun(#{addr := From} = Msg, Packet, St) ->
                     handle(From, scoped_ipv6_cmsg:received_on(Msg), Packet, St)
             end,
    case scoped_ipv6_mdns:read(socket_of(Family, State), Handle, State) of
        {more, Next} ->
            self() ! {rearm, Family},
            Next#{pending_key(Family) := undefined};
        {{select, SelectInfo}, Next} ->
            Next#{pending_key(Family) := SelectInfo};
        {error, Next} ->
            Next
    end.

%% A datagram from the link it arrived on (section 11).
handle(From, {Index, To}, Packet, State) ->
    case scoped_ipv6_mdns:from_link(From, Index, To, maps:get(interfaces, State)) of
        true -> handle_message(From, Index, Packet, State);
        false -> State
    end.

handle_message(#{family := Family, port := Port} = From, Index, Packet,
               #{state := Links} = State) ->
    LinkState = maps:get(Index, Links, gone),
    Link = on_link(State, Index),
    case LinkState =/= gone andalso scoped_ipv6_dns:read_message(Packet) of
        {ok, #{reply := false} = Msg} when LinkState =/= probing ->
            query(Msg, Index, Link, {Family, From, Port}, State);
        {ok, #{reply := true, records := Records}} when LinkState =:= probing ->
            conflict(scoped_ipv6_mdns_records:taken(Records, Link), Index, State);
        {ok, #{reply := false, authority := Authority} = Msg} when LinkState =:= probing ->
            %% Probing again for services added while it runs, the link
            %% still answers for what it had announced.
            Answered = case scoped_ipv6_mdns_claims:confirmed(claims(State), Index) of
                           {ok, K} -> query(Msg, Index, confirmed(Link, K),
                                            {Family, From, Port}, State);
                           error -> State
                       end,
            %% RFC 6762 section 8.2: another host probing for our name as
            %% we do. We lose: we probe again in a second, by when the
            %% winner answers for the name. We win: its probe is ignored.
            case scoped_ipv6_mdns_records:loses(Authority, Link) of
                true -> probe_from(Index, ?PROBE_DEFER, Answered);
                false -> Answered
            end;
        {ok, #{reply := true, records := Records, known := Answered}} ->
            %% Announcing or announced.
            %% RFC 6762 section 9: after we announced, another host's claim
            %% to our name: the link is probed again. If that host answers
            %% a probe, the name is its there (conflict/3); if not, we
            %% announce again.
            Heard = State#{outbox := scoped_ipv6_mdns_outbox:heard(maps:get(outbox, State),
                                                                   {Family, Index}, Answered,
                                                                   ?TTL)},
            case scoped_ipv6_mdns_records:claimed(Records, Link) of
                true -> probe_from(Index, 0, Heard);
                false -> Heard
            end;
        _ ->
            State
    end.

%% RFC 6762 section 7.2: a query with TC set, for something of ours, is
%% held a random 400 to 500 ms, and what the same querier sends meanwhile
%% joins it (scoped_ipv6_mdns_deferred says which and how much); then it
%% is answered with all the known answers (answer_held/4). When its link
%% holds too many already, it is answered at once.
query(Msg, Index, Link, {Family, #{addr := Addr}, Port} = Source, #{held := Held} = State) ->
    Key = {Family, Index, Addr, Port},
    case scoped_ipv6_mdns_deferred:join(Held, Key, Msg) of
        {ok, Joined} ->
            State#{held := Joined};
        none ->
            Ref = make_ref(),
            case to_hold(Msg, Link, Port) andalso
                     scoped_ipv6_mdns_deferred:hold(Held, Key, Ref, Msg) of
                {ok, Holding} ->
                    erlang:send_after(?HOLD_MIN + rand:uniform(?HOLD_SPAN + 1) - 1, self(),
                                      {held, Key, Ref, Index, Source}),
                    State#{held := Holding};
                _NotHeld ->
                    question(Msg, Index, Link, Source, State)
            end
    end.

%% Whether a query is one to hold, and asks for something of ours: others
%% are not answered anyway.
to_hold(#{questions := Questions} = Msg, Link, Port) ->
    scoped_ipv6_mdns_deferred:holds(Msg, Port) andalso
        element(1, scoped_ipv6_mdns_records:asked(Questions, Link)) =/= [].

%% A held query answered, as the link now answers (nothing if it is gone,
%% what it had announced if it probes again). It has waited 400 to 500
%% ms: in place of the 20 to 120 ms of a shared answer (section 6), not
%% on top of them.
answer_held(Query, Index, Source, State) ->
    case answering(Index, State) of
        {ok, Link} -> question(Query, Index, Link, Source, waited, State);
        none -> State
    end.

%% A query answered: `now' as it arrives, or `waited' when it was held
%% (answer_held/4), which then takes no shared answer's delay.
question(Msg, Index, Link, Source, State) ->
    question(Msg, Index, Link, Source, now, State).

question(#{id := Id, questions := Questions, known := Known, authority := Authority}, Index,
         Link, {Family, From, Port}, When, State) ->
    S = socket_of(Family, State),
    {Ours, Wanted} = scoped_ipv6_mdns_records:asked(Questions, Link),
    case Ours of
        [] ->
            State;
        _ when Port =/= ?PORT ->
            %% One-shot (legacy unicast) query: id and question back, short TTL.
            {Answers, Additional} =
                scoped_ipv6_mdns_records:answers(Link, ?LEGACY_TTL, false, Wanted),
            Records = scoped_ipv6_mdns_records:unknown(Answers, Known, ?LEGACY_TTL),
            _ = Records =/= [] andalso
                socket:sendto(S, scoped_ipv6_dns:answer_message(Id, Ours, Records, Additional),
                              From),
            State;
        _ ->
            {Answers, Additional} = scoped_ipv6_mdns_records:answers(Link, ?TTL, true, Wanted),
            Records = scoped_ipv6_mdns_records:unknown(Answers, Known, ?TTL),
            Unicast = lists:any(fun({_, _, _, QU, _}) -> QU end, Ours),
            case {Records, Unicast} of
                {[], _} ->
                    State;
                {_, true} ->
                    _ = socket:sendto(S, scoped_ipv6_dns:answer_message(0, [], Records, Additional),
                                      From),
                    State;
                {_, false} ->
                    How = multicast_how(Questions, Wanted, Authority, When),
                    out(scoped_ipv6_mdns_outbox:answer(maps:get(outbox, State), {Family, Index},
                                                       {Records, Additional}, How,
                                                       erlang:monotonic_time(millisecond)),
                        State)
            end
    end.

%% How a multicast answer goes out: a probe's defense at once (sections 6
%% and 8.1: the prober waits only 250 ms), an answer that may collide with
%% other hosts' after a random 20 to 120 ms (scoped_ipv6_mdns_records:
%% delayed/2), others at once. A held query (section 7.2) has waited
%% already.
multicast_how(_Questions, _Wanted, [_ | _], _When) ->
    defend;
multicast_how(Questions, Wanted, [], now) ->
    case scoped_ipv6_mdns_records:delayed(Questions, Wanted) of
        true -> delay;
        false -> soon
    end;
multicast_how(_Questions, _Wanted, [], waited) ->
    soon.

%% What the outbox says: a message sent while the link still answers
%% (not gone, not probing anew since its answer waited), a timer for one
%% that waits.
out({send, {Family, Index}, {Answers, Additional}, Outbox}, State) ->
    _ = answering(Index, State) =/= none andalso
        send_multicast(Family, Index, scoped_ipv6_dns:answer_message(0, [], Answers, Additional),
                       State),
    State#{outbox := Outbox};
out({later, Ref, Ms, Outbox}, State) ->
    erlang:send_after(Ms, self(), {send, Ref}),
    State#{outbox := Outbox};
out({none, Outbox}, State) ->
    State#{outbox := Outbox}.

%% Someone else answers for names of ours on this link while we probe:
%% the link probes again, each taken name replaced by the next (section
%% 9), at once, or 5 s from now after fifteen conflicts within 10 s
%% (section 8.1).
conflict([], _Index, State) ->
    State;
conflict(Taken, Index, #{conflicts := Conflicts, claims := Claims} = State) ->
    %% A name renamed is not confirmed: the link answers again once it
    %% has probed for it.
    Renamed = lists:foldl(fun(Owned, Acc) -> rename(Owned, Index, Acc) end,
                          State#{claims := scoped_ipv6_mdns_claims:unconfirm(Claims, Index)},
                          Taken),
    Now = erlang:monotonic_time(millisecond),
    %% This one counted: the fifteenth makes the next probe wait.
    Recent = [Now | [T || T <- maps:get(Index, Conflicts, []), Now - T < ?CONFLICT_PERIOD]],
    Delay = case length(Recent) >= ?CONFLICT_LIMIT of
                true -> ?CONFLICT_WAIT;
                false -> 0
            end,
    probe_from(Index, Delay,
               Renamed#{conflicts := Conflicts#{Index => lists:sublist(Recent, ?CONFLICT_LIMIT)}}).

rename(host, Index, #{claims := Claims} = State) ->
    {Taken, Next, Renamed} = scoped_ipv6_mdns_claims:rename_host(Claims, Index),
    logger:warning("scoped_ipv6: ~ts is taken on link ~p: trying ~ts there", [Taken, Index, Next]),
    State#{claims := Renamed};
rename({instance, N}, Index, #{claims := Claims} = State) ->
    {#{instance := Taken, type := Type}, Next, Renamed} =
        scoped_ipv6_mdns_claims:rename_instance(Claims, Index, N),
    logger:warning("scoped_ipv6: service ~ts (~ts) is taken on link ~p: trying ~ts there",
                   [Taken, Type, Index, Next]),
    State#{claims := Renamed}.

claims(#{claims := Claims}) ->
    Claims.

%% The name claimed on link `Index'.
name(State, Index) ->
    scoped_ipv6_mdns_claims:name(claims(State), Index).

%% The services on link `Index', with the instance names claimed there.
services(State, Index) ->
    scoped_ipv6_mdns_claims:services(claims(State), Index).

%% --- services added, changed and withdrawn while it runs ----------------------

%% The links that answer now, each as on_link/2 gives it: those announced
%% or announcing, and those probing again with the services they had
%% announced (`confirmed'), in index order.
serving(#{state := Links} = State) ->
    [{I, Link} || I <- lists:sort(maps:keys(Links)), {ok, Link} <- [answering(I, State)]].

%% What link `Index' answers for now (as on_link/2 gives it), or `none'.
answering(Index, #{state := Links} = State) ->
    case {maps:get(Index, Links, gone), scoped_ipv6_mdns_claims:confirmed(claims(State), Index)} of
        {gone, _} -> none;
        {probing, {ok, K}} -> {ok, confirmed(on_link(State, Index), K)};
        {probing, error} -> none;
        _ -> {ok, on_link(State, Index)}
    end.

%% The link with its first K services: those announced before a new one.
confirmed({Name, Ips, Services}, K) ->
    {Name, Ips, lists:sublist(Services, K)}.

label(State) ->
    scoped_ipv6_mdns_claims:label(claims(State)).

advertised(Service, #{claims := Claims} = State) ->
    case scoped_ipv6_mdns_claims:find(Claims, Service) of
        0 -> added(Service, State);
        N -> changed(N, Service, State)
    end.

%% A new service: each link probes for it (section 8.1) and keeps
%% answering for what it had announced; then announces everything.
added(Service, #{claims := Claims, state := Links} = State) ->
    Grown = State#{claims := scoped_ipv6_mdns_claims:add(Claims, Service)},
    lists:foldl(
      fun({I, L}, Acc) ->
              Probing = probe_from(I, rand:uniform(?PROBE_WAIT) - 1, Acc),
              Had = case L of
                        probing -> scoped_ipv6_mdns_claims:confirmed(Claims, I);
                        _Announced -> {ok, length(services(State, I))}
                    end,
              case Had of
                  {ok, K} -> Probing#{claims := scoped_ipv6_mdns_claims:confirm(claims(Probing),
                                                                                I, K)};
                  error -> Probing
              end
      end, Grown, maps:to_list(Links)).

%% A new port, TXT or subtypes for the Nth service: announced at once
%% where the link answers (section 8.4: no probe, the name is ours
%% already), with goodbyes for the subtypes it no longer has.
changed(N, New, #{claims := Claims, state := Links} = State) ->
    {Gone, Updated} = scoped_ipv6_mdns_claims:update(Claims, N, New),
    [send_multicast(I, scoped_ipv6_mdns_records:subtype_withdrawal(lists:nth(N, Answered), Gone),
                    State)
     || Gone =/= [], {I, {_, _, Answered}} <- serving(State), length(Answered) >= N],
    case Updated =:= Claims of
        true -> State;
        %% A link probing again announces everything when it is done.
        false -> announce_again([I || {I, L} <- maps:to_list(Links), L =/= probing],
                                State#{claims := Updated})
    end.

%% The Nth service withdrawn: goodbyes for its records where the link
%% had answered for it.
withdrawn(N, #{claims := Claims} = State) ->
    Before = serving(State),
    Next = State#{claims := scoped_ipv6_mdns_claims:remove(Claims, N)},
    [send_multicast(I, scoped_ipv6_mdns_records:withdrawal(on_link(Next, I),
                                                          lists:nth(N, Answered)), Next)
     || {I, {_, _, Answered}} <- Before, length(Answered) >= N],
    Next.

announce_again(Indexes, #{state := Links} = State) ->
    [self() ! {announce, I, 0} || I <- Indexes],
    State#{state := maps:merge(Links, maps:from_list([{I, {announcing, 0}} || I <- Indexes]))}.

%% The services now in the application environment too: a responder
%% restarted by its supervisor advertises them.
remember(State) ->
    case application:get_env(scoped_ipv6, mdns_responder) of
        {ok, #{} = Config} ->
            Services = scoped_ipv6_mdns_claims:configured(claims(State)),
            application:set_env(scoped_ipv6, mdns_responder,
                                Config#{services => [scoped_ipv6_mdns_records:config(S)
                                                     || S <- Services]});
        _ ->
            ok
    end,
    State.
