# What scoped_ipv6 does that OTP alone cannot. Run by bin/demo.

section = fn title -> IO.puts("\n== #{title}") end

section.("This host's interfaces, link-local addresses with their scope")

for interface <- ScopedIPv6.interfaces!() do
  addrs = Enum.map_join(interface.addrs, "  ", &ScopedIPv6.ntoa(&1.addr))
  IO.puts("  #{interface.index}: #{String.pad_trailing(interface.name, 8)} #{addrs}")
end

section.("Parse, resolve and format: ours, and what :inet makes of the same text")
[first | _] = ScopedIPv6.interfaces!() |> Enum.reverse()

for text <- [
      "fe80::1%#{first.name}",
      "fe80::1%#{first.index}",
      "ff02::1%#{first.name}",
      "2001:db8::1",
      "fe80::1%nosuch0",
      "fe80::1%"
    ] do
  ours =
    case ScopedIPv6.resolve(text) do
      {:ok, address} -> "#{inspect(address)} -> #{ScopedIPv6.ntoa(address)}"
      {:error, reason} -> "error: #{ScopedIPv6.format_error(reason)}"
    end

  IO.puts("  #{text}")
  IO.puts("    scoped_ipv6: #{ours}")
  IO.puts("    :inet:       #{inspect(:inet.parse_address(String.to_charlist(text)))}")
end
