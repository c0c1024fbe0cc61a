%% Multicast DNS (RFC 6762) as every module that sends or reads it takes
%% it: the one-shot querier (scoped_ipv6_mdns), the responder and the
%% watches.

%% The groups and the port (section 3).
-define(GROUP, {16#ff02, 0, 0, 0, 0, 0, 0, 16#fb}).
-define(GROUP4, {224, 0, 0, 251}).
-define(PORT, 5353).
%% Section 17: a multicast DNS message is at most 9,000 bytes; a longer
%% one is cut and then fails to decode.
-define(MAX_MESSAGE, 9000).
%% Section 17: a message should fit the link's MTU unfragmented. 1440
%% bytes fit a 1500-byte Ethernet MTU over IPv6 and IPv4 alike (Apple's
%% mDNSResponder keeps its messages to the same); a query's known answers
%% beyond it go on in further messages (section 7.2).
-define(MTU_MESSAGE, 1440).
%% At most this many datagrams are read at a time; then the process's
%% timers and other messages get their turn, so that a neighbour flooding
%% the link cannot starve them.
-define(BATCH, 64).
%% A multicast message this host sent on a link, given to its other
%% processes on port 5353 (scoped_ipv6_mdns_multicast:send/4).
-define(LOOPED(Family, Index, Packet), {scoped_ipv6_mdns_looped, Family, Index, Packet}).
