%% @private
%% Loads the NIF (priv/libscoped_ipv6_nif.so) and holds its stubs. The only
%% loader: scoped_ipv6 and friends call these functions, users never do.
-module(scoped_ipv6_nif).

-export([parse/2, ntoa/2, ntoa_scoped/3, resolve_zone/1, if_name/1, interfaces/0]).
-export([socket_addr/2, resolve_host/2]).
-export([resolve_cancel/1]).

-on_load(load/0).

-define(NOT_LOADED, erlang:nif_error({not_loaded, ?MODULE})).

load() ->
    erlang:load_nif(filename:join(priv_dir(), "libscoped_ipv6_nif"), 0).

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

-type zone() :: non_neg_integer() | binary().

-spec load() -> ok | {error, {atom(), string()}}.
-spec priv_dir() -> file:filename().

%% Form: the string type of names and text in the answer.
-type form() :: list | binary.

-spec parse(binary(), form()) ->
    inet:ip_address() | {inet:ip6_address(), zone() | string()} | {error, einval}.
parse(_Text, _Form) -> ?NOT_LOADED.

-spec ntoa(inet:ip6_address(), form()) -> string() | binary().
ntoa(_Ip6, _Form) -> ?NOT_LOADED.

-spec ntoa_scoped(inet:ip6_address(), zone() | string(), form()) ->
    string() | binary() | {error, einval}.
ntoa_scoped(_Ip6, _Zone, _Form) -> ?NOT_LOADED.

-spec resolve_zone(zone()) -> {ok, non_neg_integer()} | {error, term()}.
resolve_zone(_Zone) -> ?NOT_LOADED.

-spec if_name(non_neg_integer()) -> {ok, binary()} | {error, term()}.
if_name(_Index) -> ?NOT_LOADED.

-spec interfaces() -> {ok, [map()]} | {error, inet:posix()}.
interfaces() -> ?NOT_LOADED.

%% --- sockets ----------------------------------------------------------------

-spec socket_addr(non_neg_integer(), peer | sock) ->
    {ok, {scoped_ipv6:address(), inet:port_number()}} | {error, inet:posix()}.
socket_addr(_Fd, _Which) -> ?NOT_LOADED.

%% A lookup on the NIF's bounded resolver pool: the answer comes as
%% `{Ref, {ok, [{Ip, Scope}]} | {error, Reason}}' unless cancelled first.
-spec resolve_host(binary(), reference()) ->
    {ok, lookup()} | {error, system_limit | inet:posix()}.
resolve_host(_Host, _Ref) -> ?NOT_LOADED.

-type lookup() :: reference().

%% After it returns, no answer for `Lookup' is sent.
-spec resolve_cancel(lookup()) -> ok.
resolve_cancel(_Lookup) -> ?NOT_LOADED.
