defmodule ScopedIPv6.ConsumersTest do
  # Builds two small projects that depend on this one, the way users do:
  # mix with a path dependency, rebar3 with a _checkouts dependency. Each
  # build runs our NIF build on its own, and the result is called.
  use ExUnit.Case, async: true
  @moduletag :consumers
  @moduletag timeout: 300_000

  @fixtures Path.expand("fixtures", __DIR__)
  @repo Path.expand("..", __DIR__)
  # The zone comes back in the input's string type: a binary from Elixir.
  @from_elixir "{{ok,{{65152,0,0,0,0,0,0,1},<<\"lo\">>}},{ok,{{65152,0,0,0,0,0,0,1},1}}}"
  @from_erlang "{{ok,{{65152,0,0,0,0,0,0,1},\"lo\"}},{ok,{{65152,0,0,0,0,0,0,1},1}}}"

  test "a mix project uses it as a path dependency" do
    dir = copy_fixture("mix_consumer")
    code = ~s|IO.puts(:io_lib.format(~c"~0p", [MixConsumer.check()]))|
    {out, status} = run(dir, "mix", ["run", "-e", code])
    assert status == 0, out
    assert out |> String.split("\n", trim: true) |> List.last() == @from_elixir
  end

  test "a rebar3 project uses it as a _checkouts dependency" do
    dir = copy_fixture("rebar_consumer")
    File.mkdir_p!(Path.join(dir, "_checkouts"))
    File.ln_s!(@repo, Path.join(dir, "_checkouts/scoped_ipv6"))

    {out, status} = run(dir, "rebar3", ["compile"])
    assert status == 0, out
    {paths, 0} = run(dir, "rebar3", ["path"])
    pa = paths |> String.split("\n", trim: true) |> List.last() |> String.split(" ")

    eval = ~s|io:format("~0p~n", [rebar_consumer:check()]), halt().|
    {out, status} = run(dir, "erl", ["-noshell", "-pa" | pa] ++ ["-eval", eval])
    assert status == 0, out
    assert String.trim(out) == @from_erlang
  end

  # Built outside the repository, so that nothing it leaves behind (a
  # _checkouts link back to us, above all) is seen by our own build tools.
  defp copy_fixture(name) do
    dir = Path.join(System.tmp_dir!(), "scoped_ipv6_#{name}_#{System.unique_integer([:positive])}")
    File.cp_r!(Path.join(@fixtures, name), dir)
    on_exit(fn -> File.rm_rf!(dir) end)
    dir
  end

  defp run(dir, command, args) do
    # The child is a project of its own: it must not see our mix settings.
    env = [
      {"MIX_ENV", "dev"},
      {"MIX_EXS", nil},
      {"MIX_BUILD_PATH", nil},
      {"MIX_TARGET", nil},
      {"SCOPED_IPV6_PATH", @repo}
    ]

    System.cmd(command, args, cd: dir, env: env, stderr_to_stdout: true)
  end
end
