defmodule ScopedIPv6.Test.Avahi do
  @moduledoc """
  Debian's avahi-daemon (not our code) in a testbed namespace, with D-Bus
  off, static host names and, when asked, static services
  (test/peers/avahi.sh); `start/3` returns once every name and service is
  established (probed and announced).
  """
  import ExUnit.Assertions, only: [flunk: 1]

  @script Path.expand("../peers/avahi.sh", __DIR__)

  @doc """
  Starts avahi-daemon in `ns` answering for `hosts` (`{name, address}`
  pairs); returns `{os_pid, dir}`, to kill and remove when done. Options:
  `ipv4: true` (IPv4 only), `addresses: true` (its own host name,
  `avahi-NS.local`, with eth0's addresses, as they come and go; returns
  once it is established), `services: [service]`, each a map with
  `:name`, `:type`, `:port`, `:host` (the SRV target: one of `hosts`, so
  that its address is published), `:txt` (strings) and `:subtypes`,
  written to DIR/services as avahi's static service files.
  """
  def start(ns, hosts, opts \\ []) do
    dir =
      Path.join(System.tmp_dir!(), "scoped_ipv6_avahi_#{ns}_#{System.unique_integer([:positive])}")

    File.mkdir_p!(dir)

    File.write!(
      Path.join(dir, "hosts"),
      Enum.map_join(hosts, "", fn {name, ip} -> "#{ip} #{name}\n" end)
    )

    services = Keyword.get(opts, :services, [])
    if services != [], do: File.mkdir_p!(Path.join(dir, "services"))

    for {service, i} <- Enum.with_index(services) do
      File.write!(Path.join([dir, "services", "s#{i}.service"]), service_file(service))
    end

    # Its log goes to a file: a pipe would close with the process that
    # opened it, and avahi die of SIGPIPE at its next line. Every exec
    # keeps the pid: the port's OS pid is avahi-daemon's.
    log = Path.join(dir, "log")

    port =
      Port.open({:spawn_executable, System.find_executable("ip")}, [
        :exit_status,
        args:
          ["netns", "exec", ns, "sh", "-c", ~S(exec "$0" "$@" >"$1/log" 2>&1), @script, dir] ++
            ["avahi-#{ns}", "eth0", if(opts[:ipv4], do: "ipv4", else: "ipv6")] ++
            if(opts[:addresses], do: ["addresses"], else: [])
      ])

    {:os_pid, os_pid} = Port.info(port, :os_pid)
    # Its own host name: established when the server is running.
    own = if opts[:addresses], do: ["avahi-#{ns}.local"], else: []
    wait_established(log, Enum.map(hosts, &elem(&1, 0)) ++ own, Enum.map(services, & &1.name), 150)
    {os_pid, dir}
  end

  @doc """
  Stops an avahi-daemon `start/3` started (`{os_pid, dir}`), and waits
  until it has exited, its goodbyes sent: the next test's avahi on the
  same link must not meet it. `signal` `"KILL"`: gone without a goodbye.
  """
  def stop({os_pid, dir}, signal \\ "TERM") do
    System.cmd(
      "sh",
      ["-c", ~S(kill -s "$1" "$0" && exec tail --pid="$0" -f /dev/null), "#{os_pid}", signal],
      stderr_to_stdout: true
    )

    File.rm_rf(dir)
  end

  defp service_file(service) do
    txt = Enum.map_join(Map.get(service, :txt, []), "", &"<txt-record>#{xml(&1)}</txt-record>")

    subtypes = Enum.map_join(Map.get(service, :subtypes, []), "", &"<subtype>#{xml(&1)}</subtype>")

    """
    <?xml version="1.0" standalone='no'?>
    <!DOCTYPE service-group SYSTEM "avahi-service.dtd">
    <service-group>
      <name>#{xml(service.name)}</name>
      <service>
        <type>#{service.type}</type>#{subtypes}
        <port>#{service.port}</port>
        <host-name>#{service.host}</host-name>#{txt}
      </service>
    </service-group>
    """
  end

  defp xml(text) do
    text
    |> String.replace("&", "&amp;")
    |> String.replace("<", "&lt;")
    |> String.replace(">", "&gt;")
  end

  defp wait_established(log, names, services, tries) do
    text =
      case File.read(log) do
        {:ok, text} -> text
        {:error, _} -> ""
      end

    established =
      for [_, name] <- Regex.scan(~r/Static host name "(.*)" successfully established/, text),
          do: name

    running =
      for [_, name] <- Regex.scan(~r/Server startup complete\. Host name is (.*)\. /, text),
          do: name

    published =
      for [_, name] <- Regex.scan(~r/Service "(.*)" \(.*\) successfully established/, text),
          do: name

    cond do
      names -- (established ++ running) == [] and services -- published == [] ->
        :ok

      tries == 0 ->
        flunk(
          "avahi-daemon did not establish #{inspect((names -- established) ++ (services -- published))}: #{text}"
        )

      true ->
        Process.sleep(100) && wait_established(log, names, services, tries - 1)
    end
  end
end
