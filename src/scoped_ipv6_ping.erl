%% @private
%% ICMPv6 echo (RFC 4443) to a scoped address, on OTP's socket module
%% (protocol 58 by number: OTP 25 has no `icmpv6' protocol name), which
%% waits in the VM's poll set: no scheduler is ever blocked. Linux's
%% unprivileged ICMP datagram socket first (allowed to the groups in
%% net.ipv4.ping_group_range, which covers IPv6 too), a raw socket
%% (CAP_NET_RAW) where that is refused.
-module(scoped_ipv6_ping).

-include("scoped_ipv6.hrl").

-export([ping/2]).

-define(IPPROTO_ICMPV6, 58).
-define(ECHO_REQUEST, 128).
-define(ECHO_REPLY, 129).
-define(DEST_UNREACH, 1).
-define(DEFAULT_TIMEOUT, 1000).
%% The largest IPv6 payload (65,535 bytes) less the ICMPv6 echo header (8)
%% and our token (8).
-define(MAX_PAYLOAD, 65519).

-spec ping(term(), term()) -> {ok, non_neg_integer()} | {error, term()}.
ping(Address, Opts) ->
    case options(Opts, #{timeout => ?DEFAULT_TIMEOUT, socket => auto, payload => <<>>}) of
        {ok, #{timeout := Timeout} = Options} ->
            Deadline = erlang:monotonic_time(millisecond) + Timeout,
            case scoped_ipv6_dest:resolve(Address, Timeout) of
                {ok, {Ip, Scope}} when ?is_ip6_address(Ip) ->
                    echo(Ip, Scope, Deadline, Options);
                {ok, {_Ip4, _}} ->
                    {error, eafnosupport};
                {error, _} = Error ->
                    Error
            end;
        error ->
            erlang:error(badarg, [Address, Opts])
    end.

options([], Acc) ->
    {ok, Acc};
options([{timeout, T} | Rest], Acc) when is_integer(T), T >= 0, T =< 16#ffffffff ->
    options(Rest, Acc#{timeout := T});
options([{socket, S} | Rest], Acc) when S =:= auto; S =:= dgram; S =:= raw ->
    options(Rest, Acc#{socket := S});
options([{payload, P} | Rest], Acc) when is_binary(P), byte_size(P) =< ?MAX_PAYLOAD ->
    options(Rest, Acc#{payload := P});
options(_Bad, _Acc) ->
    error.

echo(Ip, Scope, Deadline, #{socket := Which, payload := Payload}) ->
    case open(Which) of
        {ok, Socket, Type} ->
            try
                %% The identifier of a datagram socket is its port, set by
                %% the kernel; a raw socket sees every echo reply, so its
                %% identifier and a token in the payload tell ours apart.
                Id = erlang:phash2(self(), 16#10000),
                Seq = erlang:unique_integer([positive]) band 16#ffff,
                Token = <<(erlang:unique_integer()):64>>,
                Data = <<Token/binary, Payload/binary>>,
                Request = <<?ECHO_REQUEST, 0, 0:16, Id:16, Seq:16, Data/binary>>,
                To = scoped_ipv6_addr:to_sockaddr(Ip, 0, Scope),
                Sent = erlang:monotonic_time(microsecond),
                case socket:sendto(Socket, Request, To) of
                    ok ->
                        Match = #{type => Type, id => Id, seq => Seq, data => Data,
                                  size => byte_size(Request)},
                        reply(Socket, Match, Sent, Deadline);
                    {error, _} = Error ->
                        scoped_ipv6_dest:explain(Error, Scope)
                end
            after
                socket:close(Socket)
            end;
        {error, _} = Error ->
            Error
    end.

open(auto) ->
    case open(dgram) of
        {error, eacces} -> open(raw);
        Other -> Other
    end;
%% A datagram socket sees ICMPv6 errors only with IPV6_RECVERR: then the
%% next receive fails with the error (this socket sent only our request).
open(Type) ->
    case socket:open(inet6, Type, ?IPPROTO_ICMPV6) of
        {ok, Socket} when Type =:= dgram ->
            _ = socket:setopt(Socket, {ipv6, recverr}, true),
            {ok, Socket, Type};
        {ok, Socket} -> {ok, Socket, Type};
        {error, eperm} -> {error, eacces};
        {error, _} = Error -> Error
    end.

%% The first echo reply that is ours, or `timeout' at the deadline. A raw
%% socket also sees the "destination unreachable" that answers our request
%% (the kernel's own, after neighbour discovery fails on a link): that is
%% the answer too, as the error a datagram socket's receive returns for
%% it. Any other ICMPv6 message is skipped.
reply(Socket, #{size := Size} = Match, Sent, Deadline) ->
    Wait = max(0, Deadline - erlang:monotonic_time(millisecond)),
    %% An error quotes our request after 48 bytes of headers.
    case socket:recvfrom(Socket, Size + 48, [], Wait) of
        {ok, {_From, Packet}} ->
            case ours(Packet, Match) of
                reply -> {ok, erlang:monotonic_time(microsecond) - Sent};
                {error, _} = Error -> Error;
                false -> reply(Socket, Match, Sent, Deadline)
            end;
        {error, _} = Error ->
            Error
    end.

ours(<<?ECHO_REPLY, 0, _Checksum:16, Id:16, Seq:16, Data/binary>>,
     #{type := Type, id := Ours, seq := Seq, data := Data}) ->
    case Type =:= dgram orelse Id =:= Ours of
        true -> reply;
        false -> false
    end;
%% RFC 4443 section 3.1: the invoking packet, an IPv6 header (next header
%% 58) and our echo request, follows 8 bytes of ICMPv6 header.
ours(<<?DEST_UNREACH, Code, _Checksum:16, _Unused:32,
       _:6/binary, ?IPPROTO_ICMPV6, _:33/binary,
       ?ECHO_REQUEST, 0, _:16, Id:16, Seq:16, Token:8/binary, _/binary>>,
     #{id := Id, seq := Seq, data := <<Token:8/binary, _/binary>>}) ->
    {error, unreachable(Code)};
ours(_Other, _Match) ->
    false.

%% RFC 4443's codes, as the errno Linux gives a socket for each.
unreachable(0) -> enetunreach;      % no route to destination
unreachable(1) -> eacces;           % communication administratively prohibited
unreachable(_) -> ehostunreach.     % address unreachable, and the rest
