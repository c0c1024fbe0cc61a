%% @doc Scoped IPv6 addresses: `fe80::1%eth0' for Erlang.
%%
%% A scoped address is `{Ip6, Scope}': an `inet:ip6_address()' and an
%% interface index (`0..4294967295') or name (string or binary). Plain
%% 4- and 8-tuples keep working wherever an address is accepted.
%% `include/scoped_ipv6.hrl' has `?is_scoped_address(A)' for guards.
%%
%% ```
%% 1> scoped_ipv6:parse("fe80::1%eth0").
%% {ok,{{65152,0,0,0,0,0,0,1},"eth0"}}
%% 2> scoped_ipv6:resolve({{65152,0,0,0,0,0,0,1}, "lo"}).
%% {ok,{{65152,0,0,0,0,0,0,1},1}}
%% 3> scoped_ipv6:ntoa({{65152,0,0,0,0,0,0,1}, 1}).
%% "fe80::1%1"
%% '''
%%
%% Errors, the same terms in Erlang and Elixir, each rendered by
%% {@link format_error/1}:
%% <ul>
%%   <li>`einval': text or an address that is not valid;</li>
%%   <li>`{no_such_interface, NameOrIndex}': as given by the caller;</li>
%%   <li>`scope_required': a link-local address used without a scope;</li>
%%   <li>for a host name: `nxdomain' (no such name), `try_again' (DNS did
%%       not answer: temporary), `no_recovery' (DNS failed for good),
%%       `system_limit' (8 lookups run and 128 wait already), as
%%       OTP's native resolver and gen_tcp name them;</li>
%%   <li>any `inet:posix()' atom from the OS.</li>
%% </ul>
%% A wrong argument type raises `badarg', except in {@link parse/1} and
%% {@link ntoa/1}, which answer `{error, einval}' for any term, as
%% `inet:parse_address/1' and `inet:ntoa/1' do, so they can replace them.
-module(scoped_ipv6).

-include("scoped_ipv6.hrl").

-export([parse/1, ntoa/1, resolve/1, getaddrs/1, getaddrs/2, if_index/1, if_name/1,
         interfaces/0, needs_scope/1, peername/1, sockname/1, ping/1, ping/2,
         mdns_names/0, mdns_services/0, mdns_advertise/1, mdns_withdraw/1, browse/1, browse/2,
         watch/1, watch/2, watched/1, unwatch/1, format_error/1]).

-export_type([scope/0, scoped_address/0, address/0, interface/0, reason/0, service/0,
              host/0, watch_event/0]).

-type scope() :: 0..4294967295 | string() | binary().
-type scoped_address() :: {inet:ip6_address(), scope()}.
-type address() :: inet:ip_address() | scoped_address().
-type interface() :: #{name := string(),
                       index := pos_integer(),
                       flags := [up | broadcast | loopback | pointtopoint |
                                 running | multicast],
                       addrs := [#{addr := inet:ip_address() |
                                           {inet:ip6_address(), non_neg_integer()},
                                   prefixlen := 0..128 | nil}]}.
%% A service found by browse/1,2 (DNS-SD, RFC 6763) on one link.
-type service() :: #{name := string(), type := string(), host := string(),
                     port := inet:port_number(), txt := [binary()],
                     addresses := [address()], link := pos_integer()}.
