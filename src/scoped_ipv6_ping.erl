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

-ifdef(TEST).
-export([answer/2]).
-endif.

-define(IPPROTO_ICMPV6, 58).
-define(ECHO_REQUEST, 128).
-define(ECHO_REPLY, 129).
%% RFC 4443's error messages: destination unreachable, packet too big,
%% time exceeded, parameter problem.
-define(DEST_UNREACH, 1).
-define(PACKET_TOO_BIG, 2).
-define(TIME_EXCEEDED, 3).
-define(PARAM_PROBLEM, 4).
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
%% socket also sees the ICMPv6 errors that answer our request ("destination
%% unreachable" is the kernel's own when neighbour discovery fails on a
%% link; "time exceeded" or "packet too big" come from a router): each is
%% the answer too, as the error a datagram socket's receive returns for
%% it. Any other ICMPv6 message is skipped.
reply(Socket, #{size := Size} = Match, Sent, Deadline) ->
    Wait = max(0, Deadline - erlang:monotonic_time(millisecond)),
    %% An error quotes our request after 48 bytes of headers.
    case socket:recvfrom(Socket, Size + 48, [], Wait) of
        {ok, {_From, Packet}} ->
            case answer(Packet, Match) of
                reply -> {ok, erlang:monotonic_time(microsecond) - Sent};
                {error, _} = Error -> Error;
                false -> reply(Socket, Match, Sent, Deadline)
            end;
        {error, _} = Error ->
            Error
    end.

%% @doc What an ICMPv6 message says of our request `Match': `reply' (the
%% echo reply), `{error, Reason}' (an error quoting it), or `false' (not
%% ours).
-spec answer(binary(), map()) -> reply | {error, inet:posix()} | false.
answer(<<?ECHO_REPLY, 0, _Checksum:16, Id:16, Seq:16, Data/binary>>,
       #{type := Type, id := Ours, seq := Seq, data := Data}) ->
    case Type =:= dgram orelse Id =:= Ours of
        true -> reply;
        false -> false
    end;
%% RFC 4443 section 2.1: an error message (types 1 to 127) quotes the
%% invoking packet after 8 bytes of ICMPv6 header: here an IPv6 header
%% (next header 58) and our echo request, token included.
answer(<<Type, Code, _Checksum:16, _TypeSpecific:32,
         _:6/binary, ?IPPROTO_ICMPV6, _:33/binary,
         ?ECHO_REQUEST, 0, _:16, Id:16, Seq:16, Token:8/binary, _/binary>>,
       #{id := Id, seq := Seq, data := <<Token:8/binary, _/binary>>})
  when Type >= ?DEST_UNREACH, Type =< ?PARAM_PROBLEM ->
    {error, error_reason(Type, Code)};
answer(_Other, _Match) ->
    false.

%% The errno Linux gives a socket for each ICMPv6 error (icmpv6_err_convert
%% in net/ipv6/icmp.c), so that a raw socket's answer is a datagram
%% socket's.
error_reason(?DEST_UNREACH, 0) -> enetunreach;   % no route to destination
error_reason(?DEST_UNREACH, 1) -> eacces;        % administratively prohibited
error_reason(?DEST_UNREACH, 2) -> ehostunreach;  % beyond scope of source address
error_reason(?DEST_UNREACH, 3) -> ehostunreach;  % address unreachable
error_reason(?DEST_UNREACH, 4) -> econnrefused;  % port unreachable
error_reason(?DEST_UNREACH, 5) -> eacces;        % source address failed policy
error_reason(?DEST_UNREACH, 6) -> eacces;        % reject route
error_reason(?PACKET_TOO_BIG, _) -> emsgsize;
error_reason(?TIME_EXCEEDED, _) -> ehostunreach;
error_reason(_, _) -> eproto.                    % parameter problem, other codes
