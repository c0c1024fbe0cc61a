%% The largest UDP payload there is (IPv4's 16-bit length field; IPv6
%% without jumbograms allows 65,527): every datagram arrives whole by
%% default. OTP's socket module would read 8,192 bytes and drop the rest.
-define(MAX_DATAGRAM, 65535).
