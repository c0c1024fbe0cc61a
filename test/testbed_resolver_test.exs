defmodule ScopedIPv6.TestbedResolverTest do
  # Issue 10, row 5: host-name lookups against a DNS server that never
  # answers. glibc reads /etc/resolv.conf, so the test mounts its own over
  # it. That stays inside the test's own mount namespace: a :testbed test
  # runs under `ip netns exec sip6-host`, which unshares the mount
  # namespace (it remounts /sys, which is how linkA is visible at all) and
  # makes "/" a slave; the setup refuses a "/" that would share the mount
  # outward. The silent server is a UDP socket on ::1 port 53 of
  # sip6-host's own loopback that nobody reads.
  use ExUnit.Case, async: false
  @moduletag :testbed
  @moduletag timeout: 120_000

  alias ScopedIPv6.Test.{Peer, ReliabilityTable}

  # The pool's limits (native/scoped_ipv6_nif/src/nif/host.rs).
  @threads 8
  @queued 128
  @callers 400

  setup do
    # A mount under a shared "/" would reach the machine's namespace.
    if root_mount_shared?() do
      flunk("/ propagates mounts (shared): refusing to mount over /etc/resolv.conf")
    end

    conf = Path.join(System.tmp_dir!(), "scoped_ipv6_resolv_#{System.unique_integer([:positive])}")
    File.write!(conf, "nameserver ::1\noptions timeout:2 attempts:1\n")
    {_, 0} = System.cmd("mount", ["--bind", conf, "/etc/resolv.conf"])

    on_exit(fn ->
      System.cmd("umount", ["/etc/resolv.conf"])
      File.rm(conf)
    end)

    :ok
  end

  test "a name DNS says does not exist is nxdomain, and nothing else is" do
    Peer.start("sip6-host", "dns-nxdomain", ["::1", "53"])
    assert :scoped_ipv6_dest.resolve("no-such-host.example", 5_000) == {:error, :nxdomain}
    assert ScopedIPv6.TCP.connect("no-such-host.example", 80, [], 5_000) == {:error, :nxdomain}
  end

  test "lookups against a silent DNS server: bounded threads, errors for the callers, cancelled on timeout" do
    # A UDP socket on the name server's port that nobody reads.
    {:ok, _silent} = :gen_udp.open(53, [:inet6, ip: {0, 0, 0, 0, 0, 0, 0, 1}, active: false])
    baseline = thread_count()

    # One lookup waits out the resolver: a temporary failure, not "no such
    # name" (the caller may well try again).
    assert :scoped_ipv6_dest.resolve("silent.example", 10_000) == {:error, :try_again}

    # A burst: at most @threads run, @queued wait, the rest are refused at
    # once; the waiting ones time out.
    parent = self()
    sampler = spawn_link(fn -> sample_threads(baseline) end)
    started = System.monotonic_time(:millisecond)

    for i <- 1..@callers do
      spawn_link(fn ->
        result = :scoped_ipv6_dest.resolve("silent-#{i}.example", 1_000)
        send(parent, {:resolved, result, System.monotonic_time(:millisecond) - started})
      end)
    end

    results = for _ <- 1..@callers, do: receive(do: ({:resolved, r, ms} -> {r, ms}))
    send(sampler, {:peak, self()})
    peak = receive(do: ({:peak, peak} -> peak))

    by_reason = Enum.frequencies_by(results, &elem(&1, 0))
    slowest = results |> Enum.map(&elem(&1, 1)) |> Enum.max()
    assert peak <= baseline + @threads, "#{peak - baseline} resolver threads at once"
    assert Map.keys(by_reason) -- [{:error, :system_limit}, {:error, :timeout}] == []
    assert by_reason[{:error, :system_limit}] >= @callers - @threads - @queued
    assert slowest < 2_000, "a caller waited #{slowest} ms with a 1,000 ms timeout"

    # The callers gave up: their queued lookups are skipped, so the pool
    # drains in one lookup's time, and idle threads go (after 5 s).
    wait_until(fn -> thread_count() <= baseline end, 15_000)
    # And it answers again at once: /etc/hosts needs no DNS.
    # (/etc/hosts decides which loopback address comes first: ::1 on Debian 13.)
    assert {:ok, {loopback, 0}} = :scoped_ipv6_dest.resolve("localhost", 1_000)
    assert loopback in [{127, 0, 0, 1}, {0, 0, 0, 0, 0, 0, 0, 1}]

    ReliabilityTable.record(
      "host-name lookups, silent DNS",
      "#{@callers} lookups at once against a DNS server that never answers (1 s timeout each)",
      "at most #{peak - baseline} resolver threads (limit #{@threads}); " <>
        "#{by_reason[{:error, :system_limit}]} system_limit at once, the rest timeout " <>
        "within #{slowest} ms; threads back to baseline; a single lookup gives try_again, not nxdomain"
    )
  end

  # /proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [shared:N ...] - ..."
  defp root_mount_shared? do
    File.read!("/proc/self/mountinfo")
    |> String.split("\n", trim: true)
    |> Enum.map(&String.split/1)
    |> Enum.filter(fn fields -> Enum.at(fields, 4) == "/" end)
    |> Enum.any?(fn fields ->
      fields |> Enum.take_while(&(&1 != "-")) |> Enum.any?(&String.starts_with?(&1, "shared:"))
    end)
  end

  defp thread_count, do: length(File.ls!("/proc/self/task"))

  defp sample_threads(peak) do
    receive do
      {:peak, to} -> send(to, {:peak, max(peak, thread_count())})
    after
      10 -> sample_threads(max(peak, thread_count()))
    end
  end

  defp wait_until(fun, ms) do
    cond do
      fun.() -> :ok
      ms <= 0 -> flunk("threads did not come back to their baseline: #{thread_count()}")
      true -> Process.sleep(100) && wait_until(fun, ms - 100)
    end
  end
end