%% A host a watch of a `.local' name (watch/2) sees on one link: its
%% addresses there, scoped and ordered as getaddrs/2 gives them.
-type host() :: #{name := string(), link := pos_integer(), addresses := [address()]}.
%% What a watch (watch/2) sends its owner, as `{scoped_ipv6_watch, WatchRef,
%% Event}'.
-type watch_event() :: {up | changed | down,
                        service() | host() | #{type := string(), link := pos_integer()}}.
%% Every reason this library returns in `{error, Reason}', each rendered by
%% format_error/1. The last group comes from the distribution carrier's
%% choice of link (scoped_ipv6_dist) and epmd queries (scoped_ipv6_epmd).
-type reason() :: einval | scope_required | {no_such_interface, scope()} |
                  timeout | nxdomain | try_again | no_recovery | system_limit |
                  closed | not_owner | not_running | not_found |
                  noport | bad_epmd_reply | no_link | {ambiguous, [string()]} |
                  {not_found, [{string(), term()}]} | {bad_node_name, term()} |
                  inet:posix().

%% @doc Parses address text; a superset of `inet:parse_address/1'.
%%
%% Text without `%' gives exactly what `inet:parse_address/1' gives. An IPv6
%% address may carry a zone: digits are an interface index, anything else a
%% name, kept as written in the input's string type. Names are not looked
%% up here: see {@link resolve/1}.
%%
%% Text longer than 61 bytes (the longest address, 45 bytes with an IPv4
%% tail, `%', and a 15-byte zone) is `{error, einval}' without being read;
%% only there it differs from `inet:parse_address/1', which reads IPv4
%% fields padded with any number of zeros.
%%
%% ```
%% {ok, {127,0,0,1}} = scoped_ipv6:parse("127.0.0.1"),
%% {ok, {{16#fe80,0,0,0,0,0,0,1}, 2}} = scoped_ipv6:parse("fe80::1%2"),
%% {ok, {{16#fe80,0,0,0,0,0,0,1}, <<"eth0">>}} = scoped_ipv6:parse(<<"fe80::1%eth0">>),
%% {error, einval} = scoped_ipv6:parse("fe80::1%").
%% '''
-spec parse(Text :: string() | binary()) -> {ok, address()} | {error, einval}.
parse(Text) ->
    scoped_ipv6_addr:parse(Text).

%% @doc Address text: RFC 5952 for IPv6 (lowercase, longest zero run
%% compressed) with `%Zone' for a scoped address; `parse(ntoa(A))' gives
%% `{ok, A}' back. `{error, einval}' for anything else, as `inet:ntoa/1'.
%%
%% ```
%% "fe80::1%eth0" = scoped_ipv6:ntoa({{16#fe80,0,0,0,0,0,0,1}, "eth0"}),
%% "2001:db8::1" = scoped_ipv6:ntoa({16#2001,16#db8,0,0,0,0,0,1}),
%% "10.0.0.1" = scoped_ipv6:ntoa({10,0,0,1}).
%% '''
-spec ntoa(address()) -> string() | {error, einval}.
ntoa(Address) ->
    scoped_ipv6_addr:ntoa(Address).

%% @doc Turns the scope of an address into an interface index, looked up
%% now (so a re-created interface with a new index is found). Accepts a
%% scoped address, a plain address (returned as it is) or text.
%%
%% ```
%% {ok, {{16#fe80,0,0,0,0,0,0,1}, 1}} = scoped_ipv6:resolve("fe80::1%lo"),
%% {error, {no_such_interface, "nosuch0"}} = scoped_ipv6:resolve("fe80::1%nosuch0").
%% '''
-spec resolve(address() | string() | binary()) ->
    {ok, inet:ip_address() | {inet:ip6_address(), non_neg_integer()}} | {error, reason()}.
resolve(Address) ->
    scoped_ipv6_addr:resolve(Address).

%% @equiv getaddrs(Host, [])
-spec getaddrs(string() | binary() | atom()) -> {ok, [address()]} | {error, reason()}.
getaddrs(Host) ->
    getaddrs(Host, []).

%% @doc Every address of a host name, link-local ones in the scoped form
%% `{Ip6, IfIndex}' (address text, `"fe80::2%eth0"', gives itself back,
%% its zone resolved).
%%
%% <ul>
%%   <li>`.local' names are asked by multicast DNS (RFC 6762 one-shot
%%       queries) to `ff02::fb' on each link; an answer is taken only from
%%       the link it arrived on and scoped with that link. A name that
%%       answers on two links gives both answers, each with its scope.
%%       Answers are cached for their TTL. No answer within the timeout is
%%       `{error, nxdomain}' (multicast DNS has no negative answer);
%%       `{error, no_link}' when no link can be asked.</li>
%%   <li>Other names go to the name servers of the `nameservers' and
%%       `resolv_conf' options, or else of the application env's
%%       `nameservers' and `resolv_conf', which may be link-local
%%       (`nameserver fe80::1%eth0' lines, which OTP's resolver skips):
%%       UDP, then TCP when the answer is truncated. A link-local address
%%       in their answer is scoped with the server's link.</li>
%%   <li>Without name servers configured, getaddrinfo(3) answers, as for
%%       a connect (nss-mdns and /etc/hosts included).</li>
%% </ul>
%%
%% Order: multicast DNS answers grouped by link, links in the order of the
%% `links' option (or of their interface indexes), each link's answers by
%% RFC 6724's precedence (IPv6 before IPv4) and then smaller scope
%% (link-local first); name-server answers sorted the same way;
%% getaddrinfo's answers in its own order.
%%
%% Options: `{family, inet6 | inet | any}' (`any'), `{timeout, Ms}'
%% (2000), `{links, [Scope]}' (the links to ask by multicast DNS: names
%% or indexes), `{nameservers, [Address | {Address, Port}]}',
%% `{resolv_conf, File}', `{cache, Bool}' (`true': use the multicast DNS
%% cache), `{settle, Ms}' (250: how long, after one link answers, the
%% others are still waited for), `{mdns_ipv4, Bool}' (`false': `true'
%% asks 224.0.0.251 too, from each link's IPv4 address). A malformed
%% option raises `badarg'.
%%
%% ```
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, [{{16#fe80,0,0,0,0,0,0,2}, Eth0}]} = scoped_ipv6:getaddrs("fe80::2%eth0"),
%% {error, nxdomain} = scoped_ipv6:getaddrs("nobody-here.local", [{timeout, 300}]),
%% {error, einval} = scoped_ipv6:getaddrs("bad..name.local").
%% '''
%%
%% With a responder for `printer.local' behind `eth0' (tested with
%% avahi-daemon in test/testbed_names_test.exs):
%% `{ok, [{{16#fe80,0,0,0,0,0,0,2}, Eth0}]} = scoped_ipv6:getaddrs("printer.local")'.
%% '''
-spec getaddrs(string() | binary() | atom(), [term()]) -> {ok, [address()]} | {error, reason()}.
getaddrs(Host, Opts) when is_list(Opts) ->
    case scoped_ipv6_names:getaddrs(Host, Opts) of
        {badarg, _} -> erlang:error(badarg, [Host, Opts]);
        Result -> Result
    end;
getaddrs(Host, Opts) ->
    erlang:error(badarg, [Host, Opts]).

%% @doc The names this host's multicast DNS responder answers for, by
%% interface index: on each link where a name is announced, the name
%% configured, or the one chosen there because another host held it
%% (RFC 6762 section 9: `device-2.local', then `device-3.local'). A name
%% taken on one link stays ours on the others. `{error, not_running}'
%% without a responder (`mdns_responder' in the application env).
%%
%% ```
%% {error, not_running} = scoped_ipv6:mdns_names().
%% '''
%%
%% With `{mdns_responder, #{name => "device", links => ["usb0", "wlan0"]}}'
%% and another host answering for `device.local' on wlan0 (tested with
%% avahi-daemon in test/testbed_names_test.exs):
%% `{ok, #{3 => "device.local", 4 => "device-2.local"}}'.
-spec mdns_names() -> {ok, #{non_neg_integer() => string()}} | {error, not_running}.
mdns_names() ->
    scoped_ipv6_mdns_responder:names().

%% @doc The DNS-SD services this host's multicast DNS responder
%% advertises, by interface index: on each link where they are announced,
%% each service with the instance name claimed there (`"Printer #2"' where
%% another host held `"Printer"', as avahi names them), in the shape
%% browse/2 gives: `name', `type', `port', `txt'. `{error, not_running}'
%% without a responder (`mdns_responder' in the application env).
%%
%% ```
%% {error, not_running} = scoped_ipv6:mdns_services().
%% '''
%%
%% With `{mdns_responder, #{name => "device", links => ["usb0"],
%% services => [#{type => "_ipp._tcp", port => 631, name => "Printer"}]}}'
%% and avahi publishing a `Printer' on usb0 (tested in
%% test/testbed_names_test.exs): `{ok, #{3 => [#{name => "Printer #2",
%% type => "_ipp._tcp", port => 631, txt => []}]}}'.
-spec mdns_services() ->
    {ok, #{non_neg_integer() => [#{name := string(), type := string(),
                                   port := inet:port_number(), txt := [binary()]}]}} |
    {error, not_running}.
mdns_services() ->
    scoped_ipv6_mdns_responder:services().

%% @doc Advertises a DNS-SD service while the responder runs, as if it had
%% been in its settings' `services': `#{type => "_http._tcp", port => 80,
%% name => "Web", txt => ["path=/"], subtypes => ["_printer"]}' (`name'
%% defaults to the host's label, `txt' and `subtypes' to none; a subtype
%% answers a browse for `_printer._sub._http._tcp', RFC 6763 section 7.1).
%% Each link the responder serves probes for the instance
%% name (RFC 6762 section 8.1: renamed `"Web #2"' there if another host has
%% it; mdns_services/0 tells), answering meanwhile for what it had, then
%% announces it. A service already advertised with that type and instance
%% name (the name as given, not as renamed) gets the new port, TXT and
%% subtypes, announced at once (section 8.4; a subtype dropped gets its
%% goodbye). The application environment's
%% `mdns_responder' is updated too, so that a restarted responder
%% advertises what this one did. `{error, einval}' for what the settings
%% would refuse (a bad type, instance name, port, TXT or subtype, or a
%% key other than `type', `port', `name', `txt' and `subtypes'), `{error,
%% not_running}' without a responder; a service that is not a map raises
%% `badarg'.
%%
%% ```
%% {error, not_running} = scoped_ipv6:mdns_advertise(#{type => "_http._tcp", port => 80}).
%% '''
%%
%% With a responder on usb0 (tested in test/testbed_names_test.exs against
%% python-zeroconf, which sees `Web' come, its TXT change and `Web' go):
%% `ok = scoped_ipv6:mdns_advertise(#{type => "_http._tcp", port => 80, name => "Web"})',
%% then `ok = scoped_ipv6:mdns_advertise(#{type => "_http._tcp", port => 80, name => "Web",
%% txt => ["v=2"]})'.
-spec mdns_advertise(#{type := string() | binary(), port := inet:port_number(),
                       name => string() | binary(), txt => [string() | binary()],
                       subtypes => [string() | binary()]}) ->
    ok | {error, einval | not_running}.
mdns_advertise(Service) when is_map(Service) ->
    scoped_ipv6_mdns_responder:advertise(Service);
mdns_advertise(Service) ->
    erlang:error(badarg, [Service]).

%% @doc Stops advertising the service of this type and instance name
%% (`#{type => "_http._tcp", name => "Web"}', `name' as given to
%% mdns_advertise/1 or the settings, the host's label by default): its
%% records get their goodbyes (TTL 0, RFC 6762 section 10.1) on every link
%% that had announced it, so that browsers drop it at once. `{error,
%% not_found}' when no such service is advertised, `{error, einval}' for
%% a bad type or name, or a key mdns_advertise/1 would refuse (the rest
%% of the map advertised may come along), `{error, not_running}' without
%% a responder; a service that is not a map raises `badarg'.
%%
%% ```
%% {error, not_running} = scoped_ipv6:mdns_withdraw(#{type => "_http._tcp", name => "Web"}).
%% '''
%%
%% With a responder advertising `Web' (tested as for mdns_advertise/1):
%% `ok = scoped_ipv6:mdns_withdraw(#{type => "_http._tcp", name => "Web"})',
%% and python-zeroconf's browser removes it.
-spec mdns_withdraw(#{type := string() | binary(), name => string() | binary(),
                      port => inet:port_number(), txt => [string() | binary()],
                      subtypes => [string() | binary()]}) ->
    ok | {error, einval | not_found | not_running}.
mdns_withdraw(Service) when is_map(Service) ->
    scoped_ipv6_mdns_responder:withdraw(Service);
mdns_withdraw(Service) ->
    erlang:error(badarg, [Service]).

%% @equiv browse(Type, [])
-spec browse(string() | binary()) ->
    {ok, [service()] | [#{type := string(), link := pos_integer()}]} | {error, reason()}.
browse(Type) ->
    browse(Type, []).

%% @doc The services of a DNS-SD type (RFC 6763) on each link, found by
%% multicast DNS and kept apart by link: `Type' is `"_http._tcp"' (or
%% `"_http._tcp.local"', a string or binary). A PTR question for
%% `<Type>.local' goes to `ff02::fb' on each link, from the sockets and
%% links {@link getaddrs/2} uses for `.local' names (an answer counts only
%% from the link it arrived on). What the answers leave out (an
%% instance's SRV or TXT record, its host's addresses: responders usually
%% add them, RFC 6763 section 12) is then asked of that link alone.
%%
%% Each service is a map: `name' (the instance name, `"Web A"', a Unicode
%% string), `type' (as given, without `.local'), `host' (the SRV target,
%% `"peer-a.local"'), `port', `txt' (the TXT record's strings as binaries,
%% `[<<"path=/a">>]'; `[]' for an empty record), `addresses' (the host's
%% addresses as that link's responders gave them, link-local ones scoped
%% `{Ip6, Link}', others plain, ordered as getaddrs/2 orders them; `[]' if
%% none came: `host' can still be looked up) and `link' (the interface
%% index it was found on). An instance answering on two links is two
%% services, each with its own scope. An instance whose SRV never came is
%% left out. Order: by link (the order of `links', or of their indexes),
%% then by name.
%%
%% `"_services._dns-sd._udp"' lists the types on each link instead (RFC
%% 6763 section 9): `#{type => "_http._tcp", link => Index}' maps. A
%% subtype (`"_printer._sub._http._tcp"') finds the base type's instances
%% that registered it.
%%
%% Nobody answering is `{ok, []}': a browse that finds nothing has not
%% failed. The browse ends `settle' ms (250) after the last answer that
%% brought something new, once the follow-up questions are answered, or
%% at the timeout (2000 ms) whatever arrives. `{error, einval}' for a type
%% that is not `_name._tcp' or `_name._udp' (name: 1..15 letters, digits,
%% hyphens); `{error, no_link}' when no link can be asked. Options:
%% `{timeout, Ms}', `{links, [Scope]}', `{settle, Ms}', `{mdns_ipv4,
%% Bool}', as for getaddrs/2, and `{instance, Name}': that one instance
%% (`"Web A"'), resolved without browsing (its SRV, TXT and addresses
%% asked of every link; `{error, einval}' for a name that is no instance
%% label: a control character, more than 63 bytes). Another option, or a
%% type or name that is not text, raises `badarg'. At most 64 services a
%% link, 16 addresses each.
%%
%% ```
%% {ok, []} = scoped_ipv6:browse("_nobody-here._tcp", [{links, ["eth0"]}, {timeout, 300}]),
%% {error, einval} = scoped_ipv6:browse("http"),
%% {error, no_link} = scoped_ipv6:browse("_http._tcp", [{links, ["lo"]}]).
%% '''
%%
%% With avahi-daemon publishing `Web A' on port 8080 at `fe80::2' behind
%% `eth0' (tested in test/testbed_browse_test.exs):
%% `{ok, [#{name := "Web A", port := 8080, addresses := [{{16#fe80,0,0,0,0,0,0,2}, Eth0}],
%% txt := [<<"path=/a">>]}]} = scoped_ipv6:browse("_http._tcp")'.
-spec browse(string() | binary(), [{timeout, non_neg_integer()} | {links, [scope()]} |
                                   {settle, non_neg_integer()} | {mdns_ipv4, boolean()} |
                                   {instance, string() | binary()}]) ->
    {ok, [service()] | [#{type := string(), link := pos_integer()}]} | {error, reason()}.
browse(Type, Opts) when is_list(Opts) ->
    case scoped_ipv6_browse:browse(Type, Opts) of
        {badarg, _} -> erlang:error(badarg, [Type, Opts]);
        Result -> Result
    end;
browse(Type, Opts) ->
    erlang:error(badarg, [Type, Opts]).

%% @equiv watch(TypeOrHost, [])
-spec watch(string() | binary()) -> {ok, reference()} | {error, reason()}.
watch(TypeOrHost) ->
    watch(TypeOrHost, []).

%% @doc Watches a DNS-SD type (RFC 6763), or a `.local' host name's
%% addresses (below), on each link for as long as the calling process
%% wants: where {@link browse/2} answers once, a watch
%% keeps asking (RFC 6762 section 5.2: after 20-120 ms, then 1 s, 2 s,
%% 4 s... apart, up to an hour, listing the answers already held, section
%% 7.1), keeps the answers until their TTL runs out (asking again at 80 %
%% of it, section 10), and sends the caller a message as services come,
%% change and go:
%%
%% <ul>
%%   <li>`{scoped_ipv6_watch, WatchRef, {up, Service}}': a service is there
%%       (its SRV record came);</li>
%%   <li>`{scoped_ipv6_watch, WatchRef, {changed, Service}}': its port,
%%       host, TXT or addresses changed;</li>
%%   <li>`{scoped_ipv6_watch, WatchRef, {down, Service}}': it said goodbye
%%       (gone a second later, as RFC 6762 section 10.1 asks), or its
%%       records ran out; `Service' as it was last.</li>
%% </ul>
%%
%% `Service' has browse/2's shape (`name', `type', `host', `port', `txt',
%% `addresses' with link-local ones scoped, `link'): an instance on two
%% links is two services. The watch listens on port 5353 (shared with
%% this host's responders, avahi's too) and believes an answer only from
%% the link it arrived on, for that link. The links are looked at again
%% every second: a link that appears (all of them by default, or one named
%% in `links', made again) is joined and asked at once; the services of a
%% link that goes away go `down'. This host's own services (its
%% responder's, mdns_advertise/1) are seen too, on each link they are
%% advertised on. At most 64 services and 512 records a link.
%%
%% `Type' as for browse/2, subtypes too; `"_services._dns-sd._udp"'
%% watches the service types on each link instead: `#{type, link}' maps,
%% `up' and `down' (RFC 6763 section 9).
%%
%% A `.local' host name (`"nerves-1234.local"') watches that host's
%% addresses instead (continuous querying, RFC 6762 section 5.2: its AAAA
%% and A asked as above, the addresses held as known answers and asked
%% again at 80 % of their TTL): `Host' is `#{name, link, addresses}' on
%% each link it answers on, `name' as given (without a final dot),
%% `addresses' as getaddrs/2 gives them there (link-local ones scoped,
%% ULA, global and, with `mdns_ipv4' or over IPv6, IPv4 ones plain; at
%% most 16). `up' when its first address comes, `changed' when its
%% addresses change, `down' when the last goes (goodbye, expiry, or
%% unanswered queries of others, RFC 6762 section 10.5). A text the type
%% parser reads is a type; another `.local' name is a host, unless a
%% label begins with `_' (those name DNS-SD types and instances):
%% `{error, einval}'. This host's own name (its responder's) is seen too.
%%
%% Options: `{links, [Scope]}', `{mdns_ipv4, Bool}' as for browse/2, and
%% `{text, binary}' for `name', `type' and `host' as UTF-8 binaries
%% rather than strings (what ScopedIPv6.watch/2 gives). Another option,
%% or a type or name that is not text, raises `badarg'. `{error,
%% no_link}' when no link can be watched, `{error, not_running}' without
%% the scoped_ipv6 application, or an `inet:posix()' when port 5353
%% cannot be opened.
%%
%% The watch ends with {@link unwatch/1}, or when the caller exits. It is
%% monitored by the caller: if it ends on its own (the application
%% stopped), the caller gets `{'DOWN', WatchRef, process, Pid, Reason}'.
%%
%% ```
%% {ok, _} = application:ensure_all_started(scoped_ipv6),
%% {ok, Watch} = scoped_ipv6:watch("_nobody-here._tcp", [{links, ["eth0"]}]),
%% ok = scoped_ipv6:unwatch(Watch),
%% {ok, Host} = scoped_ipv6:watch("nobody-here.local", [{links, ["eth0"]}]),
%% {ok, []} = scoped_ipv6:watched(Host),
%% ok = scoped_ipv6:unwatch(Host),
%% {error, einval} = scoped_ipv6:watch("http"),
%% {error, einval} = scoped_ipv6:watch("device"),
%% {error, no_link} = scoped_ipv6:watch("_http._tcp", [{links, ["lo"]}]),
%% {error, no_link} = scoped_ipv6:watch("device.local", [{links, ["lo"]}]).
%% '''
%%
%% With python-zeroconf registering `Web A' on port 8080 at `fe80::2'
%% behind `eth0' (tested in test/testbed_watch_test.exs): `receive
%% {scoped_ipv6_watch, Watch, {up, #{name := "Web A", port := 8080, addresses
%% := [{{16#fe80,0,0,0,0,0,0,2}, Eth0}]}}} -> ok end', then `{changed, _}'
%% when it updates its TXT and `{down, _}' when it unregisters. With avahi
%% publishing `nerves-1234.local' at `fe80::2' behind `usb0' (tested with
%% avahi's `both.local'): `{ok, W} = scoped_ipv6:watch("nerves-1234.local"),
%% receive {scoped_ipv6_watch, W, {up, #{name := "nerves-1234.local", link
%% := Usb0, addresses := [{{16#fe80,0,0,0,0,0,0,2}, Usb0}]}}} -> ok end',
%% and `{down, _}' for that link when avahi stops.
-spec watch(string() | binary(), [{links, [scope()]} | {mdns_ipv4, boolean()} |
                                  {text, list | binary}]) ->
    {ok, reference()} | {error, reason()}.
watch(TypeOrHost, Opts) when is_list(Opts) ->
    case scoped_ipv6_watch:start(TypeOrHost, Opts) of
        {badarg, _} -> erlang:error(badarg, [TypeOrHost, Opts]);
        Result -> Result
    end;
watch(TypeOrHost, Opts) ->
    erlang:error(badarg, [TypeOrHost, Opts]).

%% @doc The services (or, for `"_services._dns-sd._udp"', the types; for
%% a host name, the host on each link) a watch of the calling process
%% sees now: what its `up' and `changed'
%% messages told, less what went `down', in link order, then by name.
%% The same set the messages build up, for a caller that would rather
%% ask than keep it. `{error, not_found}' for a watch that ended, or
%% another process's.
%%
%% ```
%% {ok, _} = application:ensure_all_started(scoped_ipv6),
%% {ok, Watch} = scoped_ipv6:watch("_nobody-here._tcp", [{links, ["eth0"]}]),
%% {ok, []} = scoped_ipv6:watched(Watch),
%% ok = scoped_ipv6:unwatch(Watch),
%% {error, not_found} = scoped_ipv6:watched(Watch).
%% '''
-spec watched(reference()) ->
    {ok, [service() | host() | #{type := string(), link := pos_integer()}]} | {error, not_found}.
watched(WatchRef) when is_reference(WatchRef) ->
    scoped_ipv6_watch:seen(WatchRef);
watched(WatchRef) ->
    erlang:error(badarg, [WatchRef]).

%% @doc Ends a watch the calling process started with {@link watch/2}; its
%% messages still in the caller's mailbox are removed, and none comes
%% after (as `erlang:demonitor(Ref, [flush])'). A watch that already
%% ended, or another process's, is left alone: `ok' all the same.
%%
%% ```
%% {ok, _} = application:ensure_all_started(scoped_ipv6),
%% {ok, Watch} = scoped_ipv6:watch("_nobody-here._tcp", [{links, ["eth0"]}]),
%% ok = scoped_ipv6:unwatch(Watch),
%% ok = scoped_ipv6:unwatch(Watch).
%% '''
-spec unwatch(reference()) -> ok.
unwatch(WatchRef) when is_reference(WatchRef) ->
    scoped_ipv6_watch:stop(WatchRef);
unwatch(WatchRef) ->
    erlang:error(badarg, [WatchRef]).

%% @doc The index of the interface with this name.
%%
%% ```
%% {ok, 1} = scoped_ipv6:if_index("lo").
%% '''
-spec if_index(Name :: string() | binary()) ->
    {ok, pos_integer()} | {error, {no_such_interface, string() | binary()} | einval}.
if_index(Name) ->
    scoped_ipv6_addr:if_index(Name).

%% @doc The name of the interface with this index.
%%
%% ```
%% {ok, "lo"} = scoped_ipv6:if_name(1).
%% '''
-spec if_name(Index :: non_neg_integer()) ->
    {ok, string()} | {error, {no_such_interface, non_neg_integer()} | inet:posix()}.
if_name(Index) ->
    scoped_ipv6_addr:if_name(Index).

%% @doc Every interface of this host (of this network namespace, on Linux),
%% by index, with its flags and addresses. Addresses that need a scope
%% (link-local unicast, interface- and link-local multicast) come in the
%% scoped form `{Ip6, Index}', BSD's embedded form already normalized.
%% Every address is listed as getifaddrs(3) lists it, those still in
%% duplicate address detection (tentative) too; multicast DNS uses only
%% those the kernel has assigned.
%%
%% ```
%% {ok, Interfaces} = scoped_ipv6:interfaces(),
%% [#{index := 1, flags := Flags}] = [I || #{name := "lo"} = I <- Interfaces],
%% true = lists:member(loopback, Flags).
%% '''
-spec interfaces() -> {ok, [interface()]} | {error, inet:posix()}.
interfaces() ->
    scoped_ipv6_addr:interfaces().

%% @doc Whether an IPv6 address means nothing without a scope: link-local
%% unicast (`fe80::/10') and interface- or link-local multicast.
%%
%% ```
%% true = scoped_ipv6:needs_scope({16#fe80,0,0,0,0,0,0,1}),
%% false = scoped_ipv6:needs_scope({16#2001,16#db8,0,0,0,0,0,1}).
%% '''
-spec needs_scope(inet:ip_address()) -> boolean().
needs_scope(Address) ->
    scoped_ipv6_addr:needs_scope(Address).

%% @doc The peer of a gen_tcp, gen_udp or scoped_ipv6_udp socket, its address in the scoped
%% form when it needs a scope (`inet:peername/1' drops it): a server bound
%% to `::' can tell, and answer, link-local peers on different links.
%%
%% ```
%% {ok, S} = scoped_ipv6_tcp:connect("fe80::2%eth0", 8080, [], 5000),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,2}, Eth0}, 8080}} = scoped_ipv6:peername(S).
%% '''
-spec peername(inet:socket() | scoped_ipv6_udp:socket()) ->
    {ok, {address(), inet:port_number()}} | {error, inet:posix()}.
peername(Socket) ->
    socket_addr(Socket, peer).

%% @doc The local address of a gen_tcp, gen_udp or scoped_ipv6_udp socket, scoped when it
%% needs a scope (`inet:sockname/1' drops it).
%%
%% ```
%% {ok, S} = scoped_ipv6_udp:open(0, [{ip, "fe80::1%eth0"}]),
%% {ok, Eth0} = scoped_ipv6:if_index("eth0"),
%% {ok, {{{16#fe80,0,0,0,0,0,0,1}, Eth0}, _Port}} = scoped_ipv6:sockname(S).
%% '''
-spec sockname(inet:socket() | scoped_ipv6_udp:socket()) ->
    {ok, {address(), inet:port_number()}} | {error, inet:posix()}.
sockname(Socket) ->
    socket_addr(Socket, sock).

%% @equiv ping(Address, [])
-spec ping(address() | string() | binary() | atom()) ->
    {ok, RttMicroseconds :: non_neg_integer()} | {error, reason()}.
ping(Address) ->
    ping(Address, []).

%% @doc Sends one ICMPv6 echo request (RFC 4443) to `Address' and waits
%% for its reply: `{ok, RoundTripMicroseconds}' (an integer, in
%% microseconds, from just before the request is sent to when the reply
%% is read). `Address' takes every form a destination takes; a link-local
%% one needs a scope (`"fe80::2%eth0"', `{Ip6, Scope}'), or `{error,
%% scope_required}', since the same address can answer on every link.
%% Errors: `timeout' (no reply in time), `scope_required', `eacces' (no
%% ICMPv6 socket allowed: see below), an ICMPv6 error that answered the
%% request as the errno Linux gives it (`ehostunreach' for "address
%% unreachable", such as the kernel's own when no neighbour on the link has
%% the address, after about 3 s, and for "time exceeded"; `enetunreach',
%% `eacces' or `econnrefused' for the other "destination unreachable"
%% codes; `emsgsize' for "packet too big"; `eproto' for "parameter
%% problem"), `eafnosupport' for an IPv4 address, `{no_such_interface,
%% Scope}' and the OS's `inet:posix()' reasons.
%%
%% The socket: Linux's unprivileged ICMPv6 datagram socket, which the
%% kernel allows to processes whose group is within the sysctl
%% `net.ipv4.ping_group_range' (it governs IPv6 too; Debian's default,
%% `1 0', allows nobody: e.g. `sysctl -w net.ipv4.ping_group_range="0
%% 2147483647"'); where that is refused, a raw ICMPv6 socket, which needs
%% root or CAP_NET_RAW; `{error, eacces}' if both are refused. The wait
%% is OTP socket's, in the VM's poll set: no scheduler is blocked.
%%
%% Options: `{timeout, Ms}' (default 1000; for a host name, its lookup
%% gets the same time again), `{payload, Binary}' (extra bytes carried
%% in the request, default none), `{socket, auto | dgram | raw}' (which
%% socket; default `auto', as above). A wrong option raises `badarg'.
%%
%% ```
%% {error, scope_required} = scoped_ipv6:ping("fe80::2"),
%% {ok, Microseconds} = scoped_ipv6:ping("fe80::2%eth0", [{timeout, 500}]).
%% '''
-spec ping(address() | string() | binary() | atom(),
           [{timeout, non_neg_integer()} | {payload, binary()} |
            {socket, auto | dgram | raw}]) ->
    {ok, RttMicroseconds :: non_neg_integer()} | {error, reason()}.
ping(Address, Opts) ->
    scoped_ipv6_ping:ping(Address, Opts).

%% @doc A human-readable text for any reason this library returns; any
%% other term is shown as it is.
%%
%% ```
%% "no such network interface: eth9" ++ _ = scoped_ipv6:format_error({no_such_interface, "eth9"}),
%% "connection refused" = scoped_ipv6:format_error(econnrefused).
%% '''
-spec format_error(reason() | term()) -> string().
format_error(scope_required) ->
    "a link-local address needs a scope, e.g. fe80::1%eth0";
format_error({no_such_interface, Index}) when is_integer(Index) ->
    "no such network interface: index " ++ integer_to_list(Index) ++ interfaces_here();
format_error({no_such_interface, Name}) ->
    Shown = printable(Name),
    "no such network interface: " ++ Shown ++ interfaces_here() ++ uri_hint(Shown);
format_error(einval) ->
    "invalid argument: not a valid address, zone or option (address text is "
    "written fe80::1%eth0: no [brackets], and no %25, which is URI syntax)";
format_error(timeout) ->
    "timed out";
format_error(nxdomain) ->
    "no such host name";
format_error(try_again) ->
    "temporary failure in name resolution (no answer from DNS yet)";
format_error(no_recovery) ->
    "non-recoverable failure in name resolution";
format_error(system_limit) ->
    "too many host-name lookups in progress (at most 8 run and 128 wait)";
format_error(closed) ->
    "the socket is closed";
format_error(not_owner) ->
    "only the socket's controlling process may do this";
format_error(not_running) ->
    "not running: the scoped_ipv6 application is not started (watch/2), or no multicast "
    "DNS responder runs here (set mdns_responder in the scoped_ipv6 application env)";
format_error(not_found) ->
    "not found: no such watch of this process (watched/1), or no such service advertised "
    "here (mdns_withdraw/1)";
format_error(noport) ->
    "epmd there knows no node of that name";
format_error(bad_epmd_reply) ->
    "the peer answered as no epmd does";
format_error(no_link) ->
    "no link here is up with an IPv6 link-local address to ask on";
format_error({ambiguous, Links}) ->
    lists:flatten(["the node answers on several links (",
                   lists:join(", ", [printable(L) || L <- Links]),
                   "): pin one in the dist_zones setting of scoped_ipv6"]);
format_error({not_found, Answers}) ->
    lists:flatten(["no link reached the node: ",
                   lists:join("; ", [[printable(Link), ": ", format_error(unwrap(Why))]
                                     || {Link, Why} <- Answers])]);
format_error({bad_node_name, Node}) ->
    lists:flatten(io_lib:format("not a node name of the form name@host: ~0tp", [Node]));
format_error(Reason) when is_atom(Reason) ->
    case inet:format_error(Reason) of
        "unknown POSIX error" ++ _ -> lists:flatten(io_lib:format("~0tp", [Reason]));
        Text -> Text
    end;
format_error(Reason) ->
    lists:flatten(io_lib:format("~0tp", [Reason])).

%% --- internal ---------------------------------------------------------------

%% A scoped_ipv6_udp socket, or else a gen_tcp/gen_udp port or a
%% socket-backend gen_tcp socket (scoped_ipv6_addr checks those).
socket_addr(Socket, Which) ->
    case scoped_ipv6_udp:is_socket(Socket) of
        true when Which =:= sock -> scoped_ipv6_udp:sockname(Socket);
        true when Which =:= peer -> scoped_ipv6_udp:peername(Socket);
        false -> scoped_ipv6_addr:socket_addr(Socket, Which)
    end.

unwrap({error, Reason}) -> Reason;
unwrap(Reason) -> Reason.

%% Which interfaces there are, so that a mistyped zone is easy to fix.
interfaces_here() ->
    case scoped_ipv6_addr:interfaces() of
        {ok, Interfaces} ->
            Names = [Name || #{name := Name} <- Interfaces],
            lists:flatten([" (this host has: ", lists:join(", ", Names), ")"]);
        {error, _} ->
            ""
    end.

%% `fe80::1%25eth0' is the URI form of `fe80::1%eth0' (RFC 6874, now
%% obsolete); as address text it names the interface `25eth0'.
uri_hint("25" ++ Rest) when Rest =/= [] ->
    "; %25 is how a URI escapes %: write %" ++ Rest;
uri_hint(_) ->
    "".

printable(Text) ->
    try unicode:characters_to_list(Text) of
        String when is_list(String) -> String;
        _Invalid -> lists:flatten(io_lib:format("~p", [Text]))
    catch
        error:badarg -> lists:flatten(io_lib:format("~p", [Text]))
    end.
