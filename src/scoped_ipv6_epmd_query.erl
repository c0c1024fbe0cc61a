%% @private
%% The epmd query over a scoped address (scoped_ipv6_epmd documents it),
%% for scoped_ipv6_epmd and the distribution carrier's choice of link.
-module(scoped_ipv6_epmd_query).

-export([port_please/3, port_please/4]).

-define(EPMD_PORT, 4369).
-define(PORT_PLEASE2_REQ, $z).
-define(PORT2_RESP, $w).
%% epmd's own limits (erts/epmd/src/epmd_int.h, epmd_srv.c): a node name
%% is at most 255 characters, UTF-8, so MAXSYMLEN = 255 * 4 bytes, and the
%% extra field at most MAXSYMLEN bytes.
-define(MAXSYMLEN, (255 * 4)).
%% PORT2_RESP: $w, Result, PortNo:16, NodeType, Protocol, HighestVersion:16,
%% LowestVersion:16, Nlen:16, NodeName, Elen:16, Extra: 14 bytes and two
%% fields of at most MAXSYMLEN each.
-define(MAX_REPLY, (14 + 2 * ?MAXSYMLEN)).

%% The query to the standard epmd port.
-spec port_please(atom() | string() | binary(), term(), non_neg_integer() | infinity) ->
    {ok, inet:port_number(), non_neg_integer()} | noport | {error, term()} | badarg.
port_please(Name, Address, Timeout) ->
    port_please(Name, Address, ?EPMD_PORT, Timeout).

%% `badarg' for arguments of the wrong type or size: the public
%% scoped_ipv6_epmd raises it; the carrier's callers never pass such.
-spec port_please(atom() | string() | binary(), term(), inet:port_number(),
                  non_neg_integer() | infinity) ->
    {ok, inet:port_number(), non_neg_integer()} | noport | {error, term()} | badarg.
port_please(Name, Address, Port, Timeout) when is_atom(Name) ->
    port_please(atom_to_binary(Name), Address, Port, Timeout);
port_please(Name, Address, Port, Timeout) when is_list(Name) ->
    case unicode:characters_to_binary(Name) of
        Binary when is_binary(Binary) -> port_please(Binary, Address, Port, Timeout);
        _ -> badarg
    end;
port_please(Name, Address, Port, Timeout)
  when is_binary(Name), byte_size(Name) > 0, byte_size(Name) =< ?MAXSYMLEN,
       is_integer(Port), Port > 0, Port =< 65535,
       (Timeout =:= infinity orelse (is_integer(Timeout) andalso Timeout >= 0)) ->
    Deadline = deadline(Timeout),
    Opts = [binary, {active, false}, {packet, 0}],
    case scoped_ipv6_tcp_open:connect(Address, Port, Opts, Timeout) of
        {ok, Socket} ->
            Request = <<?PORT_PLEASE2_REQ, Name/binary>>,
            Reply = case gen_tcp:send(Socket, <<(byte_size(Request)):16, Request/binary>>) of
                        ok -> read_reply(Socket, Deadline);
                        {error, _} = Error -> Error
                    end,
            gen_tcp:close(Socket),
            Reply;
        {error, _} = Error ->
            Error
    end;
port_please(_Name, _Address, _Port, _Timeout) ->
    badarg.

%% Reads PORT2_RESP field by field, each receive asking for exactly the
%% bytes the protocol says come next, so a peer can make us read no more
%% than ?MAX_REPLY bytes, and never past the deadline. A complete reply
%% ends the query: epmd closes the connection after it, but we need not
%% wait for that.
read_reply(Socket, Deadline) ->
    case recv(Socket, 2, Deadline) of
        {ok, <<?PORT2_RESP, 0>>} -> read_port(Socket, Deadline);
        {ok, <<?PORT2_RESP, _Failed>>} -> noport;
        {ok, _} -> {error, bad_epmd_reply};
        {error, _} = Error -> Error
    end.

read_port(Socket, Deadline) ->
    case recv(Socket, 10, Deadline) of
        {ok, <<Port:16, _Type, _Proto, High:16, _Low:16, Nlen:16>>} when Nlen =< ?MAXSYMLEN ->
            case recv(Socket, Nlen + 2, Deadline) of
                {ok, <<_Name:Nlen/binary, Elen:16>>} when Elen =< ?MAXSYMLEN ->
                    case recv(Socket, Elen, Deadline) of
                        {ok, _Extra} -> {ok, Port, High};
                        {error, _} = Error -> Error
                    end;
                {ok, _LongExtra} -> {error, bad_epmd_reply};
                {error, _} = Error -> Error
            end;
        {ok, _LongName} -> {error, bad_epmd_reply};
        {error, _} = Error -> Error
    end.

%% Exactly N bytes before the deadline; a connection closed early is a
%% reply no epmd gives.
recv(_Socket, 0, _Deadline) ->
    {ok, <<>>};
recv(Socket, N, Deadline) ->
    case gen_tcp:recv(Socket, N, remaining(Deadline)) of
        {ok, Data} -> {ok, Data};
        {error, closed} -> {error, bad_epmd_reply};
        {error, _} = Error -> Error
    end.

deadline(infinity) -> infinity;
deadline(Timeout) -> erlang:monotonic_time(millisecond) + Timeout.

remaining(infinity) -> infinity;
remaining(Deadline) -> max(0, Deadline - erlang:monotonic_time(millisecond)).
