#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% escript native/doc_chunks.escript DIR: the Erlang modules' EEP 48 doc
%% chunks, from src/*.erl by edoc, into DIR/chunks, tidied for the shells
%% (native/docs, which chooses DIR, runs this from the repository's root).
%%
%% edoc's chunk doclet lists every function of a module, the internal ones
%% too (OTP 25 and 27: shown by h/2 as if they were API, with no doc): each
%% chunk keeps only the functions its module exports.
%%
%% Its chunk layout also writes what iex (Elixir 1.14) cannot render: a
%% verbatim block as a bare <pre> (OTP's own chunks put a <code> inside,
%% and iex prints a bare one's tags), and each {@link}, @equiv and `m:f/1'
%% cross-reference as a link, which iex prints with its target,
%% "resolve/1 (#resolve/1)"; and it leaves a one-paragraph doc, and the
%% text after a verbatim block, outside any <p>, which iex prints unwrapped.
%% Each becomes what h/2 in erl shows anyway: a <pre><code> block, the
%% link's text, a paragraph. No edoc markup writes the first or the last.

-mode(compile).

-define(INCLUDES, ["include"]).
%% edoc's cross-references (rel="https://erlang.org/doc/link/see...").
-define(SEE, "https://erlang.org/doc/link/see").
-define(BLOCKS, [p, 'div', pre, ul, ol, dl, blockquote, h1, h2, h3, h4, h5, h6]).

main([Dir]) ->
    Files = filelib:wildcard("src/*.erl"),
    Opts = [{doclet, edoc_doclet_chunks}, {layout, edoc_layout_chunks}, {dir, Dir},
            {preprocess, true}, {includes, ?INCLUDES}],
    edoc:files(Files, Opts) =:= ok orelse halt(1),
    lists:foreach(fun(File) -> tidy(Dir, File) end, Files);
main(_) ->
    io:format(standard_error, "usage: escript native/doc_chunks.escript DIR~n", []),
    halt(2).

%% `File''s chunk with its exported functions alone, every doc readable.
tidy(Dir, File) ->
    {Module, Exports} = exports(File),
    Chunk = filename:join([Dir, "chunks", atom_to_list(Module) ++ ".chunk"]),
    {ok, Bin} = file:read_file(Chunk),
    Docs = binary_to_term(Bin),
    Entries = [setelement(4, Entry, readable_doc(Doc))
               || {{Kind, F, A}, _, _, Doc, _} = Entry <- element(7, Docs),
                  Kind =/= function orelse lists:member({F, A}, Exports)],
    Tidied = setelement(5, setelement(7, Docs, Entries), readable_doc(element(5, Docs))),
    ok = file:write_file(Chunk, term_to_binary(Tidied)).

exports(File) ->
    {ok, Forms} = epp:parse_file(File, [{includes, ?INCLUDES}]),
    [Module] = [M || {attribute, _, module, M} <- Forms],
    {Module, lists:append([Fs || {attribute, _, export, Fs} <- Forms])}.

%% A doc in each of its languages (`none' and `hidden' as they are).
readable_doc(#{} = Doc) ->
    maps:map(fun(_Language, Items) -> paragraphs(readable(Items)) end, Doc);
readable_doc(NoneOrHidden) ->
    NoneOrHidden.

%% A cross-reference as its text, a verbatim block as <pre><code>.
readable(Items) ->
    lists:flatmap(fun readable_item/1, Items).

readable_item({a, Attrs, Text}) ->
    case proplists:get_value(rel, Attrs) of
        <<?SEE, _/binary>> -> readable(Text);
        _ -> [{a, Attrs, readable(Text)}]
    end;
readable_item({pre, _Attrs, [{code, _, _}]} = Pre) ->
    [Pre];
readable_item({pre, Attrs, Text}) ->
    [{pre, Attrs, [{code, [], Text}]}];
readable_item({Tag, Attrs, Content}) ->
    [{Tag, Attrs, readable(Content)}];
readable_item(Text) ->
    [Text].

%% Inline items between blocks gathered into paragraphs (blank text dropped).
paragraphs([]) ->
    [];
paragraphs([Item | Rest] = Items) ->
    case is_block(Item) of
        true ->
            [Item | paragraphs(Rest)];
        false ->
            {Inline, After} = lists:splitwith(fun(I) -> not is_block(I) end, Items),
            [{p, [], Inline} || not blank(Inline)] ++ paragraphs(After)
    end.

is_block({Tag, _, _}) -> lists:member(Tag, ?BLOCKS);
is_block(_Text) -> false.

blank(Items) ->
    lists:all(fun(I) -> is_binary(I) andalso string:trim(I) =:= <<>> end, Items).
