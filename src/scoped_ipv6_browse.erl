%% @private
%% DNS-SD service browsing over multicast DNS (RFC 6763), the querier's
%% side: a one-shot PTR question for `<Type>.local' on each link
%% (scoped_ipv6_mdns, on the links and sockets host-name lookups use, so an
%% answer belongs to the link it arrived on), then, on each link whose
%% answers left something out, the SRV, TXT and address questions still
%% open (RFC 6763 section 12 says responders should add them to the PTR
%% answer; not all do), asked of that link only. Each service found is
%% scoped with its link: one instance seen on two links is two services.
%% What the answers mean is scoped_ipv6_browse_answers'.
-module(scoped_ipv6_browse).

-export([browse/2, link_results/3]).

-define(DEFAULT_TIMEOUT, 2000).
-define(DEFAULT_SETTLE, 250).
%% Records kept from a link in one round (after relevant/2's sifting):
%% the answers' cost is bounded whatever a neighbour sends.
-define(MAX_RECORDS, 256).
%% Rounds of follow-up questions: SRV and TXT, then the addresses of the
%% targets they name, then once more for what the first two missed.
-define(FOLLOW_UPS, 3).

%% @doc The services of `Type' on each link, or `{badarg, What}' for a
%% malformed argument (the public caller raises).
-spec browse(term(), term()) ->
    {ok, [map()]} | {error, term()} | {badarg, term()}.
