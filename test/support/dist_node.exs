defmodule ScopedIPv6.Test.DistNode do
  @moduledoc """
  Real BEAM nodes on `-proto_dist scoped_ipv6`, each in a testbed
  namespace, for the tests and bench/dist.exs. A node halts when its stdin
  closes, so it cannot outlive the VM that started it. An Erlang node runs
  an evaluator: `eval/2` sends it one Erlang expression (bindings are kept
  from one to the next) and returns the value, or `{:raised, class, reason}`.
  """

  @cookie "scoped"
  # Reads an expression a line, answers with the value in the external term
  # format, base64-encoded on one line after "answer " (the node's log
  # reports go to the same stdout).
  @evaluator ~S"""
  Eval = fun Loop(Bindings) ->
      case io:get_line("") of
          eof -> halt();
          Line ->
              {Result, Next} =
                  try
                      %% Elixir's standard_io is in binary mode.
                      {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Line)),
                      {ok, Exprs} = erl_parse:parse_exprs(Tokens),
                      {value, Value, NewBindings} = erl_eval:exprs(Exprs, Bindings),
                      {{value, Value}, NewBindings}
                  catch Class:Reason -> {{raised, Class, Reason}, Bindings}
                  end,
              io:format("answer ~s~n", [base64:encode(term_to_binary(Result))]),
              Loop(Next)
      end
  end,
  io:format("ready~n"),
  Eval([]).
  """

  @doc """
  Starts node `name` (e.g. `"b@fe80::2"`) in namespace `ns`; returns its
  port, which only the calling process can `eval/2` on. Options: `:erl`
  (more `erl` arguments), `:elixir` (start it with `elixir --erl` instead:
  no evaluator then, it only waits), `:proto` (`"scoped_ipv6"` by default),
  `:cpu` (run it on that CPU only, with `taskset`).
  """
  def start(ns, name, opts \\ []) do
    ebin = Application.app_dir(:scoped_ipv6, "ebin")
    proto = Keyword.get(opts, :proto, "scoped_ipv6")
    # Two seconds of silence take a link down: tests need not wait a minute.
    common = ~w(-proto_dist #{proto} -pa #{ebin} -connect_all false -kernel net_ticktime 2)

    args =
      if opts[:elixir] do
        erl = Enum.join(common ++ Keyword.get(opts, :erl, []), " ")

        code =
          ~S|{:ok, t, _} = :erl_scan.string(String.to_charlist(System.fetch_env!("EVALUATOR")))| <>
            ~S|; {:ok, e} = :erl_parse.parse_exprs(t); :erl_eval.exprs(e, [])|

        [System.find_executable("elixir"), "--erl", erl, "--name", name, "--cookie", @cookie] ++
          ["-e", code]
      else
        [System.find_executable("erl"), "-noshell", "-name", name, "-setcookie", @cookie] ++
          common ++ Keyword.get(opts, :erl, []) ++ ["-eval", @evaluator]
      end

    args = if cpu = opts[:cpu], do: ["taskset", "-c", "#{cpu}" | args], else: args

    port =
      Port.open({:spawn_executable, System.find_executable("ip")}, [
        :binary,
        {:line, 1_000_000},
        :exit_status,
        env: [{~c"EVALUATOR", String.to_charlist(@evaluator)}],
        args: ["netns", "exec", ns | args]
      ])

    await_ready(port, ns, name, [])
  end

  # What the node printed before "ready" (OTP prints why a carrier could
  # not listen with erlang:display/1, on stdout) goes into the error.
  defp await_ready(port, ns, name, printed) do
    receive do
      {^port, {:data, {:eol, "ready"}}} ->
        port

      {^port, {:data, {_eol, line}}} ->
        await_ready(port, ns, name, [line | printed])

      {^port, {:exit_status, status}} ->
        raise "node #{name} in #{ns} exited: #{status}; it printed: " <>
                inspect(Enum.reverse(printed))
    after
      20_000 ->
        raise "node #{name} in #{ns} did not start; it printed: #{inspect(Enum.reverse(printed))}"
    end
  end

  @doc "Evaluates one Erlang expression (without the final dot) on the node."
  def eval(port, expression, timeout \\ 20_000) do
    Port.command(port, String.replace(expression, "\n", " ") <> ".\n")

    answer(port, expression, timeout)
  end

  defp answer(port, expression, timeout) do
    receive do
      {^port, {:data, {:eol, "answer " <> answer}}} ->
        case :erlang.binary_to_term(Base.decode64!(answer)) do
          {:value, value} -> value
          {:raised, class, reason} -> {:raised, class, reason}
        end

      {^port, {:data, {:eol, _log_line}}} ->
        answer(port, expression, timeout)

      {^port, {:exit_status, status}} ->
        raise "node exited (#{status}) while evaluating #{expression}"
    after
      timeout -> raise "no answer to #{expression}"
    end
  end

  @doc "Stops a node, waiting for its VM to end."
  def stop(port) do
    if info = Port.info(port, :os_pid) do
      {:os_pid, os_pid} = info
      Port.close(port)
      wait_gone(os_pid, 200)
    end

    :ok
  end

  @doc "Kills the epmd daemons the nodes started in these namespaces."
  def kill_epmds(namespaces) do
    for ns <- namespaces,
        {pids, 0} = System.cmd("ip", ~w(netns pids #{ns})),
        pid <- String.split(pids),
        File.read("/proc/#{pid}/comm") == {:ok, "epmd\n"} do
      System.cmd("kill", [pid])
    end

    :ok
  end

  defp wait_gone(_os_pid, 0), do: :ok

  defp wait_gone(os_pid, tries) do
    # `ip netns exec` execs the VM, so the port's OS pid is the VM's.
    if File.exists?("/proc/#{os_pid}") do
      Process.sleep(25)
      wait_gone(os_pid, tries - 1)
    end
  end
end
