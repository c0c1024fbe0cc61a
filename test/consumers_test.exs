defmodule ScopedIPv6.ConsumersTest do
  # Builds projects that depend on this one, the way users do, outside the
  # repository: a mix git dependency on a fresh clone, compiled once; mix and
  # rebar3 releases built from scratch and booted with the carrier in
  # embedded mode; the files a Hex package would hold; a build for an
  # explicit target triple, as cross-compiling (Nerves) does. Slow (cargo
  # builds, releases): tagged :consumers, and run by default and in CI.
  # The release tests start nodes and an epmd, so they need the testbed's
  # private network namespace (:testbed).
  use ExUnit.Case, async: true
  @moduletag :consumers
  @moduletag timeout: 600_000

  @fixtures Path.expand("fixtures", __DIR__)
  @repo Path.expand("..", __DIR__)
  # The zone comes back in the input's string type: a binary from Elixir.
  @from_elixir "{{ok,{{65152,0,0,0,0,0,0,1},<<\"lo\">>}},{ok,{{65152,0,0,0,0,0,0,1},1}}}"
  @from_erlang "{{ok,{{65152,0,0,0,0,0,0,1},\"lo\"}},{ok,{{65152,0,0,0,0,0,0,1},1}}}"
  @check_elixir ~s|IO.puts(:io_lib.format(~c"~0p", [MixConsumer.check()]))|
  @cookie "scoped_ipv6_consumer"
  # scoped_ipv6_tcp:connect/4's documentation as h/2 shows it, on one line.
  @connect_doc """
  {ok, Docs} = code:get_doc(scoped_ipv6_tcp),
  Text = unicode:characters_to_list(shell_docs:render(scoped_ipv6_tcp, connect, 4, Docs)),
  io:format("~ts~n", [string:replace(Text, "\n", " ", all)]), halt().
  """

  setup_all do
    # Cargo target directories shared by this module's builds: each consumer
    # still compiles our crate from its own sources (cargo fingerprints
    # path crates by location), but crates.io dependencies are built once.
    # One for builds of the committed state, one for the working tree's:
    # cargo names the library the same whichever copy of the crate built
    # it, and a copy whose build is fresh takes the library last built in
    # that directory, another copy's (stale when the working tree differs).
    # A fresh clone of the committed state, on a branch named main, as the
    # README's git dependency says.
    clone = tmp_dir("clone")
    {_, 0} = System.cmd("git", ["clone", "--quiet", "file://#{@repo}", clone])
    {_, 0} = System.cmd("git", ["-C", clone, "branch", "-M", "main"])

    %{
      cargo: %{committed: tmp_dir("cargo_committed"), working: tmp_dir("cargo_working")},
      git: "file://#{clone}"
    }
  end

  test "a mix project uses it as a path dependency", ctx do
    dir = copy_fixture("mix_consumer")
    {out, status} = run(ctx, dir, "mix", ["run", "-e", @check_elixir])
    assert status == 0, out
    assert last_line(out) == @from_elixir
  end

  test "a mix project compiles it once as a git dependency, NIF included", ctx do
    dir = copy_fixture("mix_consumer")
    env = [{"SCOPED_IPV6_GIT", ctx.git}]
    {out, 0} = run(ctx, dir, "mix", ["deps.get"], env)
    assert out =~ "scoped_ipv6"
    {out, status} = run(ctx, dir, "mix", ["compile"], env)
    assert status == 0, out
    assert File.regular?(Path.join(dir, "_build/dev/lib/scoped_ipv6/priv/libscoped_ipv6_nif.so"))
    # No second compile: what the first one left must be enough.
    {out, status} = run(ctx, dir, "mix", ["run", "--no-compile", "-e", @check_elixir], env)
    assert status == 0, out
    assert last_line(out) == @from_elixir
  end

  test "a rebar3 project uses it as a _checkouts dependency", ctx do
    dir = copy_fixture("rebar_consumer")
    File.mkdir_p!(Path.join(dir, "_checkouts"))
    File.ln_s!(@repo, Path.join(dir, "_checkouts/scoped_ipv6"))
    assert rebar3_check(ctx, dir) == @from_erlang
  end

  test "the files of the Hex package build, as a mix and as a rebar3 dependency", ctx do
    files = Mix.Project.config()[:package][:files]
    assert "LICENSE" in files and "CHANGELOG.md" in files
    package = tmp_dir("package")

    # What Hex does with the list: each entry a file, a directory or a glob.
    for entry <- files, path <- Path.wildcard(Path.join(@repo, entry)) do
      target = Path.join(package, Path.relative_to(path, @repo))
      File.mkdir_p!(Path.dirname(target))
      File.cp_r!(path, target)
    end

    mix = copy_fixture("mix_consumer")
    env = [{"SCOPED_IPV6_PATH", package}]
    {out, status} = run(ctx, mix, "mix", ["compile"], env)
    assert status == 0, out
    {out, status} = run(ctx, mix, "mix", ["run", "--no-compile", "-e", @check_elixir], env)
    assert status == 0, out
    assert last_line(out) == @from_elixir

    rebar = copy_fixture("rebar_consumer")
    File.mkdir_p!(Path.join(rebar, "_checkouts"))
    File.ln_s!(package, Path.join(rebar, "_checkouts/scoped_ipv6"))
    assert rebar3_check(ctx, rebar) == @from_erlang
  end

  test "mix clean removes the NIF that mix compile built", ctx do
    dir = tmp_dir("clean")
    {_, 0} = System.cmd("git", ["clone", "--quiet", ctx.git, dir])
    {out, status} = run(ctx, dir, "mix", ["compile"])
    assert status == 0, out
    assert nif_files(dir) != []
    {out, status} = run(ctx, dir, "mix", ["clean"])
    assert status == 0, out
    assert nif_files(dir) == []
  end

  test "the Erlang API starts from plain erl on the mix build, without Elixir" do
    ebin = Path.join(Mix.Project.app_path(), "ebin")

    eval = """
    {error, bad_name} = code:lib_dir(elixir),
    {ok, Started} = application:ensure_all_started(scoped_ipv6),
    io:format("~0p~n", [{Started, scoped_ipv6:parse("fe80::1%1")}]), halt().
    """

    {out, status} = System.cmd("erl", ["-noshell", "-pa", ebin, "-eval", eval], env: env([]))
    assert status == 0, out
    assert last_line(out) == "{[scoped_ipv6],{ok,{{65152,0,0,0,0,0,0,1},1}}}"
  end

  test "the NIF loads on first call, from 100 processes at once, or says why not" do
    app = Mix.Project.app_path()

    eval = """
    Self = self(),
    Pids = [spawn(fun() -> Self ! {self(), scoped_ipv6:parse("fe80::1%1")} end)
            || _ <- lists:seq(1, 100)],
    io:format("~0p~n", [lists:usort([receive {P, R} -> R after 10000 -> timeout end
                                      || P <- Pids])]),
    halt().
    """

    {out, status} = erl_in(app, eval)
    assert status == 0, out
    assert last_line(out) == "[{ok,{{65152,0,0,0,0,0,0,1},1}}]"

    # The same build without its priv/: an error that names the library.
    bare = Path.join(tmp_dir("bare"), "scoped_ipv6")
    File.mkdir_p!(bare)
    File.cp_r!(Path.join(app, "ebin"), Path.join(bare, "ebin"))

    eval = """
    try scoped_ipv6:parse("fe80::1%1")
    catch error:{nif_not_loaded, {load_failed, Text}} -> io:format("~s~n", [Text])
    end,
    halt().
    """

    {out, status} = erl_in(bare, eval)
    assert status == 0, out
    assert last_line(out) =~ ~r"/scoped_ipv6/priv/libscoped_ipv6_nif.so: cannot open"
  end

  test "native/build builds for an explicit target triple, and from Nerves' variables" do
    triple = host_triple()
    # A target directory of its own: a library left in target/release by
    # another build must not be taken for the target's.
    cargo = tmp_dir("cross_target")
    log = Path.join(tmp_dir("cc"), "cc.log")
    cc = Path.join(Path.dirname(log), "cc")
    File.write!(cc, "#!/bin/sh\necho \"$@\" >> #{log}\nexec cc \"$@\"\n")
    File.chmod!(cc, 0o755)
    [arch, vendor, os, abi] = String.split(triple, "-", parts: 4)

    nerves = [
      {"TARGET_ARCH", arch},
      {"TARGET_VENDOR", vendor},
      {"TARGET_OS", os},
      {"TARGET_ABI", abi},
      {"CC", cc}
    ]

    app = build_for_target(cargo, nerves)
    assert File.exists?(log), "CC was not used as the linker"
    assert File.exists?(Path.join(cargo, "#{triple}/release/libscoped_ipv6_nif.so"))
    refute File.exists?(Path.join(cargo, "release/libscoped_ipv6_nif.so"))
    assert loads?(app)

    app = build_for_target(cargo, [{"CARGO_BUILD_TARGET", triple}])
    assert loads?(app)
  end

  @tag :testbed
  test "a mix release boots with -proto_dist scoped_ipv6 in embedded mode", ctx do
    dir = copy_fixture("mix_consumer")
    env = [{"SCOPED_IPV6_GIT", ctx.git}, {"MIX_ENV", "prod"}]
    {out, 0} = run(ctx, dir, "mix", ["deps.get"], env)
    assert out =~ "scoped_ipv6"
    {out, status} = run(ctx, dir, "mix", ["release", "--quiet"], env)
    assert status == 0, out

    node = "mix_consumer@127.0.0.1"

    release_env = [
      {"RELEASE_DISTRIBUTION", "name"},
      {"RELEASE_NODE", node},
      {"RELEASE_COOKIE", @cookie}
    ]

    bin = Path.join(dir, "_build/prod/rel/mix_consumer/bin/mix_consumer")
    assert_boots(bin, ["start"], release_env, node)
  end

  @tag :testbed
  test "a rebar3 release boots with -proto_dist scoped_ipv6 in embedded mode", ctx do
    dir = copy_fixture("rebar_consumer")
    {out, status} = run(ctx, dir, "rebar3", ["release"], [{"SCOPED_IPV6_GIT", ctx.git}])
    assert status == 0, out
    bin = Path.join(dir, "_build/default/rel/rebar_consumer/bin/rebar_consumer")
    assert_boots(bin, ["foreground"], [], "rebar_consumer@127.0.0.1")
  end

  # Starts the release, then a second node on the carrier that pings it and
  # calls the NIF there over rpc, then stops it.
  defp assert_boots(bin, args, env, node) do
    port =
      Port.open({:spawn_executable, bin}, [
        :binary,
        :exit_status,
        :stderr_to_stdout,
        args: args,
        env: for({k, v} <- env(env), do: {to_charlist(k), (v && to_charlist(v)) || false})
      ])

    probe = """
    Rel = '#{node}',
    Wait = fun Wait(0) -> pang;
               Wait(N) -> case net_adm:ping(Rel) of
                              pong -> pong;
                              pang -> timer:sleep(500), Wait(N - 1)
                          end
           end,
    Ping = Wait(60),
    Call = fun(M, F, A) -> rpc:call(Rel, M, F, A, 10000) end,
    %% gen_tcp itself through the library's tcp_module, loaded in the
    %% embedded release as any other of its modules.
    ViaGenTcp = Call(gen_tcp, connect, ["fe80::1", 9, [{tcp_module, scoped_ipv6_tcp_module}], 1000]),
    %% A scoped UDP socket there, in one process (its owner): its process
    %% and its reader are modules of their own, which the release must
    %% hold and load. Sent as abstract code for the release's erl_eval: a
    %% fun made here would be another erl_eval's (a mix release strips
    %% its beams), a badfun there.
    {ok, Tokens, _} = erl_scan:string(
        "Lo = {0,0,0,0,0,0,0,1},"
        "{ok, S} = scoped_ipv6_udp:open(0, [binary, {ip, Lo}]),"
        "{ok, {_, P}} = scoped_ipv6_udp:sockname(S),"
        "ok = scoped_ipv6_udp:send(S, Lo, P, <<120>>),"
        "Got = scoped_ipv6_udp:recv(S, 0, 2000),"
        "ok = scoped_ipv6_udp:close(S),"
        "Got."),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    Udp = case Call(erl_eval, exprs, [Exprs, []]) of
              {value, Value, _Bindings} -> Value;
              Other -> Other
          end,
    Answer = {Ping, Call(code, get_mode, []), Call(init, get_argument, [proto_dist]),
              Call(scoped_ipv6, parse, ["fe80::1%1"]), Call(os, getpid, []), ViaGenTcp, Udp},
    Call(init, stop, []),
    io:format("~0p~n", [Answer]),
    halt().
    """

    ebin = Path.join(Mix.Project.app_path(), "ebin")

    {out, status} =
      System.cmd(
        "erl",
        ~w(-noshell -proto_dist scoped_ipv6 -name consumer_probe@127.0.0.1 -setcookie) ++
          [@cookie, "-pa", ebin, "-eval", probe],
        env: env([]),
        stderr_to_stdout: true
      )

    answer = if status == 0, do: erl_term(last_line(out), out)
    release_out = release_output(port, answer, "")
    # The two nodes started an epmd in this namespace: leave none behind
    # (epmd refuses while another node is registered with it).
    System.cmd(Path.join(:code.root_dir(), "bin/epmd"), ["-kill"], stderr_to_stdout: true)

    assert match?(
             {:pong, :embedded, {:ok, [[~c"scoped_ipv6"]]},
              {:ok, {{0xFE80, 0, 0, 0, 0, 0, 0, 1}, 1}}, _pid, {:error, :scope_required},
              {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, _port, "x"}}},
             answer
           ),
           "probe: #{out}\nrelease: #{release_out}"
  end

  # Collects what the release printed until it exits; a release that does
  # not stop within 30 s is killed by its OS pid, if the probe learned it.
  defp release_output(port, answer, acc) do
    receive do
      {^port, {:data, data}} -> release_output(port, answer, acc <> data)
      {^port, {:exit_status, _}} -> acc
    after
      30_000 ->
        with {_, _, _, _, pid, _, _} when is_list(pid) <- answer,
             do: System.cmd("kill", ["-9", "#{pid}"])

        acc <> "\n(did not stop within 30 s)"
    end
  end

  defp rebar3_check(ctx, dir) do
    {out, status} = run(ctx, dir, "rebar3", ["compile"])
    assert status == 0, out
    {paths, 0} = run(ctx, dir, "rebar3", ["path"])
    pa = paths |> last_line() |> String.split(" ")
    eval = ~s|io:format("~0p~n", [rebar_consumer:check()]), halt().|
    {out, status} = run(ctx, dir, "erl", ["-noshell", "-pa" | pa] ++ ["-eval", eval])
    assert status == 0, out
    # h/2 in the consumer's shell: the doc chunks are where code:get_doc/1
    # looks from the ebin rebar3 built (for a _checkouts dependency, under
    # _build/default/checkouts, away from the checkout's own directory).
    {docs, status} = run(ctx, dir, "erl", ["-noshell", "-pa" | pa] ++ ["-eval", @connect_doc])
    assert status == 0, docs
    # (Words without markup: OTP 27 and later render code in ANSI escapes.)
    assert last_line(docs) =~ "(name lookup included)"
    last_line(out)
  end

  defp build_for_target(cargo, env) do
    app = Path.join(tmp_dir("app"), "scoped_ipv6")
    File.mkdir_p!(app)
    File.cp_r!(Path.join(Mix.Project.app_path(), "ebin"), Path.join(app, "ebin"))
    build = Path.join(@repo, "native/build")
    env = env([{"CARGO_TARGET_DIR", cargo} | env])

    {out, status} =
      System.cmd("sh", [build, Path.join(app, "priv")], env: env, stderr_to_stdout: true)

    assert status == 0, out
    app
  end

  defp loads?(app) do
    {out, status} = erl_in(app, ~s|io:format("~0p~n", [scoped_ipv6:parse("fe80::1%1")]), halt().|)
    status == 0 and last_line(out) == "{ok,{{65152,0,0,0,0,0,0,1},1}}"
  end

  defp erl_in(app, eval) do
    System.cmd("erl", ["-noshell", "-pa", Path.join(app, "ebin"), "-eval", eval],
      env: env([]),
      stderr_to_stdout: true
    )
  end

  defp host_triple do
    {out, 0} = System.cmd("rustc", ["-vV"])
    [triple] = for "host: " <> triple <- String.split(out, "\n"), do: triple
    triple
  end

  defp nif_files(dir) do
    dir
    |> Path.join("**/libscoped_ipv6_nif.so")
    |> Path.wildcard(match_dot: true)
    |> Enum.reject(&String.starts_with?(Path.relative_to(&1, dir), "target/"))
  end

  defp copy_fixture(name) do
    dir = tmp_dir(name)
    File.cp_r!(Path.join(@fixtures, name), dir)
    dir
  end

  # Outside the repository, so that nothing built there (a _checkouts link
  # back to us, above all) is seen by our own build tools.
  # Fresh for this run: the OS pid in the name (unique_integer starts
  # again in every VM, so a run killed before its on_exit left a directory
  # the next run would reuse), and emptied first all the same.
  defp tmp_dir(name) do
    unique = "#{System.pid()}_#{System.unique_integer([:positive])}"
    dir = Path.join(System.tmp_dir!(), "scoped_ipv6_#{name}_#{unique}")
    File.rm_rf!(dir)
    File.mkdir_p!(dir)
    on_exit(fn -> File.rm_rf!(dir) end)
    dir
  end

  defp run(ctx, dir, command, args, env \\ []) do
    env = env([{"CARGO_TARGET_DIR", cargo_target(ctx, dir, env)} | env])
    System.cmd(command, args, cd: dir, env: env, stderr_to_stdout: true)
  end

  # A git dependency, or a clone, builds the committed state.
  defp cargo_target(ctx, dir, env) do
    if List.keymember?(env, "SCOPED_IPV6_GIT", 0) or File.dir?(Path.join(dir, ".git")),
      do: ctx.cargo.committed,
      else: ctx.cargo.working
  end

  # A child is a project of its own: it must not see our mix settings.
  defp env(extra) do
    [
      {"MIX_ENV", "dev"},
      {"MIX_EXS", nil},
      {"MIX_BUILD_PATH", nil},
      {"MIX_DEPS_PATH", nil},
      {"MIX_TARGET", nil},
      {"CARGO_BUILD_TARGET", nil},
      {"TARGET_ARCH", nil},
      {"SCOPED_IPV6_PATH", @repo}
    ]
    |> Map.new()
    |> Map.merge(Map.new(extra))
    |> Enum.to_list()
  end

  # The term a probe printed last; what it printed, when that is no term.
  defp erl_term(text, out) do
    with {:ok, tokens, _} <- :erl_scan.string(String.to_charlist(text <> ".")),
         {:ok, term} <- :erl_parse.parse_term(tokens) do
      term
    else
      _ -> flunk("the probe printed no term: #{out}")
    end
  end

  defp last_line(out), do: out |> String.split("\n", trim: true) |> List.last()
end
