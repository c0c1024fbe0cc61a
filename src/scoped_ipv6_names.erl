%% @private
%% Host names to addresses that keep their scope: `.local' names by
%% multicast DNS on each link (scoped_ipv6_mdns, cached in
%% scoped_ipv6_mdns_cache), other names by the name servers given as
%% options, in the application env or in a resolv.conf-style file
%% (scoped_ipv6_dns, scoped ones included), and without any of those by
%% getaddrinfo(3) on the NIF's resolver threads, as before.
%%
%% Order of the answers: multicast DNS answers are grouped by link, the
%% links in the order asked (the `links' option, or interface index
%% order), each link's answers sorted by RFC 6724 section 6 rules 6 and 8
%% (the default policy table's precedence, so IPv6 before IPv4 and ULA
%% after global; then the smaller scope, so link-local first), then as
%% they came. Name-server answers are sorted the same way; getaddrinfo's
%% order is glibc's own (RFC 6724 with source addresses).
-module(scoped_ipv6_names).

-export([getaddrs/2, resolve_host/2, resolve_host/3, mdns_links/1, mdns_option/2, ordered/1]).

-define(DEFAULT_TIMEOUT, 2000).
-define(DEFAULT_SETTLE, 250).
-define(MAX_HOST, 253).

-type opts() :: #{family := inet6 | inet | any, timeout := non_neg_integer(),
                  links := default | [scoped_ipv6:scope()], nameservers := [term()] | default,
                  resolv_conf := file:name_all() | default, cache := boolean(),
                  settle := non_neg_integer(), mdns_ipv4 := boolean()}.

%% @doc Every address of `Host', scoped where it needs a scope. `{badarg,
%% Option}' for a malformed option (the public caller raises).
-spec getaddrs(term(), [term()]) ->
    {ok, [scoped_ipv6:address()]} | {error, term()} | {badarg, term()}.
getaddrs(Host, Opts) ->
    case options(Opts, defaults()) of
        {ok, Options} -> lookup(Host, Options);
        {badarg, _} = Bad -> Bad
    end.

%% @doc What scoped_ipv6_dest asks for a destination's host name: every
%% address, as `{Ip, ScopeIndex}' pairs (0: none), within `Timeout'
%% (`infinity': the default lookup timeout, 2 s, for names no
%% getaddrinfo answers).
-spec resolve_host(term(), non_neg_integer() | infinity) ->
    {ok, [{inet:ip_address(), non_neg_integer()}]} | {error, term()}.
resolve_host(Host, Timeout) ->
    resolve_host(Host, any, Timeout).

%% @doc As resolve_host/2, the answers of `Family' alone.
-spec resolve_host(term(), inet | inet6 | any, non_neg_integer() | infinity) ->
    {ok, [{inet:ip_address(), non_neg_integer()}]} | {error, term()}.
resolve_host(Host, Family, Timeout) ->
    Options = (defaults())#{family := Family, timeout := Timeout},
    case lookup(Host, Options) of
        {ok, Addresses} -> {ok, [pair(A) || A <- Addresses]};
        {error, _} = Error -> Error
    end.

pair({{_, _, _, _, _, _, _, _} = Ip, Index}) -> {Ip, Index};
pair(Ip) -> {Ip, 0}.

defaults() ->
    #{family => any, timeout => default, links => default, nameservers => default,
      resolv_conf => default, cache => true, settle => ?DEFAULT_SETTLE, mdns_ipv4 => false}.

options([], Options) ->
    {ok, Options};
