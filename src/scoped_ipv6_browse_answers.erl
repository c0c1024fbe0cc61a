%% @private
%% What DNS-SD answers say (RFC 6763), without sockets or time: which
%% service types may be browsed, which records of an answer matter, the
%% services one link's records describe, and what is still to be asked
%% of that link for them (section 12: SRV, TXT and addresses usually come
%% as additional records, but need not).
%%
%% Records are `{Owner, Type, Data, TTL}' as scoped_ipv6_dns:parse_records/2
%% gives them: names as inet_dns writes them (a `.' inside a label escaped
%% as `\.'), case kept. Names are compared in ASCII lower case (RFC 6762
%% section 16). Nothing read here becomes an atom, and each list is
%% bounded: a flooding neighbour costs time, never memory.
-module(scoped_ipv6_browse_answers).

-export([service_type/1, instance_label/1, seed/2, relevant/2, services/2, missing/2, types/1,
         host_addresses/2]).

%% At most this many instances (or, browsing `_services._dns-sd._udp',
%% types) a link, and addresses an instance.
-define(MAX_INSTANCES, 64).
-define(MAX_ADDRESSES, 16).
%% At most this many questions in one follow-up message (each up to 260
%% bytes: within RFC 6762 section 17's 9,000).
-define(MAX_QUESTIONS, 32).
-define(MAX_NAME, 253).
-define(ENUMERATION, "_services._dns-sd._udp.local").

-type answer_record() :: {scoped_ipv6_dns:name(), atom() | integer(), term(), non_neg_integer()}.
%% A browsable type: `display' as the caller wrote it (without `.local'),
%% the name asked (`question'), its lower case (`owner'), and the lower-
%% case ending of its instances' names (`suffix': a subtype's instances are
%% the base type's).
-type service_type() :: #{display := string(), question := scoped_ipv6_dns:name(),
                          owner := string(), suffix := string(), enumeration := boolean()}.
-type service() :: #{name := string(), type := string(), host := string(),
                     port := inet:port_number(), txt := [binary()],
                     addresses := [inet:ip_address()]}.
-export_type([answer_record/0, service_type/0, service/0]).

%% @doc A service type to browse: `_name._tcp' or `_name._udp' (the name
%% 1..15 letters, digits and hyphens, RFC 6335 section 5.1), a subtype of
%% one (`_printer._sub._http._tcp', RFC 6763 section 7.1), or
%% `_services._dns-sd._udp' (every type on the link, section 9); `.local'
%% or `.local.' may follow. `einval' for other text; `badarg' for what is
%% not text (neither a binary nor a list of characters).
-spec service_type(term()) -> {ok, service_type()} | einval | badarg.
service_type(Type) when is_binary(Type), byte_size(Type) > ?MAX_NAME ->
    einval;
service_type(Type) when is_binary(Type) ->
    parse_type(binary_to_list(Type));
service_type(Type) when is_list(Type) ->
    case characters(Type, ?MAX_NAME + 1) of
        ok -> parse_type(Type);
        long -> einval;
        not_text -> badarg
    end;
service_type(_) ->
    badarg.

characters([], _N) -> ok;
characters(_List, 0) -> long;
characters([C | Rest], N) when is_integer(C), C >= 0 -> characters(Rest, N - 1);
characters(_, _N) -> not_text.

parse_type(Text) ->
    Bare = strip_local(Text),
    Labels = string:split(Bare, ".", all),
    Lower = [lower(L) || L <- Labels],
    case Lower of
        ["_services", "_dns-sd", "_udp"] ->
            {ok, type(Bare, Bare, Bare, true)};
        [Service, Proto] ->
            case service_label(Service) andalso protocol(Proto) of
                true -> {ok, type(Bare, Bare, Bare, false)};
                false -> einval
            end;
        [Sub, "_sub", Service, Proto] ->
            case sub_label(Sub) andalso service_label(Service) andalso protocol(Proto) of
                true ->
                    [_, _ | Base] = Labels,
                    Display = lists:join(".", Base),
                    {ok, type(lists:flatten(Display), Bare, lists:flatten(Display), false)};
                false ->
                    einval
            end;
        _ ->
            einval
    end.

type(Display, Question, Base, Enumeration) ->
    #{display => Display, question => Question ++ ".local",
      owner => lower(Question) ++ ".local", suffix => "." ++ lower(Base) ++ ".local",
      enumeration => Enumeration}.

strip_local(Text) ->
    Lower = lower(Text),
    case {lists:suffix(".local.", Lower), lists:suffix(".local", Lower)} of
        {true, _} -> lists:sublist(Text, length(Text) - 7);
        {_, true} -> lists:sublist(Text, length(Text) - 6);
        _ -> Text
    end.

