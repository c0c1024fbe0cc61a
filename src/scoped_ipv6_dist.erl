%% @doc Erlang distribution over link-local IPv6: `-proto_dist scoped_ipv6'.
%%
%% OTP's own carriers resolve a node's host with `inet:getaddr/2', which
%% drops the zone, so `b@fe80::2' can be neither asked for its port nor
%% connected to. This carrier does both through {@link scoped_ipv6_epmd}
%% and {@link scoped_ipv6_tcp}, and carries ordinary names (IPv4, IPv6,
%% host names) as well, since a node has one carrier.
%%
%% ```
%% erl -pa _build/dev/lib/scoped_ipv6/ebin -proto_dist scoped_ipv6 \
%%     -name a@fe80::1 -setcookie secret -connect_all false
%% (a@fe80::1)1> net_kernel:connect_node('b@fe80::2').
%% true
%% '''
%%
%% A node is named by its own address without a zone (`b@fe80::2'): the
%% same text on every node, as a node name must be. The zone that reaches
%% it is the connecting host's own knowledge: a pin
%% (`{scoped_ipv6, [{dist_zones, [{'b@fe80::2', "usb0"}]}]}'), the zone in
%% the name, the link of the last handshake, or a probe of every link, in
%% the order and with the limits that the README's "Names, and how the link
%% is chosen" gives (the one place it is written). The handshake then
%% checks the exact node name, so a node reached on the wrong link is
%% refused.
%%
%% `inet_dist_listen_options', `inet_dist_connect_options' (both may hold
%% scoped addresses, such as `{ip, "fe80::1%usb0"}'),
%% `inet_dist_use_interface', `inet_dist_listen_min'/`max', `dist_nodelay',
%% `-erl_epmd_port' (no epmd) and `check_ip' are honoured as by
%% `inet_tcp_dist' (`check_ip' for IPv6 peers too, by the link they came
%% in on).
%% The listening socket is dual-stack (`{ipv6_v6only, false}') unless the
%% listen options say otherwise.
-module(scoped_ipv6_dist).

-include_lib("kernel/include/net_address.hrl").
-include_lib("kernel/include/dist.hrl").
-include_lib("kernel/include/dist_util.hrl").

-export([listen/1, listen/2, accept/1, accept_connection/5, setup/5, close/1,
         select/1, address/0, is_node_name/1, setopts/2, getopts/2, childspecs/0]).
%% Spawned.
-export([do_setup/5, do_accept/6]).

%% @doc The process the carrier needs before the node listens, started in
%% kernel's `net_sup' (the `scoped_ipv6' application starts later, if at all).
-spec childspecs() -> {ok, [supervisor:child_spec()]}.
childspecs() ->
    {ok, [#{id => scoped_ipv6_dist_zones,
            start => {scoped_ipv6_dist_zones, start_link, []}}]}.

%% @doc Every well-formed `name@host'; whether it can be reached is found
%% out by {@link setup/5}.
-spec select(node()) -> boolean().
select(Node) ->
    is_node_name(Node).

-spec is_node_name(node()) -> boolean().
is_node_name(Node) ->
    scoped_ipv6_dist_zones:split_node(Node) =/= error.

-spec address() -> #net_address{}.
address() ->
    {ok, Host} = inet:gethostname(),
    #net_address{host = Host, protocol = tcp, family = inet6}.

%% --- listening ----------------------------------------------------------------

-spec listen(atom()) -> {ok, {port(), #net_address{}, pos_integer()}} | {error, term()}.
listen(Name) ->
    {ok, Host} = inet:gethostname(),
    listen(Name, Host).

%% @doc Listens where `inet_dist_listen_options' and `inet_dist_use_interface'
%% say (by default `::', dual-stack), and registers with the local epmd.
-spec listen(atom(), string()) ->
    {ok, {port(), #net_address{}, pos_integer()}} | {error, term()}.
listen(Name, Host) ->
    Epmd = net_kernel:epmd_module(),
    {ok, Fixed} = epmd_call(Epmd, listen_port_please, [Name, Host]),
    case listen_in(port_range(Fixed), listen_options()) of
        {ok, Socket} ->
            {ok, {Ip, Port} = Address} = inet:sockname(Socket),
            Family = family(Ip),
            case register_node(Epmd, Name, Port, Family, epmd_deadline()) of
                {ok, Creation} ->
                    NetAddress = (address())#net_address{address = Address, family = Family},
                    {ok, {Socket, NetAddress, Creation}};
                Error ->
                    gen_tcp:close(Socket),
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

%% `erl -name' starts epmd (`epmd -daemon', whose parent exits before the
%% daemon listens) and registers the node with it at once: a loaded machine
%% (a device at boot) can register first and be refused, and the node
%% halts ("register/listen error: econnrefused"), as it does with OTP's
%% own carriers. This carrier waits for the epmd its node started, up to
%% ?EPMD_START_WAIT ms; a node told not to start one (`-start_epmd false')
%% is answered at once, as by OTP.
-define(EPMD_START_WAIT, 5000).
-define(EPMD_RETRY, 50).

register_node(Epmd, Name, Port, Family, Deadline) ->
    case Epmd:register_node(Name, Port, Family) of
        {error, econnrefused} = Refused when is_integer(Deadline) ->
            case Deadline - erlang:monotonic_time(millisecond) of
                Left when Left > 0 ->
                    timer:sleep(min(?EPMD_RETRY, Left)),
                    register_node(Epmd, Name, Port, Family, Deadline);
                _ ->
                    Refused
            end;
        Other ->
            Other
    end.

epmd_deadline() ->
    case init:get_argument(start_epmd) of
        {ok, [["false"] | _]} -> none;
        _ -> erlang:monotonic_time(millisecond) + ?EPMD_START_WAIT
    end.

listen_in({First, Last}, _Opts) when First > Last ->
    {error, eaddrinuse};
listen_in({First, Last}, Opts) ->
    case scoped_ipv6_tcp_open:listen(First, Opts) of
        {error, eaddrinuse} -> listen_in({First + 1, Last}, Opts);
        {badarg, Refused} -> {error, {badarg, Refused}};
        Result -> Result
    end.

port_range(0) ->
    case {kernel_env(inet_dist_listen_min, none), kernel_env(inet_dist_listen_max, none)} of
        {Min, Max} when is_integer(Min), is_integer(Max) -> {Min, Max};
        {Min, _} when is_integer(Min) -> {Min, Min};
        _ -> {0, 0}
    end;
port_range(Fixed) ->
    {Fixed, Fixed}.

listen_options() ->
    Forced = [{active, false}, {packet, 2}
              | [{ip, Ip} || {ok, Ip} <- [application:get_env(kernel, inet_dist_use_interface)]]],
    Opts = scoped_ipv6_otp:merge_options(kernel_env(inet_dist_listen_options, []), Forced,
                                              [{reuseaddr, true}, {backlog, 128}]),
    %% gen_tcp listens on IPv4 unless told otherwise; the carrier listens
    %% on `::', dual-stack, unless the options name an address or family.
    case scoped_ipv6_sockopts:family(Opts, inet6) of
        inet6 -> [inet6 | Opts] ++ [{ipv6_v6only, false} || not lists:keymember(ipv6_v6only, 1, Opts)];
        inet -> Opts
    end.

%% @doc Accepts connections from other nodes, in a process of OTP's own.
-spec accept(port()) -> pid().
accept(Listen) ->
    scoped_ipv6_otp:accept(driver(Listen), Listen).

-spec accept_connection(pid(), port(), node(), [node()], non_neg_integer()) -> pid().
accept_connection(AcceptPid, Socket, MyNode, Allowed, SetupTime) ->
    spawn_opt(?MODULE, do_accept, [self(), AcceptPid, Socket, MyNode, Allowed, SetupTime],
              dist_util:net_ticker_spawn_options()).

-spec do_accept(pid(), pid(), port(), node(), [node()], non_neg_integer()) -> no_return().
do_accept(Kernel, AcceptPid, Socket, MyNode, Allowed, SetupTime) ->
    receive
        {AcceptPid, controller} ->
            Timer = dist_util:start_timer(SetupTime),
            check_ip(Socket),
            HSData = (handshake_data(Kernel, MyNode, Socket, Timer))#hs_data{
                        allowed = Allowed,
                        f_address = fun accepted_address/2},
            dist_util:handshake_other_started(HSData)
    end.

%% `-kernel check_ip true': a connection is taken only from a peer on one
%% of this host's networks, on the link it came in on for a link-local
%% peer (inet_tcp_dist's rule, which reads IPv4 interfaces only).
check_ip(Socket) ->
    case kernel_env(check_ip, false) of
        true ->
            case {scoped_ipv6_addr:socket_addr(Socket, peer), scoped_ipv6_addr:interfaces()} of
                {{ok, {Peer, _Port}}, {ok, Interfaces}} ->
                    case scoped_ipv6_addr:on_local_network(Peer, Interfaces) of
                        true ->
                            ok;
                        false ->
                            logger:error("** Connection attempt from disallowed IP ~ts **",
                                         [scoped_ipv6_addr:ntoa(Peer)]),
                            ?shutdown(no_node)
                    end;
                _ ->
                    ?shutdown(no_node)
            end;
        _ ->
            ok
    end.

%% Called once the handshake has succeeded: the link it came in on is now
%% known to reach that node.
accepted_address(Socket, Node) ->
    case scoped_ipv6_addr:socket_addr(Socket, peer) of
        {ok, {Address, Port}} ->
            {Ip, Index} = unscoped(Address),
            scoped_ipv6_dist_zones:learn(Node, Index),
            net_address(Node, {Ip, Port});
        {error, _} ->
            ?shutdown(no_node)
    end.

%% --- connecting -----------------------------------------------------------------

%% @doc Connects to `Node' in a new process: its zone is chosen, its epmd
%% asked over that zone, and the handshake run on a scoped connection.
-spec setup(node(), atom(), node(), longnames | shortnames, non_neg_integer()) -> pid().
setup(Node, Type, MyNode, _LongOrShortNames, SetupTime) ->
    spawn_opt(?MODULE, do_setup, [self(), Node, Type, MyNode, SetupTime],
              dist_util:net_ticker_spawn_options()).

-spec do_setup(pid(), node(), atom(), node(), non_neg_integer()) -> no_return().
do_setup(Kernel, Node, Type, MyNode, SetupTime) ->
    Timer = dist_util:start_timer(SetupTime),
    case scoped_ipv6_dist_zones:locate(Node, SetupTime) of
        {ok, Address, Port, Version} ->
            dist_util:reset_timer(Timer),
            Opts = scoped_ipv6_otp:merge_options(kernel_env(inet_dist_connect_options, []),
                                                      [{active, false}, {packet, 2}], []),
            case scoped_ipv6_tcp_open:connect(Address, Port, Opts, SetupTime) of
                {ok, Socket} ->
                    {Ip, Index} = unscoped(Address),
                    HSData = (handshake_data(Kernel, MyNode, Socket, Timer))#hs_data{
                                other_node = Node,
                                other_version = Version,
                                request_type = Type,
                                f_address = fun(_Socket, _Node) ->
                                                    scoped_ipv6_dist_zones:learn(Node, Index),
                                                    net_address(Node, {Ip, Port})
                                            end},
                    dist_util:handshake_we_started(HSData);
                {badarg, Refused} ->
                    ?shutdown2(Node, {connect_failed, {badarg, Refused}});
                {error, Reason} ->
                    ?shutdown2(Node, {connect_failed, Reason})
            end;
        {error, {ambiguous, [Link | _] = Links} = Reason} ->
            logger:warning("scoped_ipv6_dist: ~p answers on several links (~ts); pin one, "
                           "for example {scoped_ipv6, [{dist_zones, [{~p, ~p}]}]}",
                           [Node, lists:join(", ", Links), Node, Link]),
            ?shutdown2(Node, Reason);
        {error, Reason} ->
            ?shutdown2(Node, Reason)
    end.

%% --- the rest of the carrier ----------------------------------------------------

-spec close(port()) -> ok.
close(Socket) ->
    gen_tcp:close(Socket).

-spec setopts(port(), [gen_tcp:option()]) -> ok | {error, term()}.
setopts(Socket, Opts) ->
    scoped_ipv6_otp:setopts(Socket, Opts).

-spec getopts(port(), [atom()]) -> {ok, [gen_tcp:option()]} | {error, term()}.
getopts(Socket, Opts) ->
    scoped_ipv6_otp:getopts(Socket, Opts).

%% What both directions share: inet_tcp_dist's own handshake data, so that
%% a scoped connection is an ordinary distribution connection once it is up.
handshake_data(Kernel, MyNode, Socket, Timer) ->
    HSData = scoped_ipv6_otp:hs_data(driver(Socket), Socket),
    HSData#hs_data{kernel_pid = Kernel, this_node = MyNode, timer = Timer, this_flags = 0}.

net_address(Node, Address) ->
    {ok, _Name, Host} = scoped_ipv6_dist_zones:split_node(Node),
    #net_address{address = Address, host = Host, protocol = tcp,
                 family = family(element(1, Address))}.

%% OTP's own modules for a socket's family: what gen_tcp itself would use.
driver(Socket) ->
    case inet:sockname(Socket) of
        {ok, {Ip, _}} when tuple_size(Ip) =:= 4 -> inet_tcp;
        _ -> inet6_tcp
    end.

family(Ip) when tuple_size(Ip) =:= 4 -> inet;
family(_Ip6) -> inet6.

unscoped({{_, _, _, _, _, _, _, _} = Ip, Index}) -> {Ip, Index};
unscoped(Ip) -> {Ip, 0}.

kernel_env(Key, Default) ->
    application:get_env(kernel, Key, Default).

epmd_call(Module, Function, Args) ->
    case erlang:function_exported(Module, Function, length(Args)) of
        true -> apply(Module, Function, Args);
        false -> apply(erl_epmd, Function, Args)
    end.
