defmodule ScopedIPv6.DocsTest do
  # The Erlang API's documentation is readable from a shell: the mix build
  # writes its doc chunks (native/docs), where code:get_doc/1 finds them,
  # and h/2 in erl renders them with shell_docs. rebar3's build: the EUnit
  # twin, test/scoped_ipv6_docs_tests.erl.
  use ExUnit.Case, async: true

  @documented [
    {:scoped_ipv6, :parse, 1, "Parses address text"},
    {:scoped_ipv6_tcp, :connect, 4, "Connects to"},
    {:scoped_ipv6_udp, :open, 2, "A UDP socket bound to"},
    {:scoped_ipv6_udp, :send, 5, "ancillary data"},
    {:scoped_ipv6, :ping, 2, "ICMPv6 echo request"},
    {:scoped_ipv6, :watch, 2, "Watches a DNS-SD type"},
    {:scoped_ipv6_epmd, :port_please, 3, "The distribution port"}
  ]

  test "h/2 shows the Erlang functions' documentation" do
    for {module, function, arity, words} <- @documented do
      assert {:ok, {:docs_v1, _, :erlang, _, _, _, _} = docs} = :code.get_doc(module)
      config = %{encoding: :unicode, columns: 80, ansi: false}
      text = IO.chardata_to_string(:shell_docs.render(module, function, arity, docs, config))
      assert text =~ words, "#{module}:#{function}/#{arity}: #{text}"
      # What iex's h reads.
      assert {:docs_v1, _, :erlang, _, _, _, _} = Code.fetch_docs(module)
    end
  end

  @public [
    :scoped_ipv6,
    :scoped_ipv6_tcp,
    :scoped_ipv6_tcp_module,
    :scoped_ipv6_udp,
    :scoped_ipv6_epmd,
    :scoped_ipv6_dist
  ]

  test "iex's h renders the Erlang docs without tags or link targets" do
    for module <- @public do
      {:docs_v1, _, :erlang, format, %{"en" => moduledoc}, _, entries} = Code.fetch_docs(module)
      docs = [{:moduledoc, moduledoc} | for({key, _, _, %{"en" => d}, _} <- entries, do: {key, d})]

      for {key, doc} <- docs do
        # What h prints: IO.ANSI.Docs renders the chunk's erlang+html.
        text =
          ExUnit.CaptureIO.capture_io(fn ->
            IO.ANSI.Docs.print(doc, format, width: 80, enabled: false)
          end)

        refute text =~ ~r{</?pre>}, "#{module} #{inspect(key)}: #{text}"
        # A cross-reference's target, as in "resolve/1 (#resolve/1)".
        refute text =~ ~r/\((\w+)?#\w/, "#{module} #{inspect(key)}: #{text}"
        # Every paragraph is wrapped (text outside one is printed as one line).
        assert text |> String.split("\n") |> Enum.all?(&wrapped_or_code?/1),
               "#{module} #{inspect(key)}: #{text}"
      end
    end
  end

  # Wrapped at 80 columns, give or take the backquotes around code, unless
  # a code block's line (indented).
  defp wrapped_or_code?(line), do: String.length(line) <= 100 or line =~ ~r/^\s{6}/

  test "each arity of scoped_ipv6_tcp:connect says what it takes" do
    {:docs_v1, _, _, _, _, _, entries} = Code.fetch_docs(:scoped_ipv6_tcp)

    docs =
      for {{:function, :connect, arity}, _, heading, %{"en" => doc}, _} <- entries,
          into: %{},
          do: {arity, {Enum.join(heading, " "), inspect(doc)}}

    assert {"connect(Address, Port, Opts)", three} = docs[3]
    assert three =~ "connect(Address, Port, Opts, infinity)"
    assert three =~ "connect(SockAddr, Opts, Timeout)"
    assert {"connect(SockAddr, Opts)", _} = docs[2]
    assert {"connect(Address, Port, Opts, Timeout)", _} = docs[4]
  end

  test "the docs list only the functions a module exports" do
    for module <- [:scoped_ipv6, :scoped_ipv6_tcp, :scoped_ipv6_udp, :scoped_ipv6_dist] do
      {:ok, {:docs_v1, _, _, _, _, _, entries}} = :code.get_doc(module)
      listed = for {{:function, name, arity}, _, _, _, _} <- entries, do: {name, arity}
      assert listed -- module.module_info(:exports) == [], "#{module}"
    end
  end

  test "callbacks are hidden from the API docs" do
    # The UDP socket's process is a module of its own: the API module
    # exports no gen_server callback, and its docs list none.
    {:ok, {:docs_v1, _, _, _, _, _, entries}} = :code.get_doc(:scoped_ipv6_udp)
    callbacks = [init: 1, handle_call: 3, handle_cast: 2, handle_info: 2, terminate: 2]

    assert :scoped_ipv6_udp.module_info(:exports) -- callbacks ==
             :scoped_ipv6_udp.module_info(:exports)

    assert for(
             {{:function, name, arity}, _, _, _, _} <- entries,
             {name, arity} in callbacks,
             do: name
           ) == []

    # The public functions are there.
    assert Enum.any?(entries, &match?({{:function, :open, 2}, _, _, %{}, _}, &1))

    # gen_tcp's callbacks: only the module's doc, which shows them in use.
    {:ok, {:docs_v1, _, _, _, %{"en" => moduledoc}, _, entries}} =
      :code.get_doc(:scoped_ipv6_tcp_module)

    assert inspect(moduledoc) =~ "gen_tcp takes "
    callbacks = :scoped_ipv6_tcp_module.module_info(:exports) -- [module_info: 0, module_info: 1]
    assert length(callbacks) == 5

    assert for(
             {{:function, name, arity}, _, _, doc, _} <- entries,
             {name, arity} in callbacks,
             doc != :hidden,
             do: {name, arity}
           ) == []
  end

  test "every public Elixir function has an example, run as a doctest" do
    for module <- [ScopedIPv6, ScopedIPv6.TCP, ScopedIPv6.UDP] do
      {:docs_v1, _, :elixir, _, _, _, entries} = Code.fetch_docs(module)

      documented = for {{:function, name, _}, _, _, %{"en" => _}, _} <- entries, do: name
      assert length(documented) >= 10, "#{inspect(module)}: #{inspect(documented)}"

      # One doc covers every arity of a name with defaults.
      missing =
        for {{:function, name, _}, _, _, %{"en" => text}, _} <- entries,
            not String.contains?(text, "iex>"),
            uniq: true,
            do: name

      assert missing == [], "#{inspect(module)}: no example for #{inspect(missing)}"
    end
  end
end
