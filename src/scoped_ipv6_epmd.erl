%% @doc Asks a remote epmd for a node's distribution port over a scoped
%% address: the step that OTP's own distribution cannot take on a
%% link-local address, because `erl_epmd' resolves the host with
%% `inet:getaddr/2', which drops the zone (and connects with `gen_tcp',
%% which then exits with `badarg').
%%
%% ```
%% {ok, 40123, 6} = scoped_ipv6_epmd:port_please("app", "fe80::2%usb0", 5000).
%% '''
%%
%% The request is epmd's PORT_PLEASE2_REQ; the answer its PORT2_RESP (see
%% OTP's "Distribution Protocol" documentation).
-module(scoped_ipv6_epmd).

-export([port_please/3]).

-define(EPMD_PORT, 4369).
-define(PORT_PLEASE2_REQ, $z).
-define(PORT2_RESP, $w).

%% @doc The distribution port and highest protocol version of node `Name'
%% (the part before `@') registered with the epmd at `Address'; `noport'
%% when epmd knows no such node.
-spec port_please(atom() | string() | binary(), scoped_ipv6:address() | string() | binary(),
                  non_neg_integer() | infinity) ->
    {ok, inet:port_number(), non_neg_integer()} | noport | {error, term()}.
port_please(Name, Address, Timeout) when is_atom(Name) ->
    port_please(atom_to_binary(Name), Address, Timeout);
port_please(Name, Address, Timeout) when is_list(Name) ->
    port_please(unicode:characters_to_binary(Name), Address, Timeout);
port_please(Name, Address, Timeout)
  when is_binary(Name), byte_size(Name) > 0, byte_size(Name) < 256 ->
    Opts = [binary, {active, false}, {packet, 0}],
    case scoped_ipv6_tcp:connect(Address, ?EPMD_PORT, Opts, Timeout) of
        {ok, Socket} ->
            Request = <<?PORT_PLEASE2_REQ, Name/binary>>,
            Reply = case gen_tcp:send(Socket, <<(byte_size(Request)):16, Request/binary>>) of
                        ok -> receive_all(Socket, Timeout, <<>>);
                        {error, _} = Error -> Error
                    end,
            gen_tcp:close(Socket),
            decode(Reply);
        {error, _} = Error ->
            Error
    end;
port_please(Name, Address, Timeout) ->
    erlang:error(badarg, [Name, Address, Timeout]).

%% epmd answers and closes the connection.
receive_all(Socket, Timeout, Acc) ->
    case gen_tcp:recv(Socket, 0, Timeout) of
        {ok, Data} -> receive_all(Socket, Timeout, <<Acc/binary, Data/binary>>);
        {error, closed} -> {ok, Acc};
        {error, _} = Error -> Error
    end.

decode({ok, <<?PORT2_RESP, 0, Port:16, _NodeType, _Protocol, High:16, _Low:16, _/binary>>}) ->
    {ok, Port, High};
decode({ok, <<?PORT2_RESP, _Failed, _/binary>>}) ->
    noport;
decode({ok, _Other}) ->
    {error, bad_epmd_reply};
decode({error, _} = Error) ->
    Error.
