%% @private
%% What this host's multicast DNS responder claims on each link, without
%% sockets, timers or link states: the host name and the services as
%% configured, the names a link chose instead after conflicts there
%% (`device-2.local', `Printer #2', RFC 6762 section 9), and, on a link
%% probing again for services added since it announced, how many of its
%% services it had announced (it answers for those meanwhile).
%%
%% A service is known by its type and its instance name as configured, in
%% any case; the Nth service of every link is the same service, renamed
%% there or not. Services are scoped_ipv6_mdns_records:service() maps.
-module(scoped_ipv6_mdns_claims).

-export([new/2, name/2, services/2, label/1, configured/1, find/2, add/2, update/3, remove/2,
         rename_host/2, rename_instance/3, confirm/3, unconfirm/2, confirmed/2]).

-opaque claims() :: #{name := scoped_ipv6_dns:name(),
                      services := [scoped_ipv6_mdns_records:service()],
                      %% Index => the name claimed there, when not `name'.
                      names := #{pos_integer() => scoped_ipv6_dns:name()},
                      %% Index => the services with the instance names
                      %% claimed there, when not `services'.
                      instances := #{pos_integer() => [scoped_ipv6_mdns_records:service()]},
                      %% Index => how many of its services it had announced.
                      confirmed := #{pos_integer() => non_neg_integer()}}.
-export_type([claims/0]).

%% @doc The host name (`"device.local"') and services as configured.
-spec new(scoped_ipv6_dns:name(), [scoped_ipv6_mdns_records:service()]) -> claims().
new(Name, Services) ->
    #{name => Name, services => Services, names => #{}, instances => #{}, confirmed => #{}}.

%% @doc The host name claimed on link `Index'.
-spec name(claims(), pos_integer()) -> scoped_ipv6_dns:name().
name(#{names := Names, name := Name}, Index) ->
    maps:get(Index, Names, Name).

%% @doc The services on link `Index', with the instance names claimed there.
-spec services(claims(), pos_integer()) -> [scoped_ipv6_mdns_records:service()].
services(#{instances := Instances, services := Services}, Index) ->
    maps:get(Index, Instances, Services).

%% @doc The host's label (`"device"'): the instance name of a service that
%% gives none.
-spec label(claims()) -> string().
label(#{name := Name}) ->
    hd(string:split(Name, ".")).

%% @doc The services as configured (not as renamed on a link).
-spec configured(claims()) -> [scoped_ipv6_mdns_records:service()].
configured(#{services := Services}) ->
    Services.

%% @doc The position of the service with this type and instance name,
%% 0 for none.
-spec find(claims(), scoped_ipv6_mdns_records:service()) -> non_neg_integer().
find(#{services := Services}, #{instance := Instance, type := Type}) ->
    Key = fun(I, T) -> {string:casefold(I), scoped_ipv6_dns:lower(T)} end,
    Keys = [Key(I, T) || #{instance := I, type := T} <- Services],
    case lists:search(fun({_N, K}) -> K =:= Key(Instance, Type) end,
                      lists:zip(lists:seq(1, length(Keys)), Keys)) of
        {value, {N, _}} -> N;
        false -> 0
    end.

%% @doc A new service, last on every link.
-spec add(claims(), scoped_ipv6_mdns_records:service()) -> claims().
add(#{services := Services, instances := Instances} = Claims, Service) ->
    Claims#{services := Services ++ [Service],
            instances := maps:map(fun(_I, List) -> List ++ [Service] end, Instances)}.

%% @doc The Nth service with the port, TXT and subtypes of `New', its
%% instance names kept; and the subtypes it no longer has.
-spec update(claims(), pos_integer(), scoped_ipv6_mdns_records:service()) ->
    {[string()], claims()}.
update(#{services := Services, instances := Instances} = Claims, N, New) ->
    Update = fun(List) ->
                     replace(N, maps:merge(lists:nth(N, List),
                                           maps:with([port, txt, subtypes], New)), List)
             end,
    #{subtypes := Before} = lists:nth(N, Services),
    {Before -- maps:get(subtypes, New),
     Claims#{services := Update(Services),
             instances := maps:map(fun(_I, List) -> Update(List) end, Instances)}}.

%% @doc The Nth service gone from every link.
-spec remove(claims(), pos_integer()) -> claims().
remove(#{services := Services, instances := Instances, confirmed := Confirmed} = Claims, N) ->
    Claims#{services := delete(N, Services),
            instances := maps:map(fun(_I, List) -> delete(N, List) end, Instances),
            confirmed := maps:map(fun(_I, K) when K >= N -> K - 1; (_I, K) -> K end,
                                  Confirmed)}.

%% @doc Link `Index' takes the next host name (section 9): the name taken
%% and the next one.
-spec rename_host(claims(), pos_integer()) ->
    {scoped_ipv6_dns:name(), scoped_ipv6_dns:name(), claims()}.
rename_host(#{names := Names} = Claims, Index) ->
    Taken = name(Claims, Index),
    Next = scoped_ipv6_mdns_records:alternative(Taken),
    {Taken, Next, Claims#{names := Names#{Index => Next}}}.

%% @doc Link `Index' takes the next instance name for its Nth service:
%% the service as it was, and the next name.
-spec rename_instance(claims(), pos_integer(), pos_integer()) ->
    {scoped_ipv6_mdns_records:service(), unicode:unicode_binary(), claims()}.
rename_instance(#{instances := Instances} = Claims, Index, N) ->
    Services = services(Claims, Index),
    #{instance := Taken} = Service = lists:nth(N, Services),
    Next = scoped_ipv6_mdns_records:alternative_instance(Taken),
    {Service, Next,
     Claims#{instances := Instances#{Index => replace(N, Service#{instance := Next}, Services)}}}.

%% @doc Link `Index', probing again, had announced its first K services.
-spec confirm(claims(), pos_integer(), non_neg_integer()) -> claims().
confirm(#{confirmed := Confirmed} = Claims, Index, K) ->
    Claims#{confirmed := Confirmed#{Index => K}}.

%% @doc Link `Index' answers for nothing until it has probed (a name of
%% it renamed), or for everything (its probe is done).
-spec unconfirm(claims(), pos_integer()) -> claims().
unconfirm(#{confirmed := Confirmed} = Claims, Index) ->
    Claims#{confirmed := maps:remove(Index, Confirmed)}.

%% @doc How many services link `Index' had announced before probing again.
-spec confirmed(claims(), pos_integer()) -> {ok, non_neg_integer()} | error.
confirmed(#{confirmed := Confirmed}, Index) ->
    maps:find(Index, Confirmed).

replace(N, New, List) ->
    lists:sublist(List, N - 1) ++ [New] ++ lists:nthtail(N, List).

delete(N, List) ->
    lists:sublist(List, N - 1) ++ lists:nthtail(N, List).
