%% @private
%% This host's multicast DNS records on one link, and what a message asks
%% of them or claims against them (RFC 6762), with the services it
%% advertises (DNS-SD, RFC 6763): what the responder
%% (scoped_ipv6_mdns_responder) sends and how it reads what it hears,
%% without sockets, timers or state. A link is `{Name, Addresses,
%% Services}': the host name claimed there, the link's addresses without
%% their scopes (records carry none), link-local first, and the services
%% with the instance names claimed there.
%%
%% The names we claim alone (unique records, RFC 6762 section 2) are the
%% host name (A, AAAA) and each service instance's name (SRV, TXT); they
%% are probed, sent with the cache-flush bit, and renamed on a conflict.
%% The PTR records of service types (`_http._tcp.local' -> an instance)
%% and of service enumeration (`_services._dns-sd._udp.local' -> a type)
%% are shared: never probed, never flushed.
-module(scoped_ipv6_mdns_records).

-export([service/2, config/1, probe/2, announcement/2, withdrawal/2, subtype_withdrawal/2,
         reverse_withdrawal/2,
         asked/2, answers/4, delayed/2, unknown/3, taken/2, claimed/2, loses/2, alternative/1,
         alternative_instance/1]).

-define(ENUMERATION, "_services._dns-sd._udp.local").
%% RFC 6763 section 6.2: a TXT record above 1300 bytes is not recommended;
%% each string is at most 255 bytes (its length byte).
-define(MAX_TXT, 1300).
-define(MAX_LABEL, 63).

%% A service as advertised on a link: its instance name as text (UTF-8,
%% any character but controls, RFC 6763 section 4.1.1), its type
%% (`"_http._tcp"'), its port, its TXT strings (at least one, the empty
%% one for none: section 6.1) and its subtypes' labels (`"_printer"',
%% section 7.1).
-type service() :: #{instance := unicode:unicode_binary(), type := string(),
                     port := inet:port_number(), txt := [string()], subtypes := [string()]}.
-type link() :: {scoped_ipv6_dns:name(), [inet:ip_address()], [service()]}.
%% What a question asks of us: our addresses of a type, the name of one
%% of them (a reverse lookup), a service's SRV or TXT record, the
%% instances of a type (a browse), or the types (service enumeration).
-type wanted() :: a | aaaa | {ptr, inet:ip_address()} | {srv | txt | instance, service()} |
                  {subtype, scoped_ipv6_dns:name(), service()} | {type, string()}.
%% A name of ours that an answer holds (taken/2): the host name, or the
%% instance name of the service at this position in the link's list.
-type owned() :: host | {instance, pos_integer()}.
-export_type([service/0, link/0, wanted/0, owned/0]).

%% @doc A service from the responder's settings (`#{type := "_http._tcp",
%% port := 80, name => "Web", txt => ["path=/"], subtypes => ["_printer"]}'),
%% its instance named `Default' (the host's label) when no name is given;
%% `error' for what RFC 6763 does not allow: a type other than `_name._tcp'
%% or `_name._udp' (the name 1 to 15 letters, digits and hyphens, section
%% 7), an instance name with a control character or beyond 63 bytes, TXT
%% strings beyond 255 bytes each or 1300 in all, a subtype label that a
%% browse would not take (`_printer._sub._http._tcp': 1 to 63 printable
%% ASCII bytes, no dot or backslash), or a key other than these five.
-spec service(term(), unicode:chardata()) -> {ok, service()} | error.
service(#{type := Type, port := Port} = Config, Default)
  when is_integer(Port), Port >= 0, Port =< 65535 ->
    Name = maps:get(name, Config, Default),
    Txt = maps:get(txt, Config, []),
    case {known_keys(Config), service_type(Type), instance_text(Name), txt(Txt)} of
        {true, {ok, T}, {ok, N}, {ok, X}} ->
            case subtypes(maps:get(subtypes, Config, []), T) of
                {ok, Subtypes} ->
                    {ok, #{instance => N, type => T, port => Port, txt => X,
                           subtypes => Subtypes}};
                error ->
                    error
            end;
        _ ->
            error
    end;
service(_Config, _Default) ->
    error.

