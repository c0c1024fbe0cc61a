%% @private
%% Socket options: the one table of every option that scoped TCP and UDP
%% sockets treat themselves (row/1), and the code that reads it. Adding an
%% option is a row here, the code that applies its kind if the kind is new,
%% and its test.
-module(scoped_ipv6_sockopts).

-include("scoped_ipv6.hrl").
-include("scoped_ipv6_udp.hrl").

-export([for_gen_tcp/2, for_connect/1, udp_open/2, udp_setting/2, udp_reading/2, on_family/3,
         membership/4, set_membership/4, set/2,
         family/2,
         bound_to_interface/2, refused_option/2]).

%% What a scoped UDP socket is opened with: where it binds, what is set on
%% it before it binds, and the settings its process applies after.
-type udp_open() :: #{bind := {inet:ip_address(), inet:port_number(), non_neg_integer()},
                      before_bind := [{socket:socket_option() | {native, integer()}, term()}],
                      after_bind := [udp_setting()]}.
-type udp_setting() :: {server, active | mode | buffer, term()} |
                       {socket, socket:socket_option(), term()} |
                       {socket, {ip, non_neg_integer()}, {native, binary()}} |
                       {arrival, recvpktinfo | recvhoplimit | recvtclass | recvttl | recvtos |
                                 min_hoplimit,
                        term()}.
-export_type([udp_open/0, udp_setting/0]).

%% --- the table --------------------------------------------------------------

