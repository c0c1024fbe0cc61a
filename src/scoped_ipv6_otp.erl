%% @private
%% What this library takes from OTP's internals, and nothing else: for the
%% distribution carrier, `inet_tcp_dist''s accept loop, tick, statistics
%% and socket option calls, the general fields of `dist_util''s
%% `#hs_data{}' and the merging of distribution socket options; for scoped
%% TCP, inet's check of one gen_tcp option, where gen_tcp reads the node's
%% default backend, the tcp module gen_tcp connects with, and the shape of
%% a socket-backend gen_tcp socket. Our code calls OTP's internals only
%% through here, so the next change of them is met in one place; the one
%% exception is the DNS codec, `inet_dns', whose seam is scoped_ipv6_dns
%% (scoped_ipv6_layers_tests checks both).
%%
%% Checked on OTP 25, 27 and 29 (the CI matrix). OTP 27 exports, marked
%% "OTP internal", `inet_tcp_dist:gen_hs_data/2', `nodelay/0' and
%% `merge_options/3': they are used where they exist, so a record that
%% grows (it does, between releases) is filled in by the OTP that defines
%% it. OTP 25 lacks them: our copies of OTP 27's code serve there. The
%% `#hs_data{}' record itself comes from `dist_util.hrl' of the OTP this
%% module is compiled on, which is the one it runs on.
-module(scoped_ipv6_otp).

-include_lib("kernel/include/dist_util.hrl").

-export([hs_data/2, merge_options/3, accept/2, setopts/2, getopts/2, implementation/0]).
-export([gen_tcp_refuses/2, socket_backend_socket/1, default_inet_backend/0, inet_connect/3]).

-ifdef(TEST).
-export([own_hs_data/2, own_merge_options/3]).
-endif.

%% Called only where this OTP exports them (has_export/2): OTP 27 and later.
-ignore_xref([{inet_tcp_dist, gen_hs_data, 2}, {inet_tcp_dist, merge_options, 3}]).
-dialyzer({no_missing_calls, [hs_data/2, merge_options/3]}).

-type driver() :: inet_tcp | inet6_tcp.

%% @doc `#hs_data{}' with the fields that depend only on the socket:
%% send, receive, tick, statistics, the socket options before and after
%% the node is up (`dist_nodelay' honoured).
-spec hs_data(driver(), port()) -> #hs_data{}.
hs_data(Driver, Socket) ->
    case has_export(gen_hs_data, 2) of
        true -> inet_tcp_dist:gen_hs_data(Driver, Socket);
        false -> own_hs_data(Driver, Socket)
    end.

%% @doc `Forced', then every option of `Opts' that is not forced, then
%% each of `Defaults' whose name `Opts' does not give (`binary' and `list'
%% are named `mode', `inet' and `inet6' `family').
-spec merge_options(Opts :: list(), Forced :: list(), Defaults :: list()) -> list().
merge_options(Opts, Forced, Defaults) ->
    case has_export(merge_options, 3) of
        true -> inet_tcp_dist:merge_options(Opts, Forced, Defaults);
        false -> own_merge_options(Opts, Forced, Defaults)
    end.

%% @doc OTP's accept loop on a listening socket (exported on 25 to 29).
-spec accept(driver(), port()) -> pid().
accept(Driver, Listen) ->
    inet_tcp_dist:gen_accept(Driver, Listen).

-spec setopts(port(), [gen_tcp:option()]) -> ok | {error, term()}.
setopts(Socket, Opts) ->
    inet_tcp_dist:setopts(Socket, Opts).

-spec getopts(port(), [atom()]) -> {ok, [gen_tcp:option()]} | {error, term()}.
getopts(Socket, Opts) ->
    inet_tcp_dist:getopts(Socket, Opts).

%% @doc Whether gen_tcp refuses `Opt' alone for a connect or a listen
%% (it exits with a bare `badarg' naming nothing): inet's own check, which
%% `inet' exports for its tcp modules (OTP 25 to 29), not as an API.
%% `unknown' where it is missing.
-spec gen_tcp_refuses(connect | listen, term()) -> boolean() | unknown.
gen_tcp_refuses(Kind, Opt) ->
    Check = case Kind of connect -> connect_options; listen -> listen_options end,
    case erlang:function_exported(inet, Check, 2) of
        true -> inet:Check([Opt], inet6_tcp) =:= {error, badarg};
        false -> unknown
    end.

