defmodule ScopedIPv6.Test.Peer do
  @moduledoc """
  Runs test/peers/peer.py (plain Python sockets, not our code) inside a
  testbed namespace, waits for it to say "ready", and kills it when the
  test ends.
  """
  import ExUnit.Callbacks, only: [on_exit: 1]

  @script Path.expand("../peers/peer.py", __DIR__)
  # python-zeroconf is Debian's package: Debian's own python3 runs it.
  @dnssd ["/usr/bin/python3", "-u", Path.expand("../peers/dnssd.py", __DIR__)]

  @doc """
  The service the `dnssd4` role answers with, as browse and watch give it
  on link `link`: `address` is the role's ADDR.
  """
  def dnssd4_service(link, address) do
    %{
      name: "Four",
      type: "_four._tcp",
      host: "four-host.local",
      port: 7143,
      txt: ["f=4"],
      addresses: [address],
      link: link
    }
  end

  @doc "Starts a long-running peer role; returns its port (for `next_line/2`)."
  def start(namespace, role, args) do
    started(open(namespace, role, args))
  end

  @doc "Starts a long-running role of test/peers/dnssd.py (python-zeroconf)."
  def start_dnssd(namespace, args), do: started(spawn(namespace, @dnssd ++ args))

  @doc "Runs a role of test/peers/dnssd.py (python-zeroconf) to its end; its output lines."
  def run_dnssd(namespace, args, timeout \\ 20_000),
    do: collect(spawn(namespace, @dnssd ++ args), [], timeout)

  defp started(port) do
    {:os_pid, os_pid} = Port.info(port, :os_pid)
    on_exit(fn -> System.cmd("kill", ["-9", Integer.to_string(os_pid)], stderr_to_stdout: true) end)
    "ready" = next_line(port, 5_000)
    port
  end

  @doc """
  The two peers behind linkA and linkB, which carry the same address:
  each accepts on `port` and sends its name, "peer-a" or "peer-b".
  """
  def start_names(port) do
    start("sip6-a", "tcp-name", ["#{port}", "peer-a"])
    start("sip6-b", "tcp-name", ["#{port}", "peer-b"])
    :ok
  end

  @doc "Stops a peer started with `start/3`."
  def stop(port) do
    {:os_pid, os_pid} = Port.info(port, :os_pid)
    System.cmd("kill", ["-9", Integer.to_string(os_pid)], stderr_to_stdout: true)
    :ok
  end

  @doc "Runs a one-shot role to its end; returns its output lines."
  def run(namespace, role, args, timeout \\ 10_000) do
    port = open(namespace, role, args)
    collect(port, [], timeout)
  end

  @doc "The next line the peer prints, or `:timeout`."
  def next_line(port, timeout) do
    receive do
      {^port, {:data, {:eol, line}}} -> line
    after
      timeout -> :timeout
    end
  end

  defp open(namespace, role, args),
    do: spawn(namespace, ["python3", "-u", @script, role | args])

  defp spawn(namespace, command) do
    ip = System.find_executable("ip") || "/usr/sbin/ip"

    Port.open({:spawn_executable, ip}, [
      :binary,
      :exit_status,
      :stderr_to_stdout,
      {:line, 4096},
      args: ["netns", "exec", namespace | command]
    ])
  end

  defp collect(port, lines, timeout) do
    receive do
      {^port, {:data, {:eol, line}}} -> collect(port, [line | lines], timeout)
      {^port, {:exit_status, _}} -> Enum.reverse(lines)
    after
      timeout -> Enum.reverse([:timeout | lines])
    end
  end
end
