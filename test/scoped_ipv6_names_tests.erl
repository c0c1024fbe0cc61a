%% EUnit tests of the name resolver's parts that need no network: host
%% names, DNS replies through OTP's inet_dns, resolv.conf lines, the
%% multicast DNS cache and its on-link rule, and getaddrs's examples and
%% options. The testbed
%% tests (test/testbed_names_test.exs) ask avahi and dnsmasq.
-module(scoped_ipv6_names_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LL(Last), {16#fe80, 0, 0, 0, 0, 0, 0, Last}).

%% --- multicast DNS: from the link (RFC 6762 section 11) ------------------------

from_link_test_() ->
    LinkA = #{name => "linkA", index => 7, flags => [up, multicast],
              addrs => [#{addr => {?LL(1), 7}, prefixlen => 64},
                        #{addr => {16#fd00, 16#a, 0, 0, 0, 0, 0, 1}, prefixlen => 64},
                        #{addr => {192, 168, 7, 1}, prefixlen => 24}]},
    LinkB = LinkA#{name := "linkB", index := 8, addrs := []},
    From = fun(Source) -> scoped_ipv6_addr:from_link(Source, 7, [LinkB, LinkA]) end,
    [%% Link-local: on the link whatever its prefix, if it came on it.
     ?_assert(From({?LL(2), 7})),
     ?_assert(From({{16#fe80, 0, 0, 1, 0, 0, 0, 2}, 7})),
     ?_assertNot(From({?LL(2), 8})),
     ?_assert(From({169, 254, 3, 4})),
     %% Nothing arrives on a link that is not listed.
     ?_assertNot(scoped_ipv6_addr:from_link({?LL(2), 9}, 9, [LinkA, LinkB])),
     ?_assertNot(scoped_ipv6_addr:from_link({169, 254, 3, 4}, 9, [LinkA, LinkB])),
     %% Others: within one of the link's prefixes.
     ?_assert(From({16#fd00, 16#a, 0, 0, 0, 0, 0, 2})),
     ?_assertNot(From({16#fd00, 16#c, 0, 0, 0, 0, 0, 2})),
     ?_assert(From({192, 168, 7, 9})),
     ?_assertNot(From({10, 99, 0, 2}))].

%% The links multicast DNS uses, and each one's link-local address: the
%% first address the NIF scoped (the ULA and IPv4 ones are not), none on
%% a link without one, and its IPv4 address; down, loopback and
%% non-multicast links are left out.
mdns_links_test_() ->
    Addrs = [#{addr => {16#fd00, 16#a, 0, 0, 0, 0, 0, 1}, prefixlen => 64},
             #{addr => {?LL(1), 7}, prefixlen => 64},
             #{addr => {?LL(9), 7}, prefixlen => 64}],
    Up = #{name => "linkA", index => 7, flags => [up, multicast], addrs => Addrs},
    Plain = Up#{name := "linkB", index := 8, addrs := [#{addr => {10, 0, 0, 1}, prefixlen => 8}]},
    Others = [Up#{index := 9, flags := [multicast]}, Up#{index := 10, flags := [up]},
              Up#{index := 1, flags := [up, loopback, multicast]}],
    [?_assertEqual({?LL(1), 7}, scoped_ipv6_addr:link_local(Up)),
     ?_assertEqual(none, scoped_ipv6_addr:link_local(Plain)),
     ?_assertEqual(none, scoped_ipv6_addr:ipv4(Up)),
     ?_assertEqual({10, 0, 0, 1}, scoped_ipv6_addr:ipv4(Plain)),
     ?_assertEqual([Up, Plain], scoped_ipv6_mdns:links([Up | Others] ++ [Plain]))].

%% Addresses the kernel has not assigned, as /proc/net/if_inet6 shows
%% them (lines as Linux prints them): tentative (0x40) and DAD failed
%% (0x08) ones are left out, optimistic (0x04) ones kept, on their own
%% interface only; the link-local address is then the usable one, or
%% none. Lines it cannot read change nothing.
assigned_test_() ->
    Own = {16#fe80, 0, 0, 0, 16#bcef, 16#edff, 16#fe4a, 16#1c2c},
    Ula = {16#fd00, 16#a, 0, 0, 0, 0, 0, 1},
    A = [{Own, 7}, {?LL(1), 7}, Ula, {10, 0, 0, 1}],
    B = [{Own, 8}, {?LL(1), 8}],
    Link = fun(Name, Index, Addrs) ->
                   #{name => Name, index => Index, flags => [up, multicast],
                     addrs => [#{addr => Addr, prefixlen => 64} || Addr <- Addrs]}
           end,
    Links = [Link("linkA", 7, A), Link("linkB", 8, B)],
    Line = fun(Hex, Flags) -> iolist_to_binary([Hex, " 07 40 20 ", Flags, "     linkA\n"]) end,
    OwnHex = <<"fe80000000000000bcefedfffe4a1c2c">>,
    Fe80One = <<"fe800000000000000000000000000001">>,
    Assigned = fun(Lines) -> scoped_ipv6_addr:assigned(Links, iolist_to_binary(Lines)) end,
    Kept = fun(Lines) -> [[Addr || #{addr := Addr} <- As] || #{addrs := As} <- Assigned(Lines)] end,
    [?_assertEqual([A, B], Kept([])),
     %% Tentative (and permanent, 0x80, as `ip addr add' makes it): out,
     %% on its own link only; the link's link-local address is the next.
     ?_assertEqual([tl(A), B], Kept([Line(OwnHex, "c0")])),
     ?_assertEqual({?LL(1), 7}, scoped_ipv6_addr:link_local(hd(Assigned([Line(OwnHex, "c0")])))),
     %% Only unassigned link-local addresses: none usable yet.
     ?_assertEqual(none, scoped_ipv6_addr:link_local(
                           hd(Assigned([Line(OwnHex, "40"), Line(Fe80One, "48")])))),
     %% DAD failed (the kernel keeps it tentative too): out.
     ?_assertEqual([tl(A), B], Kept([Line(OwnHex, "48")])),
     ?_assertEqual([tl(A), B], Kept([Line(OwnHex, "08")])),
     %% Optimistic: tentative, and usable meanwhile.
     ?_assertEqual([A, B], Kept([Line(OwnHex, "44")])),
     %% Assigned: permanent, nodad (0x02).
     ?_assertEqual([A, B], Kept([Line(OwnHex, "80"), Line(Fe80One, "82")])),
     %% A ULA in DAD: out as well.
     ?_assertEqual([A -- [Ula], B], Kept([Line(<<"fd00000a000000000000000000000001">>, "40")])),
     %% Flags beyond a byte (Linux prints them all): read whole.
     ?_assertEqual([tl(A), B], Kept([Line(OwnHex, "1c0")]))]
        ++ [?_assertEqual([A, B], Kept([Bad]))
            || Bad <- [<<"garbage\n">>, Line(<<"fe80">>, "40"),
                       <<OwnHex/binary, " zz 40 20 40     linkA\n">>, Line(OwnHex, "xx"),
                       Line(<<"g", (binary:part(OwnHex, 1, 31))/binary>>, "40"),
                       <<OwnHex/binary, " 07 40 20 40\n">>]].

%% --- names ---------------------------------------------------------------------

names_test_() ->
    [?_assertEqual({ok, "printer.local"}, scoped_ipv6_dns:name("printer.local")),
     ?_assertEqual({ok, "printer.local"}, scoped_ipv6_dns:name(<<"printer.local.">>)),
     ?_assertEqual({ok, "printer.local"}, scoped_ipv6_dns:name('printer.local')),
     %% UTF-8 labels are bytes on the wire (RFC 6762 section 16).
     ?_assertEqual({ok, binary_to_list(<<"caf", 16#c3, 16#a9, ".local">>)},
                   scoped_ipv6_dns:name([$c, $a, $f, 16#e9 | ".local"])),
     ?_assertEqual({ok, lists:duplicate(63, $a) ++ ".local"},
                   scoped_ipv6_dns:name(lists:duplicate(63, $a) ++ ".local"))]
        ++ [?_assertEqual(error, scoped_ipv6_dns:name(Bad))
            || Bad <- ["", ".", "a..local", ".local", lists:duplicate(64, $a) ++ ".local",
                       "sp ace.local", "tab\t.local", "back\\slash.local", "nul\0.local",
                       lists:duplicate(254, $a), [$a | foo], 42, {1, 2},
                       lists:duplicate(10000, $a)]].

is_local_test_() ->
    [?_assert(scoped_ipv6_dns:is_local("a.local")),
     ?_assert(scoped_ipv6_dns:is_local("A.LOCAL")),
     ?_assertNot(scoped_ipv6_dns:is_local("a.localhost")),
     ?_assertNot(scoped_ipv6_dns:is_local("local")),
     ?_assertNot(scoped_ipv6_dns:is_local("a.example"))].

%% --- replies -------------------------------------------------------------------

reply(Id, Records, Opts) ->
    Header = inet_dns:make_header([{id, Id}, {qr, true}, {aa, true},
                                   {tc, proplists:get_value(tc, Opts, false)},
                                   {rcode, proplists:get_value(rcode, Opts, 0)}]),
    iolist_to_binary(inet_dns:encode(inet_dns:make_msg([{header, Header}, {anlist, Records}]))).

aaaa(Name, Ip, TTL, Flush) ->
    scoped_ipv6_dns:address_record(Name, aaaa, Ip, TTL, Flush).

reply_test_() ->
    Q = {"dev.local", [aaaa, a]},
    Good = reply(7, [aaaa("dev.local", ?LL(2), 120, true),
                     aaaa("DEV.local", ?LL(3), 10, false),
                     scoped_ipv6_dns:address_record("dev.local", a, {10, 0, 0, 2}, 5, false),
                     aaaa("other.local", ?LL(9), 120, false)], []),
    Alias = reply(1, [inet_dns:make_rr([{domain, "www.lab"}, {type, cname}, {class, in},
                                        {ttl, 60}, {data, "host.lab"}]),
                      aaaa("host.lab", ?LL(5), 60, false)], []),
    [%% The cache-flush bit survives inet_dns both ways; case is ignored;
     %% another name is not an answer.
     ?_assertEqual({ok, [{?LL(2), 120, true}, {?LL(3), 10, false}, {{10, 0, 0, 2}, 5, false}]},
                   scoped_ipv6_dns:parse_reply(Good, 7, Q)),
     ?_assertEqual({ok, [{?LL(2), 120, true}, {?LL(3), 10, false}]},
                   scoped_ipv6_dns:parse_reply(Good, any, {"dev.local", [aaaa]})),
     ?_assertEqual({error, mismatch}, scoped_ipv6_dns:parse_reply(Good, 8, Q)),
     ?_assertEqual({ok, [{?LL(5), 60, false}]},
                   scoped_ipv6_dns:parse_reply(Alias, 1, {"www.lab", [aaaa]})),
     ?_assertEqual({error, truncated},
                   scoped_ipv6_dns:parse_reply(reply(2, [], [{tc, true}]), 2, Q)),
     ?_assertEqual({error, nxdomain},
                   scoped_ipv6_dns:parse_reply(reply(2, [], [{rcode, 3}]), 2, Q)),
     ?_assertEqual({error, no_recovery},
                   scoped_ipv6_dns:parse_reply(reply(2, [], [{rcode, 2}]), 2, Q)),
     %% A query is not a reply.
     ?_assertEqual({error, mismatch},
                   scoped_ipv6_dns:parse_reply(
                     scoped_ipv6_dns:query_message(3, "dev.local", [aaaa], #{}), 3, Q))]
        ++ [?_assertEqual({error, formerr}, scoped_ipv6_dns:parse_reply(Bad, any, Q))
            || Bad <- [<<>>, <<0, 0, 16#84>>, binary:part(Good, 0, byte_size(Good) - 3),
                       %% A name that points at itself.
                       <<0:16, 16#8400:16, 0:16, 1:16, 0:32, 16#c00c:16, 28:16, 1:16, 0:48>>]].

query_message_test() ->
    Packet = scoped_ipv6_dns:query_message(5, "Dev.local", [aaaa, a], #{qu => true}),
    {ok, Msg} = scoped_ipv6_dns:read_message(Packet),
    ?assertMatch(#{reply := false, id := 5, records := []}, Msg),
    ?assertMatch([{"dev.local", aaaa, in, true, _}, {"dev.local", a, in, true, _}],
                 maps:get(questions, Msg)),
    %% Without the QU bit, and read by OTP's own decoder.
    Plain = scoped_ipv6_dns:query_message(6, "dev.local", [aaaa], #{}),
    ?assertMatch({ok, #{questions := [{"dev.local", aaaa, in, false, _}]}},
                 scoped_ipv6_dns:read_message(Plain)),
    ?assertMatch({ok, _}, inet_dns:decode(Plain)).

%% A query's known answers (RFC 6762 section 7.1) are no answers: what
%% takes records from replies refuses a query (a watch caches none of
%% them); read_message/1 gives them, and the TC bit (section 7.2).
query_known_answers_test() ->
    Known = [scoped_ipv6_dns:record("_http._tcp.local", ptr, "Web._http._tcp.local", 120, false)],
    Query = scoped_ipv6_dns:questions_message(0, [{"_http._tcp.local", ptr}], Known),
    ?assertEqual({error, mismatch}, scoped_ipv6_dns:parse_flagged(Query, any)),
    ?assertMatch({ok, #{reply := false, truncated := false,
                        known := [{{"_http._tcp.local", ptr, "Web._http._tcp.local"}, 120}]}},
                 scoped_ipv6_dns:read_message(Query)),
    <<Id:16, Flags:16, Rest/binary>> = Query,
    ?assertMatch({ok, #{truncated := true}},
                 scoped_ipv6_dns:read_message(<<Id:16, (Flags bor 16#0200):16, Rest/binary>>)).

%% RFC 6762 section 7.2: known answers that do not fit in one message go
%% on in messages of their own, each but the last with the TC bit, none
%% over the limit, all of them once and in order.
query_known_answers_split_test() ->
    Question = [{"_http._tcp.local", ptr}],
    Known = [scoped_ipv6_dns:record("_http._tcp.local", ptr,
                                    "Instance number " ++ integer_to_list(N) ++ "._http._tcp.local",
                                    4500, false)
             || N <- lists:seq(1, 64)],
    Messages = scoped_ipv6_dns:questions_messages(Question, Known, 1440),
    Read = [begin {ok, M} = scoped_ipv6_dns:read_message(P), M end || P <- Messages],
    ?assert(length(Messages) >= 2, length(Messages)),
    ?assert(lists:all(fun(P) -> byte_size(P) =< 1440 end, Messages)),
    ?assertEqual([true || _ <- tl(Messages)] ++ [false], [T || #{truncated := T} <- Read]),
    ?assertMatch([#{questions := [{"_http._tcp.local", ptr, in, false, _}]} | _], Read),
    ?assertEqual([[] || _ <- tl(Read)], [Q || #{questions := Q} <- tl(Read)]),
    ?assertEqual([{"_http._tcp.local", ptr,
                   "Instance number " ++ integer_to_list(N) ++ "._http._tcp.local"}
                  || N <- lists:seq(1, 64)],
                 [K || #{known := Ks} <- Read, {K, 4500} <- Ks]),
    %% Full messages: the first known answer of the next one did not fit.
    ?assert(lists:all(fun(P) -> byte_size(P) > 1440 - 60 end, lists:droplast(Messages))),
    %% What fits is one message, without the bit.
    [One] = scoped_ipv6_dns:questions_messages(Question, lists:sublist(Known, 3), 1440),
    ?assertEqual(scoped_ipv6_dns:questions_message(0, Question, lists:sublist(Known, 3)), One),
    ?assertMatch({ok, #{truncated := false}}, scoped_ipv6_dns:read_message(One)).

%% The responder's messages: a probe carries the records it claims in the
%% authority section; an answer echoes the questions it was given.
responder_messages_test() ->
    Record = aaaa("dev.local", ?LL(2), 120, true),
    {ok, Probe} = inet_dns:decode(scoped_ipv6_dns:probe_message(["dev.local"], [Record])),
    ?assertMatch([_], inet_dns:msg(Probe, nslist)),
    ?assertMatch({ok, #{reply := false, questions := [{"dev.local", any, in, true, _}]}},
                 scoped_ipv6_dns:read_message(scoped_ipv6_dns:probe_message(["dev.local"], []))),
    {ok, #{questions := Questions}} =
        scoped_ipv6_dns:read_message(scoped_ipv6_dns:query_message(9, "dev.local", [aaaa], #{})),
    Answer = scoped_ipv6_dns:answer_message(9, Questions, [Record]),
    ?assertMatch({ok, #{reply := true, id := 9, questions := [{"dev.local", aaaa, in, false, _}],
                        records := [{"dev.local", aaaa, ?LL(2)}]}},
                 scoped_ipv6_dns:read_message(Answer)),
    ?assertEqual({ok, [{?LL(2), 120, true}]},
                 scoped_ipv6_dns:parse_reply(Answer, 9, {"dev.local", [aaaa]})),
    ?assertEqual(error, scoped_ipv6_dns:read_message(<<1, 2, 3>>)).

%% --- resolv.conf ---------------------------------------------------------------

%% The responder's reading of what it hears (RFC 6762), on a link named
%% device.local with fe80::1 and 10.0.0.1.
responder_records_test_() ->
    Link = {"Device.local", [?LL(1), {10, 0, 0, 1}], []},
    R = scoped_ipv6_mdns_records,
    Q = fun(Name, Type) -> {Name, Type, in, false, query} end,
    [%% Questions: ours by name (any case was lowered by the reader) or by
     %% reverse name; others not.
     ?_assertEqual({[Q("device.local", any)], [a, aaaa]},
                   R:asked([Q("device.local", any), Q("other.local", any)], Link)),
     ?_assertEqual({[Q("1.0.0.10.in-addr.arpa", ptr)], [{ptr, {10, 0, 0, 1}}]},
                   R:asked([Q("1.0.0.10.in-addr.arpa", ptr), Q("2.0.0.10.in-addr.arpa", ptr)],
                           Link)),
     ?_assertEqual({[], []}, R:asked([{"device.local", a, chaos, false, query}], Link)),
     %% Section 8.1: any answer for our name while probing.
     ?_assertEqual([host], R:taken([{"device.local", aaaa, ?LL(9)}], Link)),
     ?_assertEqual([], R:taken([{"other.local", aaaa, ?LL(9)}], Link)),
     %% Section 9: only an address that is not ours is a claim.
     ?_assert(R:claimed([{"device.local", aaaa, ?LL(9)}], Link)),
     ?_assertNot(R:claimed([{"device.local", aaaa, ?LL(1)}, {"device.local", a, {10, 0, 0, 1}}],
                           Link)),
     ?_assertNot(R:claimed([{"device.local", aaaa, not_an_address}], Link)),
     %% Section 8.2: A (type 1) sorts before AAAA (28); the later side
     %% wins, a longer list wins a tie of its first records.
     ?_assert(R:loses([{"device.local", a, {10, 0, 0, 2}}, {"device.local", aaaa, ?LL(1)}], Link)),
     ?_assertNot(R:loses([{"device.local", a, {10, 0, 0, 0}}, {"device.local", aaaa, ?LL(9)}],
                         Link)),
     ?_assert(R:loses([{"device.local", a, {10, 0, 0, 1}}, {"device.local", aaaa, ?LL(1)},
                       {"device.local", aaaa, ?LL(2)}], Link)),
     ?_assertNot(R:loses([{"device.local", a, {10, 0, 0, 1}}, {"device.local", aaaa, ?LL(1)}],
                         Link)),
     ?_assertNot(R:loses([], Link)),
     %% Section 6: one question for a unique record of ours is answered
     %% at once; every answer to a query of several questions waits
     %% (section 6.3), whether we answer them all or not.
     ?_assertNot(R:delayed([Q("device.local", aaaa)], [aaaa])),
     ?_assert(R:delayed([Q("device.local", aaaa), Q("device.local", a)], [a, aaaa])),
     ?_assert(R:delayed([Q("device.local", aaaa), Q("other.local", a)], [aaaa]))].

%% DNS-SD (RFC 6763): a service's records on a link named device.local,
%% what a browse, an SRV or TXT question and service enumeration get, and
%% its instance name as a name of ours alone.
responder_services_test_() ->
    R = scoped_ipv6_mdns_records,
    {ok, Web} = R:service(#{type => "_http._tcp", port => 8080, name => <<"Web.1 \\é"/utf8>>,
                            txt => ["path=/", <<"v=2">>]}, "device"),
    {ok, Ssh} = R:service(#{type => <<"_SSH._tcp">>, port => 22}, "device"),
    Link = {"device.local", [?LL(1)], [Web, Ssh]},
    Instance = "Web\\.1 \\\\" ++ binary_to_list(<<"é"/utf8>>) ++ "._http._tcp.local",
    Q = fun(Name, Type) -> {Name, Type, in, false, query} end,
    Keys = fun(Records) -> [scoped_ipv6_dns:record_key(Rr) || Rr <- Records] end,
    {Browse, BrowseExtra} = R:answers(Link, 120, true, [{instance, Web}]),
    {SrvOnly, SrvExtra} = R:answers(Link, 120, true, [{srv, Web}, aaaa]),
    {ok, Announced} = scoped_ipv6_dns:read_message(R:announcement(Link, 120)),
    {ok, Probe} = scoped_ipv6_dns:read_message(R:probe(Link, 120)),
    [%% The settings: the host's label by default, an empty TXT as one
     %% empty string (section 6.1); what RFC 6763 does not allow, refused.
     ?_assertEqual({ok, #{instance => <<"device">>, type => "_SSH._tcp", port => 22,
                          txt => [""], subtypes => []}}, {ok, Ssh}),
     ?_assertEqual(error, R:service(#{type => "_http._sctp", port => 1}, "d")),
     ?_assertEqual(error, R:service(#{type => "_sixteen-letterss._tcp", port => 1}, "d")),
     ?_assertEqual(error, R:service(#{type => "http._tcp", port => 1}, "d")),
     ?_assertEqual(error, R:service(#{type => "_http._tcp", port => 65536}, "d")),
     ?_assertEqual(error, R:service(#{type => "_http._tcp", port => 1, name => "a
b"}, "d")),
     ?_assertEqual(error, R:service(#{type => "_http._tcp", port => 1,
                                      name => lists:duplicate(64, $a)}, "d")),
     ?_assertEqual(error, R:service(#{type => "_http._tcp", port => 1,
                                      txt => [lists:duplicate(256, $a)]}, "d")),
     ?_assertEqual(error, R:service(#{type => "_http._tcp", port => 1, txt => [foo]}, "d")),
     ?_assertEqual(error, R:service(#{type => "_http._tcp"}, "d")),
     %% A key a service does not have (a typo) is refused, not ignored.
     ?_assertEqual(error, R:service(#{type => "_ssh._tcp", port => 22, bogus => 1}, "d")),
     ?_assertEqual(error, R:service(#{type => "_http._tcp", port => 1, nmae => "Web"}, "d")),
     %% Questions: a browse (PTR for the type, any case), the instance's
     %% SRV, TXT or ANY, service enumeration; another type is not ours.
     ?_assertEqual({[Q("_http._tcp.local", ptr)], [{instance, Web}]},
                   R:asked([Q("_http._tcp.local", ptr), Q("_ipp._tcp.local", ptr)], Link)),
     ?_assertEqual({[Q("_ssh._tcp.local", any)], [{instance, Ssh}]},
                   R:asked([Q("_ssh._tcp.local", any)], Link)),
     ?_assertEqual({[Q(scoped_ipv6_dns:lower(Instance), any)], [{srv, Web}, {txt, Web}]},
                   R:asked([Q(scoped_ipv6_dns:lower(Instance), any)], Link)),
     ?_assertEqual({[Q("device._ssh._tcp.local", txt)], [{txt, Ssh}]},
                   R:asked([Q("device._ssh._tcp.local", txt)], Link)),
     ?_assertEqual({[], []}, R:asked([Q("device._ssh._tcp.local", a)], Link)),
     ?_assertEqual({[Q("_services._dns-sd._udp.local", ptr)],
                    [{type, "_http._tcp.local"}, {type, "_ssh._tcp.local"}]},
                   R:asked([Q("_services._dns-sd._udp.local", ptr)], Link)),
     %% A browse gets the PTR (shared: no cache-flush bit), and along with
     %% it the SRV (on our host name), the TXT and our address (section 12).
     ?_assertEqual([{"_http._tcp.local", ptr, Instance}], Keys(Browse)),
     ?_assertEqual([false], [element(tuple_size(Rr), Rr) || Rr <- Browse]),
     ?_assertEqual([{scoped_ipv6_dns:lower(Instance), srv, {0, 0, 8080, "device.local"}},
                    {scoped_ipv6_dns:lower(Instance), txt, ["path=/", "v=2"]},
                    {"device.local", aaaa, ?LL(1)}], Keys(BrowseExtra)),
     %% A browse or service enumeration asks for shared records (answered
     %% after 20 to 120 ms); the host's or an instance's records are ours.
     ?_assert(R:delayed([Q("x", any)], [aaaa, {instance, Web}])),
     ?_assert(R:delayed([Q("x", any)], [{type, "_http._tcp.local"}])),
     ?_assertNot(R:delayed([Q("x", any)], [a, aaaa, {srv, Web}, {txt, Web}, {ptr, ?LL(1)}])),
     %% An SRV question with the address asked too: the address is not
     %% sent twice.
     ?_assertEqual(2, length(SrvOnly)),
     ?_assertEqual([], SrvExtra),
     %% The announcement: unique records flushed, shared ones not, the
     %% enumeration PTR for each type once, our address's reverse name.
     ?_assertEqual(lists:sort([{"device.local", aaaa, ?LL(1)},
                               {scoped_ipv6_dns:reverse_name(?LL(1)), ptr, "device.local"},
                               {scoped_ipv6_dns:lower(Instance), srv,
                                {0, 0, 8080, "device.local"}},
                               {scoped_ipv6_dns:lower(Instance), txt, ["path=/", "v=2"]},
                               {"device._ssh._tcp.local", srv, {0, 0, 22, "device.local"}},
                               {"device._ssh._tcp.local", txt, [""]},
                               {"_http._tcp.local", ptr, Instance},
                               {"_ssh._tcp.local", ptr, "device._SSH._tcp.local"},
                               {"_services._dns-sd._udp.local", ptr, "_http._tcp.local"},
                               {"_services._dns-sd._udp.local", ptr, "_ssh._tcp.local"}]),
                   lists:sort(maps:get(records, Announced))),
     %% The probe asks for each name we claim alone and claims the unique
     %% records only.
     ?_assertEqual(["device.local", scoped_ipv6_dns:lower(Instance), "device._ssh._tcp.local"],
                   [N || {N, any, in, true, _} <- maps:get(questions, Probe)]),
     ?_assertEqual(5, length(maps:get(authority, Probe))),
     %% Conflicts: the instance names are ours alone, the types' PTRs not.
     ?_assertEqual([{instance, 2}], R:taken([{"device._ssh._tcp.local", srv, x}], Link)),
     ?_assertEqual([host, {instance, 1}],
                   R:taken([{scoped_ipv6_dns:lower(Instance), txt, [""]},
                            {"device.local", aaaa, ?LL(9)}], Link)),
     ?_assertEqual([], R:taken([{"_ssh._tcp.local", ptr, "other._ssh._tcp.local"}], Link)),
     %% A claim: an SRV or TXT for our instance that is not ours; our own
     %% (the target in another case) is none.
     ?_assert(R:claimed([{"device._ssh._tcp.local", srv, {0, 0, 2222, "device.local"}}], Link)),
     ?_assert(R:claimed([{"device._ssh._tcp.local", txt, ["x=1"]}], Link)),
     ?_assertNot(R:claimed([{"device._ssh._tcp.local", srv, {0, 0, 22, "DEVICE.local"}},
                            {"device._ssh._tcp.local", txt, [[]]}], Link)),
     %% Section 8.2 on an instance name: TXT (16) sorts before SRV (33).
     ?_assert(R:loses([{"device._ssh._tcp.local", txt, ["z"]}], Link)),
     ?_assertNot(R:loses([{"device._ssh._tcp.local", txt, [""]},
                          {"device._ssh._tcp.local", srv, {0, 0, 21, "device.local"}}], Link)),
     ?_assert(R:loses([{"device._ssh._tcp.local", txt, [""]},
                       {"device._ssh._tcp.local", srv, {0, 0, 23, "device.local"}}], Link)),
     ?_assertNot(R:loses([{"device._ssh._tcp.local", txt, [""]},
                          {"device._ssh._tcp.local", srv, {0, 0, 22, "device.local"}}], Link)),
     %% The next instance names, as avahi's, within 63 bytes.
     ?_assertEqual(<<"Web #2">>, R:alternative_instance(<<"Web">>)),
     ?_assertEqual(<<"Web #10">>, R:alternative_instance(<<"Web #9">>)),
     ?_assertEqual(<<"#2 #2">>, R:alternative_instance(<<"#2">>)),
     ?_assertEqual(<<(binary:copy(<<"é"/utf8>>, 30))/binary, " #2">>,
                   R:alternative_instance(binary:copy(<<"é"/utf8>>, 31)))].

%% Subtypes (RFC 6763 section 7.1): each label as a browse takes it in
%% `_printer._sub._http._tcp', each once; a PTR question for one gets the
%% instance (shared, so delayed) with its SRV, TXT and addresses, the
%% announcement and the goodbyes carry their PTRs.
responder_subtypes_test_() ->
    R = scoped_ipv6_mdns_records,
    Service = fun(Subtypes) -> R:service(#{type => "_http._tcp", port => 80, name => "Web",
                                           subtypes => Subtypes}, "device") end,
    {ok, Web} = Service(["_printer", <<"_Scan">>, "_printer"]),
    Link = {"device.local", [?LL(1)], [Web]},
    Q = fun(Name) -> {Name, ptr, in, false, query} end,
    Keys = fun(Records) -> lists:sort([scoped_ipv6_dns:record_key(Rr) || Rr <- Records]) end,
    Ptrs = fun(Packet) ->
                   {ok, #{records := Records}} = scoped_ipv6_dns:read_message(Packet),
                   lists:sort([Rr || {_, ptr, _} = Rr <- Records])
           end,
    {Asked, Wanted} = R:asked([Q("_scan._sub._http._tcp.local")], Link),
    {Answers, Extra} = R:answers(Link, 120, true, Wanted),
    [?_assertEqual(["_Scan", "_printer"], maps:get(subtypes, Web)),
     ?_assertEqual(error, Service(["_a.b"])),
     ?_assertEqual(error, Service(["_a\\b"])),
     ?_assertEqual(error, Service([""])),
     ?_assertEqual(error, Service([lists:duplicate(64, $a)])),
     ?_assertEqual(error, Service([foo])),
     ?_assertEqual(error, Service("_printer")),
     ?_assertEqual([Q("_scan._sub._http._tcp.local")], Asked),
     ?_assertEqual([{subtype, "_Scan._sub._http._tcp.local", Web}], Wanted),
     ?_assert(R:delayed(Asked, Wanted)),
     ?_assertEqual([{"_scan._sub._http._tcp.local", ptr, "Web._http._tcp.local"}], Keys(Answers)),
     ?_assertEqual([{"device.local", aaaa, ?LL(1)},
                    {"web._http._tcp.local", srv, {0, 0, 80, "device.local"}},
                    {"web._http._tcp.local", txt, [""]}], Keys(Extra)),
     ?_assertEqual({[], []}, R:asked([Q("_other._sub._http._tcp.local")], Link)),
     ?_assertEqual(lists:sort([{scoped_ipv6_dns:reverse_name(?LL(1)), ptr, "device.local"},
                               {"_http._tcp.local", ptr, "Web._http._tcp.local"},
                               {"_printer._sub._http._tcp.local", ptr, "Web._http._tcp.local"},
                               {"_scan._sub._http._tcp.local", ptr, "Web._http._tcp.local"},
                               {"_services._dns-sd._udp.local", ptr, "_http._tcp.local"}]),
                   Ptrs(R:announcement(Link, 120))),
     ?_assertEqual([{"_printer._sub._http._tcp.local", ptr, "Web._http._tcp.local"}],
                   Ptrs(R:subtype_withdrawal(Web, ["_printer"]))),
     ?_assertEqual(4, length(Ptrs(R:withdrawal({"device.local", [?LL(1)], []}, Web))))].

%% What each link claims: names and instance names renamed per link, a
%% service known by type and instance name in any case, added last on
%% every link, updated with its per-link name kept, removed with the
%% links' confirmed counts following.
claims_test_() ->
    C = scoped_ipv6_mdns_claims,
    R = scoped_ipv6_mdns_records,
    {ok, Web} = R:service(#{type => "_http._tcp", port => 80, name => "Web"}, "device"),
    {ok, Ssh} = R:service(#{type => "_ssh._tcp", port => 22}, "device"),
    {ok, Ssh2} = R:service(#{type => "_SSH._tcp", port => 2222, name => "DEVICE",
                             subtypes => ["_a"]}, "x"),
    Start = C:new("device.local", [Web, Ssh]),
    {"device.local", "device-2.local", Host} = C:rename_host(Start, 3),
    {Web, <<"Web #2">>, Renamed} = C:rename_instance(Host, 3, 1),
    Names = fun(Claims, I) -> [N || #{instance := N} <- C:services(Claims, I)] end,
    {Gone, Updated} = C:update(C:add(Renamed, Ssh2#{type := "_other._tcp"}), 2,
                               Ssh#{port := 23, subtypes := ["_b"]}),
    [?_assertEqual("device", C:label(Start)),
     ?_assertEqual("device-2.local", C:name(Host, 3)),
     ?_assertEqual("device.local", C:name(Host, 4)),
     ?_assertEqual([<<"Web #2">>, <<"device">>], Names(Renamed, 3)),
     ?_assertEqual([<<"Web">>, <<"device">>], Names(Renamed, 4)),
     ?_assertEqual(2, C:find(Start, Ssh2)),
     ?_assertEqual(0, C:find(Start, Ssh2#{type := "_other._tcp"})),
     ?_assertEqual([<<"Web #2">>, <<"device">>, <<"DEVICE">>],
                   Names(C:add(Renamed, Ssh2#{type := "_other._tcp"}), 3)),
     ?_assertEqual([], Gone),
     ?_assertEqual([23, 23], [P || I <- [3, 4], #{port := P, type := "_ssh._tcp"}
                                                     <- C:services(Updated, I)]),
     ?_assertEqual([<<"Web #2">>], Names(element(2, C:update(C:remove(Renamed, 2), 1, Web)), 3)),
     ?_assertEqual({["_b"], [["_c"]]},
                   begin
                       {G, U} = C:update(Updated, 2, Ssh#{subtypes := ["_c"]}),
                       {G, [S || #{type := "_ssh._tcp", subtypes := S} <- C:services(U, 4)]}
                   end),
     %% A link that had announced the service removed had one less.
     ?_assertEqual([{3, {ok, 0}}, {4, {ok, 0}}, {5, error}],
                   [{I, C:confirmed(C:remove(C:confirm(C:confirm(Start, 3, 1), 4, 0), 1), I)}
                    || I <- [3, 4, 5]]),
     ?_assertEqual({ok, 1}, C:confirmed(C:remove(C:confirm(Start, 3, 2), 2), 3)),
     ?_assertEqual(error, C:confirmed(C:unconfirm(C:confirm(Start, 3, 2), 3), 3)),
     ?_assertEqual([Web, Ssh], C:configured(Renamed))].

%% A service withdrawn while the responder runs: goodbyes (TTL 0) for its
%% SRV and TXT (flushed) and its type's PTR to it, and the enumeration's
%% PTR to its type only when no service left on the link has that type;
%% never our addresses. config/1 gives a service back as the settings
%% read it.
withdrawal_test_() ->
    R = scoped_ipv6_mdns_records,
    {ok, Web} = R:service(#{type => "_http._tcp", port => 80, name => "Web"}, "device"),
    {ok, Api} = R:service(#{type => "_http._tcp", port => 81, name => "Api",
                            txt => ["v=1"]}, "device"),
    %% Each record's key, TTL and cache-flush bit (inet_dns keeps it in the
    %% record's last field: scoped_ipv6_dns:record/5).
    Goodbye = fun(Link, Service) ->
                      {ok, Msg} = inet_dns:decode(R:withdrawal(Link, Service)),
                      lists:sort([{scoped_ipv6_dns:record_key(Rr), inet_dns:rr(Rr, ttl),
                                   element(tuple_size(Rr), Rr) =:= true} || Rr <- inet_dns:msg(Msg, anlist)])
              end,
    Web0 = {"web._http._tcp.local", srv, {0, 0, 80, "device.local"}},
    [?_assertEqual(lists:sort([{Web0, 0, true},
                               {{"web._http._tcp.local", txt, [""]}, 0, true},
                               {{"_http._tcp.local", ptr, "Web._http._tcp.local"}, 0, false},
                               {{"_services._dns-sd._udp.local", ptr, "_http._tcp.local"}, 0,
                                false}]),
                   Goodbye({"device.local", [?LL(1)], []}, Web)),
     ?_assertEqual(lists:sort([{Web0, 0, true},
                               {{"web._http._tcp.local", txt, [""]}, 0, true},
                               {{"_http._tcp.local", ptr, "Web._http._tcp.local"}, 0, false}]),
                   Goodbye({"device.local", [?LL(1)], [Api]}, Web)),
     ?_assertEqual(#{type => "_http._tcp", port => 81, name => "Api", txt => ["v=1"],
                     subtypes => []}, R:config(Api)),
     ?_assertEqual({ok, Web}, R:service(R:config(Web), "other"))].

%% The responder's settings: services read with the host's label as the
%% default instance name; one bad service and no responder at all (with a
%% warning), rather than a responder that advertises less than asked.
responder_config_test_() ->
    Config = fun(Env) ->
                     application:set_env(scoped_ipv6, mdns_responder, Env),
                     try scoped_ipv6_mdns_responder:config()
                     after application:unset_env(scoped_ipv6, mdns_responder)
                     end
             end,
    Ssh = #{type => "_ssh._tcp", port => 22},
    [?_assertEqual({ok, {"device.local", all, []}}, Config(#{name => "device"})),
     ?_assertEqual({ok, {"Dev.local", ["usb0"], [#{instance => <<"Dev">>, type => "_ssh._tcp",
                                                   port => 22, txt => [""], subtypes => []}]}},
                   Config(#{name => <<"Dev.local">>, links => ["usb0"], services => [Ssh]})),
     ?_assertEqual(none, Config(#{name => "device",
                                  services => [Ssh, #{type => "_ssh._sctp", port => 22}]})),
     ?_assertEqual(none, Config(#{name => "device", services => Ssh})),
     ?_assertEqual(none, Config(#{name => "bad..name"})),
     ?_assertEqual(none, Config(#{links => all}))].

%% Reverse names, as dig -x writes them.
reverse_name_test_() ->
    Reverse = fun scoped_ipv6_dns:reverse_name/1,
    [?_assertEqual("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa",
                   Reverse(?LL(1))),
     ?_assertEqual("f.e.d.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.0.0.0.0.0.d.f.ip6.arpa",
                   Reverse({16#fd00, 16#b, 0, 0, 0, 0, 0, 16#cdef})),
     ?_assertEqual("1.0.13.10.in-addr.arpa", Reverse({10, 13, 0, 1}))].

%% RFC 6762 section 9: the names tried after a conflict, as avahi's.
alternative_names_test_() ->
    Next = fun scoped_ipv6_mdns_records:alternative/1,
    Long = lists:duplicate(63, $a),
    [?_assertEqual("device-2.local", Next("device.local")),
     ?_assertEqual("device-3.local", Next("device-2.local")),
     ?_assertEqual("device-10.local", Next("device-9.local")),
     %% A name with a dash and no number: a number added.
     ?_assertEqual("my-device-2.local", Next("my-device.local")),
     ?_assertEqual("device--2.local", Next("device-.local")),
     ?_assertEqual("-1-2.local", Next("-1.local")),
     %% The label stays within 63 bytes.
     ?_assertEqual(lists:duplicate(61, $a) ++ "-2.local", Next(Long ++ ".local")),
     ?_assertEqual({ok, lists:duplicate(61, $a) ++ "-2.local"},
                   scoped_ipv6_dns:name(Next(Long ++ ".local")))].

resolv_conf_test() ->
    File = filename:join(temp_dir(), "scoped_ipv6_resolv_eunit"),
    ok = file:write_file(File, <<"# comment\nsearch lab\nnameserver 192.0.2.53\n"
                                 "nameserver\tfe80::1%lo  # trailing\n"
                                 "nameserver fe80::2%nosuch9\nnameserver fe80::3\n"
                                 "nameserver not-an-address\n"
                                 "nameserver 2001:db8::53\noptions timeout:1\n">>),
    try
        ?assertEqual({ok, [{{192, 0, 2, 53}, 53}, {{?LL(1), 1}, 53},
                           {{{16#2001, 16#db8, 0, 0, 0, 0, 0, 16#53}, 0}, 53}]},
                     resolv_conf_pairs(scoped_ipv6_dns:resolv_conf(File)))
    after
        file:delete(File)
    end,
    ?assertEqual({error, enoent}, scoped_ipv6_dns:resolv_conf("/nonexistent/resolv.conf")).

%% IPv4 servers come as {Ip, 0} pairs; show them as they were written.
resolv_conf_pairs({ok, Servers}) ->
    {ok, [case S of {{_, _, _, _} = Ip4, 0} -> {Ip4, P}; _ -> {S, P} end || {S, P} <- Servers]}.

temp_dir() ->
    case os:getenv("TMPDIR") of
        false -> "/tmp";
        Dir -> Dir
    end.

%% --- the cache -----------------------------------------------------------------

with_cache(Test) ->
    {setup,
     fun() -> {ok, _} = application:ensure_all_started(scoped_ipv6),
              scoped_ipv6_mdns_cache:clear() end,
     fun(_) -> scoped_ipv6_mdns_cache:clear() end,
     Test}.

cache_test_() ->
    with_cache(fun() ->
        C = scoped_ipv6_mdns_cache,
        ok = C:store("dev.local", 2, [{?LL(2), 10, false}], 1000),
        ok = C:store("dev.local", 2, [{?LL(3), 20, false}], 1000),
        ok = C:store("dev.local", 3, [{?LL(2), 10, false}], 1000),
        %% Per link, in the order asked, newest first within a link.
        ?assertEqual([{3, [?LL(2)]}, {2, [?LL(3), ?LL(2)]}],
                     C:lookup("dev.local", [aaaa], [3, 2], 1000)),
        %% A TTL runs out on its own.
        ?assertEqual([{2, [?LL(3)]}], C:lookup("dev.local", [aaaa], [2], 11000)),
        ?assertEqual([], C:lookup("dev.local", [aaaa], [2], 21000)),
        ?assertEqual([], C:lookup("dev.local", [a], [2], 1000)),
        %% Cache flush: only this answer's records of the type remain.
        ok = C:store("dev.local", 2, [{?LL(4), 30, true}, {{10, 0, 0, 4}, 30, false}], 2000),
        ?assertEqual([{2, [{10, 0, 0, 4}, ?LL(4)]}], C:lookup("dev.local", [aaaa, a], [2], 2000)),
        %% A goodbye (TTL 0) removes its record.
        ok = C:store("dev.local", 2, [{?LL(4), 0, false}], 2000),
        ?assertEqual([{2, [{10, 0, 0, 4}]}], C:lookup("dev.local", [aaaa, a], [2], 2000))
    end).

cache_is_bounded_test_() ->
    with_cache(fun() ->
        C = scoped_ipv6_mdns_cache,
        [ok = C:store("n" ++ integer_to_list(N) ++ ".local", 2, [{?LL(2), 10, false}], 0)
         || N <- lists:seq(1, 600)],
        ?assertEqual(512, ets:info(scoped_ipv6_mdns_cache, size)),
        %% Once those expire, new names take their place.
        ok = C:store("late.local", 2, [{?LL(2), 10, false}], 20000),
        ?assertEqual([{2, [?LL(2)]}], C:lookup("late.local", [aaaa], [2], 20000)),
        ?assertEqual(1, ets:info(scoped_ipv6_mdns_cache, size))
    end).

%% --- getaddrs ------------------------------------------------------------------

%% The examples of scoped_ipv6:getaddrs/2 that need no testbed.
getaddrs_examples_test_() ->
    [?_assertEqual({ok, [{?LL(1), 1}]}, scoped_ipv6:getaddrs("fe80::1%lo")),
     ?_assertEqual({ok, [{127, 0, 0, 1}]}, scoped_ipv6:getaddrs("127.0.0.1")),
     ?_assertEqual({error, scope_required}, scoped_ipv6:getaddrs("fe80::1")),
     ?_assertEqual({error, einval}, scoped_ipv6:getaddrs("bad..name.local")),
     %% Only loopback to ask on: no link.
     ?_assertEqual({error, no_link}, scoped_ipv6:getaddrs("dev.local", [{links, ["lo"]}])),
     ?_assertEqual({error, {no_such_interface, "nosuch9"}},
                   scoped_ipv6:getaddrs("dev.local", [{links, ["nosuch9"]}])),
     ?_assertEqual({error, scope_required},
                   scoped_ipv6:getaddrs("x.lab", [{nameservers, ["fe80::1"]}]))].

getaddrs_options_test_() ->
    [?_assertError(badarg, scoped_ipv6:getaddrs("dev.local", Opts))
     || Opts <- [[bogus], [{timeout, -1}], [{family, inet7}], [{links, eth0}],
                 [{cache, yes}], not_a_list, [{settle, infinity}]]].
