defmodule ScopedIPv6.TestbedTest do
  # Runs inside test/testbed.sh's sip6-host namespace: linkA and linkB, each
  # with fe80::1, lead to peers that both carry fe80::2.
  use ExUnit.Case, async: true
  @moduletag :testbed

  @ll1 {0xFE80, 0, 0, 0, 0, 0, 0, 1}
  @ll2 {0xFE80, 0, 0, 0, 0, 0, 0, 2}

  # The index as the kernel states it, independent of our code.
  defp sys_ifindex(name) do
    File.read!("/sys/class/net/#{name}/ifindex") |> String.trim() |> String.to_integer()
  end

  test "names and indexes resolve both ways" do
    a = sys_ifindex("linkA")
    b = sys_ifindex("linkB")
    assert a != b
    assert ScopedIPv6.if_index("linkA") == {:ok, a}
    assert ScopedIPv6.if_name(b) == {:ok, "linkB"}
  end

  test "the same address on two links resolves to two scopes" do
    assert ScopedIPv6.resolve!("fe80::2%linkA") == {@ll2, sys_ifindex("linkA")}
    assert ScopedIPv6.resolve!("fe80::2%linkB") == {@ll2, sys_ifindex("linkB")}
  end

  test "interfaces/0 lists each link with its scoped link-local address" do
    interfaces = ScopedIPv6.interfaces!()

    for {name, ula} <- [{"linkA", 0xA}, {"linkB", 0xB}] do
      index = sys_ifindex(name)
      link = Enum.find(interfaces, &(&1.name == name))
      assert link.index == index
      assert :up in link.flags and :multicast in link.flags

      assert Enum.sort(link.addrs) ==
               Enum.sort([
                 %{addr: {@ll1, index}, prefixlen: 64},
                 %{addr: {0xFD00, ula, 0, 0, 0, 0, 0, 1}, prefixlen: 64}
               ])
    end
  end

  test "the host-name path (getaddrinfo on an OS thread) keeps the scope" do
    # glibc's /etc/hosts cannot carry a zone; NSS modules such as nss-mdns
    # can. Scoped text through the same getaddrinfo path proves that our
    # conversion keeps what getaddrinfo gives.
    # The lookup handle is kept until the answer: dropping it cancels.
    ref = make_ref()
    {:ok, lookup} = :scoped_ipv6_nif.resolve_host("fe80::2%linkB", ref)
    assert_receive {^ref, {:ok, [{@ll2, index} | _]}}, 5_000
    assert is_reference(lookup)
    assert index == sys_ifindex("linkB")
  end
end