%% @doc `gen_tcp:connect(SockAddr, Opts, Timeout)' on the inet backend,
%% by the call gen_tcp makes inside (`connect2/3', OTP 25 to 29): the tcp
%% module the options choose (`inet6_tcp' unless `{tcp_module, M}'),
%% without gen_tcp's own timer, which a single address does not need (the
%% driver keeps the same timeout), nor its second look for the backend.
%% Results and exceptions are gen_tcp's: `{error, einval}' is
%% `exit(badarg)', an error in the module an exit, a throw a result.
-spec inet_connect(socket:sockaddr_in6() | socket:sockaddr_in(), [term()], timeout()) ->
    {ok, port()} | {error, term()}.
inet_connect(SockAddr, [{inet_backend, inet} | Opts], Timeout) ->
    inet_connect(SockAddr, Opts, Timeout);
inet_connect(SockAddr, Opts, Timeout) ->
    {Module, ModuleOpts} = inet:tcp_module(Opts, SockAddr),
    try Module:connect(SockAddr, ModuleOpts, Timeout) of
        {error, einval} -> exit(badarg);
        Result -> Result
    catch
        throw:Thrown -> Thrown;
        error:Reason:Stack -> exit({Reason, Stack})
    end.

%% @doc The node's default gen_tcp backend, where gen_tcp reads it: the
%% persistent term that kernel's inet_db sets from `-kernel inet_backend'
%% at boot (OTP 25 to 29), not the application environment, which may
%% differ from it later.
-spec default_inet_backend() -> inet | socket.
default_inet_backend() ->
    case persistent_term:get({kernel, inet_backend}, inet) of
        socket -> socket;
        _ -> inet
    end.

%% @doc The `socket:socket()' under a gen_tcp socket of the `socket'
%% backend (`{inet_backend, socket}'), whose handle is
%% `{'$inet', gen_tcp_socket, {Server, Socket}}' on OTP 25 to 29; `error'
%% for anything else (a port, say).
-spec socket_backend_socket(term()) -> {ok, socket:socket()} | error.
socket_backend_socket({'$inet', gen_tcp_socket, {_Server, Socket}}) -> {ok, Socket};
socket_backend_socket(_Other) -> error.

%% @doc Whose code each choice above runs on this OTP: `otp' or `own'.
-spec implementation() -> #{hs_data := otp | own, merge_options := otp | own}.
implementation() ->
    #{hs_data => choice(has_export(gen_hs_data, 2)),
      merge_options => choice(has_export(merge_options, 3))}.

choice(true) -> otp;
choice(false) -> own.

has_export(Function, Arity) ->
    %% inet_tcp_dist may not be loaded yet in an embedded node.
    _ = code:ensure_loaded(inet_tcp_dist),
    erlang:function_exported(inet_tcp_dist, Function, Arity).

%% --- our copies, for OTP 25: OTP 27's inet_tcp_dist, unchanged in effect -----

own_hs_data(Driver, Socket) ->
    Nodelay = nodelay(),
    #hs_data{socket = Socket,
             f_send = fun Driver:send/2,
             f_recv = fun Driver:recv/3,
             f_setopts_pre_nodeup =
                 fun(S) -> inet:setopts(S, [{active, false}, {packet, 4}, Nodelay]) end,
             f_setopts_post_nodeup =
                 fun(S) ->
                         inet:setopts(S, [{active, true}, {packet, 4}, {deliver, port},
                                          binary, Nodelay])
                 end,
             f_getll = fun inet:getll/1,
             mf_tick = fun(S) -> inet_tcp_dist:tick(Driver, S) end,
             mf_getstat = fun inet_tcp_dist:getstat/1,
             mf_setopts = fun inet_tcp_dist:setopts/2,
             mf_getopts = fun inet_tcp_dist:getopts/2}.

nodelay() ->
    case application:get_env(kernel, dist_nodelay) of
        {ok, false} -> {nodelay, false};
        _ -> {nodelay, true}
    end.

own_merge_options(Opts, ForcedOpts, DefaultOpts) ->
    Forced = option_map(ForcedOpts),
    Default = option_map(DefaultOpts),
    ForcedOpts ++ pass(Opts, Forced, DefaultOpts, Default).

option_map(Opts) ->
    lists:foldr(fun(Opt, Acc) ->
                        case expand_option(Opt) of
                            {Name, Value} -> Acc#{Name => Value};
                            _ -> Acc
                        end
                end, #{}, Opts).

%% Options that are not forced pass; a default is kept only if not given.
pass([Opt | Opts], Forced, DefaultOpts, Default) ->
    case expand_option(Opt) of
        {Name, _} when is_map_key(Name, Forced) ->
            pass(Opts, Forced, DefaultOpts, maps:remove(Name, Default));
        {Name, _} ->
            [Opt | pass(Opts, Forced, DefaultOpts, maps:remove(Name, Default))];
        _ ->
            [Opt | pass(Opts, Forced, DefaultOpts, Default)]
    end;
pass([], _Forced, DefaultOpts, Default) ->
    [Opt || Opt <- DefaultOpts, is_map_key(element(1, expand_option(Opt)), Default)].

expand_option(Opt) when Opt =:= list; Opt =:= binary -> {mode, Opt};
expand_option(Opt) when Opt =:= inet; Opt =:= inet6; Opt =:= local -> {family, Opt};
expand_option(Opt) -> Opt.
