%% @private
%% What a watch (scoped_ipv6_watch) follows, without sockets or time: a
%% DNS-SD service type (continuous browsing, RFC 6763 section 5; the
%% types themselves for `_services._dns-sd._udp', section 9) or a `.local'
%% host name (continuous querying for its addresses, RFC 6762 section
%% 5.2). Which of the two a text names, the questions the watch keeps
%% asking for it, which records of an answer matter, what is still to be
%% asked of a link, and what one link's records show.
%%
%% A text is a service type when scoped_ipv6_browse_answers:service_type/1
%% reads it as one. Otherwise it is a host when it is a `.local' name
%% (scoped_ipv6_dns:name/1 and is_local/1, as getaddrs/2 asks multicast
%% DNS for it) none of whose labels begins with `_': such labels name
%% DNS-SD types and their instances (RFC 6763 sections 4 and 7), never
%% hosts. So no text is both.
-module(scoped_ipv6_watch_subject).

-export([parse/1, questions/1, relevant/2, missing/2, results/3]).

-type host() :: #{name := scoped_ipv6_dns:name(), owner := string(), display := string()}.
-opaque subject() :: {service, scoped_ipv6_browse_answers:service_type()} | {host, host()}.
-export_type([subject/0]).

%% @doc What `Text' names: `einval' for text that is neither a service type
%% nor a `.local' host name, `badarg' for what is not text.
-spec parse(term()) -> {ok, subject()} | einval | badarg.
parse(Text) ->
    case scoped_ipv6_browse_answers:service_type(Text) of
        {ok, Type} -> {ok, {service, Type}};
        badarg -> badarg;
        einval -> host(Text)
    end.

%% `display', the name as the caller wrote it (without a final dot), as
%% Unicode text: what the events call it.
host(Text) ->
    case scoped_ipv6_dns:name(Text) of
        {ok, Name} ->
            Labels = string:split(Name, ".", all),
            Display = unicode:characters_to_list(list_to_binary(Name)),
            case scoped_ipv6_dns:is_local(Name) andalso is_list(Display) andalso
                not lists:any(fun(Label) -> lists:prefix("_", Label) end, Labels) of
                true ->
                    {ok, {host, #{name => Name, owner => scoped_ipv6_dns:lower(Name),
                                  display => Display}}};
                false ->
                    einval
            end;
        error ->
            einval
    end.

%% @doc The questions the watch asks of each link, again and again (RFC
%% 6762 section 5.2), names as sent: a type's PTR, a host's AAAA and A
%% (getaddrs/2's, whose default family is `any').
-spec questions(subject()) -> [{scoped_ipv6_dns:name(), ptr | aaaa | a}].
questions({service, #{question := Question}}) -> [{Question, ptr}];
questions({host, #{name := Name}}) -> [{Name, aaaa}, {Name, a}].

%% @doc Whether a record (`{Owner, Type, Data, TTL}') can matter: for a
%% host, its addresses only; the rest is dropped as it is read.
-spec relevant(subject(), scoped_ipv6_browse_answers:answer_record()) -> boolean().
relevant({service, Type}, Record) ->
    scoped_ipv6_browse_answers:relevant(Type, Record);
relevant({host, #{owner := Owner}}, {Name, Type, Data, _TTL}) ->
    scoped_ipv6_dns:is_address(Type, Data) andalso is_list(Name) andalso
        scoped_ipv6_dns:lower(Name) =:= Owner.

%% @doc What one link's records still leave open, to ask of that link: a
%% service's SRV, TXT and addresses; nothing for a host, whose addresses
%% are the questions themselves.
-spec missing(subject(), [scoped_ipv6_browse_answers:answer_record()]) ->
    [{scoped_ipv6_dns:name(), srv | txt | aaaa | a}].
missing({service, Type}, Records) -> scoped_ipv6_browse_answers:missing(Type, Records);
missing({host, _}, _Records) -> [].

%% @doc What link `Index''s records show, each with what tells it apart on
%% the link (the watch compares them): services by instance name (or
%% types), as scoped_ipv6_browse:link_results/3 gives them; a host, once
%% it has an address, as `#{name, link, addresses}', its addresses scoped
%% and ordered as getaddrs/2 gives them (at most 16).
-spec results(subject(), pos_integer(), [scoped_ipv6_browse_answers:answer_record()]) ->
    [{string(), map()}].
results({service, Type}, Index, Records) ->
    scoped_ipv6_browse:link_results(Type, Index, Records);
results({host, #{name := Name, owner := Owner, display := Display}}, Index, Records) ->
    case scoped_ipv6_browse_answers:host_addresses(Name, Records) of
        [] ->
            [];
        Ips ->
            [{Owner, #{name => Display, link => Index,
                       addresses => scoped_ipv6_names:ordered([{Index, Ip} || Ip <- Ips])}}]
    end.
