defmodule ScopedIPv6.TestbedEpmdTest do
  # The first step of distribution over link-local addresses (issue 5):
  # asking each peer's epmd for a node's port, over the same address on two
  # links. The nodes are real OTP nodes named `peer` in sip6-a and sip6-b.
  use ExUnit.Case, async: false
  @moduletag :testbed
  @moduletag timeout: 60_000

  setup do
    nodes = for ns <- ["sip6-a", "sip6-b"], into: %{}, do: {ns, start_node(ns)}

    on_exit(fn ->
      # Closing its port closes the node's stdin: it halts (see start_node).
      for {ns, port} <- nodes do
        if Port.info(port), do: Port.close(port)
        wait_for_no_node(ns, 100)
        System.cmd("ip", ~w(netns exec #{ns} epmd -kill), stderr_to_stdout: true)
      end
    end)

    :ok
  end

  test "the same address on two links gives each link's node" do
    for {link, ns} <- [{"linkA", "sip6-a"}, {"linkB", "sip6-b"}] do
      assert {:ok, port, version} = :scoped_ipv6_epmd.port_please(:peer, "fe80::2%#{link}", 2_000)
      assert version >= 5
      # The kernel's own view in that namespace: the node's beam listens there.
      assert port in beam_listen_ports(ns)
    end

    assert :scoped_ipv6_epmd.port_please("nobody", "fe80::2%linkA", 2_000) == :noport
    assert :scoped_ipv6_epmd.port_please(:peer, "fe80::dead%linkA", 300) == {:error, :timeout}
    assert :scoped_ipv6_epmd.port_please(:peer, "fe80::2", 300) == {:error, :scope_required}
  end

  defp start_node(ns) do
    # The node halts when its stdin closes, so it cannot outlive the test.
    eval = ~s|io:format("ready~n"), io:get_line(""), halt().|

    port =
      Port.open({:spawn_executable, System.find_executable("ip") || "/usr/sbin/ip"}, [
        :binary,
        {:line, 256},
        args: [
          "netns",
          "exec",
          ns,
          "erl",
          "-sname",
          "peer",
          "-setcookie",
          "scoped",
          "-noshell",
          "-eval",
          eval
        ]
      ])

    receive do
      {^port, {:data, {:eol, "ready"}}} -> port
    after
      15_000 -> flunk("the node in #{ns} did not start")
    end
  end

  defp wait_for_no_node(_ns, 0), do: :ok

  defp wait_for_no_node(ns, tries) do
    if beam_listen_ports(ns) == [],
      do: :ok,
      else: Process.sleep(50) && wait_for_no_node(ns, tries - 1)
  end

  defp beam_listen_ports(ns) do
    {out, 0} = System.cmd("ip", ~w(netns exec #{ns} ss -Htlnp))

    for line <- String.split(out, "\n", trim: true), line =~ "beam.smp" do
      [_state, _recv, _send, local | _] = String.split(line)
      local |> String.split(":") |> List.last() |> String.to_integer()
    end
  end
end
