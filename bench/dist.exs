# Distribution over the scoped carrier against OTP's inet6_tcp, measured in
# the same run. Run by bench/run inside the testbed (sip6-host):
#
#   ours: a@fe80::1 (sip6-host) -> b@fe80::2%linkA (sip6-a), -proto_dist scoped_ipv6
#   OTP:  a6@fd00:a::1          -> b6@fd00:a::2 (the same link), -proto_dist inet6_tcp
#
# Rounds alternate between the two pairs; each round times rpc:call round
# trips and 64-byte message round trips (bench/dist_rpc.erl, loaded on all
# four nodes). Ratios are OTP's time / ours: above 1 means ours is faster.
Code.require_file("../test/support/dist_node.exs", __DIR__)
alias ScopedIPv6.Test.DistNode

defmodule DistBench do
  def quick?, do: System.get_env("BENCH_QUICK") == "1"
  def scale(n), do: if(quick?(), do: max(div(n, 10), 1), else: n)

  def median(list), do: list |> Enum.sort() |> Enum.at(div(length(list), 2))

  def n(x), do: :erlang.float_to_binary(x / 1, decimals: 2)

  def row(what, ours, otp, goal) do
    {ours_m, otp_m} = {median(ours), median(otp)}
    ratio = otp_m / ours_m
    paired = median(Enum.zip_with(ours, otp, fn o, p -> p / o end))
    met = if paired >= goal, do: "yes", else: "no"

    IO.puts(
      "| #{what}, median (spread) | #{n(ours_m)} (#{n(Enum.min(ours))}..#{n(Enum.max(ours))}) " <>
        "| #{n(otp_m)} (#{n(Enum.min(otp))}..#{n(Enum.max(otp))}) | #{n(ratio)} (paired #{n(paired)}) " <>
        "| >= #{goal} | #{met} |"
    )
  end
end

out = Path.expand("out/dist_ebin", __DIR__)
File.mkdir_p!(out)
{:ok, _} = :compile.file(~c"#{Path.expand("dist_rpc.erl", __DIR__)}", outdir: ~c"#{out}")
# Four VMs share two cores: schedulers that spin while idle would take
# turns from the peer they wait for. Both pairs run with the same flags.
# On two cores, a round trip's cost depends on whether the two VMs share
# one (seen: 30 us against 90 us, changing from round to round): each side
# gets its own CPU, the same for both pairs.
extra = [erl: ["-pa", out, "+S", "1"]]

nodes = %{
  ours:
    {DistNode.start("sip6-host", "a@fe80::1", [cpu: 0] ++ extra), "'b@fe80::2'",
     DistNode.start("sip6-a", "b@fe80::2", [cpu: 1] ++ extra)},
  otp:
    {DistNode.start("sip6-host", "a6@fd00:a::1", [proto: "inet6_tcp", cpu: 0] ++ extra), "'b6@fd00:a::2'",
     DistNode.start("sip6-a", "b6@fd00:a::2", [proto: "inet6_tcp", cpu: 1] ++ extra)}
}

for {_path, {a, b, _}} <- nodes, do: true = DistNode.eval(a, "net_kernel:connect_node(#{b})")

rounds = 30
calls = DistBench.scale(3_000)

# A round of each, not counted: code loading and the first connections' setup.
for {_path, {a, b, _}} <- nodes, do: DistNode.eval(a, "dist_rpc:messages(#{b}, #{calls}, 64)", 120_000)

results =
  for round <- 1..rounds,
      path <- if(rem(round, 2) == 0, do: [:ours, :otp], else: [:otp, :ours]),
      reduce: %{} do
    acc ->
      {a, b, _} = nodes[path]
      rpc = DistNode.eval(a, "dist_rpc:rpc_calls(#{b}, #{calls})", 120_000)
      msg = DistNode.eval(a, "dist_rpc:messages(#{b}, #{calls}, 64)", 120_000)

      acc
      |> Map.update({path, :rpc}, [rpc], &(&1 ++ [rpc]))
      |> Map.update({path, :msg}, [msg], &(&1 ++ [msg]))
  end

IO.puts("")

IO.puts(
  "distribution, #{rounds} alternating rounds of #{calls} round trips (microseconds per round trip)"
)

IO.puts("")

IO.puts(
  "| benchmark | ours (scoped_ipv6, fe80::2%linkA) | OTP (inet6_tcp, fd00:a::2) | OTP / ours | goal | met |"
)

IO.puts("|---|---|---|---|---|---|")
DistBench.row("rpc:call round trip us", results[{:ours, :rpc}], results[{:otp, :rpc}], 0.95)
DistBench.row("64 B message round trip us", results[{:ours, :msg}], results[{:otp, :msg}], 0.95)

for {_path, {a, _, b}} <- nodes, do: Enum.each([a, b], &DistNode.stop/1)
DistNode.kill_epmds(~w(sip6-host sip6-a))
