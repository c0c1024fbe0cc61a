%% The largest UDP payload there is (IPv4's 16-bit length field; IPv6
%% without jumbograms allows 65,527): every datagram arrives whole by
%% default. OTP's socket module would read 8,192 bytes and drop the rest.
-define(MAX_DATAGRAM, 65535).

%% A scoped UDP socket: its process (scoped_ipv6_udp_server), OTP's socket,
%% its family (what a destination must be, as in gen_udp), and its flags.
%%
%% `flags': an atomics array the process writes and every read
%% (scoped_ipv6_udp_read: recv/3 in the caller, active mode in the
%% process) reads, so that a passive receive costs no call to the process
%% and no getopt:
%% ?ACTIVE is 1 while active, ?BINARY 1 in binary mode, ?BUFFER the
%% largest datagram received, ?ASK the arrival information asked for (a
%% mask of scoped_ipv6_cmsg:ask_bit/1's bits),
%% ?MIN_HOPS the hop-limit guard (0: off), ?DROPPED the datagrams it
%% dropped (passive and active alike).
-record(scoped_udp, {server :: pid(), socket :: socket:socket(), family :: inet | inet6,
                     flags :: atomics:atomics_ref()}).
-define(ACTIVE, 1).
-define(BINARY, 2).
-define(BUFFER, 3).
-define(ASK, 4).
-define(MIN_HOPS, 5).
-define(DROPPED, 6).
-define(FLAGS, 6).
