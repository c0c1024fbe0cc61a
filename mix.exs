defmodule ScopedIPv6.MixProject do
  use Mix.Project

  # One source of truth for the version and description: the .app.src that
  # rebar3 uses too.
  @app_src Path.join(__DIR__, "src/scoped_ipv6.app.src")
  @external_resource @app_src
  {:ok, [{:application, :scoped_ipv6, app_props}]} = :file.consult(@app_src)
  @app_props app_props

  def project do
    [
      app: :scoped_ipv6,
      version: to_string(@app_props[:vsn]),
      description: to_string(@app_props[:description]),
      elixir: "~> 1.14",
      # The Erlang API needs no Elixir: without this, mix lists :elixir in
      # the .app's applications, and plain erl cannot start the application.
      # The Elixir modules need Elixir only when called (Elixir users have it).
      language: :erlang,
      compilers: [:scoped_ipv6_nif | Mix.compilers()] ++ [:scoped_ipv6_docs],
      erlc_paths: ["src"],
      erlc_include_path: "include",
      elixirc_paths: ["lib"],
      deps: [],
      # Under test/ besides the tests: helpers, consumer projects, the
      # testbed script, its peers, and the EUnit modules rebar3 runs.
      test_load_filters: [&String.ends_with?(&1, "_test.exs")],
      test_ignore_filters: [
        &String.starts_with?(&1, ~w(test/support/ test/fixtures/ test/peers/)),
        &String.ends_with?(&1, ~w(test_helper.exs .erl .sh))
      ],
      package: [
        licenses: Enum.map(@app_props[:licenses], &to_string/1),
        links: Map.new(@app_props[:links], fn {name, url} -> {to_string(name), to_string(url)} end),
        # What a Hex package holds: test/consumers_test.exs builds a project
        # from exactly these files.
        files: ~w(Cargo.toml Cargo.lock native src include lib mix.exs rebar.config
             README.md CHANGELOG.md LICENSE)
      ]
    ]
  end

  def application do
    # Elixir is optional: called by the Elixir modules only, and there by
    # Elixir users, whose own application starts it. Elixir 1.14 leaves it
    # out of the .app; 1.15+ lists it in optional_applications, which OTP
    # skips when absent (plain erl starts the application on 1.18 and 1.20).
    [
      mod: @app_props[:mod],
      registered: @app_props[:registered],
      extra_applications: [elixir: :optional]
    ]
  end
end

defmodule Mix.Tasks.Compile.ScopedIpv6Nif do
  @moduledoc """
  Builds the scoped_ipv6 NIF with cargo, through native/build (rebar3's
  build script too), into the priv/ of `Mix.Project.app_path/0`.

  Not into the source's priv/: mix links a dependency's priv/ into _build
  only if it existed before compilation, so the first compile of a git or
  Hex dependency, and a release made from it, would have no NIF. This is
  what elixir_make does (`$MIX_APP_PATH/priv`), and it follows `MIX_TARGET`
  (Nerves), whose app path differs per target.
  """
  use Mix.Task.Compiler

  @build_script Path.expand("native/build", __DIR__)

  @impl Mix.Task.Compiler
  def run(_args) do
    case System.cmd("sh", [@build_script, priv_dir()], stderr_to_stdout: true) do
      {_output, 0} ->
        {:ok, []}

      {output, status} ->
        Mix.shell().error(output)
        Mix.raise("building the scoped_ipv6 NIF failed (exit #{status})")
    end
  end

  @impl Mix.Task.Compiler
  def clean do
    File.rm(Path.join(priv_dir(), "libscoped_ipv6_nif.so"))
    :ok
  end

  defp priv_dir, do: Path.join(Mix.Project.app_path(), "priv")
end

defmodule Mix.Tasks.Compile.ScopedIpv6Docs do
  @moduledoc """
  Writes the Erlang modules' doc chunks (EEP 48) into the app's build path,
  through native/docs (rebar3's post_hook runs it too), so that `h` in erl
  and iex shows the Erlang API's documentation. Runs when a source, or a
  script, is newer than the chunks.
  """
  use Mix.Task.Compiler

  @script Path.expand("native/docs", __DIR__)
  @chunks_script Path.expand("native/doc_chunks.escript", __DIR__)
  @sources Path.wildcard(Path.expand("src/*.erl", __DIR__))

  @impl Mix.Task.Compiler
  def run(_args) do
    stamp = Path.join(chunks_dir(), "scoped_ipv6.chunk")

    if Mix.Utils.stale?([@script, @chunks_script | @sources], [stamp]) do
      case System.cmd("sh", [@script, docs_dir()], stderr_to_stdout: true) do
        {_output, 0} ->
          {:ok, []}

        {output, status} ->
          Mix.shell().error(output)
          Mix.raise("building the scoped_ipv6 doc chunks failed (exit #{status})")
      end
    else
      {:noop, []}
    end
  end

  @impl Mix.Task.Compiler
  def clean do
    File.rm_rf(chunks_dir())
    :ok
  end

  defp docs_dir, do: Path.join(Mix.Project.app_path(), "doc")
  defp chunks_dir, do: Path.join(docs_dir(), "chunks")
end
