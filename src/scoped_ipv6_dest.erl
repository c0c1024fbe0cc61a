%% @private
%% Where a connect or send goes: any address form, text or host name, to
%% `{Ip, ScopeIndex}' (0 for none), scope names looked up now.
-module(scoped_ipv6_dest).

-include("scoped_ipv6.hrl").

-export([resolve/2, resolve/3, resolve_all/2, explain/2, interface_index/1]).

-spec resolve(term(), non_neg_integer() | infinity) ->
    {ok, {inet:ip_address(), non_neg_integer()}} | {error, term()}.
resolve(Address, Timeout) ->
    resolve(Address, any, Timeout).

%% @doc As resolve/2, for a socket of `Family' (`any': either), as gen_udp
%% resolves for its socket: a host name's first answer of that family
%% (`nxdomain' when it has none), and an address of the other family
%% `{error, eafnosupport}'.
-spec resolve(term(), inet | inet6 | any, non_neg_integer() | infinity) ->
    {ok, {inet:ip_address(), non_neg_integer()}} | {error, term()}.
resolve(Address, Family, Timeout) when is_list(Address); is_binary(Address) ->
    case scoped_ipv6_addr:parse(Address) of
        {ok, Parsed} -> resolve(Parsed, Family, Timeout);
        {error, einval} -> resolve_host(Address, Family, Timeout)
    end;
resolve(Host, Family, Timeout) when is_atom(Host) ->
    resolve_host(atom_to_list(Host), Family, Timeout);
%% An index is not looked up on the way out (that costs a socket and an
%% ioctl per call); explain/2 checks it if the kernel refuses.
resolve({Ip6, Index} = Address, Family, _Timeout)
  when ?is_scoped_address(Address), is_integer(Index), Index > 0 ->
    case scoped_ipv6_addr:zone_allowed(Ip6) of
        true when Family =:= inet -> {error, eafnosupport};
        true -> {ok, {Ip6, Index}};
        false -> {error, einval}
    end;
resolve(Address, Family, _Timeout) ->
    case scoped_ipv6_addr:resolve(Address) of
        {ok, {Ip6, Scope}} -> with_scope(Ip6, Scope, Family);
        {ok, Ip} -> with_scope(Ip, 0, Family);
        {error, _} = Error -> Error
    end.

%% The address of another family than the socket's is refused before its
%% scope is looked at.
with_scope(Ip, Scope, Family) ->
    case scoped_ipv6_addr:of_family(Ip, Family) of
        true -> scoped_ipv6_addr:with_scope(Ip, Scope);
        false -> {error, eafnosupport}
    end.

%% @doc Every address a destination stands for: one for an address, all
%% of a host name's answers, in scoped_ipv6_names's order.
-spec resolve_all(term(), non_neg_integer() | infinity) ->
    {ok, [{inet:ip_address(), non_neg_integer()}]} | {error, term()}.
resolve_all(Host, Timeout) when is_list(Host); is_binary(Host); is_atom(Host) ->
    case is_atom(Host) orelse scoped_ipv6_addr:parse(Host) =:= {error, einval} of
        true ->
            case scoped_ipv6_names:resolve_host(Host, Timeout) of
                {ok, []} -> {error, nxdomain};
                Other -> Other
            end;
        false ->
            one(resolve(Host, Timeout))
    end;
resolve_all(Address, Timeout) ->
    one(resolve(Address, Timeout)).

one({ok, Destination}) -> {ok, [Destination]};
one({error, _} = Error) -> Error.

%% @doc Linux answers ENETUNREACH for a scope index no interface has:
%% say which, when that is the reason.
-spec explain(Result, non_neg_integer()) -> Result | {error, term()}.
explain({error, enetunreach} = Error, Index) when Index > 0 ->
    case scoped_ipv6_addr:if_name(Index) of
        {error, {no_such_interface, _}} = NoSuch -> NoSuch;
        _ -> Error
    end;
explain(Error, _Index) ->
    Error.

%% @doc An interface index or name as its index, checked now; any
%% zone-carrying address serves to ask scoped_ipv6_addr:resolve/1.
-spec interface_index(scoped_ipv6:scope()) ->
    {ok, non_neg_integer()} | {error, scoped_ipv6:reason()}.
interface_index(Scope) ->
    case scoped_ipv6_addr:resolve({{16#fe80, 0, 0, 0, 0, 0, 0, 0}, Scope}) of
        {ok, {_, Index}} -> {ok, Index};
        {error, _} = Error -> Error
    end.


%% A host name: `.local' by multicast DNS, scoped name servers when
%% configured, getaddrinfo otherwise (scoped_ipv6_names); the first
%% answer of `Family' (the order is scoped_ipv6_names's).
resolve_host(Host, Family, Timeout) ->
    case scoped_ipv6_names:resolve_host(Host, Family, Timeout) of
        {ok, [First | _]} -> {ok, First};
        {ok, []} -> {error, nxdomain};
        {error, _} = Error -> Error
    end.