browse(Type, Opts) ->
    Defaults = #{timeout => ?DEFAULT_TIMEOUT, links => default, settle => ?DEFAULT_SETTLE,
                 mdns_ipv4 => false, instance => any},
    case options(Opts, Defaults) of
        {ok, #{instance := Instance} = Options} ->
            case {scoped_ipv6_browse_answers:service_type(Type), label(Instance)} of
                {{ok, #{enumeration := true}}, {ok, Label}} when Label =/= any -> {error, einval};
                {{ok, ServiceType}, {ok, Label}} -> on_links(ServiceType, Label, Options);
                {badarg, _} -> {badarg, Type};
                {_, badarg} -> {badarg, {instance, Instance}};
                _Einval -> {error, einval}
            end;
        {badarg, _} = Bad ->
            Bad
    end.

label(any) -> {ok, any};
label(Instance) ->
    case scoped_ipv6_browse_answers:instance_label(Instance) of
        {ok, Label} -> {ok, Label};
        error -> einval;
        badarg -> badarg
    end.

%% `{instance, Name}' (one instance, resolved without browsing), and the
%% options getaddrs/2 shares for its multicast DNS questions
%% (scoped_ipv6_names:mdns_option/2), no others.
options([], Options) ->
    {ok, Options};
options([{instance, Instance} | Rest], Options) ->
    options(Rest, Options#{instance := Instance});
options([Option | Rest], Options) ->
    case scoped_ipv6_names:mdns_option(Option, Options) of
        {ok, Next} -> options(Rest, Next);
        error -> {badarg, Option}
    end;
options(Bad, _Options) ->
    {badarg, Bad}.

on_links(Type, Instance, #{timeout := Timeout, settle := Settle} = Options) ->
    case scoped_ipv6_names:mdns_links(Options) of
        {ok, []} ->
            {error, no_link};
        {ok, Links} ->
            Ask = #{deadline => now_ms() + Timeout, settle => Settle, settle_from => last,
                    read => fun(Packet, Id) -> read(Type, Packet, Id) end,
                    key => fun key/1, max => ?MAX_RECORDS},
            case found(Type, Instance, Links, Ask) of
                {ok, PerLink} ->
                    Known = follow_up(Type, Links, PerLink, Ask, follow_ups(Instance)),
                    {ok, results(Type, Known)};
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

%% The instances of each link: those that answer the PTR question, or
%% the one named, on every link, with its SRV and TXT records when they
%% come (the first questions asked about it). Either way the first
%% asking's error is the browse's: no link that can be asked is
%% `no_link', with or without an instance.
found(#{question := Question}, any, Links, Ask) ->
    %% Any number of hosts may answer a PTR question: a link is never
    %% done, the round ends `settle' ms after the last new answer.
    Browse = Ask#{complete => fun(_Index, _Records) -> false end},
    scoped_ipv6_mdns:ask([{I, Own, [{Question, ptr}]} || {I, Own} <- Links], Browse);
found(Type, Label, Links, Ask) ->
    Seeds = [{I, scoped_ipv6_browse_answers:seed(Type, Label)}
             || I <- scoped_ipv6_mdns:link_order(Links)],
    case ask_open(Type, Links, Seeds, Ask) of
        {ok, Answered} -> {ok, merged(Seeds, Answered)};
        {error, _} = Error -> Error
    end.

%% An instance's SRV and TXT were asked by found/4: one round fewer.
follow_ups(any) -> ?FOLLOW_UPS;
follow_ups(_Instance) -> ?FOLLOW_UPS - 1.

%% The records that matter to this browse, as read from an answer.
read(Type, Packet, Id) ->
    case scoped_ipv6_dns:parse_records(Packet, Id) of
        {ok, Records} -> {ok, [R || R <- Records, scoped_ipv6_browse_answers:relevant(Type, R)]};
        {error, _} = Error -> Error
    end.

%% A record without its TTL: the same record again replaces it.
key({Name, Type, Data, _TTL}) ->
    {scoped_ipv6_dns:lower(Name), Type, Data}.

%% Asks each link what its records still leave open, on that link only,
%% until nothing is, no answer brings anything new, or the rounds or the
%% time run out.
follow_up(_Type, _Links, PerLink, _Ask, 0) ->
    PerLink;
follow_up(Type, Links, PerLink, #{deadline := Deadline} = Ask, Rounds) ->
    case now_ms() < Deadline andalso ask_open(Type, Links, PerLink, Ask) of
        {ok, [_ | _] = Answered} ->
            follow_up(Type, Links, merged(PerLink, Answered), Ask, Rounds - 1);
        _NothingNew ->
            PerLink
    end.

%% One round: each link whose records leave something open is asked it,
%% and the round ends when every link asked has what it lacked. `{ok,
%% []}' when nothing is open.
ask_open(Type, Links, PerLink, Ask) ->
    Open = [{I, Questions} || {I, Records} <- PerLink,
                              [_ | _] = Questions <- [scoped_ipv6_browse_answers:missing(Type, Records)]],
    Complete = fun(I, New) ->
                       Old = proplists:get_value(I, PerLink, []),
                       scoped_ipv6_browse_answers:missing(Type, Old ++ New) =:= []
               end,
    case [{I, Own, Questions} || {I, Questions} <- Open, {J, Own} <- Links, J =:= I] of
        [] -> {ok, []};
        Asks -> scoped_ipv6_mdns:ask(Asks, Ask#{complete => Complete})
    end.

%% Each link's records with what a round brought it.
merged(PerLink, Answered) ->
    [{I, Old ++ proplists:get_value(I, Answered, [])} || {I, Old} <- PerLink].

%% Links in the order asked, each link's services by name; addresses
%% scoped with the link they were found on where they need a scope, in
%% the order host-name lookups give them (scoped_ipv6_names:ordered/1).
results(Type, PerLink) ->
    [Result || {I, Records} <- PerLink, {_Key, Result} <- link_results(Type, I, Records)].

%% @doc What link `Index''s records show, as browse/2 gives it, each with
%% what tells it apart on the link (scoped_ipv6_watch compares them):
%% for `_services._dns-sd._udp' the types (`#{type, link}', by type),
%% for another type its services (by instance name).
-spec link_results(scoped_ipv6_browse_answers:service_type(), pos_integer(),
                   [scoped_ipv6_browse_answers:answer_record()]) -> [{string(), map()}].
link_results(#{enumeration := true}, Index, Records) ->
    [{T, #{type => T, link => Index}} || T <- scoped_ipv6_browse_answers:types(Records)];
link_results(Type, Index, Records) ->
    [{Name, Service#{addresses := scoped_ipv6_names:ordered([{Index, Ip} || Ip <- Ips]),
                     link => Index}}
     || #{name := Name, addresses := Ips} = Service
            <- scoped_ipv6_browse_answers:services(Type, Records)].

now_ms() ->
    erlang:monotonic_time(millisecond).
