%% @private
%% This host's multicast DNS records on one link, and what a message asks
%% of them or claims against them (RFC 6762): what the responder
%% (scoped_ipv6_mdns_responder) sends and how it reads what it hears,
%% without sockets, timers or state. A link is `{Name, Addresses}': the
%% name claimed there and the link's addresses without their scopes
%% (records carry none), link-local first.
-module(scoped_ipv6_mdns_records).

-export([probe/2, announcement/2, asked/2, answers/4, unknown/3, taken/2, claimed/2, loses/2,
         alternative/1]).

-type link() :: {scoped_ipv6_dns:name(), [inet:ip_address()]}.
%% What a question asks of us: our addresses of a type, or the name of
%% one of them (a reverse lookup).
-type wanted() :: a | aaaa | {ptr, inet:ip_address()}.
-export_type([link/0, wanted/0]).

%% @doc A probe for the link's records (RFC 6762 section 8.1).
-spec probe(link(), non_neg_integer()) -> binary().
probe({Name, _} = Link, TTL) ->
    scoped_ipv6_dns:probe_message(Name, records(Link, TTL, false, [a, aaaa])).

%% @doc Every record of ours on the link as an unsolicited answer, with
%% the cache-flush bit (TTL 0: a goodbye, section 10.1).
-spec announcement(link(), non_neg_integer()) -> binary().
announcement(Link, TTL) ->
    scoped_ipv6_dns:answer_message(0, [], records(Link, TTL, true, [a, aaaa])).

%% @doc The questions that are ours (as scoped_ipv6_dns:read_message/1
%% gives them), and what they ask for: `a' and `aaaa' for our name,
%% `{ptr, Ip}' for the reverse name (ip6.arpa, in-addr.arpa) of one of the
%% link's addresses.
-spec asked([scoped_ipv6_dns:question()], link()) ->
    {[scoped_ipv6_dns:question()], [wanted()]}.
asked(Questions, {Name, Ips}) ->
    Lower = scoped_ipv6_dns:lower(Name),
    Reverse = [{scoped_ipv6_dns:reverse_name(Ip), Ip} || lists:any(fun is_reverse/1, Questions),
                                                        Ip <- Ips],
    Asked = [{Q, Wanted} || {QName, Type, Class, _Unicast, _} = Q <- Questions,
                            lists:member(Class, [in, any]),
                            Wanted <- wanted(QName, Type, Lower, Reverse)],
    {lists:usort([Q || {Q, _} <- Asked]), [W || {_, W} <- Asked]}.

wanted(Lower, any, Lower, _Reverse) -> [a, aaaa];
wanted(Lower, Type, Lower, _Reverse) when Type =:= a; Type =:= aaaa -> [Type];
wanted(Name, Type, _Lower, Reverse) when Type =:= ptr; Type =:= any ->
    [{ptr, Ip} || {Reversed, Ip} <- Reverse, Reversed =:= Name];
wanted(_Name, _Type, _Lower, _Reverse) ->
    [].

is_reverse({Name, _, _, _, _}) ->
    lists:suffix(".arpa", Name).

%% @doc Our records for what was asked: the addresses of the types
%% wanted, and a reverse pointer to our name for each `{ptr, Ip}'.
-spec answers(link(), non_neg_integer(), boolean(), [wanted()]) -> [tuple()].
answers({Name, _} = Link, TTL, Flush, Wanted) ->
    records(Link, TTL, Flush, [T || T <- Wanted, is_atom(T)]) ++
        [scoped_ipv6_dns:pointer_record(scoped_ipv6_dns:reverse_name(Ip), Name, TTL, Flush)
         || {ptr, Ip} <- lists:usort([W || {ptr, _} = W <- Wanted])].

%% @doc `Records' without those the question already lists among its
%% known answers with at least half of `TTL' left (section 7.1).
-spec unknown([tuple()], [{tuple(), non_neg_integer()}], non_neg_integer()) -> [tuple()].
unknown(Records, Known, TTL) ->
    Fresh = [Key || {Key, Left} <- Known, Left >= TTL div 2],
    [R || R <- Records, not lists:member(scoped_ipv6_dns:record_key(R), Fresh)].

%% @doc Whether an answer (its records, as read_message/1 gives them) is
%% another host's for our name: heard while we probe, the name is taken
%% (section 8.1).
-spec taken([{scoped_ipv6_dns:name(), term(), term()}], link()) -> boolean().
taken(Records, {Name, _}) ->
    Lower = scoped_ipv6_dns:lower(Name),
    lists:any(fun({Owner, _Type, _Data}) -> Owner =:= Lower end, Records).

%% @doc Whether an answer gives our name an address we do not have on the
%% link: another host's claim, heard after we announced (section 9). One
%% with only our own addresses (another host's cache, say) is not.
-spec claimed([{scoped_ipv6_dns:name(), term(), term()}], link()) -> boolean().
claimed(Records, {Name, Ips}) ->
    Lower = scoped_ipv6_dns:lower(Name),
    lists:any(fun({Owner, Type, Data}) ->
                      Owner =:= Lower andalso is_address(Type, Data)
                          andalso not lists:member(Data, Ips)
              end, Records).

%% @doc Whether we lose section 8.2's tie-break to a probe for our name
%% whose authority records are `Authority': each side's address records,
%% sorted (class, type, then the data's bytes), compared in order, a
%% longer list winning a tie of its first records; the lexicographically
%% later side wins. The same records: no one loses.
-spec loses([{scoped_ipv6_dns:name(), term(), term()}], link()) -> boolean().
loses(Authority, {Name, Ips}) ->
    Lower = scoped_ipv6_dns:lower(Name),
    Theirs = lists:sort([sortable(Data) || {Owner, Type, Data} <- Authority,
                                           Owner =:= Lower, is_address(Type, Data)]),
    Ours = lists:sort([sortable(Ip) || Ip <- Ips]),
    Theirs =/= [] andalso Ours < Theirs.

%% @doc The name to try after `Name' was taken (section 9): its first
%% label with `-2' added, or its number raised (`device' -> `device-2' ->
%% `device-3'), as avahi chooses; the label is cut to stay within 63 bytes.
-spec alternative(scoped_ipv6_dns:name()) -> scoped_ipv6_dns:name().
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

%% --- internal -----------------------------------------------------------------

%% Our address records of `Types': AAAA for the IPv6 addresses, A for IPv4.
records({Name, Ips}, TTL, Flush, Types) ->
    Aaaa = lists:member(aaaa, Types),
    A = lists:member(a, Types),
    [scoped_ipv6_dns:address_record(Name, aaaa, Ip, TTL, Flush)
     || Aaaa, {_, _, _, _, _, _, _, _} = Ip <- Ips] ++
        [scoped_ipv6_dns:address_record(Name, a, Ip, TTL, Flush) || A, {_, _, _, _} = Ip <- Ips].

%% An A or AAAA record's data as decoded (anything else is no address).
is_address(a, {_, _, _, _}) -> true;
is_address(aaaa, {_, _, _, _, _, _, _, _}) -> true;
is_address(_Type, _Data) -> false.

%% An address record as section 8.2 orders it: its class (IN, 1), its
%% type (A 1, AAAA 28), then the data as sent.
sortable({_, _, _, _} = Ip) -> {1, 1, scoped_ipv6_addr:to_bytes(Ip)};
sortable({_, _, _, _, _, _, _, _} = Ip) -> {1, 28, scoped_ipv6_addr:to_bytes(Ip)}.
