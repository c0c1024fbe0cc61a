%% Guards for the address forms of scoped_ipv6. Use them in guards only.
%%
%%   f(A) when ?is_scoped_address(A) -> scoped;
%%   f(A) when ?is_ip6_address(A) -> plain.

-define(is_ip4_byte(B), (is_integer(B) andalso B >= 0 andalso B =< 255)).

-define(is_ip4_address(A),
    (tuple_size(A) =:= 4 andalso
     ?is_ip4_byte(element(1, A)) andalso ?is_ip4_byte(element(2, A)) andalso
     ?is_ip4_byte(element(3, A)) andalso ?is_ip4_byte(element(4, A)))).

-define(is_ip6_word(W), (is_integer(W) andalso W >= 0 andalso W =< 16#ffff)).

-define(is_ip6_address(A),
    (tuple_size(A) =:= 8 andalso
     ?is_ip6_word(element(1, A)) andalso ?is_ip6_word(element(2, A)) andalso
     ?is_ip6_word(element(3, A)) andalso ?is_ip6_word(element(4, A)) andalso
     ?is_ip6_word(element(5, A)) andalso ?is_ip6_word(element(6, A)) andalso
     ?is_ip6_word(element(7, A)) andalso ?is_ip6_word(element(8, A)))).

%% An interface index (0..2^32-1) or an interface name (string or binary).
-define(is_scope(S),
    ((is_integer(S) andalso S >= 0 andalso S =< 16#ffffffff)
     orelse is_list(S) orelse is_binary(S))).

-define(is_scoped_address(A),
    (tuple_size(A) =:= 2 andalso ?is_ip6_address(element(1, A))
     andalso ?is_scope(element(2, A)))).