options([{family, F} | Rest], Options) when F =:= inet6; F =:= inet; F =:= any ->
    options(Rest, Options#{family := F});
options([{nameservers, N} | Rest], Options) when is_list(N) ->
    options(Rest, Options#{nameservers := N});
options([{resolv_conf, F} | Rest], Options) when is_list(F); is_binary(F) ->
    options(Rest, Options#{resolv_conf := F});
options([{cache, C} | Rest], Options) when is_boolean(C) ->
    options(Rest, Options#{cache := C});
options([Option | Rest], Options) ->
    case mdns_option(Option, Options) of
        {ok, Next} -> options(Rest, Next);
        error -> {badarg, Option}
    end;
options(Bad, _Options) ->
    {badarg, Bad}.

%% @doc One option of a multicast DNS question, getaddrs/2's or a
%% browse's (scoped_ipv6_browse): `timeout' and `settle' (ms), `links',
%% `mdns_ipv4'; `error' for anything else.
-spec mdns_option(term(), map()) -> {ok, map()} | error.
mdns_option({timeout, T}, Options) when is_integer(T), T >= 0, T =< 16#ffffffff ->
    {ok, Options#{timeout := T}};
mdns_option({settle, S}, Options) when is_integer(S), S >= 0, S =< 16#ffffffff ->
    {ok, Options#{settle := S}};
mdns_option({links, L}, Options) when is_list(L) ->
    {ok, Options#{links := L}};
mdns_option({mdns_ipv4, B}, Options) when is_boolean(B) ->
    {ok, Options#{mdns_ipv4 := B}};
mdns_option(_Option, _Options) ->
    error.

-spec lookup(term(), opts()) -> {ok, [scoped_ipv6:address()]} | {error, term()}.
lookup(Host, Options) ->
    case literal(Host) of
        {ok, Address} ->
            {ok, [Address]};
        {error, _} = Error ->
            Error;
        name ->
            case scoped_ipv6_dns:name(Host) of
                {ok, Name} ->
                    by_name(Name, Host, Options);
                error ->
                    %% Not a DNS name; getaddrinfo may still know it
                    %% (/etc/hosts), as before this resolver existed,
                    %% but a broken `.local' name is nobody's.
                    case local_text(Host) orelse nameservers(Options) of
                        true -> {error, einval};
                        {ok, []} -> getaddrinfo(Host, Options);
                        {ok, _} -> {error, einval};
                        {error, _} = Error -> Error
                    end
            end
    end.

local_text(Host) ->
    case host_name(Host) of
        {ok, Name} ->
            Lower = string:lowercase(Name),
            binary:longest_common_suffix([Lower, <<".local">>]) =:= 6 orelse
                binary:longest_common_suffix([Lower, <<".local.">>]) =:= 7;
        error ->
            false
    end.

%% Address text needs no lookup: its zone, if any, is resolved now.
literal(Host) when is_list(Host); is_binary(Host) ->
    case scoped_ipv6_addr:parse(Host) of
        {ok, Address} ->
            case scoped_ipv6_addr:resolve(Address) of
                {ok, {Ip, Index}} -> {ok, {Ip, Index}};
                {ok, Ip} -> literal_unscoped(Ip);
                {error, _} = Error -> Error
            end;
        {error, einval} ->
            name
    end;
literal(_) ->
    name.

literal_unscoped(Ip) ->
    case scoped_ipv6_addr:with_scope(Ip, 0) of
        {ok, _} -> {ok, Ip};
        {error, _} = Error -> Error
    end.

by_name(Name, Host, Options) ->
    case scoped_ipv6_dns:is_local(Name) of
        true ->
            mdns(Name, Options);
        false ->
            case nameservers(Options) of
                {ok, []} -> getaddrinfo(Host, Options);
                {ok, Servers} -> unicast(Name, Servers, Options);
                {error, _} = Error -> Error
            end
    end.

types(inet6) -> [aaaa];
types(inet) -> [a];
types(any) -> [aaaa, a].

timeout(#{timeout := default}) -> ?DEFAULT_TIMEOUT;
timeout(#{timeout := infinity}) -> ?DEFAULT_TIMEOUT;
timeout(#{timeout := T}) -> T.

%% --- multicast DNS ------------------------------------------------------------

mdns(Name, #{family := Family, cache := Cache} = Options) ->
    Key = lower(Name),
    Types = types(Family),
    Now = erlang:monotonic_time(millisecond),
    Interfaces = scoped_ipv6_addr:interfaces(),
    case Cache andalso cached(Key, Types, links(Interfaces, Options), Now) of
        [_ | _] = Cached ->
            {ok, ordered([{I, Ip} || {I, Ips} <- Cached, Ip <- Ips])};
        _ ->
            Assigned = scoped_ipv6_addr:assigned_interfaces(Interfaces),
            ask(Name, Key, Types, links(Assigned, Options), Options, Now)
    end.

%% What the cache holds for the links asked. Any link with a link-local
%% address will do here, assigned or not: reading the kernel's address
%% flags would double a cached lookup's cost, and a link has in the cache
%% only what was heard there.
cached(Key, Types, {ok, Links}, Now) ->
    scoped_ipv6_mdns_cache:lookup(Key, Types, lists:uniq([I || {I, _} <- Links]), Now);
cached(_Key, _Types, {error, _}, _Now) ->
    [].

%% Asked on `Links' (mdns_links/1's, from the interfaces read once).
ask(_Name, _Key, _Types, {ok, []}, _Options, _Now) ->
    {error, no_link};
ask(Name, Key, Types, {ok, Links}, #{settle := Settle} = Options, Now) ->
    Deadline = Now + timeout(Options),
    case scoped_ipv6_mdns:query(Name, Types, Links, #{deadline => Deadline, settle => Settle}) of
        {ok, []} ->
            %% mDNS has no negative answer: silence is "no such name".
            {error, nxdomain};
        {ok, PerLink} ->
            [scoped_ipv6_mdns_cache:store(Key, I, Records, Now) || {I, Records} <- PerLink],
            {ok, ordered([{I, Ip} || {I, Records} <- PerLink, {Ip, _, _} <- Records])};
        {error, _} = Error ->
            Error
    end;
ask(_Name, _Key, _Types, {error, _} = Error, _Options, _Now) ->
    Error.

%% The links to ask, each with its link-local address: the ones named,
%% or every link multicast DNS may use (scoped_ipv6_mdns:links/1) that
%% has one assigned (scoped_ipv6_addr:assigned_interfaces/0: a link whose
%% only one is still in duplicate address detection has none yet). With
%% `mdns_ipv4', each link with an IPv4 address comes again with it.
%% (DNS-SD browsing, scoped_ipv6_browse, asks the same links.)
-spec mdns_links(#{links := default | [scoped_ipv6:scope()], mdns_ipv4 := boolean(), _ => _}) ->
    {ok, [{pos_integer(), inet:ip_address()}]} | {error, term()}.
mdns_links(Options) ->
    links(scoped_ipv6_addr:assigned_interfaces(), Options).

links({ok, Interfaces}, #{links := Asked, mdns_ipv4 := V4}) ->
    Own = lists:append(
            [[{I, Ip} || {Ip, _} <- [scoped_ipv6_addr:link_local(Interface)]] ++
                 [{I, Ip4} || V4, {_, _, _, _} = Ip4 <- [scoped_ipv6_addr:ipv4(Interface)]]
             || #{index := I} = Interface <- scoped_ipv6_mdns:links(Interfaces)]),
    case Asked of
        default ->
            {ok, Own};
        _ ->
            case indexes(Asked, []) of
                {ok, Indexes} -> {ok, [L || I <- Indexes, {J, _} = L <- Own, J =:= I]};
                {error, _} = Error -> Error
            end
    end;
links({error, _} = Error, _Options) ->
    Error.

indexes([], Acc) ->
    {ok, lists:reverse(Acc)};
indexes([Scope | Rest], Acc) ->
    case scoped_ipv6_addr:resolve({{16#fe80, 0, 0, 0, 0, 0, 0, 0}, Scope}) of
        {ok, {_, Index}} -> indexes(Rest, [Index | Acc]);
        {error, _} = Error -> Error
    end.

%% @doc Answers (`{Index, Ip}') of each link together, links in the
%% order they first come; within a link RFC 6724 rules 6 and 8, then
%% arrival order (a stable sort); scoped where they need a scope.
-spec ordered([{pos_integer(), inet:ip_address()}]) -> [scoped_ipv6:address()].
ordered(Found) ->
    Order = firsts(Found),
    Position = fun(I) -> length(lists:takewhile(fun(L) -> L =/= I end, Order)) end,
    Keyed = [{{Position(I), -precedence(Ip), scope(Ip)}, scoped(Ip, I)} || {I, Ip} <- Found],
    dedup([A || {_, A} <- lists:keysort(1, Keyed)]).

firsts(Found) ->
    lists:foldr(fun({I, _}, Acc) -> [I | lists:delete(I, Acc)] end, [], Found).

scoped(Ip, Index) ->
    case scoped_ipv6_addr:needs_scope(Ip) of
        true -> {Ip, Index};
        false -> Ip
    end.

dedup(List) -> dedup(List, []).
dedup([], Seen) -> lists:reverse(Seen);
dedup([A | Rest], Seen) ->
    case lists:member(A, Seen) of
        true -> dedup(Rest, Seen);
        false -> dedup(Rest, [A | Seen])
    end.

%% RFC 6724 section 2.1, the default policy table's precedence.
precedence({0, 0, 0, 0, 0, 0, 0, 1}) -> 50;
precedence({_, _, _, _}) -> 35;
precedence({0, 0, 0, 0, 0, 16#ffff, _, _}) -> 35;
precedence({16#2002, _, _, _, _, _, _, _}) -> 30;
precedence({16#2001, 0, _, _, _, _, _, _}) -> 5;
precedence({W, _, _, _, _, _, _, _}) when W band 16#fe00 =:= 16#fc00 -> 3;
precedence({0, 0, 0, 0, 0, 0, _, _}) -> 1;
precedence({W, _, _, _, _, _, _, _}) when W band 16#ffc0 =:= 16#fec0 -> 1;
precedence({16#3ffe, _, _, _, _, _, _, _}) -> 1;
precedence(_) -> 40.

%% RFC 6724 section 3.1 scopes, smaller first (rule 8).
scope({W, _, _, _, _, _, _, _}) when W band 16#ffc0 =:= 16#fe80 -> 2;
scope({0, 0, 0, 0, 0, 0, 0, 1}) -> 2;
scope({169, 254, _, _}) -> 2;
scope({127, _, _, _}) -> 2;
scope(_) -> 14.

lower(Name) -> [if C >= $A, C =< $Z -> C + 32; true -> C end || C <- Name].

%% --- name servers -------------------------------------------------------------

%% The `nameservers' option and the `resolv_conf' option's file, or else
%% the application env's `nameservers' and `resolv_conf'; none: [].
nameservers(#{nameservers := default, resolv_conf := default}) ->
    servers(application:get_env(scoped_ipv6, nameservers, []),
            application:get_env(scoped_ipv6, resolv_conf, undefined));
nameservers(#{nameservers := Given, resolv_conf := File}) ->
    servers(case Given of default -> []; _ -> Given end,
            case File of default -> undefined; _ -> File end).

servers(Given, File) ->
    case given(Given, []) of
        {ok, Servers} when File =:= undefined ->
            {ok, Servers};
        {ok, Servers} ->
            case scoped_ipv6_dns:resolv_conf(File) of
                {ok, FromFile} -> {ok, Servers ++ FromFile};
                {error, _} = Error -> Error
            end;
        {error, _} = Error ->
            Error
    end.

given([], Acc) ->
    {ok, lists:reverse(Acc)};
given([{Address, Port} | Rest], Acc)
  when is_integer(Port), Port > 0, Port =< 65535, not is_integer(Address) ->
    case server(Address) of
        {ok, Server} -> given(Rest, [{Server, Port} | Acc]);
        {error, _} = Error -> Error
    end;
given([Address | Rest], Acc) ->
    given([{Address, 53} | Rest], Acc);
given(_, _) ->
    {error, einval}.

server(Address) ->
    try scoped_ipv6_addr:resolve(Address) of
        {ok, {Ip, Index}} -> {ok, {Ip, Index}};
        {ok, Ip} -> scoped_ipv6_addr:with_scope(Ip, 0);
        {error, _} = Error -> Error
    catch
        error:badarg -> {error, einval}
    end.

unicast(Name, Servers, #{family := Family} = Options) ->
    Deadline = erlang:monotonic_time(millisecond) + timeout(Options),
    case scoped_ipv6_dns:query(Servers, Name, types(Family), Deadline, 2) of
        {ok, []} ->
            {error, nxdomain};
        {ok, Found} ->
            Keyed = [{{-precedence(Ip), scope(Ip)}, scoped_pair(Ip, S)} || {Ip, S} <- Found],
            {ok, dedup([A || {_, A} <- lists:keysort(1, Keyed)])};
        {error, _} = Error ->
            Error
    end.

scoped_pair(Ip, 0) -> Ip;
scoped_pair(Ip, Index) -> {Ip, Index}.

%% --- getaddrinfo --------------------------------------------------------------

%% getaddrinfo(3) on the NIF's bounded resolver pool: `{error,
%% system_limit}' when it is full. On timeout the lookup is cancelled (a
%% queued one never runs) and an answer that came just before is flushed,
%% so none lands in the caller's mailbox later. A caller that dies drops
%% its handle, which cancels the lookup too.
getaddrinfo(Host, #{family := Family, timeout := Timeout0}) ->
    Timeout = case Timeout0 of default -> infinity; T -> T end,
    case host_name(Host) of
        {ok, Name} ->
            Ref = make_ref(),
            case scoped_ipv6_nif:resolve_host(Name, Ref) of
                {ok, Lookup} ->
                    receive
                        {Ref, Answer} -> usable(Answer, Family)
                    after Timeout ->
                        ok = scoped_ipv6_nif:resolve_cancel(Lookup),
                        receive {Ref, _} -> ok after 0 -> ok end,
                        {error, timeout}
                    end;
                {error, _} = Error ->
                    Error
            end;
        error ->
            {error, einval}
    end.

%% getaddrinfo's order; a link-local answer keeps the scope that
%% /etc/hosts or an NSS module (nss-mdns) gave it, one without is dropped.
usable({ok, Answers}, Family) ->
    Wanted = [case Scope of 0 -> Ip; _ -> {Ip, Scope} end
              || {Ip, Scope} <- Answers, scoped_ipv6_addr:of_family(Ip, Family),
                 {ok, _} <- [scoped_ipv6_addr:with_scope(Ip, Scope)]],
    case {dedup(Wanted), Answers} of
        {[], [{Ip, Scope} | _]} when Family =:= any ->
            %% The only answers need a scope they lack.
            case scoped_ipv6_addr:with_scope(Ip, Scope) of
                {error, _} = Error -> Error;
                {ok, _} -> {error, nxdomain}
            end;
        {[], _} -> {error, nxdomain};
        {Found, _} -> {ok, Found}
    end;
usable({error, _} = Error, _Family) ->
    Error.

%% A host name as a UTF-8 binary of 1..253 bytes (DNS's limit), or
%% `error'; text of any length may come here, so a longer one is refused
%% before it is read.
host_name(Host) when is_atom(Host) -> host_name(atom_to_list(Host));
host_name(Host) when is_binary(Host), byte_size(Host) > 0, byte_size(Host) =< ?MAX_HOST ->
    utf8(Host);
host_name(Host) when is_list(Host) ->
    case short_string(Host, ?MAX_HOST + 1) of
        true -> utf8(Host);
        false -> error
    end;
host_name(_) ->
    error.

utf8(Text) ->
    try unicode:characters_to_binary(Text) of
        Name when is_binary(Name), byte_size(Name) > 0, byte_size(Name) =< ?MAX_HOST -> {ok, Name};
        _LongOrIncomplete -> error
    catch
        error:badarg -> error
    end.

short_string([], _N) -> true;
short_string(_List, 0) -> false;
short_string([C | Tail], N) when is_integer(C) -> short_string(Tail, N - 1);
short_string(_NotAString, _N) -> false.