%% RFC 6335 section 5.1: 1..15 letters, digits and hyphens, after `_'.
service_label([$_ | Name]) when Name =/= [], length(Name) =< 15 ->
    lists:all(fun(C) -> (C >= $a andalso C =< $z) orelse (C >= $0 andalso C =< $9)
                            orelse C =:= $- end, Name);
service_label(_) ->
    false.

protocol(P) -> P =:= "_tcp" orelse P =:= "_udp".

%% A subtype label: 1..63 printable ASCII bytes, no `\' (inet_dns's escape).
sub_label(Label) when Label =/= [], length(Label) =< 63 ->
    lists:all(fun(C) -> C > 32 andalso C < 127 andalso C =/= $\\ end, Label);
sub_label(_) ->
    false.

%% @doc An instance name as the first label of a DNS name: its UTF-8
%% bytes, a `.' or `\' in it escaped as inet_dns writes names; `error'
%% for what RFC 6763 section 4.1.1 does not allow: no text, a control
%% character, more than 63 bytes. `badarg' for what is not text.
-spec instance_label(term()) -> {ok, string()} | error | badarg.
instance_label(Name) when is_list(Name); is_binary(Name) ->
    try unicode:characters_to_binary(Name) of
        Text when is_binary(Text), Text =/= <<>> ->
            Label = lists:append([case C of
                                      $. -> "\\.";
                                      $\\ -> "\\\\";
                                      _ -> [C]
                                  end || <<C>> <= Text]),
            Controls = [C || <<C>> <= Text, C < 32 orelse C =:= 127],
            case Controls =:= [] andalso byte_size(Text) =< 63 of
                true -> {ok, Label};
                false -> error
            end;
        _EmptyOrNotUtf8 ->
            error
    catch
        error:badarg -> badarg
    end;
instance_label(_) ->
    badarg.

%% @doc The records a browse for `Type' would have read to find the
%% instance whose label (instance_label/1) is `Label': a PTR to it, so
%% that resolving one named instance asks only what missing/2 asks.
-spec seed(service_type(), string()) -> [answer_record()].
seed(#{owner := Owner, display := Display}, Label) ->
    [{Owner, ptr, Label ++ "." ++ Display ++ ".local", 1}].

%% @doc Whether a record can matter to a browse for `Type': a PTR from the
%% type's name, an SRV or TXT of one of its instances, an address (for
%% `_services._dns-sd._udp', only the PTRs). The rest is dropped as it is
%% read, so that it takes no room.
-spec relevant(service_type(), answer_record()) -> boolean().
relevant(#{owner := Owner}, {Name, ptr, _, _}) -> lower(Name) =:= Owner;
relevant(#{enumeration := true}, _Record) -> false;
relevant(#{suffix := Suffix}, {Name, Type, _, _}) when Type =:= srv; Type =:= txt ->
    lists:suffix(Suffix, lower(Name));
relevant(_Type, {_, Type, Data, _}) -> scoped_ipv6_dns:is_address(Type, Data).

%% @doc The services one link's records describe, by instance name: each
%% instance a PTR from the type names (at most 64, the first ones), with
%% its SRV (an instance without one, or whose target is `.', RFC 2782,
%% is left out), its TXT strings (empty ones dropped: a TXT of one empty
%% string is RFC 6763 section 6.1's empty record) and the addresses of
%% its SRV target (at most 16). Goodbyes (TTL 0) count for nothing.
-spec services(service_type(), [answer_record()]) -> [service()].
services(#{display := Display} = Type, Records) ->
    Owners = owners(Records),
    Found = [#{name => Name, type => Display, host => Host, port => Port,
               txt => txt(Owners, Full), addresses => addresses(Owners, Target)}
             || {Full, Name} <- instances(Type, Owners),
                {Port, Target} <- [srv(Owners, Full)],
                {ok, Host} <- [utf8(Target)]],
    lists:sort(fun(#{name := A}, #{name := B}) -> A =< B end, Found).

%% @doc The questions still to ask the link for its services: SRV and TXT
%% of each instance that lacks them, and the addresses (AAAA and A) of each
%% SRV target without any; at most 32.
-spec missing(service_type(), [answer_record()]) -> [{scoped_ipv6_dns:name(), srv | txt | aaaa | a}].
missing(#{enumeration := true}, _Records) ->
    [];
missing(Type, Records) ->
    Owners = owners(Records),
    Instances = instances(Type, Owners),
    Descriptions = lists:append(
                     [[{Full, srv} || not has(Owners, Full, srv)] ++
                          [{Full, txt} || not has(Owners, Full, txt)]
                      || {Full, _} <- Instances]),
    Targets = lists:usort([T || {Full, _} <- Instances, {_, T} <- [srv(Owners, Full)]]),
    Hosts = lists:append([[{T, aaaa}, {T, a}] || T <- Targets,
                                                 addresses(Owners, T) =:= []]),
    lists:sublist(Descriptions ++ Hosts, ?MAX_QUESTIONS).

%% @doc Browsing `_services._dns-sd._udp': the service types the records
%% name (`_name._tcp', as sent, without `.local'), each once, sorted, at
%% most 64.
-spec types([answer_record()]) -> [string()].
types(Records) ->
    {ok, #{owner := Owner}} = service_type(?ENUMERATION),
    %% A type in `.local', not a subtype: its name is the one asked for it.
    Named = [Bare || {Name, ptr, Data, TTL} <- Records, TTL > 0, is_list(Data),
                     lower(Name) =:= Owner, {ok, #{enumeration := false, display := Bare,
                                                   question := Q}} <- [service_type(Data)],
                     lower(Q) =:= lower(Data), Q =:= Bare ++ ".local"],
    lists:sort(first_unique(Named, ?MAX_INSTANCES)).

%% @doc The addresses one link's records give host `Name' (an SRV
%% target's, or a watched host's, scoped_ipv6_watch_subject), in the order
%% received, each once, at most 16.
-spec host_addresses(scoped_ipv6_dns:name(), [answer_record()]) -> [inet:ip_address()].
host_addresses(Name, Records) ->
    addresses(owners(Records), Name).

%% --- internal -----------------------------------------------------------------

%% The live records by lower-case owner: #{Owner => [{Type, Data}]},
%% each owner's in the order received.
owners(Records) ->
    lists:foldr(fun({Name, Type, Data, TTL}, Acc) when TTL > 0, is_list(Name) ->
                        Key = lower(Name),
                        Acc#{Key => [{Type, Data} | maps:get(Key, Acc, [])]};
                   (_Goodbye, Acc) ->
                        Acc
                end, #{}, Records).

%% `{Full, Name}' for each instance a PTR from the type's name gives:
%% `Full' as sent (to ask for), `Name' its first label, unescaped and
%% read as UTF-8 (RFC 6763 section 4.1.1); one that is not is left out.
instances(#{owner := Owner, suffix := Suffix}, Owners) ->
    Pointed = [Full || {ptr, Full} <- maps:get(Owner, Owners, []), is_list(Full)],
    Named = [{lower(Full), {Full, Name}}
             || Full <- Pointed, lists:suffix(Suffix, lower(Full)),
                {ok, Name} <- [instance_name(lists:sublist(Full, length(Full) - length(Suffix)))]],
    first_unique_by_key(Named, ?MAX_INSTANCES).

%% One label as inet_dns writes it (`\.' and `\\' escaped; an unescaped
%% `.' would be a second label), as text.
instance_name([]) -> error;
instance_name(Escaped) -> unescape(Escaped, []).

unescape([], Acc) -> utf8(lists:reverse(Acc));
unescape([$\\, C | Rest], Acc) -> unescape(Rest, [C | Acc]);
unescape([$. | _], _Acc) -> error;
unescape([C | Rest], Acc) -> unescape(Rest, [C | Acc]).

%% Bytes as a Unicode string, or `error'.
utf8(Bytes) ->
    try unicode:characters_to_list(list_to_binary(Bytes)) of
        [_ | _] = Text -> {ok, Text};
        _EmptyOrBad -> error
    catch
        error:badarg -> error
    end.

has(Owners, Full, Type) ->
    lists:keymember(Type, 1, maps:get(lower(Full), Owners, [])).

%% The first SRV of an instance as `{Port, Target}'; `none' without one or
%% when its target is the root, `.' as inet_dns decodes it (no service
%% here, RFC 2782).
srv(Owners, Full) ->
    case [{Port, Target} || {srv, {_Priority, _Weight, Port, Target}} <- maps:get(lower(Full), Owners, []),
                            is_integer(Port), is_list(Target), Target =/= [], Target =/= "."] of
        [First | _] -> First;
        [] -> none
    end.

%% The first TXT's strings, empty ones dropped.
txt(Owners, Full) ->
    case [Strings || {txt, Strings} <- maps:get(lower(Full), Owners, []), is_list(Strings)] of
        [Strings | _] -> [B || S <- Strings, {ok, B} <- [bytes(S)], B =/= <<>>];
        [] -> []
    end.

bytes(S) ->
    try {ok, list_to_binary(S)}
    catch error:badarg -> error
    end.

addresses(Owners, Target) ->
    Ips = [Ip || {Type, Ip} <- maps:get(lower(Target), Owners, []),
                 scoped_ipv6_dns:is_address(Type, Ip)],
    first_unique(Ips, ?MAX_ADDRESSES).

first_unique(List, Max) ->
    first_unique_by_key([{X, X} || X <- List], Max).

%% The values of the first `Max' distinct keys, in order.
first_unique_by_key(Pairs, Max) ->
    {Kept, _} = lists:foldl(fun({Key, Value}, {Acc, Seen}) ->
                                    case length(Acc) < Max andalso not maps:is_key(Key, Seen) of
                                        true -> {[Value | Acc], Seen#{Key => true}};
                                        false -> {Acc, Seen}
                                    end
                            end, {[], #{}}, Pairs),
    lists:reverse(Kept).

lower(Text) -> scoped_ipv6_dns:lower(Text).
