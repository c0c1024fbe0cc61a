%% @private
%% One datagram from a scoped UDP socket: read whole, passed by RFC 5082's
%% hop-limit guard, and given gen_udp's shape, as the socket's flags say
%% (scoped_ipv6_udp.hrl). What recv/3 does in the caller (passive) and
%% the socket's process does for the owner (active mode).
-module(scoped_ipv6_udp_read).

-include("scoped_ipv6_udp.hrl").

-export([one/3]).

%% The longest wait `receive ... after' and the socket module take at once.
-define(MAX_WAIT, 16#ffffffff).

%% @doc The next datagram, within `Timeout' (`nowait': only one already
%% there): `{ok, {Address, Port, Data}}', with arrival information asked
%% for `{ok, {Address, Port, AncData, Data}}' (gen_udp's shape with
%% recvtclass); `dropped' for one the hop-limit guard dropped (counted in
%% the flags); `{error, emsgsize}' for one longer than the buffer; else
%% what socket:recvmsg/5 answered.
-spec one(socket:socket(), atomics:atomics_ref(), timeout() | nowait) ->
    {ok, tuple()} | dropped | {select, term()} | {error, term()}.
one(Socket, Flags, Timeout) ->
    case recv_whole(Socket, atomics:get(Flags, ?BUFFER), Timeout) of
        {ok, {From, Data, Ctrl}} ->
            case guard(Ctrl, atomics:get(Flags, ?MIN_HOPS)) of
                pass ->
                    {ok, datagram(From, Data, Ctrl, atomics:get(Flags, ?ASK), mode(Flags))};
                drop ->
                    atomics:add(Flags, ?DROPPED, 1),
                    dropped
            end;
        Other ->
            Other
    end.

%% RFC 5082: only a datagram that arrived with at least `MinHops' (255:
%% sent on this link) passes; one whose hop limit the kernel did not
%% report fails too.
guard(_Ctrl, 0) ->
    pass;
guard(Ctrl, MinHops) ->
    case scoped_ipv6_cmsg:hoplimit(Ctrl) of
        H when is_integer(H), H >= MinHops -> pass;
        _ -> drop
    end.

%% One whole datagram of at most `Buffer' bytes, or `{error, emsgsize}'
%% for a longer one (the kernel drops its tail and says so with MSG_TRUNC).
%% A wait longer than the socket module takes is made of several.
recv_whole(Socket, Buffer, Timeout) when is_integer(Timeout), Timeout > ?MAX_WAIT ->
    case recv_whole(Socket, Buffer, ?MAX_WAIT) of
        {error, timeout} -> recv_whole(Socket, Buffer, Timeout - ?MAX_WAIT);
        Other -> Other
    end;
recv_whole(Socket, Buffer, Timeout) ->
    case socket:recvmsg(Socket, Buffer, 0, [], Timeout) of
        {ok, #{flags := Flags} = Msg} ->
            case lists:member(trunc, Flags) of
                false -> {ok, {maps:get(addr, Msg), iolist_to_binary(maps:get(iov, Msg)),
                               maps:get(ctrl, Msg, [])}};
                true -> {error, emsgsize}
            end;
        Other ->
            Other
    end.

%% `{Address, Port, Payload}', or with arrival information asked for
%% `{Address, Port, AncData, Payload}' (gen_udp's shape with recvtclass).
datagram(From, Data, _Ctrl, 0, Mode) ->
    {Address, Port} = scoped_ipv6_addr:from_sockaddr(From),
    {Address, Port, payload(Data, Mode)};
datagram(From, Data, Ctrl, Ask, Mode) ->
    {Address, Port} = scoped_ipv6_addr:from_sockaddr(From),
    {Address, Port, scoped_ipv6_cmsg:arrival(Ctrl, Ask), payload(Data, Mode)}.

payload(Data, binary) -> Data;
payload(Data, list) -> binary_to_list(Data).

%% The payload's shape: ?BINARY's flag.
mode(Flags) ->
    case atomics:get(Flags, ?BINARY) of
        1 -> binary;
        0 -> list
    end.
