%% @private
%% Loads the NIF (priv/libscoped_ipv6_nif.so) and holds its stubs. The only
%% loader: scoped_ipv6 and friends call these functions, users never do.
-module(scoped_ipv6_nif).

-export([parse/2, ntoa/2, ntoa_scoped/3, needs_scope/1, resolve_zone/1, if_name/1, interfaces/0]).
-export([socket_addr/2, resolve_host/2, resolve_cancel/1]).

%% Loaded by the first call of any stub, not by -on_load: in a release's
%% embedded mode, init runs on_load handlers only once kernel has started,
%% after net_kernel has started the distribution carrier, which needs the
%% NIF (`-proto_dist scoped_ipv6' was then "not supported"). Loading
%% replaces every stub, so a stub runs at most once per process that raced
%% the load.
-define(LOAD_AND_CALL(Args), load_and_call(?FUNCTION_NAME, Args)).

load_and_call(Function, Args) ->
    case erlang:load_nif(filename:join(priv_dir(), "libscoped_ipv6_nif"), 0) of
        ok -> ok;
        %% Another process loaded it first (the VM serializes load_nif).
        {error, {reload, _}} -> ok;
        {error, Reason} -> erlang:error({nif_not_loaded, Reason})
    end,
    %% Called again from here, the stub itself means the library has no
    %% such function: fail rather than loop.
    Retry = {?MODULE, Function},
    case get(Retry) of
        undefined ->
            put(Retry, true),
            try
                apply(?MODULE, Function, Args)
            after
                erase(Retry)
            end;
        true ->
            erlang:nif_error({not_loaded, ?MODULE})
    end.

%% code:priv_dir/1 needs the application in the code path under its own
%% name; a bare ebin directory (escripts, erl -pa) falls back to ../priv.
priv_dir() ->
    case code:priv_dir(scoped_ipv6) of
        {error, bad_name} ->
            Ebin = filename:dirname(code:which(?MODULE)),
            filename:join(filename:dirname(Ebin), "priv");
        Dir ->
            Dir
    end.

-spec load_and_call(atom(), [term()]) -> term().
-spec priv_dir() -> file:filename().

-type zone() :: non_neg_integer() | binary().


%% Form: the string type of names and text in the answer.
-type form() :: list | binary.

-spec parse(binary(), form()) ->
    inet:ip_address() | {inet:ip6_address(), zone() | string()} | {error, einval}.
parse(Text, Form) -> ?LOAD_AND_CALL([Text, Form]).

-spec ntoa(inet:ip6_address(), form()) -> string() | binary().
ntoa(Ip6, Form) -> ?LOAD_AND_CALL([Ip6, Form]).

-spec ntoa_scoped(inet:ip6_address(), zone() | string(), form()) ->
    string() | binary() | {error, einval}.
ntoa_scoped(Ip6, Zone, Form) -> ?LOAD_AND_CALL([Ip6, Zone, Form]).

%% Which addresses need a scope (native/scoped_ipv6_nif/src/addr.rs is the
%% rule's home; the NIF applies it to interface addresses too).
-spec needs_scope(inet:ip_address()) -> boolean().
needs_scope(Ip) -> ?LOAD_AND_CALL([Ip]).

-spec resolve_zone(zone()) -> {ok, non_neg_integer()} | {error, term()}.
resolve_zone(Zone) -> ?LOAD_AND_CALL([Zone]).

-spec if_name(non_neg_integer()) -> {ok, binary()} | {error, term()}.
if_name(Index) -> ?LOAD_AND_CALL([Index]).

-spec interfaces() -> {ok, [map()]} | {error, inet:posix()}.
interfaces() -> ?LOAD_AND_CALL([]).

%% --- sockets and host names ------------------------------------------------

-spec socket_addr(non_neg_integer(), peer | sock) ->
    {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, inet:posix()}.
socket_addr(Fd, Which) -> ?LOAD_AND_CALL([Fd, Which]).

%% A lookup on the NIF's bounded resolver pool: the answer comes as
%% `{Ref, {ok, [{Ip, Scope}]} | {error, Reason}}' unless cancelled first.
-spec resolve_host(binary(), reference()) ->
    {ok, lookup()} | {error, system_limit | inet:posix()}.
resolve_host(Host, Ref) -> ?LOAD_AND_CALL([Host, Ref]).

-type lookup() :: reference().

%% After it returns, no answer for `Lookup' is sent.
-spec resolve_cancel(lookup()) -> ok.
resolve_cancel(Lookup) -> ?LOAD_AND_CALL([Lookup]).
