%% @private
%% DNS messages through OTP's own codec (`inet_dns', what `inet_res' uses),
%% and unicast queries to name servers that may sit at a scoped address
%% (`fe80::1%eth0', which `inet_res' skips): over UDP on OTP's `socket'
%% module, which keeps the scope, and over TCP when the answer comes
%% truncated. Also reads `nameserver' lines, zones included, from a
%% resolv.conf-style file.
%%
%% The one module that uses `inet_dns' (a test checks it): the mDNS
%% responder builds and reads its messages through the functions here.
%% The records are reached through inet_dns's accessor functions
%% (`inet_dns:rr/2', `make_msg/1'...), not through `inet_dns.hrl', whose
%% fields have moved between OTP releases; checked on OTP 25, 27 and 29.
%% Nothing read from the network becomes an atom: inet_dns leaves unknown
%% types and classes as integers and names as strings.
-module(scoped_ipv6_dns).

-export([name/1, is_local/1, query_message/4, parse_reply/3, query/5, resolv_conf/1,
         record/5, address_record/5, pointer_record/4, reverse_name/1, probe_message/2,
         answer_message/3, answer_message/4, read_message/1, record_key/1,
         distinct_records/2, lower/1,
         questions_message/2, questions_message/3, questions_messages/3, parse_records/2,
         parse_flagged/2,
         is_address/2]).

%% RFC 1035: a label is at most 63 bytes, a name 255 on the wire (253 as text).
-define(MAX_LABEL, 63).
-define(MAX_NAME, 253).
%% Without EDNS, a UDP answer is at most 512 bytes (RFC 1035 4.2.1); a
%% TCP one at most 65,535 (its length prefix).
-define(UDP_REPLY, 65535).
%% resolv.conf is read up to this many bytes (glibc reads 3 servers; we
%% keep every scoped one, up to ?MAX_SERVERS).
-define(MAX_CONF, 65536).
-define(MAX_SERVERS, 8).
%% The TC bit of a message's flags (RFC 1035 section 4.1.1).
-define(TC, 16#0200).

-type name() :: string().
-type answer() :: {inet:ip_address(), non_neg_integer()}.
-type question() :: {name(), atom() | integer(), atom() | integer(), boolean(), tuple()}.
-export_type([name/0, answer/0, question/0]).

%% @doc A host name as inet_dns takes it (a string of bytes, without the
%% final dot), or `error': 1..63 bytes a label, 253 in all, no byte below
%% 33, no `\' (inet_dns's escape), no 127.
-spec name(term()) -> {ok, name()} | error.
name(Host) when is_atom(Host) -> name(atom_to_binary(Host, utf8));
name(Host) when is_list(Host) ->
    case short_string(Host, ?MAX_NAME + 2) of
        true ->
            try unicode:characters_to_binary(Host) of
                Binary when is_binary(Binary) -> name(Binary);
                _Incomplete -> error
            catch
                error:badarg -> error
            end;
        false ->
            error
    end;
name(Host) when is_binary(Host), byte_size(Host) =< ?MAX_NAME + 1 ->
    Bare = case binary:last(<<0, Host/binary>>) of
               $. -> binary:part(Host, 0, byte_size(Host) - 1);
               _ -> Host
           end,
    Labels = binary:split(Bare, <<".">>, [global]),
    Good = byte_size(Bare) > 0 andalso byte_size(Bare) =< ?MAX_NAME andalso
        lists:all(fun label/1, Labels),
    case Good of
        true -> {ok, binary_to_list(Bare)};
        false -> error
    end;
name(_) ->
    error.

label(Label) when byte_size(Label) >= 1, byte_size(Label) =< ?MAX_LABEL ->
    lists:all(fun(C) -> C > 32 andalso C =/= 127 andalso C =/= $\\ end, binary_to_list(Label));
label(_) ->
    false.

%% @doc Whether a name (from name/1) is in `.local' (RFC 6762 section 3).
-spec is_local(name()) -> boolean().
is_local(Name) ->
    case lists:reverse(lower(Name)) of
        "lacol." ++ [_ | _] -> true;
        _ -> false
    end.

%% @doc A query for `Name', one question per type (`aaaa', `a'); `Unicast'
%% sets the mDNS QU bit (RFC 6762 section 5.4); recursion desired is set
%% for unicast DNS (`rd').
-spec query_message(0..65535, name(), [a | aaaa], #{qu => boolean(), rd => boolean()}) ->
    binary().
query_message(Id, Name, Types, Flags) ->
    Header = inet_dns:make_header([{id, Id}, {rd, maps:get(rd, Flags, false)}]),
    Questions = [question(Name, Type, maps:get(qu, Flags, false)) || Type <- Types],
    iolist_to_binary(inet_dns:encode(inet_dns:make_msg([{header, Header}, {qdlist, Questions}]))).

question(Name, Type, Unicast) ->
    unicast_response(inet_dns:make_dns_query([{domain, Name}, {type, Type}, {class, in}]),
                     Unicast).

%% Sets a question's mDNS unicast-response (QU) bit. inet_dns keeps it in
%% the record's last field, `unicast_response', which its constructors and
%% accessors do not offer (OTP 25).
unicast_response(Question, Unicast) ->
    setelement(tuple_size(Question), Question, Unicast).

%% Whether a decoded question has the QU bit set.
is_unicast_response(Question) ->
    element(tuple_size(Question), Question) =:= true.

%% @doc An mDNS probe (RFC 6762 section 8.1): for each of `Names' the
%% question "any record of this name", with the QU bit, and the records we
%% mean to claim in the authority section.
-spec probe_message([name()], [tuple()]) -> binary().
probe_message(Names, Authority) ->
    Msg = inet_dns:make_msg([{header, inet_dns:make_header([{id, 0}])},
                             {qdlist, [question(Name, any, true) || Name <- Names]},
                             {nslist, Authority}]),
    iolist_to_binary(inet_dns:encode(Msg)).

%% @doc An authoritative answer with id `Id': `Questions' (as read_message/1
%% gives them, echoed for a one-shot query; `[]' for mDNS) and `Records'.
-spec answer_message(0..65535, [question()], [tuple()]) -> binary().
answer_message(Id, Questions, Records) ->
    answer_message(Id, Questions, Records, []).

%% @doc The same with `Additional' records (RFC 6763 section 12: what the
%% asker will want next, sent along).
-spec answer_message(0..65535, [question()], [tuple()], [tuple()]) -> binary().
answer_message(Id, Questions, Records, Additional) ->
    Header = inet_dns:make_header([{id, Id}, {qr, true}, {aa, true}]),
    Msg = inet_dns:make_msg([{header, Header}, {qdlist, [Q || {_, _, _, _, Q} <- Questions]},
                             {anlist, Records}, {arlist, Additional}]),
    iolist_to_binary(inet_dns:encode(Msg)).

%% @doc A message as plain terms: whether it is a reply, whether it is
%% truncated (the TC bit: a query's known answers go on in the next
%% messages, RFC 6762 section 7.2), its id, its
%% questions (`{Name, Type, Class, Unicast, _}': the name in lower case,
%% `Unicast' the QU bit; the last element is for answer_message/3), and
%% the names (lower case), types and data (an address for A and AAAA) of
%% its answer and additional records, and of its authority records of
%% class IN (what a probe claims, RFC 6762 section 8.2), and its answer
%% records of class IN with their TTL (a query's known answers, section
%% 7.1). `error' for what does not decode.
-spec read_message(binary()) ->
    {ok, #{reply := boolean(), truncated := boolean(), id := 0..65535,
           questions := [question()],
           records := [{name(), atom() | integer(), term()}],
           authority := [{name(), atom() | integer(), term()}],
           known := [{{name(), atom() | integer(), term()}, non_neg_integer()}]}} | error.
read_message(<<Id:16, Flags:16, Sections/binary>>) ->
    %% The TC bit is read here, and cleared for inet_dns: in multicast DNS
    %% a query with TC is whole, its known answers going on in the next
    %% messages (RFC 6762 section 7.2), and a response's TC means nothing
    %% (section 18.5); OTP 27's inet_dns refuses TC over complete sections.
    Truncated = Flags band ?TC =/= 0,
    case decode(<<Id:16, (Flags band bnot ?TC):16, Sections/binary>>) of
        {ok, Msg} ->
            Header = inet_dns:msg(Msg, header),
            {ok, #{reply => inet_dns:header(Header, qr) =:= true,
                   truncated => Truncated,
                   id => inet_dns:header(Header, id),
                   questions => [{lower(text(inet_dns:dns_query(Q, domain))),
                                  inet_dns:dns_query(Q, type), inet_dns:dns_query(Q, class),
                                  is_unicast_response(Q), Q}
                                 || Q <- inet_dns:msg(Msg, qdlist)],
                   records => [record_key(R)
                               || R <- inet_dns:msg(Msg, anlist) ++ inet_dns:msg(Msg, arlist),
                                  inet_dns:record_type(R) =:= rr],
                   authority => [record_key(R) || R <- inet_dns:msg(Msg, nslist),
                                                  inet_dns:record_type(R) =:= rr,
                                                  inet_dns:rr(R, class) =:= in],
                   known => [{record_key(R), inet_dns:rr(R, ttl)}
                             || R <- inet_dns:msg(Msg, anlist),
                                inet_dns:record_type(R) =:= rr,
                                inet_dns:rr(R, class) =:= in]}};
        error ->
            error
    end;
read_message(_Short) ->
    error.

%% @doc A record as read_message/1 gives records: its name (lower case),
%% type and data; the same for one made by address_record/5.
-spec record_key(tuple()) -> {name(), atom() | integer(), term()}.
record_key(R) ->
    {lower(rr_domain(R)), inet_dns:rr(R, type), inet_dns:rr(R, data)}.

%% @doc `Records' each once (by record_key/1), none whose key is in
%% `Seen', in their order.
-spec distinct_records([tuple()], [{name(), atom() | integer(), term()}]) -> [tuple()].
distinct_records(Records, Seen) ->
    {Kept, _} = lists:foldl(fun(R, {Acc, Keys}) ->
                                    Key = record_key(R),
                                    case lists:member(Key, Keys) of
                                        true -> {Acc, Keys};
                                        false -> {[R | Acc], [Key | Keys]}
                                    end
                            end, {[], Seen}, Records),
    lists:reverse(Kept).

%% @doc A resource record of class IN for an answer, its data as inet_dns
%% takes it (an address for A and AAAA, a name for PTR, `{Priority,
%% Weight, Port, Target}' for SRV, a list of strings for TXT); `Flush' is
%% the mDNS cache-flush bit, which inet_dns keeps in the last field,
%% `func' (see cache_flush/1).
-spec record(name(), a | aaaa | ptr | srv | txt, term(), non_neg_integer(), boolean()) ->
    tuple().
record(Owner, Type, Data, TTL, Flush) ->
    Rr = inet_dns:make_rr([{domain, Owner}, {type, Type}, {class, in}, {ttl, TTL},
                           {data, Data}]),
    setelement(tuple_size(Rr), Rr, Flush).

%% @doc An A or AAAA record (record/5).
-spec address_record(name(), a | aaaa, inet:ip_address(), non_neg_integer(), boolean()) ->
    tuple().
address_record(Name, Type, Ip, TTL, Flush) ->
    record(Name, Type, Ip, TTL, Flush).

%% @doc A PTR record from `Owner' (a reverse name, a service type) to
%% `Target' (record/5).
-spec pointer_record(name(), name(), non_neg_integer(), boolean()) -> tuple().
pointer_record(Owner, Target, TTL, Flush) ->
    record(Owner, ptr, Target, TTL, Flush).

%% @doc The reverse-mapping name of an address, in lower case: its
%% nibbles backwards under `ip6.arpa' (RFC 3596 section 2.5), its bytes
%% backwards under `in-addr.arpa' (RFC 1035 section 3.5).
-spec reverse_name(inet:ip_address()) -> name().
reverse_name({A, B, C, D}) ->
    lists:flatten(io_lib:format("~b.~b.~b.~b.in-addr.arpa", [D, C, B, A]));
reverse_name(Ip6) ->
    Nibbles = [hd(string:lowercase(integer_to_list(N, 16)))
               || <<N:4>> <= scoped_ipv6_addr:to_bytes(Ip6)],
    lists:append([[N, $.] || N <- lists:reverse(Nibbles)]) ++ "ip6.arpa".

%% @doc The addresses a reply gives for `Name' and `Types', with their TTL
%% and cache-flush bit (RFC 6762 section 10.2), from its answer and
%% additional sections; CNAMEs are followed within the reply (at most 8).
%% `{error, Reason}' for a reply that is no answer to query `Id' (any id
%% for `any'): `formerr' (malformed), `truncated', `nxdomain', `servfail'
%% and other rcodes as `no_recovery', `mismatch' (a reply to something
%% else).
-spec parse_reply(binary(), 0..65535 | any, {name(), [a | aaaa]}) ->
    {ok, [{inet:ip_address(), TTL :: non_neg_integer(), Flush :: boolean()}]} |
    {error, formerr | truncated | nxdomain | no_recovery | mismatch}.
parse_reply(Packet, Id, {Name, Types}) ->
    case reply_records(Packet, Id) of
        {ok, Records} -> {ok, addresses(Records, lower(Name), Types, 8)};
        {error, _} = Error -> Error
    end.

%% @doc A multicast DNS query (no QU bit, no recursion) with one question
%% per `{Name, Type}': for DNS-SD (RFC 6763), `ptr', `srv', `txt', `a' and
%% `aaaa'. A name is as inet_dns gives names (a `.' within a label
%% escaped as `\.'), so an instance name read from an answer can be
%% asked for as it came.
-spec questions_message(0..65535, [{name(), ptr | srv | txt | a | aaaa}]) -> binary().
questions_message(Id, Questions) ->
    questions_message(Id, Questions, []).

%% @doc The same with `Known' (records from record/5) in the answer
%% section: the answers the asker holds already (RFC 6762 section 7.1),
%% which responders then leave out.
-spec questions_message(0..65535, [{name(), ptr | srv | txt | a | aaaa}], [tuple()]) -> binary().
questions_message(Id, Questions, Known) ->
    mdns_query(Id, Questions, Known, false).

%% @doc The same as messages of at most `Max' bytes (RFC 6762 section
%% 7.2): the questions with as many known answers as fit, then messages
%% of known answers alone; each but the last with the TC bit, which tells
%% responders that more known answers follow. A message goes over `Max'
%% only when its questions, or one known answer, do alone. Id 0.
-spec questions_messages([{name(), ptr | srv | txt | a | aaaa}], [tuple()], pos_integer()) ->
    [binary()].
questions_messages(Questions, Known, Max) ->
    case mdns_query(0, Questions, Known, false) of
        Whole when byte_size(Whole) =< Max; Known =:= [] ->
            [Whole];
        _TooLong ->
            %% A message of known answers alone takes one at least.
            Least = case Questions of
                        [] -> 1;
                        _ -> 0
                    end,
            Fit = max(Least, fitting(fun(N) ->
                                             mdns_query(0, Questions, lists:sublist(Known, N), true)
                                     end, Max, 0, length(Known))),
            {Now, Later} = lists:split(Fit, Known),
            [mdns_query(0, Questions, Now, true) | questions_messages([], Later, Max)]
    end.

%% The most of `Low'..`High' for which `Message' is at most `Max' bytes
%% (a message only grows with more records); `Low' fits.
fitting(_Message, _Max, Low, High) when Low >= High ->
    Low;
fitting(Message, Max, Low, High) ->
    Mid = (Low + High + 1) div 2,
    case byte_size(Message(Mid)) =< Max of
        true -> fitting(Message, Max, Mid, High);
        false -> fitting(Message, Max, Low, Mid - 1)
    end.

mdns_query(Id, Questions, Known, Truncated) ->
    Header = inet_dns:make_header([{id, Id}, {tc, Truncated}]),
    Qs = [question(Name, Type, false) || {Name, Type} <- Questions],
    iolist_to_binary(inet_dns:encode(inet_dns:make_msg([{header, Header}, {qdlist, Qs},
                                                        {anlist, Known}]))).

%% @doc The records of class IN in a reply's answer and additional
%% sections, as `{Owner, Type, Data, TTL}': the owner as inet_dns gives it
%% (case kept, a `.' within a label escaped), the type an atom inet_dns
%% knows or an integer, the data as inet_dns decodes it (a name for PTR,
%% `{Priority, Weight, Port, Target}' for SRV, a list of strings for TXT,
%% an address for A and AAAA). Errors as parse_reply/3's.
-spec parse_records(binary(), 0..65535) ->
    {ok, [{name(), atom() | integer(), term(), non_neg_integer()}]} |
    {error, formerr | truncated | nxdomain | no_recovery | mismatch}.
parse_records(Packet, Id) ->
    case parse_flagged(Packet, Id) of
        {ok, Flagged} -> {ok, [R || {R, _Flush} <- Flagged]};
        {error, _} = Error -> Error
    end.

%% @doc parse_records/2's records, each with its cache-flush bit (RFC 6762
%% section 10.2): `{{Owner, Type, Data, TTL}, Flush}'.
-spec parse_flagged(binary(), 0..65535 | any) ->
    {ok, [{{name(), atom() | integer(), term(), non_neg_integer()}, boolean()}]} |
    {error, formerr | truncated | nxdomain | no_recovery | mismatch}.
parse_flagged(Packet, Id) ->
    case reply_records(Packet, Id) of
        {ok, Records} ->
            {ok, [{{rr_domain(R), inet_dns:rr(R, type), inet_dns:rr(R, data), inet_dns:rr(R, ttl)},
                   cache_flush(R)}
                  || R <- Records, inet_dns:record_type(R) =:= rr, inet_dns:rr(R, class) =:= in]};
        {error, _} = Error ->
            Error
    end.

%% The answer and additional records (as inet_dns decodes them) of a reply
%% to query `Id' (any id for `any'), or why there are none: `formerr'
%% (malformed), `truncated', `nxdomain', `no_recovery' (another rcode),
%% `mismatch' (a reply to something else). What parse_reply/3 and
%% parse_records/2 both take for a reply.
reply_records(<<ReplyId:16, 1:1, _Opcode:4, _AA:1, 1:1, _/bitstring>>, Id)
  when Id =:= any; ReplyId =:= Id ->
    %% Truncated, read from the header: OTP 27's inet_dns refuses a reply
    %% whose TC bit is set over complete sections, as servers send them.
    {error, truncated};
reply_records(<<ReplyId:16, QR:1, _/bitstring>>, Id)
  when QR =:= 0; Id =/= any, ReplyId =/= Id ->
    %% Not a reply to this query: refused before any decoding.
    {error, mismatch};
reply_records(Packet, Id) ->
    case decode(Packet) of
        {ok, Msg} ->
            Header = inet_dns:msg(Msg, header),
            Reply = inet_dns:header(Header, qr),
            case Reply =:= true andalso (Id =:= any orelse inet_dns:header(Header, id) =:= Id) of
                false ->
                    {error, mismatch};
                true ->
                    case {inet_dns:header(Header, tc), inet_dns:header(Header, rcode)} of
                        {true, _} -> {error, truncated};
                        {_, 0} -> {ok, inet_dns:msg(Msg, anlist) ++ inet_dns:msg(Msg, arlist)};
                        {_, 3} -> {error, nxdomain};
                        {_, _} -> {error, no_recovery}
                    end
            end;
        error ->
            {error, formerr}
    end.

%% inet_dns:decode/1, with anything it raises on a hostile packet (it
%% answers {error, _} for what it sees is wrong) as `error' too.
decode(Packet) ->
    try inet_dns:decode(Packet) of
        {ok, Msg} -> {ok, Msg};
        _ -> error
    catch
        _:_ -> error
    end.

addresses(Records, Name, Types, Hops) ->
    Fields = [{lower(rr_domain(R)), inet_dns:rr(R, type), inet_dns:rr(R, class), R}
              || R <- Records, inet_dns:record_type(R) =:= rr, inet_dns:rr(R, type) =/= opt],
    Direct = [{Data, inet_dns:rr(R, ttl), cache_flush(R)}
              || {Domain, Type, in, R} <- Fields, Domain =:= Name,
                 lists:member(Type, Types), Data <- [inet_dns:rr(R, data)],
                 is_address(Type, Data)],
    Aliases = [lower(inet_dns:rr(R, data)) || {Domain, cname, in, R} <- Fields,
                                              Domain =:= Name, is_list(inet_dns:rr(R, data))],
    case {Direct, Aliases} of
        {[], [Alias | _]} when Hops > 0 -> addresses(Records, Alias, Types, Hops - 1);
        _ -> Direct
    end.

%% inet_dns keeps the mDNS cache-flush bit in the record's last field,
%% `func', which its accessors do not offer (OTP 25, 27, 29); anything
%% but `true' there is no flush.
cache_flush(R) ->
    element(tuple_size(R), R) =:= true.

rr_domain(R) ->
    text(inet_dns:rr(R, domain)).

text(D) when is_list(D) -> D;
text(_) -> "".

%% @doc Whether a record's data, as inet_dns decodes it, is an address of
%% its type: four numbers for A, eight for AAAA (a hostile record may
%% carry anything).
-spec is_address(atom() | integer(), term()) -> boolean().
is_address(a, {_, _, _, _}) -> true;
is_address(aaaa, {_, _, _, _, _, _, _, _}) -> true;
is_address(_, _) -> false.

%% @doc ASCII case only (RFC 4343; RFC 6762 section 16: mDNS compares the
%% rest as bytes).
-spec lower(string()) -> string().
lower(Name) -> [if C >= $A, C =< $Z -> C + 32; true -> C end || C <- Name].

%% @doc Asks the name servers in turn, each until `Deadline' or its
%% answer: UDP, then TCP when the answer is truncated. The first server
%% that answers decides (`nxdomain' too). A link-local address in an
%% answer gets the scope of the server that gave it: it can only mean an
%% address on the link where that server is. `{error, timeout}' when no
%% server answered in time, or the last one's error.
-spec query([{answer(), inet:port_number()}], name(), [a | aaaa], integer(),
             pos_integer()) -> {ok, [answer()]} | {error, term()}.
query([], _Name, _Types, _Deadline, _Tries) ->
    {error, timeout};
query(Servers, Name, Types, Deadline, Tries) ->
    query(Servers, Name, Types, Deadline, Tries, {error, timeout}).

query([], _Name, _Types, _Deadline, _Tries, Last) ->
    Last;
query([{{Ip, Scope}, Port} | Rest], Name, Types, Deadline, Tries, _Last) ->
    %% Each server gets its share of the time left, the last one all of it.
    Share = max(0, (Deadline - now_ms()) div (length(Rest) + 1)),
    Until = now_ms() + Share,
    %% One question a message: servers refuse more (RFC 9619).
    Results = [server_query(Ip, Scope, Port, Name, Type, Until, Tries) || Type <- Types],
    case [F || {ok, F} <- Results] of
        [] ->
            case hd(Results) of
                {error, nxdomain} = NxDomain -> NxDomain;
                {error, _} = Error -> query(Rest, Name, Types, Deadline, Tries, Error)
            end;
        Found ->
            {ok, scoped(lists:append(Found), Scope)}
    end;
query([_Bad | Rest], Name, Types, Deadline, Tries, Last) ->
    query(Rest, Name, Types, Deadline, Tries, Last).

server_query(Ip, Scope, Port, Name, Type, Until, Tries) ->
    case udp_query(Ip, Scope, Port, Name, [Type], Until, Tries) of
        {error, truncated} -> tcp_query(Ip, Scope, Port, Name, [Type], Until);
        Other -> Other
    end.

scoped(Found, Scope) ->
    [case scoped_ipv6_addr:needs_scope(Ip) of
         true when Scope > 0 -> {Ip, Scope};
         _ -> {Ip, 0}
     end || {Ip, _TTL, _Flush} <- Found].

udp_query(Ip, Scope, Port, Name, Types, Until, Tries) ->
    Family = family(Ip),
    case socket:open(Family, dgram, udp) of
        {ok, Socket} ->
            try
                Id = rand:uniform(65536) - 1,
                Query = query_message(Id, Name, Types, #{rd => true}),
                To = scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope),
                udp_attempts(Socket, To, Query, Id, {Name, Types}, Until, Tries)
            after
                socket:close(Socket)
            end;
        {error, _} = Error ->
            Error
    end.

%% The query is sent again when a try's share of the time passes unanswered.
udp_attempts(Socket, To, Query, Id, Question, Until, Tries) ->
    Wait = max(0, (Until - now_ms()) div Tries),
    case socket:sendto(Socket, Query, To) of
        ok ->
            case udp_reply(Socket, To, Id, Question, now_ms() + Wait) of
                {error, timeout} when Tries > 1 ->
                    udp_attempts(Socket, To, Query, Id, Question, Until, Tries - 1);
                Result ->
                    Result
            end;
        {error, _} = Error ->
            Error
    end.

%% Only a reply from the server's own address, port and scope, to our
%% id, counts; anything else is read and dropped.
udp_reply(Socket, To, Id, Question, Until) ->
    case socket:recvfrom(Socket, ?UDP_REPLY, [], max(0, Until - now_ms())) of
        {ok, {From, Packet}} ->
            case same_peer(From, To) andalso parse_reply(Packet, Id, Question) of
                false -> udp_reply(Socket, To, Id, Question, Until);
                {error, mismatch} -> udp_reply(Socket, To, Id, Question, Until);
                {error, formerr} -> udp_reply(Socket, To, Id, Question, Until);
                Result -> Result
            end;
        {error, _} = Error ->
            Error
    end.

same_peer(#{addr := Ip, port := Port} = From, #{addr := Ip, port := Port} = To) ->
    maps:get(scope_id, From, 0) =:= maps:get(scope_id, To, 0) orelse
        not scoped_ipv6_addr:needs_scope(Ip);
same_peer(_, _) ->
    false.

tcp_query(Ip, Scope, Port, Name, Types, Until) ->
    Opts = [family(Ip), binary, {packet, 2}, {active, false}],
    To = scoped_ipv6_addr:to_sockaddr(Ip, Port, Scope),
    Connected = case Scope of
                    0 -> gen_tcp:connect(Ip, Port, Opts, max(0, Until - now_ms()));
                    _ -> gen_tcp:connect(To, Opts, max(0, Until - now_ms()))
                end,
    case Connected of
        {ok, Socket} ->
            try
                Id = rand:uniform(65536) - 1,
                ok = gen_tcp:send(Socket, query_message(Id, Name, Types, #{rd => true})),
                case gen_tcp:recv(Socket, 0, max(0, Until - now_ms())) of
                    {ok, Packet} -> parse_reply(Packet, Id, {Name, Types});
                    {error, _} = Error -> Error
                end
            after
                gen_tcp:close(Socket)
            end;
        {error, _} = Error ->
            Error
    end.

family(Ip) when tuple_size(Ip) =:= 8 -> inet6;
family(_) -> inet.

%% @doc The `nameserver' lines of a resolv.conf-style file, scoped ones
%% (`nameserver fe80::1%eth0', which inet_res skips) included, zones
%% looked up now; a line whose zone names no interface is skipped, as is
%% anything that is not an address. At most 8 servers, port 53.
-spec resolv_conf(file:name_all()) -> {ok, [{answer(), inet:port_number()}]} | {error, term()}.
resolv_conf(File) ->
    case file:open(File, [read, binary, raw]) of
        {ok, Fd} ->
            Read = file:read(Fd, ?MAX_CONF),
            ok = file:close(Fd),
            case Read of
                {ok, Text} -> {ok, lists:sublist(servers(Text), ?MAX_SERVERS)};
                eof -> {ok, []};
                {error, _} = Error -> Error
            end;
        {error, _} = Error ->
            Error
    end.

servers(Text) ->
    [{Address, 53}
     || Line <- binary:split(Text, [<<"\n">>, <<"\r">>], [global]),
        [<<"nameserver">>, Server | _] <- [binary:split(Line, [<<" ">>, <<"\t">>],
                                                         [global, trim_all])],
        {ok, Address} <- [server_address(Server)]].

server_address(Text) ->
    case scoped_ipv6_addr:parse(Text) of
        {ok, Address} ->
            case scoped_ipv6_addr:resolve(Address) of
                {ok, {Ip, Index}} -> {ok, {Ip, Index}};
                {ok, Ip} -> scoped_ipv6_addr:with_scope(Ip, 0);
                {error, _} = Error -> Error
            end;
        {error, _} = Error ->
            Error
    end.

now_ms() ->
    erlang:monotonic_time(millisecond).

short_string([], _N) -> true;
short_string(_List, 0) -> false;
short_string([C | Tail], N) when is_integer(C) -> short_string(Tail, N - 1);
short_string(_NotAString, _N) -> false.
