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
%% At most this many datagrams are read at a time; then the process's
%% timers and other messages get their turn, so that a neighbour flooding
%% the link cannot starve them.
-define(BATCH, 64).
%% A multicast message this host sent on a link, given to its other
%% processes on port 5353 (scoped_ipv6_mdns_multicast:send/4).
-define(LOOPED(Family, Index, Packet), {scoped_ipv6_mdns_looped, Family, Index, Packet}).