%% `{Value, Tcp, Udp}' for an option the library treats itself; `none' for
%% any other (TCP hands those to gen_tcp, which checks them; UDP refuses
%% them, as gen_udp does). Value: what value_ok/2 accepts. Tcp, Udp: who
%% applies it:
%%   gen_tcp             gen_tcp, as given
%%   address             resolved here (scope, zone name, host name): the
%%                       local address (for gen_tcp, a sockaddr map when
%%                       it has a scope)
%%   port                the local port (UDP; the last one given wins over
%%                       open/2's argument, as in gen_udp)
%%   family              the address family (family/2)
%%   {native, N}         SOL_SOCKET option N by number, 32-bit value, before
%%                       bind or connect: `{raw, 1, N, V}' for gen_tcp,
%%                       socket:setopt_native/3 for UDP
%%   {before_bind, Opt}  socket:setopt/3 before bind
%%   {after_bind, Opt}   socket:setopt/3 at open and by setopts/2; on an
%%                       IPv4 socket an IPv6 option sets its IPv4
%%                       counterpart (on_family/3)
%%   server              the UDP socket's process (active mode, data mode,
%%                       largest datagram), at open and by setopts/2
%%   multicast           the multicast interface, or a group joined or
%%                       left, on an interface named by scope or (IPv4,
%%                       as gen_udp has it) by local address, at open and
%%                       by setopts/2 (multicast/3)
%%   arrival             the UDP socket's process and the kernel: RFC 3542
%%                       arrival information asked for, RFC 5082's
%%                       hop-limit guard (IPv6 sockets), at open and by
%%                       setopts/2
%%   ignored             accepted, without effect
row(ip)              -> {address,  address,                  address};
row(ifaddr)          -> {address,  address,                  address};
row(port)            -> {port,     gen_tcp,                  port};
row(family)          -> {family,   gen_tcp,                  family};
row(reuseaddr)       -> {boolean,  gen_tcp,                  {before_bind, {socket, reuseaddr}}};
row(reuseport)       -> {boolean,  gen_tcp,                  {before_bind, {socket, reuseport}}};
row(ipv6_v6only)     -> {boolean,  gen_tcp,                  {before_bind, {ipv6, v6only}}};
row(recbuf)          -> {positive, gen_tcp,                  {before_bind, {socket, rcvbuf}}};
row(sndbuf)          -> {positive, gen_tcp,                  {before_bind, {socket, sndbuf}}};
row(bind_to_device)  -> {binary,   gen_tcp,                  {before_bind, {socket, bindtodevice}}};
row(mark)            -> {uint32,   {native, so_mark},        {native, so_mark}};
row(bind_to_ifindex) -> {uint32,   {native, so_bindtoifindex}, {native, so_bindtoifindex}};
row(active)          -> {active,   gen_tcp,                  server};
row(mode)            -> {mode,     gen_tcp,                  server};
row(buffer)          -> {datagram, gen_tcp,                  server};
row(multicast_if)    -> {interface, gen_tcp,                 multicast};
row(add_membership)  -> {membership, gen_tcp,                multicast};
row(drop_membership) -> {membership, gen_tcp,                multicast};
row(multicast_hops)  -> {hops,     gen_tcp,                  {after_bind, {ipv6, multicast_hops}}};
row(multicast_loop)  -> {boolean,  gen_tcp,                  {after_bind, {ipv6, multicast_loop}}};
row(unicast_hops)    -> {unicast_hops, gen_tcp,              {after_bind, {ipv6, unicast_hops}}};
row(tclass)          -> {byte,     gen_tcp,                  {after_bind, {ipv6, tclass}}};
row(broadcast)       -> {boolean,  gen_tcp,                  {after_bind, {socket, broadcast}}};
row(dontroute)       -> {boolean,  gen_tcp,                  {after_bind, {socket, dontroute}}};
row(priority)        -> {integer,  gen_tcp,                  {after_bind, {socket, priority}}};
row(ttl)             -> {hops,     gen_tcp,                  {after_bind, {ip, ttl}}};
row(tos)             -> {byte,     gen_tcp,                  {after_bind, {ip, tos}}};
row(multicast_ttl)   -> {hops,     gen_tcp,                  {after_bind, {ip, multicast_ttl}}};
row(recvpktinfo)     -> {boolean,  gen_tcp,                  arrival};
row(recvhoplimit)    -> {boolean,  gen_tcp,                  arrival};
row(recvtclass)      -> {boolean,  gen_tcp,                  arrival};
row(recvttl)         -> {boolean,  gen_tcp,                  arrival};
row(recvtos)         -> {boolean,  gen_tcp,                  arrival};
row(min_hoplimit)    -> {hoplimit, gen_tcp,                  arrival};
row(inet_backend)    -> {backend,  gen_tcp,                  ignored};
row(udp_module)      -> {any,      gen_tcp,                  ignored};
row(_Other)          -> none.

value_ok(address, _) -> true;                    % resolved where it is used
value_ok(port, P) -> is_integer(P) andalso P >= 0 andalso P =< 65535;
value_ok(family, F) -> F =:= inet orelse F =:= inet6;
value_ok(boolean, B) -> is_boolean(B);
value_ok(positive, N) -> is_integer(N) andalso N > 0;
value_ok(binary, B) -> is_binary(B);
value_ok(uint32, N) -> is_integer(N) andalso N >= 0 andalso N =< 16#ffffffff;
value_ok(active, A) -> is_boolean(A) orelse A =:= once orelse
                           (is_integer(A) andalso A >= -32768 andalso A =< 32767);
value_ok(mode, M) -> M =:= binary orelse M =:= list;
value_ok(datagram, N) -> is_integer(N) andalso N > 0 andalso N =< ?MAX_DATAGRAM;
value_ok(interface, I) -> ?is_scope(I) orelse ipv4_address(I);
value_ok(membership, {Group, I}) when ?is_ip6_address(Group) -> ?is_scope(I);
value_ok(membership, {Group, I}) when ?is_ip4_address(Group) ->
    ?is_scope(I) orelse I =:= any orelse ipv4_address(I);
value_ok(membership, {Group, Local, I}) when ?is_ip4_address(Group) ->
    (Local =:= any orelse ipv4_address(Local)) andalso ?is_scope(I);
value_ok(membership, _) -> false;
value_ok(hops, N) -> is_integer(N) andalso N >= 0 andalso N =< 255;    % OTP 25 refuses -1
value_ok(unicast_hops, N) -> N =:= default orelse (is_integer(N) andalso N >= 0 andalso N =< 255);
value_ok(hoplimit, N) -> is_integer(N) andalso N >= 0 andalso N =< 255;
value_ok(byte, N) -> is_integer(N) andalso N >= 0 andalso N =< 255;
value_ok(integer, N) -> is_integer(N);
value_ok(backend, B) -> B =:= inet;              % UDP runs on OTP's socket module
value_ok(any, _) -> true.

ipv4_address(A) when ?is_ip4_address(A) -> true;
ipv4_address(_) -> false.

%% Options by number, where the kernel has them: SOL_SOCKET's (so_*) and
%% IPPROTO_IP's (ip_*).
native_number(Name) ->
    case {os:type(), Name} of
        {{unix, linux}, so_mark} -> {ok, 36};
        {{unix, linux}, so_bindtoifindex} -> {ok, 62};   % Linux 5.0+
        {{unix, linux}, ip_multicast_if} -> {ok, 32};
        {{unix, linux}, ip_add_membership} -> {ok, 35};
        {{unix, linux}, ip_drop_membership} -> {ok, 36};
        {{unix, linux}, ip_tos} -> {ok, 1};
        _ -> error
    end.

%% @doc Sets `Opts' on a socket of OTP's socket module, in order, up to the
%% first error: socket:setopt/3, or setopt_native/3 for `{native, Raw}'
%% values (the table's options by number, Linux's ip_mreqn).
-spec set(socket:socket(), [{term(), term()}]) -> ok | {error, term()}.
set(Socket, Opts) ->
    lists:foldl(fun({SockOpt, {native, Raw}}, ok) -> socket:setopt_native(Socket, SockOpt, Raw);
                   ({SockOpt, Value}, ok) -> socket:setopt(Socket, SockOpt, Value);
                   (_, Error) -> Error
                end, ok, Opts).

%% @doc Joining or leaving `Group' on interface `Index' (0: the kernel's
%% choice), as `{SockOpt, Value}' for socket:setopt/3, or with `{native,
%% Raw}' for socket:setopt_native/3: IPv6's own option; for an IPv4 group,
%% Linux's `struct ip_mreqn' (group, local address, index), as OTP's
%% socket module names an IPv4 interface only by address. `Local' is
%% gen_udp's interface address (IPv4; `any' for none). `{error, enotsup}'
%% for an IPv4 group off Linux.
-spec membership(add_membership | drop_membership, inet:ip_address(),
                 any | inet:ip4_address(), non_neg_integer()) ->
    {ok, {socket:socket_option() | {ip, non_neg_integer()}, term()}} | {error, enotsup}.
membership(Which, Group, _Local, Index) when ?is_ip6_address(Group) ->
    {ok, {{ipv6, Which}, #{multiaddr => Group, interface => Index}}};
membership(add_membership, Group, Local, Index) ->
    ip_mreqn(ip_add_membership, Group, Local, Index);
membership(drop_membership, Group, Local, Index) ->
    ip_mreqn(ip_drop_membership, Group, Local, Index).

%% @doc Joins or leaves `Group' on interface `Index' on a socket of OTP's
%% socket module, as membership/4 says.
-spec set_membership(socket:socket(), add_membership | drop_membership, inet:ip_address(),
                     non_neg_integer()) -> ok | {error, term()}.
set_membership(Socket, Which, Group, Index) ->
    case membership(Which, Group, any, Index) of
        {ok, Setting} -> set(Socket, [Setting]);
        {error, _} = Error -> Error
    end.

ip_mreqn(Name, {A, B, C, D}, Local, Index) ->
    {E, F, G, H} = case Local of any -> {0, 0, 0, 0}; _ -> Local end,
    case native_number(Name) of
        {ok, Number} ->
            {ok, {{ip, Number}, {native, <<A, B, C, D, E, F, G, H, Index:32/native>>}}};
        error ->
            {error, enotsup}
    end.

%% An option as `{Name, Value}': the atoms gen_tcp and gen_udp take alone
%% are short for one.
named(binary) -> {mode, binary};
named(list) -> {mode, list};
named(inet) -> {family, inet};
named(inet6) -> {family, inet6};
named(Opt) -> Opt.

%% `{ok, Kind, Value}' for an option the table has, with a good value (or
%% any value, for gen_tcp to check);
%% `{error, {badarg, Opt}}' for a bad value; `none' for any other.
lookup(Protocol, Opt) ->
    case named(Opt) of
        {Name, Value} when is_atom(Name) ->
            case row(Name) of
                {Check, Tcp, Udp} ->
                    Kind = case Protocol of tcp -> Tcp; udp -> Udp end,
                    %% gen_tcp checks what it applies, and names it.
                    case (Kind =:= gen_tcp orelse value_ok(Check, Value))
                        andalso native(Kind, Value) of
                        false -> {error, {badarg, Opt}};
                        error -> {error, {badarg, Opt}};
                        {ok, Applied} -> {ok, Applied, Value}
                    end;
                none ->
                    none
            end;
        _ ->
            none
    end.

%% A native option's number and raw value, or `error' where the OS lacks it.
native({native, Name}, Value) ->
    case native_number(Name) of
        {ok, Number} -> {ok, {native, Number, <<Value:32/native>>}};
        error -> error
    end;
native(Kind, _Value) ->
    {ok, Kind}.

%% @doc gen_tcp's own options, with the addresses in `{ip, A}' and
%% `{ifaddr, A}' resolved to what gen_tcp takes: a plain tuple, or OTP's
%% sockaddr map when the address has a scope (its port is the local port
%% gen_tcp would bind: the last `{port, P}', else `DefaultPort'), and the
%% table's native options as `{raw, ...}'. Order is kept, so gen_tcp's own
%% rules (the last address wins) still hold.
-spec for_gen_tcp([term()], inet:port_number()) -> {ok, [term()]} | {error, term()}.
for_gen_tcp(Opts, DefaultPort) ->
    %% Where an address binds is worked out only if there is an address:
    %% a connect without one (most) pays nothing for it.
    for_gen_tcp(Opts, {Opts, DefaultPort}, []).

for_gen_tcp([], _To, Acc) ->
    {ok, lists:reverse(Acc)};
for_gen_tcp([Opt | Rest], To, Acc) ->
    case lookup(tcp, Opt) of
        {ok, address, Address} ->
            case tcp_address(Address, To) of
                {ok, Options} -> for_gen_tcp(Rest, To, lists:reverse(Options, Acc));
                {error, _} = Error -> Error
            end;
        {ok, {native, Number, Raw}, _} ->
            for_gen_tcp(Rest, To, [{raw, 1, Number, Raw} | Acc]);
        {error, _} = Error ->
            Error;
        _GenTcpOrNone ->
            for_gen_tcp(Rest, To, [Opt | Acc])
    end;
for_gen_tcp(_Improper, _To, _Acc) ->
    {error, {badarg, improper_list}}.

%% @doc What a connect with `Opts' is handed to, in one call: gen_tcp's
%% options (for_gen_tcp/2, local port 0), the family they choose (`none'
%% when they choose none) and the backend gen_tcp will use.
-spec for_connect([term()]) ->
    {ok, [term()], inet | inet6 | none, inet | socket} | {error, term()}.
