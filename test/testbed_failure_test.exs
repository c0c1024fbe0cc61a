defmodule ScopedIPv6.TestbedFailureTest do
  # An interface that disappears and comes back. (The descriptor soak and
  # the other faults are in reliability_test.exs.)
  use ExUnit.Case, async: false
  @moduletag :testbed

  alias ScopedIPv6.Test.{Links, Peer}
  alias ScopedIPv6.{TCP, UDP}

  test "an interface deleted under a connection gives errors, and its re-creation works by name" do
    add_link()
    Peer.start("sip6-a", "tcp-echo", ["7301"])
    {:ok, socket} = TCP.connect("fe80::99%linkT", 7301, [:binary, active: false], 2_000)
    old_index = ScopedIPv6.if_index!("linkT")
    :ok = :gen_tcp.send(socket, "before")
    assert {:ok, "before"} = :gen_tcp.recv(socket, 0, 2_000)
    {:ok, udp} = UDP.open(0, [:binary])

    delete_link()
    # The connection can no longer reach its peer: errors or a timeout, no crash.
    _ = :gen_tcp.send(socket, "after")
    assert {:error, _} = :gen_tcp.recv(socket, 0, 500)
    assert TCP.connect("fe80::99%linkT", 7301, [], 1_000) == {:error, {:no_such_interface, "linkT"}}

    # The old index is checked before the kernel sees it.
    assert UDP.send(udp, {{0xFE80, 0, 0, 0, 0, 0, 0, 0x99}, old_index}, 7301, "x") ==
             {:error, {:no_such_interface, old_index}}

    :ok = :gen_tcp.close(socket)

    add_link()
    assert ScopedIPv6.if_index!("linkT") != old_index
    {:ok, again} = TCP.connect("fe80::99%linkT", 7301, [:binary, active: false], 2_000)
    :ok = :gen_tcp.send(again, "re-created")
    assert {:ok, "re-created"} = :gen_tcp.recv(again, 0, 2_000)
    :ok = :gen_tcp.close(again)
    :ok = UDP.close(udp)
    delete_link()
  end

  # A link of this test's own, linkT <-> sip6-a's eth9, so that deleting it
  # leaves the testbed's links alone.
  defp add_link do
    Links.add(link: "linkT", peer_ns: "sip6-a", peer_if: "eth9", peer_addr: "fe80::99/64")
  end

  defp delete_link, do: Links.delete("linkT")
end
