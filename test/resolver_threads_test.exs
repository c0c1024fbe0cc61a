defmodule ScopedIPv6.ResolverThreadsTest do
  # Issue 10, row 5: when the OS refuses a resolver thread, a lookup is an
  # error that says so ({error, eagain}), not "no such name", and nothing
  # crashes. A node of its own runs in a pids cgroup whose limit is set to
  # the threads it has once booted, so its first lookup cannot get one.
  # Needs root to make the cgroup: tagged :testbed, as the other root tests.
  use ExUnit.Case, async: false
  @moduletag :testbed

  test "no thread for a lookup: {error, eagain}, and the next lookup works once there is one" do
    cgroup = pids_cgroup!()
    erl = System.find_executable("erl")
    ebin = Application.app_dir(:scoped_ipv6, "ebin")

    # Each line on stdin: one lookup, its answer printed on a line.
    script = """
    io:format("ready~n"),
    Loop = fun L() ->
                   case io:get_line("") of
                       eof -> halt();
                       _ -> io:format("~p~n", [scoped_ipv6_dest:resolve("localhost", 5000)]), L()
                   end
           end,
    Loop().
    """

    node =
      Port.open({:spawn_executable, erl}, [
        :binary,
        {:line, 4096},
        :exit_status,
        args: ["-noshell", "-pa", ebin, "-eval", script]
      ])

    {:os_pid, os_pid} = Port.info(node, :os_pid)
    on_exit(fn -> System.cmd("kill", ["-9", Integer.to_string(os_pid)]) end)
    assert next_line(node) == "ready"

    # Every thread the node has is now in the cgroup, and no more may start.
    File.write!(Path.join(cgroup, "cgroup.procs"), Integer.to_string(os_pid))
    File.write!(Path.join(cgroup, "pids.max"), File.read!(Path.join(cgroup, "pids.current")))

    Port.command(node, "lookup\n")
    assert next_line(node) == "{error,eagain}"

    File.write!(Path.join(cgroup, "pids.max"), "max")
    Port.command(node, "lookup\n")
    assert next_line(node) in ["{ok,{{127,0,0,1},0}}", "{ok,{{0,0,0,0,0,0,0,1},0}}"]
    Port.close(node)
  end

  # A fresh pids cgroup, removed when the test ends (after its process is
  # gone). `ip netns exec` gives the test its own /sys without the cgroup
  # file systems: the pids hierarchy is mounted again, in this test's own
  # mount namespace (cgroup v1's pids controller, else cgroup v2).
  defp pids_cgroup! do
    mount = Path.join(System.tmp_dir!(), "scoped_ipv6_cgroup_#{System.unique_integer([:positive])}")
    File.mkdir_p!(mount)

    mounted =
      Enum.find([~w(-t cgroup -o pids cgroup), ~w(-t cgroup2 cgroup2)], fn args ->
        {_, status} = System.cmd("mount", args ++ [mount], stderr_to_stdout: true)
        status == 0 and File.exists?(Path.join(mount, "cgroup.procs"))
      end)

    if mounted == nil, do: flunk("no pids cgroup controller can be mounted here")
    dir = Path.join(mount, "scoped_ipv6_test_#{System.unique_integer([:positive])}_#{System.pid()}")
    File.mkdir!(dir)

    on_exit(fn ->
      # rmdir fails while a process is still inside: wait for the kill.
      Enum.find(1..100, fn _ -> File.rmdir(dir) == :ok or (Process.sleep(20) && false) end)
      System.cmd("umount", [mount])
      File.rmdir(mount)
    end)

    dir
  end

  defp next_line(node) do
    receive do
      {^node, {:data, {:eol, line}}} -> line
    after
      10_000 -> flunk("the node said nothing")
    end
  end
end
