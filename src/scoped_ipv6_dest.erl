%% @private
%% Where a connect or send goes: any address form, text or host name, to
%% `{Ip, ScopeIndex}' (0 for none), scope names looked up now.
-module(scoped_ipv6_dest).

-include("scoped_ipv6.hrl").

-export([resolve/2, explain/2, interface_index/1]).

%% The longest host name DNS carries (RFC 1035: 255 bytes on the wire).
-define(MAX_HOST, 253).

-spec resolve(term(), non_neg_integer() | infinity) ->
    {ok, {inet:ip_address(), non_neg_integer()}} | {error, term()}.
resolve(Address, Timeout) when is_list(Address); is_binary(Address) ->
    case scoped_ipv6_addr:parse(Address) of
        {ok, Parsed} -> resolve(Parsed, Timeout);
        {error, einval} -> resolve_host(Address, Timeout)
    end;
resolve(Host, Timeout) when is_atom(Host) ->
    resolve_host(atom_to_list(Host), Timeout);
%% An index is not looked up on the way out (that costs a socket and an
%% ioctl per call); explain/2 checks it if the kernel refuses.
resolve({Ip6, Index} = Address, _Timeout)
  when ?is_scoped_address(Address), is_integer(Index), Index > 0 ->
    case scoped_ipv6_addr:zone_allowed(Ip6) of
        true -> {ok, {Ip6, Index}};
        false -> {error, einval}
    end;
resolve(Address, _Timeout) ->
    case scoped_ipv6_addr:resolve(Address) of
        {ok, {Ip6, Scope}} -> scoped_ipv6_addr:with_scope(Ip6, Scope);
        {ok, Ip} -> scoped_ipv6_addr:with_scope(Ip, 0);
        {error, _} = Error -> Error
    end.

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


%% getaddrinfo(3) on the NIF's bounded resolver pool: `{error,
%% system_limit}' when it is full. On timeout the lookup is cancelled (a
%% queued one never runs) and an answer that came just before is flushed,
%% so none lands in the caller's mailbox later. A caller that dies drops
%% its handle, which cancels the lookup too.
resolve_host(Host, Timeout) ->
    case host_name(Host) of
        {ok, Name} ->
            Ref = make_ref(),
            case scoped_ipv6_nif:resolve_host(Name, Ref) of
                {ok, Lookup} ->
                    receive
                        {Ref, Answer} -> first_usable(Answer)
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

%% A host name as a UTF-8 binary of 1..253 bytes (DNS's limit), or
%% `error'; text of any length may come here, so a longer one is refused
%% before it is read.
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

%% Whether a proper list of integers has fewer than N elements.
short_string([], _N) -> true;
short_string(_List, 0) -> false;
short_string([C | Tail], N) when is_integer(C) -> short_string(Tail, N - 1);
short_string(_NotAString, _N) -> false.

%% IPv6 first, as getaddrinfo orders them; a link-local answer keeps the
%% scope that /etc/hosts or the resolver gave it.
first_usable({ok, []}) -> {error, nxdomain};
first_usable({ok, [{Ip, Scope} | _]}) -> scoped_ipv6_addr:with_scope(Ip, Scope);
first_usable({error, _} = Error) -> Error.