for_connect(Opts) ->
    case for_gen_tcp(Opts, 0) of
        {ok, TcpOpts} -> {ok, TcpOpts, family(TcpOpts, none), backend(TcpOpts)};
        {error, _} = Error -> Error
    end.

%% @doc What a UDP socket opened on `Port' with `Opts' and `Family' is
%% set up with; `{error, {badarg, Opt}}' for an option it does not take
%% or a bad value, as gen_udp raises `badarg' for them.
-spec udp_open(inet:port_number(), [term()]) -> {ok, udp_open()} | {error, term()}.
udp_open(Port, Opts) ->
    Family = family(Opts, inet6),
    udp_open(Opts, Family, #{address => undefined, port => Port, before_bind => [],
                             after_bind => []}).

udp_open([], Family, #{address := Address, port := Port} = Acc) ->
    case source(Address, Family) of
        {ok, {Ip, Scope}} -> {ok, udp_result(Acc, {Ip, Port, Scope}, Family)};
        {ok, none} -> {ok, udp_result(Acc, {wildcard(Family), Port, 0}, Family)};
        {error, _} = Error -> Error
    end;
udp_open([Opt | Rest], Family, Acc) ->
    case lookup(udp, Opt) of
        {ok, address, Address} -> udp_open(Rest, Family, Acc#{address := Address});
        {ok, port, Port} -> udp_open(Rest, Family, Acc#{port := Port});
        {ok, family, _} when is_atom(Opt) ->
            %% `inet'/`inet6', read by family/2 already (as gen_udp, a
            %% `{family, F}' tuple is not an option).
            udp_open(Rest, Family, Acc);
        {ok, ignored, _} ->
            udp_open(Rest, Family, Acc);
        {ok, {native, Number, Raw}, _} ->
            udp_open(Rest, Family, add(before_bind, {{socket, Number}, {native, Raw}}, Acc));
        {ok, {before_bind, SockOpt}, Value} ->
            udp_open(Rest, Family, add(before_bind, {SockOpt, before_bind(SockOpt, Value)}, Acc));
        {ok, _After, _} ->
            case udp_setting(Opt, Family) of
                {ok, Setting} -> udp_open(Rest, Family, add(after_bind, Setting, Acc));
                {error, _} -> {error, {badarg, Opt}}
            end;
        {error, _} = Error ->
            Error;
        none ->
            {error, {badarg, Opt}}
    end;
udp_open(_Improper, _Family, _Acc) ->
    {error, {badarg, improper_list}}.

add(Key, Item, Acc) ->
    maps:update_with(Key, fun(Items) -> [Item | Items] end, Acc).

%% IPv6 sockets are `ipv6_v6only' unless told otherwise: scopes live in
%% IPv6, and a wildcard bind then leaves the IPv4 port to others.
udp_result(#{before_bind := Before, after_bind := After}, Bind, Family) ->
    V6only = [{{ipv6, v6only}, true} || Family =:= inet6,
                                        not lists:keymember({ipv6, v6only}, 1, Before)],
    #{bind => Bind, before_bind => V6only ++ lists:reverse(Before),
      after_bind => lists:reverse(After)}.

before_bind({socket, bindtodevice}, Name) -> binary_to_list(Name);
before_bind(_SockOpt, Value) -> Value.

%% @doc How a UDP socket of `Family' applies one option after it is bound
%% (at open, or by setopts/2): `{error, einval}' for any option that
%% cannot be set then, or a bad value, as inet:setopts/2 answers.
-spec udp_setting(term(), inet | inet6) -> {ok, udp_setting()} | {error, einval}.
udp_setting(Opt, Family) ->
    case lookup(udp, Opt) of
        {ok, server, Value} ->
            {Name, _} = named(Opt),
            {ok, {server, Name, Value}};
        {ok, arrival, Value} ->
            {Name, _} = named(Opt),
            {ok, {arrival, Name, Value}};
        {ok, multicast, Value} ->
            {Name, _} = named(Opt),
            multicast(Name, Value, Family);
        {ok, {after_bind, SockOpt}, Value} ->
            {SockOpt4, Value4} = on_family(Family, SockOpt, Value),
            {ok, {socket, SockOpt4, Value4}};
        _ ->
            {error, einval}
    end.

%% @doc Where a UDP socket of `Family' reads option `Name' back from
%% (getopts/2): its process (`server': active, mode, buffer; `arrival':
%% what arrival information was asked for), or the kernel (`{socket,
%% SockOpt}' by socket:getopt/2, `{native, SockOpt}' as an integer by
%% socket:getopt_native/3), the IPv6 names reading their IPv4
%% counterparts on IPv4 sockets. `error' for a name it cannot read, as
%% gen_udp answers einval for one (memberships, addresses, ports).
-spec udp_reading(term(), inet | inet6) ->
    {ok, {server | arrival, atom()} | {socket | native, term()}} | error.
udp_reading(Name, Family) when is_atom(Name) ->
    case row(Name) of
        {_, _, server} -> {ok, {server, Name}};
        {_, _, arrival} -> {ok, {arrival, Name}};
        {_, _, {native, Native}} ->
            case native_number(Native) of
                {ok, Number} -> {ok, {native, {socket, Number}}};
                error -> error
            end;
        {_, _, {before_bind, SockOpt}} -> {ok, {socket, SockOpt}};
        {_, _, {after_bind, SockOpt}} -> {ok, kernel_reading(on_family(Family, SockOpt, none))};
        {_, _, multicast} when Name =:= multicast_if, Family =:= inet6 ->
            {ok, {socket, {ipv6, multicast_if}}};
        {_, _, multicast} when Name =:= multicast_if ->
            {ok, {socket, {ip, multicast_if}}};
        _ -> error
    end;
udp_reading(_Name, _Family) ->
    error.

%% IP_TOS as a number: OTP 29 decodes `{ip, tos}' into a map, and older
%% releases some values into atoms.
kernel_reading({{ip, tos}, _}) ->
    case native_number(ip_tos) of
        {ok, Number} -> {native, {ip, Number}};
        error -> {socket, {ip, tos}}
    end;
kernel_reading({SockOpt, _}) ->
    {socket, SockOpt}.

%% The multicast interface, or a group joined or left, as a setting: an
%% interface named by scope (name or index), or, for IPv4, by local address
%% as gen_udp has it (`{multicast_if, Address}', `{add_membership, {Group,
%% Address}}', `{Group, Address, Index}'); an IPv4 group by scope alone is
%% `{Group, Scope}'. `{error, einval}' for an interface not found.
multicast(multicast_if, Local, _Family) when ?is_ip4_address(Local) ->
    setting(ip_mreqn(ip_multicast_if, {0, 0, 0, 0}, Local, 0));
multicast(multicast_if, Scope, inet6) ->
    with_index(Scope, fun(Index) -> {ok, {socket, {ipv6, multicast_if}, Index}} end);
multicast(multicast_if, Scope, inet) ->
    with_index(Scope, fun(Index) -> setting(ip_mreqn(ip_multicast_if, {0, 0, 0, 0}, any, Index)) end);
multicast(Which, {Group, Local}, _Family) when Local =:= any; ?is_ip4_address(Local) ->
    setting(membership(Which, Group, Local, 0));
multicast(Which, {Group, Scope}, _Family) ->
    with_index(Scope, fun(Index) -> setting(membership(Which, Group, any, Index)) end);
multicast(Which, {Group, Local, Scope}, _Family) ->
    with_index(Scope, fun(Index) -> setting(membership(Which, Group, Local, Index)) end).

with_index(Scope, Setting) ->
    case scoped_ipv6_dest:interface_index(Scope) of
        {ok, Index} -> Setting(Index);
        {error, _} -> {error, einval}
    end.

setting({ok, {SockOpt, Value}}) -> {ok, {socket, SockOpt, Value}};
setting({error, enotsup}) -> {error, einval}.

%% @doc A socket option for a socket of `Family': the IPv6 names stay the
%% API on IPv4 sockets, as they do for arrival items and send/5
%% (`hoplimit' is the TTL, `tclass' the TOS byte), and each sets its IPv4
%% counterpart there; the RFC 3542 arrival options too (scoped_ipv6_udp).
-spec on_family(inet | inet6, socket:socket_option(), term()) -> {socket:socket_option(), term()}.
on_family(inet, {ipv6, unicast_hops}, default) -> {{ip, ttl}, -1};    % Linux: the default TTL
on_family(inet, {ipv6, unicast_hops}, Hops) -> {{ip, ttl}, Hops};
on_family(inet, {ipv6, multicast_hops}, Hops) -> {{ip, multicast_ttl}, Hops};
on_family(inet, {ipv6, multicast_loop}, Loop) -> {{ip, multicast_loop}, Loop};
on_family(inet, {ipv6, tclass}, Class) -> {{ip, tos}, Class};
on_family(inet, {ipv6, recvpktinfo}, On) -> {{ip, pktinfo}, On};
on_family(inet, {ipv6, recvhoplimit}, On) -> {{ip, recvttl}, On};
on_family(inet, {ipv6, recvtclass}, On) -> {{ip, recvtos}, On};
on_family(_Family, SockOpt, Value) -> {SockOpt, Value}.

%% @doc Which option of a list gen_tcp refused (it says only `badarg'):
%% the first that it refuses alone (scoped_ipv6_otp knows how to ask).
-spec refused_option(connect | listen, [term()]) -> {refused, term()} | unknown.
refused_option(Kind, Opts) ->
    Refused = [Opt || is_list(Opts), Opt <- Opts,
                      scoped_ipv6_otp:gen_tcp_refuses(Kind, Opt) =:= true],
    case Refused of
        [Opt | _] -> {refused, Opt};
        [] -> unknown
    end.

%% The gen_tcp backend these options choose: the first option, or the
%% node's default (`-kernel inet_backend'), as gen_tcp reads it.
-spec backend([term()]) -> inet | socket.
backend([{inet_backend, Backend} | _]) when Backend =:= inet; Backend =:= socket ->
    Backend;
backend(_Opts) ->
    scoped_ipv6_otp:default_inet_backend().

%% @doc `Opts' with `{bind_to_device, Name}' for interface `Index' added
%% where gen_tcp reads options (after a leading `inet_backend').
-spec bound_to_interface(pos_integer(), [term()]) -> {ok, [term()]} | {error, term()}.
bound_to_interface(Index, Opts) ->
    case bind_to_device(Index) of
        {ok, Bound} ->
            case Opts of
                [{inet_backend, _} = Backend | Rest] -> {ok, [Backend, Bound | Rest]};
                _ -> {ok, [Bound | Opts]}
            end;
        {error, _} = Error ->
            Error
    end.

bind_to_device(Index) ->
    case scoped_ipv6_addr:if_name(Index) of
        {ok, Name} -> {ok, {bind_to_device, unicode:characters_to_binary(Name)}};
        {error, _} = Error -> Error
    end.

local_port(Opts, Port) ->
    try lists:foldl(fun({port, P}, _) -> P; (_, P) -> P end, Port, Opts) of
        P -> {ok, P}
    catch
        error:_ -> {error, {badarg, improper_list}}
    end.

tcp_address(#{} = SockAddr, _To) ->
    {ok, [{ifaddr, SockAddr}]};
tcp_address(Address, {Opts, DefaultPort}) ->
    case local_port(Opts, DefaultPort) of
        {ok, Port} -> tcp_address(Address, backend(Opts), Port);
        {error, _} = Error -> Error
    end.

tcp_address(Address, Backend, Port) ->
    case source(Address, any) of
        {ok, {Ip6, Index}} when Index > 0, Backend =:= inet ->
            {ok, [{ifaddr, scoped_ipv6_addr:to_sockaddr(Ip6, Port, Index)}]};
        {ok, {Ip6, Index}} when Index > 0, Backend =:= socket ->
            %% As for a scoped connect: see scoped_ipv6_tcp_open.
            case bind_to_device(Index) of
                {ok, Bound} -> {ok, [{ip, Ip6}, Bound]};
                {error, _} = Error -> Error
            end;
        {ok, {Ip, 0}} ->
            {ok, [{ip, Ip}]};
        {error, _} = Error ->
            Error
    end.

%% @doc The address family gen_tcp would choose for these options: the
%% first `inet'/`inet6', else that of the last `{ip, A}'/`{ifaddr, A}',
%% else `Default' (the destination's).
-spec family([term()], Default) -> inet | inet6 | Default.
family([Family | _], _Default) when Family =:= inet; Family =:= inet6 ->
    Family;
family([Opt | Rest], Default) ->
    family(Rest, address_family(Opt, Default));
family(_End, Default) ->
    Default.

address_family({Key, Address}, Family) when Key =:= ip; Key =:= ifaddr ->
    case Address of
        #{family := Given} -> Given;
        _ when ?is_ip4_address(Address) -> inet;
        _ when ?is_ip6_address(Address); ?is_scoped_address(Address) -> inet6;
        _ when is_list(Address); is_binary(Address) ->
            case scoped_ipv6_addr:parse(Address) of
                {ok, Ip} when ?is_ip4_address(Ip) -> inet;
                {ok, _Ip6} -> inet6;
                {error, einval} -> Family
            end;
        _ -> Family
    end;
address_family(_, Family) ->
    Family.

source(undefined, _Family) ->
    {ok, none};
source(Address, Family) ->
    case scoped_ipv6_addr:resolve(Address) of
        {ok, {Ip6, Index}} when ?is_ip6_address(Ip6), Family =/= inet ->
            {ok, {Ip6, Index}};
        {ok, Ip6} when ?is_ip6_address(Ip6), Family =/= inet ->
            scoped_ipv6_addr:with_scope(Ip6, 0);
        {ok, Ip4} when ?is_ip4_address(Ip4), Family =/= inet6 ->
            {ok, {Ip4, 0}};
        {ok, _OtherFamily} ->
            {error, eafnosupport};
        {error, _} = Error ->
            Error
    end.

wildcard(inet) -> {0, 0, 0, 0};
wildcard(inet6) -> {0, 0, 0, 0, 0, 0, 0, 0}.
