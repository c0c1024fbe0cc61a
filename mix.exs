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
      compilers: [:scoped_ipv6_nif | Mix.compilers()],
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
        licenses: @app_props[:licenses],
        files: ~w(Cargo.toml Cargo.lock native src include lib mix.exs rebar.config README.md)
      ]
    ]
  end

  def application do
    [mod: @app_props[:mod], extra_applications: []]
  end
end

defmodule Mix.Tasks.Compile.ScopedIpv6Nif do
  @moduledoc "Builds the scoped_ipv6 NIF with cargo (through native/build)."
  use Mix.Task.Compiler

  @build_script Path.expand("native/build", __DIR__)

  @impl Mix.Task.Compiler
  def run(_args) do
    case System.cmd("sh", [@build_script], stderr_to_stdout: true) do
      {_output, 0} ->
        {:ok, []}

      {output, status} ->
        Mix.shell().error(output)
        Mix.raise("building the scoped_ipv6 NIF failed (exit #{status})")
    end
  end
end
