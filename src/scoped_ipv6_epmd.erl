%% @doc Asks a remote epmd for a node's distribution port over a scoped
%% address: the step that OTP's own distribution cannot take on a
%% link-local address, because `erl_epmd' resolves the host with
%% `inet:getaddr/2', which drops the zone (and connects with `gen_tcp',
%% which then exits with `badarg').
%%
%% ```
%% {ok, 40123, 6} = scoped_ipv6_epmd:port_please("app", "fe80::2%usb0", 5000),
%% noport = scoped_ipv6_epmd:port_please("nobody", "fe80::2%usb0", 5000).
%% '''
%%
%% The request is epmd's PORT_PLEASE2_REQ; the answer its PORT2_RESP (see
%% OTP's "Distribution Protocol" documentation).
%%
%% The carrier asks every link with this, so whoever answers on a link may
%% be hostile: one deadline covers the whole query (connect, send, every
%% receive), and no more than the largest reply a real epmd can send is
%% ever read (?MAX_REPLY bytes), whatever the peer sends or how slowly.
-module(scoped_ipv6_epmd).

-export([port_please/3, port_please/4]).

%% @doc The distribution port and highest protocol version of node `Name'
%% (the part before `@') registered with the epmd at `Address'; `noport'
%% when epmd knows no such node.
%%
%% `Timeout' bounds the whole query. `{error, timeout}' when it runs out,
%% `{error, bad_epmd_reply}' for an answer no epmd gives (another first
%% byte, longer fields than epmd allows, a connection closed early); at
%% most 2,054 bytes (the largest PORT2_RESP) are read. A name may have up
%% to 1,020 bytes (epmd's limit: 255 characters of UTF-8).
%%
%% ```
%% {ok, 40123, 6} = scoped_ipv6_epmd:port_please(app, {{16#fe80,0,0,0,0,0,0,2}, "eth0"}, 5000),
%% {error, scope_required} = scoped_ipv6_epmd:port_please(app, "fe80::2", 5000).
%% '''
-spec port_please(atom() | string() | binary(), scoped_ipv6:address() | string() | binary(),
                  non_neg_integer() | infinity) ->
    {ok, inet:port_number(), non_neg_integer()} | noport | {error, term()}.
port_please(Name, Address, Timeout) ->
    raise_badarg(scoped_ipv6_epmd_query:port_please(Name, Address, Timeout),
                 [Name, Address, Timeout]).

%% @doc As {@link port_please/3}, asking the epmd that listens on `Port'.
%%
%% ```
%% {error, econnrefused} = scoped_ipv6_epmd:port_please(app, "fe80::2%eth0", 4368, 5000).
%% '''
-spec port_please(atom() | string() | binary(), scoped_ipv6:address() | string() | binary(),
                  inet:port_number(), non_neg_integer() | infinity) ->
    {ok, inet:port_number(), non_neg_integer()} | noport | {error, term()}.
port_please(Name, Address, Port, Timeout) ->
    raise_badarg(scoped_ipv6_epmd_query:port_please(Name, Address, Port, Timeout),
                 [Name, Address, Port, Timeout]).

raise_badarg(badarg, Args) -> erlang:error(badarg, Args);
raise_badarg(Answer, _Args) -> Answer.
