# Tests tagged :testbed need the link-local testbed (test/testbed.sh), and
# run inside its sip6-host namespace; bin/test arranges that as root. Where
# it cannot, they are excluded and the reason printed, unless
# SCOPED_IPV6_REQUIRE_TESTBED=1 (CI), which turns a missing testbed into a failure.
in_testbed? = System.get_env("SCOPED_IPV6_TESTBED") == "1" and File.exists?("/sys/class/net/linkA")

exclude =
  cond do
    in_testbed? ->
      []

    System.get_env("SCOPED_IPV6_REQUIRE_TESTBED") == "1" ->
      raise "SCOPED_IPV6_REQUIRE_TESTBED=1 but the testbed is missing: run bin/test as root"

    true ->
      IO.puts(
        "Excluding :testbed tests: not inside test/testbed.sh's sip6-host namespace " <>
          "(run bin/test as root to create it)."
      )

      [:testbed]
  end

# Tests tagged :cowboy need Cowboy and Ranch in OTP's lib directory:
# bin/setup installs Debian's packages where the suite has them (sid).
cowboy? = Path.wildcard(Path.join(to_string(:code.lib_dir()), "cowboy-*")) != []

exclude =
  if cowboy? do
    exclude
  else
    IO.puts("Excluding :cowboy tests: no Cowboy in OTP's lib (Debian packages it in sid only).")
    [:cowboy | exclude]
  end

# Elixir 1.15+ keeps on the code path only the applications a project
# declares; the TLS, ssh and HTTP tests need OTP's ssl, ssh and inets
# (and Cowboy's), which the library does not.
if function_exported?(Mix, :ensure_application!, 1) do
  extra = if cowboy?, do: [:cowlib, :ranch, :cowboy], else: []
  Enum.each([:ssl, :ssh, :inets | extra], &Mix.ensure_application!/1)
end

Code.require_file("support/peer.exs", __DIR__)
Code.require_file("support/links.exs", __DIR__)
Code.require_file("support/avahi.exs", __DIR__)
Code.require_file("support/dist_node.exs", __DIR__)
Code.require_file("support/reliability_table.exs", __DIR__)
Code.require_file("support/descriptors.exs", __DIR__)
Code.require_file("support/live_memory.exs", __DIR__)
Code.require_file("support/warnings.exs", __DIR__)
ScopedIPv6.Test.ReliabilityTable.start()
ExUnit.start(exclude: exclude)
