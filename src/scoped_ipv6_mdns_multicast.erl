%% @private
%% What this host multicasts from port 5353 on a link: sent to the group,
%% and given to this host's other processes on port 5353.
%%
%% The responder and the watches share port 5353, but their sockets do not
%% loop multicast back (IP(V6)_MULTICAST_LOOP off): the responder must not
%% hear its own announcements as another host's claim. Without more, a
%% watch never saw the services this host advertises, where avahi's and
%% python-zeroconf's browsers list their own.
%%
%% So each message one of them multicasts on a link (send/4) is also given
%% to the others, as if it had come from that link: questions (a watch's)
%% to the responder, answers (the responder's answers, announcements and
%% goodbyes) to the watches, as `?LOOPED(Family, Index, Packet)'
%% messages (scoped_ipv6_mdns.hrl). They come from this host, so the
%% section 11 source checks do not apply; all else (parsing, known
%% answers, rate limits, caches) is as for a datagram. The responder's
%% own probes, questions, reach no one: it is the only responder.
%%
%% The members are a pg scope of this module's name, under the
%% application's supervisor: a process that ends leaves it.
-module(scoped_ipv6_mdns_multicast).

-include("scoped_ipv6_mdns.hrl").

-export([start_link/0, join/1, send/4, send/5, group/2]).

-type role() :: responder | watch.

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    pg:start_link(?MODULE).

%% @doc The calling process takes the messages for `Role': the questions
%% for the `responder', the answers for a `watch'.
-spec join(role()) -> ok.
join(Role) ->
    pg:join(?MODULE, Role, self()).

%% @doc Sends `Packet' from `S' (port 5353 of `Family',
%% scoped_ipv6_mdns:listen/1) to the group on link `Index', and gives it
%% to the other members it is for.
-spec send(socket:socket(), inet | inet6, pos_integer(), binary()) -> ok.
send(S, Family, Index, Packet) ->
    send(S, Family, Index, [Packet], Packet).

%% @doc The same for one message sent as several (`Packets', RFC 6762
%% section 7.2: known answers beyond one MTU, with the TC bit): the
%% others are given it whole (`Whole'), as the hand-over has no MTU, and
%% answer it at once, as one message.
-spec send(socket:socket(), inet | inet6, pos_integer(), [binary()], binary()) -> ok.
send(S, Family, Index, Packets, Whole) ->
    _ = [send_one(S, Family, Index, P) || P <- Packets],
    loop(Family, Index, Whole).

send_one(S, inet6, Index, Packet) ->
    socket:sendto(S, Packet, group(inet6, Index));
send_one(S, inet, Index, Packet) ->
    %% IP_PKTINFO's interface chooses the link.
    {ok, Ctrl} = scoped_ipv6_cmsg:encode([{pktinfo, {{0, 0, 0, 0}, Index}}], inet),
    socket:sendmsg(S, #{addr => group(inet, Index), iov => [Packet], ctrl => Ctrl}).

%% @doc The multicast DNS group on link `Index', port 5353, as a sockaddr
%% (over IPv4 the link is the sender's IP_PKTINFO, not the address's).
-spec group(inet | inet6, pos_integer()) -> socket:sockaddr().
group(inet6, Index) ->
    #{family => inet6, addr => ?GROUP, port => ?PORT, scope_id => Index, flowinfo => 0};
group(inet, _Index) ->
    #{family => inet, addr => ?GROUP4, port => ?PORT}.

loop(Family, Index, Packet) ->
    Looped = ?LOOPED(Family, Index, Packet),
    _ = [Member ! Looped || Member <- members(role(Packet)), Member =/= self()],
    ok.

%% The QR bit (RFC 1035 section 4.1.1): an answer is for the watches.
role(<<_Id:16, 1:1, _/bits>>) -> watch;
role(_Question) -> responder.

%% None when the application (and with it the scope) is not running.
members(Role) ->
    try pg:get_members(?MODULE, Role)
    catch error:badarg -> []
    end.