%% A key a service does not have is a mistake (`nmae'), never ignored.
known_keys(Config) ->
    maps:keys(Config) -- [type, port, name, txt, subtypes] =:= [].

%% @doc A service as the settings give it (service/2 reads it back the
%% same): what the responder writes into the application environment
%% when services change while it runs.
-spec config(service()) -> #{type := string(), port := inet:port_number(), name := string(),
                             txt := [string()], subtypes := [string()]}.
config(#{instance := Instance, type := Type, port := Port, txt := Txt, subtypes := Subtypes}) ->
    #{type => Type, port => Port, name => unicode:characters_to_list(Instance),
      txt => [T || T <- Txt, T =/= ""], subtypes => Subtypes}.

%% A plain type (no subtype, not the enumeration), as a browse takes it:
%% one rule for both sides (scoped_ipv6_browse_answers:service_type/1).
service_type(Type) ->
    case scoped_ipv6_browse_answers:service_type(Type) of
        {ok, #{enumeration := false, display := Display, question := Question}} ->
            case Question =:= Display ++ ".local" of
                true -> {ok, Display};
                false -> error
            end;
        _ ->
            error
    end.

%% A subtype's rule is the browse's too: `_printer._sub._http._tcp' must
%% be a type it takes, a subtype of this one. Each label once.
subtypes(Labels, Type) when is_list(Labels) ->
    Read = [subtype(L, Type) || L <- Labels],
    case lists:all(fun(R) -> R =/= error end, Read) of
        true -> {ok, lists:usort([L || {ok, L} <- Read])};
        false -> error
    end;
subtypes(_Labels, _Type) ->
    error.

subtype(Label, Type) ->
    try unicode:characters_to_list(Label) of
        Text when is_list(Text) ->
            Question = subtype_name(Text, Type),
            case scoped_ipv6_browse_answers:service_type(Question) of
                {ok, #{display := Type, question := Question}} -> {ok, Text};
                _ -> error
            end;
        _ ->
            error
    catch
        error:_ -> error
    end.

%% The instance name's rule is the browse's (instance_label/1).
instance_text(Name) ->
    case scoped_ipv6_browse_answers:instance_label(Name) of
        {ok, _Label} -> {ok, unicode:characters_to_binary(Name)};
        _ -> error
    end.

txt(Strings) when is_list(Strings) ->
    try [unicode:characters_to_binary(S) || S <- Strings] of
        Binaries ->
            Good = lists:all(fun(B) -> is_binary(B) andalso byte_size(B) =< 255 end, Binaries)
                andalso lists:sum([byte_size(B) + 1 || B <- Binaries, is_binary(B)]) =< ?MAX_TXT,
            case {Good, Binaries} of
                {true, []} -> {ok, [""]};
                {true, _} -> {ok, [binary_to_list(B) || B <- Binaries]};
                {false, _} -> error
            end
    catch
        error:_ -> error
    end;
txt(_) ->
    error.

%% @doc A probe for the link's unique records (RFC 6762 section 8.1): one
%% question for each name we claim alone, the records in the authority
%% section.
-spec probe(link(), non_neg_integer()) -> binary().
probe({Name, _, Services} = Link, TTL) ->
    scoped_ipv6_dns:probe_message([Name | [instance_name(S) || S <- Services]],
                                  unique(Link, TTL, false)).

%% @doc Every record of ours on the link as an unsolicited answer, the
%% unique ones with the cache-flush bit (TTL 0: a goodbye, section 10.1).
%% The reverse names of our addresses are among them, as avahi announces
%% them: a neighbour that cached one (from an answer to a reverse
%% question) learns a new name at once, and forgets ours when we go.
-spec announcement(link(), non_neg_integer()) -> binary().
announcement({_Name, Ips, _Services} = Link, TTL) ->
    scoped_ipv6_dns:answer_message(0, [], unique(Link, TTL, true) ++ reverse(Link, Ips, TTL) ++
                                       shared(Link, TTL)).

%% @doc The goodbyes (TTL 0, section 10.1) for one service that `Link'
%% no longer has: its SRV and TXT records (cache-flush bit), its type's
%% PTR to it, and the enumeration's PTR to its type when no service of
%% `Link' has that type any more. Our addresses are not in it.
-spec withdrawal(link(), service()) -> binary().
withdrawal({Name, _, Services}, Service) ->
    Type = scoped_ipv6_dns:lower(type_name(Service)),
    Enumeration = [scoped_ipv6_dns:pointer_record(?ENUMERATION, Type, 0, false)
                   || not lists:member(Type, types(Services))],
    scoped_ipv6_dns:answer_message(
      0, [], [srv(Service, Name, 0, true), txt_record(Service, 0, true) |
              pointers(Service, 0)] ++ Enumeration).

%% @doc The goodbyes for the reverse names of addresses `Link' no longer
%% has (`Ips'): their PTRs to our name.
-spec reverse_withdrawal(link(), [inet:ip_address()]) -> binary().
reverse_withdrawal(Link, Ips) ->
    scoped_ipv6_dns:answer_message(0, [], reverse(Link, Ips, 0)).

%% @doc The goodbyes for the PTR records of subtypes a service no longer
%% has (`Labels', as in the service's `subtypes').
-spec subtype_withdrawal(service(), [string()]) -> binary().
subtype_withdrawal(Service, Labels) ->
    scoped_ipv6_dns:answer_message(
      0, [], [scoped_ipv6_dns:pointer_record(Name, instance_name(Service), 0, false)
              || Name <- subtype_names(Service#{subtypes := Labels})]).

%% @doc The questions that are ours (as scoped_ipv6_dns:read_message/1
%% gives them), and what they ask for: `a' and `aaaa' for our name,
%% `{ptr, Ip}' for the reverse name (ip6.arpa, in-addr.arpa) of one of the
%% link's addresses, `{srv, S}' and `{txt, S}' for a service's instance
%% name, `{instance, S}' for each service of a type asked by PTR (a
%% browse, RFC 6763 section 4), `{type, T}' for each of our types asked
%% by service enumeration (section 9).
-spec asked([scoped_ipv6_dns:question()], link()) ->
    {[scoped_ipv6_dns:question()], [wanted()]}.
asked(Questions, {Name, Ips, Services}) ->
    Reverse = [{scoped_ipv6_dns:reverse_name(Ip), Ip} || lists:any(fun is_reverse/1, Questions),
                                                        Ip <- Ips],
    Names = [{scoped_ipv6_dns:lower(Name), host}] ++
        [{scoped_ipv6_dns:lower(instance_name(S)), {instance_of, S}} || S <- Services] ++
        [{scoped_ipv6_dns:lower(type_name(S)), {type_of, S}} || S <- Services] ++
        [{scoped_ipv6_dns:lower(Sub), {subtype_of, Sub, S}}
         || S <- Services, Sub <- subtype_names(S)] ++
        [{?ENUMERATION, {enumeration, T}} || T <- types(Services)] ++
        [{Reversed, {reverse, Ip}} || {Reversed, Ip} <- Reverse],
    Asked = [{Q, Wanted} || {QName, Type, Class, _Unicast, _} = Q <- Questions,
                            lists:member(Class, [in, any]),
                            {Owner, What} <- Names, Owner =:= QName,
                            Wanted <- wanted(What, Type)],
    {lists:usort([Q || {Q, _} <- Asked]), lists:usort([W || {_, W} <- Asked])}.

wanted(host, any) -> [a, aaaa];
wanted(host, Type) when Type =:= a; Type =:= aaaa -> [Type];
wanted({instance_of, S}, any) -> [{srv, S}, {txt, S}];
wanted({instance_of, S}, Type) when Type =:= srv; Type =:= txt -> [{Type, S}];
wanted({type_of, S}, Type) when Type =:= ptr; Type =:= any -> [{instance, S}];
wanted({subtype_of, Sub, S}, Type) when Type =:= ptr; Type =:= any -> [{subtype, Sub, S}];
wanted({enumeration, T}, Type) when Type =:= ptr; Type =:= any -> [{type, T}];
wanted({reverse, Ip}, Type) when Type =:= ptr; Type =:= any -> [{ptr, Ip}];
wanted(_What, _Type) -> [].

is_reverse({Name, _, _, _, _}) ->
    lists:suffix(".arpa", Name).

%% @doc Our records for what was asked, and the additional records RFC
%% 6763 section 12 asks to send along: with an instance's PTR its SRV,
%% TXT and our addresses, with an SRV our addresses; none that is already
%% an answer. The shared PTR records never carry the cache-flush bit.
-spec answers(link(), non_neg_integer(), boolean(), [wanted()]) -> {[tuple()], [tuple()]}.
answers(Link, TTL, Flush, Wanted) ->
    Answers = addresses(Link, TTL, Flush, [T || T <- Wanted, is_atom(T)]) ++
        lists:append([answer(W, Link, TTL, Flush) || W <- Wanted, is_tuple(W)]),
    Extra = lists:append([additional(W, Link, TTL, Flush) || W <- Wanted, is_tuple(W)]),
    Sent = [scoped_ipv6_dns:record_key(R) || R <- Answers],
    {Answers, scoped_ipv6_dns:distinct_records(Extra, Sent)}.

answer({ptr, Ip}, {Name, _, _}, TTL, Flush) ->
    [scoped_ipv6_dns:pointer_record(scoped_ipv6_dns:reverse_name(Ip), Name, TTL, Flush)];
answer({srv, S}, {Name, _, _}, TTL, Flush) -> [srv(S, Name, TTL, Flush)];
answer({txt, S}, _Link, TTL, Flush) -> [txt_record(S, TTL, Flush)];
answer({instance, S}, _Link, TTL, _Flush) ->
    [scoped_ipv6_dns:pointer_record(type_name(S), instance_name(S), TTL, false)];
answer({subtype, Sub, S}, _Link, TTL, _Flush) ->
    [scoped_ipv6_dns:pointer_record(Sub, instance_name(S), TTL, false)];
answer({type, T}, _Link, TTL, _Flush) ->
    [scoped_ipv6_dns:pointer_record(?ENUMERATION, T, TTL, false)].

additional({instance, S}, {Name, _, _} = Link, TTL, Flush) ->
    [srv(S, Name, TTL, Flush), txt_record(S, TTL, Flush) | addresses(Link, TTL, Flush, [aaaa, a])];
additional({subtype, _Sub, S}, Link, TTL, Flush) ->
    additional({instance, S}, Link, TTL, Flush);
additional({srv, _S}, Link, TTL, Flush) ->
    addresses(Link, TTL, Flush, [aaaa, a]);
additional(_Wanted, _Link, _TTL, _Flush) ->
    [].

%% @doc Whether a multicast answer to `Questions' (all of the query's,
%% ours or not), of which we answer `Wanted', waits a random 20 to 120 ms
%% (RFC 6762 section 6), so that it does not collide with other hosts'
%% answers: when it holds a shared record, one other hosts may answer with
%% too (a type's, a subtype's or the enumeration's PTR), or when the query
%% asks more than one question (section 6.3: other hosts may answer the
%% others meanwhile). The whole answer waits, in one message. A probe's
%% defense never waits (section 8.1): that is the responder's to say.
-spec delayed([scoped_ipv6_dns:question()], [wanted()]) -> boolean().
delayed(Questions, Wanted) ->
    length(Questions) > 1 orelse shared_wanted(Wanted).

shared_wanted(Wanted) ->
    lists:any(fun({instance, _}) -> true; ({subtype, _, _}) -> true; ({type, _}) -> true;
                 (_) -> false
              end, Wanted).

%% @doc `Records' without those the question already lists among its
%% known answers with at least half of `TTL' left (section 7.1).
-spec unknown([tuple()], [{tuple(), non_neg_integer()}], non_neg_integer()) -> [tuple()].
unknown(Records, Known, TTL) ->
    Fresh = [Key || {Key, Left} <- Known, Left >= TTL div 2],
    [R || R <- Records, not lists:member(scoped_ipv6_dns:record_key(R), Fresh)].

%% @doc The names of ours that an answer (its records, as read_message/1
%% gives them) holds records for: heard while we probe, each is taken
%% (section 8.1). `host' for the host name, `{instance, N}' for the Nth
%% service's instance name.
-spec taken([{scoped_ipv6_dns:name(), term(), term()}], link()) -> [owned()].
taken(Records, Link) ->
    Owners = lists:usort([Owner || {Owner, _Type, _Data} <- Records]),
    [Owned || {Name, Owned} <- unique_names(Link), lists:member(Name, Owners)].

%% @doc Whether an answer gives one of our names a record we do not have
%% on the link: an address for the host name, an SRV or TXT for an
%% instance name; another host's claim, heard after we announced
%% (section 9). One with only our own records (another host's cache, say)
%% is not.
-spec claimed([{scoped_ipv6_dns:name(), term(), term()}], link()) -> boolean().
claimed(Records, {Name, Ips, Services} = Link) ->
    Lower = scoped_ipv6_dns:lower(Name),
    Ours = [comparable(scoped_ipv6_dns:record_key(R)) || R <- unique(Link, 0, false)],
    Instances = [scoped_ipv6_dns:lower(instance_name(S)) || S <- Services],
    lists:any(fun({Owner, Type, Data}) when Owner =:= Lower ->
                      scoped_ipv6_dns:is_address(Type, Data) andalso
                          not lists:member(Data, Ips);
                 ({Owner, Type, _Data} = Record) when Type =:= srv; Type =:= txt ->
                      lists:member(Owner, Instances) andalso
                          not lists:member(comparable(Record), Ours);
                 (_Record) ->
                      false
              end, Records).

%% SRV targets compared without case.
comparable({Owner, srv, {P, W, Port, Target}}) when is_list(Target) ->
    {Owner, srv, {P, W, Port, scoped_ipv6_dns:lower(Target)}};
comparable(Record) ->
    Record.

%% @doc Whether we lose section 8.2's tie-break to a probe for one of our
%% names whose authority records are `Authority': for each name both
%% claim, each side's records of it, sorted (class, type, then the data's
%% bytes), compared in order, a longer list winning a tie of its first
%% records; the lexicographically later side wins. The same records: no
%% one loses.
-spec loses([{scoped_ipv6_dns:name(), term(), term()}], link()) -> boolean().
loses(Authority, Link) ->
    Ours = [{Owner, sortable(Type, Data)}
            || {Owner, Type, Data} <- [scoped_ipv6_dns:record_key(R)
                                       || R <- unique(Link, 0, false)]],
    lists:any(fun({Name, _Owned}) ->
                      Theirs = lists:sort([Sortable || {Owner, Type, Data} <- Authority,
                                                       Owner =:= Name,
                                                       Sortable <- [sortable(Type, Data)],
                                                       Sortable =/= none]),
                      Mine = lists:sort([S || {Owner, S} <- Ours, Owner =:= Name]),
                      Theirs =/= [] andalso Mine < Theirs
              end, unique_names(Link)).

%% @doc The name to try after `Name' was taken (section 9): its first
%% label with `-2' added, or its number raised (`device' -> `device-2' ->
%% `device-3'), as avahi chooses; the label is cut to stay within 63 bytes.
-spec alternative(scoped_ipv6_dns:name()) -> scoped_ipv6_dns:name().
alternative(Name) ->
    {Label, Domain} = lists:splitwith(fun(C) -> C =/= $. end, Name),
    {Base, N} = numbered(Label, "-"),
    Suffix = "-" ++ integer_to_list(N + 1),
    lists:sublist(Base, 63 - length(Suffix)) ++ Suffix ++ Domain.

%% @doc The instance name to try after `Instance' was taken: ` #2' added,
%% or its number raised (`Web' -> `Web #2' -> `Web #3'), as avahi
%% chooses; characters are cut from the end of the name to stay within 63
%% bytes.
-spec alternative_instance(unicode:unicode_binary()) -> unicode:unicode_binary().
alternative_instance(Instance) ->
    {Base, N} = numbered(unicode:characters_to_list(Instance), " #"),
    Suffix = " #" ++ integer_to_list(N + 1),
    fit(Base, Suffix).

fit(Base, Suffix) ->
    Text = unicode:characters_to_binary(Base ++ Suffix),
    case byte_size(Text) =< ?MAX_LABEL orelse Base =:= [] of
        true -> Text;
        false -> fit(lists:droplast(Base), Suffix)
    end.

numbered(Label, Separator) ->
    case string:split(Label, Separator, trailing) of
        [Base, Digits] when Base =/= [], Digits =/= [], length(Digits) =< 9 ->
            case lists:all(fun(C) -> C >= $0 andalso C =< $9 end, Digits) of
                true -> {Base, list_to_integer(Digits)};
                false -> {Label, 1}
            end;
        _ ->
            {Label, 1}
    end.

%% --- internal -----------------------------------------------------------------

%% The records we claim alone: our addresses, each service's SRV and TXT.
unique({Name, _, Services} = Link, TTL, Flush) ->
    addresses(Link, TTL, Flush, [a, aaaa]) ++
        lists:append([[srv(S, Name, TTL, Flush), txt_record(S, TTL, Flush)] || S <- Services]).

%% The PTRs from the reverse names of `Ips' to our name, unique to us
%% (cache-flush bit).
reverse(Link, Ips, TTL) ->
    lists:append([answer({ptr, Ip}, Link, TTL, true) || Ip <- Ips]).

%% The shared records: each service's PTR from its type and from each of
%% its subtypes, and each type's from the enumeration name (RFC 6763
%% sections 7.1 and 9).
shared({_, _, Services}, TTL) ->
    lists:append([pointers(S, TTL) || S <- Services]) ++
        [scoped_ipv6_dns:pointer_record(?ENUMERATION, T, TTL, false) || T <- types(Services)].

%% The names we claim alone, lower case, with what they are.
unique_names({Name, _, Services}) ->
    [{scoped_ipv6_dns:lower(Name), host} |
     [{scoped_ipv6_dns:lower(instance_name(S)), {instance, N}}
      || {N, S} <- lists:zip(lists:seq(1, length(Services)), Services)]].

%% Our address records of `Types': AAAA for the IPv6 addresses, A for IPv4.
addresses({Name, Ips, _}, TTL, Flush, Types) ->
    Aaaa = lists:member(aaaa, Types),
    A = lists:member(a, Types),
    [scoped_ipv6_dns:address_record(Name, aaaa, Ip, TTL, Flush)
     || Aaaa, {_, _, _, _, _, _, _, _} = Ip <- Ips] ++
        [scoped_ipv6_dns:address_record(Name, a, Ip, TTL, Flush) || A, {_, _, _, _} = Ip <- Ips].

%% A service's PTR records: from its type and from each of its subtypes.
pointers(S, TTL) ->
    [scoped_ipv6_dns:pointer_record(Owner, instance_name(S), TTL, false)
     || Owner <- [type_name(S) | subtype_names(S)]].

srv(#{port := Port} = S, Host, TTL, Flush) ->
    scoped_ipv6_dns:record(instance_name(S), srv, {0, 0, Port, Host}, TTL, Flush).

txt_record(#{txt := Txt} = S, TTL, Flush) ->
    scoped_ipv6_dns:record(instance_name(S), txt, Txt, TTL, Flush).

%% `Web._http._tcp.local': the instance's label, escaped as inet_dns
%% names are (a dot or backslash in it is one character of the label).
instance_name(#{instance := Instance, type := Type}) ->
    {ok, Label} = scoped_ipv6_browse_answers:instance_label(Instance),
    Label ++ "." ++ Type ++ ".local".

type_name(#{type := Type}) ->
    Type ++ ".local".

%% `_printer._sub._http._tcp.local' for each subtype.
subtype_names(#{type := Type, subtypes := Labels}) ->
    [subtype_name(Label, Type) || Label <- Labels].

subtype_name(Label, Type) ->
    Label ++ "._sub." ++ Type ++ ".local".

types(Services) ->
    lists:usort([scoped_ipv6_dns:lower(type_name(S)) || S <- Services]).

%% A record as section 8.2 orders it: its class (IN, 1), its type (A 1,
%% TXT 16, AAAA 28, SRV 33), then the data as sent, names uncompressed;
%% `none' for what we never claim.
sortable(a, {_, _, _, _} = Ip) -> {1, 1, scoped_ipv6_addr:to_bytes(Ip)};
sortable(aaaa, {_, _, _, _, _, _, _, _} = Ip) -> {1, 28, scoped_ipv6_addr:to_bytes(Ip)};
sortable(txt, Strings) when is_list(Strings) ->
    try {1, 16, << <<(length(S)), (list_to_binary(S))/binary>> || S <- Strings >>}
    catch error:_ -> none
    end;
sortable(srv, {P, W, Port, Target}) when is_list(Target) ->
    try {1, 33, <<P:16, W:16, Port:16, (wire_name(Target))/binary>>}
    catch error:_ -> none
    end;
sortable(_Type, _Data) -> none.

%% A name as it goes on the wire, uncompressed.
wire_name(Name) ->
    Labels = [list_to_binary(L) || L <- string:split(Name, ".", all), L =/= []],
    << <<(byte_size(L)), L/binary>> || L <- Labels >>.
