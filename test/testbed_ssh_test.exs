defmodule ScopedIPv6.TestbedSshTest do
  # OTP's ssh over scoped_ipv6_tcp as its transport, against OpenSSH (sshd
  # and ssh from Debian, not our code): both peers carry fe80::2, so the
  # scope alone decides which sshd answers, and a daemon bound to
  # fe80::1%linkA is reachable from linkA only. Keys and configs are made
  # here, in a temporary directory removed afterwards.
  use ExUnit.Case, async: false
  @moduletag :testbed

  @transport {:tcp, :scoped_ipv6_tcp, :tcp_closed}
  @sshd_port 2222

  setup_all do
    {:ok, _} = Application.ensure_all_started(:ssh)
    # ssh reports each key exchange at notice level.
    :ok = :logger.set_application_level(:ssh, :warning)
    on_exit(fn -> :logger.unset_application_level(:ssh) end)
    dir = Path.join(System.tmp_dir!(), "scoped_ipv6_ssh_#{System.unique_integer([:positive])}")
    File.mkdir_p!(Path.join(dir, "user"))
    File.mkdir_p!(Path.join(dir, "system"))
    on_exit(fn -> File.rm_rf!(dir) end)

    keygen(Path.join(dir, "user/id_ed25519"))
    keygen(Path.join(dir, "system/ssh_host_ed25519_key"))
    File.cp!(Path.join(dir, "user/id_ed25519.pub"), Path.join(dir, "user/authorized_keys"))
    %{dir: dir}
  end

  describe "OTP's ssh client" do
    setup %{dir: dir} do
      for ns <- ["sip6-a", "sip6-b"], do: start_sshd(ns, dir)
      :ok
    end

    test "reaches the sshd behind the scope it names", %{dir: dir} do
      # Each peer's own second address tells which namespace answered.
      assert remote_addresses("fe80::2%linkA", dir) =~ "fe80::a/64"
      refute remote_addresses("fe80::2%linkA", dir) =~ "fe80::b/64"
      assert remote_addresses("fe80::2%linkB", dir) =~ "fe80::b/64"
      refute remote_addresses("fe80::2%linkB", dir) =~ "fe80::a/64"
    end

    test "without a scope, the transport refuses with scope_required", %{dir: dir} do
      assert {:error, reason} = :ssh.connect(~c"fe80::2", @sshd_port, client_opts(dir), 5_000)
      assert inspect(reason) =~ "scope_required"
    end
  end

  test "OpenSSH reaches an OTP ssh daemon bound to fe80::1%linkA, from linkA only", %{dir: dir} do
    {:ok, daemon} =
      :ssh.daemon(:any, 0,
        transport: @transport,
        ip: "fe80::1%linkA",
        system_dir: ~c"#{dir}/system",
        user_dir: ~c"#{dir}/user",
        exec: {:direct, fn command -> {:ok, ~c"otp daemon got: " ++ command} end}
      )

    on_exit(fn -> :ssh.stop_daemon(daemon) end)
    {:ok, info} = :ssh.daemon_info(daemon)
    port = Keyword.fetch!(info, :port)

    assert {"otp daemon got: hello", 0} = openssh("sip6-a", port, dir, "hello")
    assert {refused, 255} = openssh("sip6-b", port, dir, "hello")
    assert refused =~ "Connection refused"
  end

  # --- helpers ---------------------------------------------------------------------

  defp keygen(path) do
    {_, 0} = System.cmd("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path])
  end

  defp client_opts(dir) do
    [
      transport: @transport,
      user: ~c"root",
      user_dir: ~c"#{dir}/user",
      silently_accept_hosts: true,
      user_interaction: false,
      save_accepted_host: false
    ]
  end

  defp remote_addresses(address, dir) do
    {:ok, conn} = :ssh.connect(String.to_charlist(address), @sshd_port, client_opts(dir), 5_000)

    try do
      {:ok, channel} = :ssh_connection.session_channel(conn, 5_000)
      :success = :ssh_connection.exec(conn, channel, ~c"ip -o -6 addr show dev eth0", 5_000)
      collect(conn, channel, "")
    after
      :ssh.close(conn)
    end
  end

  defp collect(conn, channel, acc) do
    receive do
      {:ssh_cm, ^conn, {:data, ^channel, 0, data}} -> collect(conn, channel, acc <> data)
      {:ssh_cm, ^conn, {:closed, ^channel}} -> acc
      {:ssh_cm, ^conn, _other} -> collect(conn, channel, acc)
    after
      5_000 -> flunk("no answer from sshd; got #{inspect(acc)}")
    end
  end

  # sshd in the foreground (-D), logging to stderr (-e), with a config of
  # our own: keys, authorized keys and pid file in the test's directory.
  defp start_sshd(ns, dir) do
    config = Path.join(dir, "sshd_#{ns}.conf")

    File.write!(config, """
    Port #{@sshd_port}
    ListenAddress ::
    HostKey #{dir}/system/ssh_host_ed25519_key
    AuthorizedKeysFile #{dir}/user/authorized_keys
    PidFile #{dir}/sshd_#{ns}.pid
    PermitRootLogin prohibit-password
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    UsePAM no
    StrictModes no
    """)

    # sshd's privilege separation directory.
    File.mkdir_p!("/run/sshd")
    sshd = System.find_executable("sshd") || "/usr/sbin/sshd"

    port =
      Port.open({:spawn_executable, System.find_executable("ip")}, [
        :binary,
        :stderr_to_stdout,
        args: ["netns", "exec", ns, sshd, "-D", "-e", "-f", config]
      ])

    {:os_pid, os_pid} = Port.info(port, :os_pid)
    on_exit(fn -> System.cmd("kill", ["-9", Integer.to_string(os_pid)]) end)
    wait_listening(ns, 100)
  end

  defp wait_listening(ns, 0), do: flunk("sshd in #{ns} never listened")

  defp wait_listening(ns, tries) do
    {out, 0} = System.cmd("ip", ~w(netns exec #{ns} ss -Hltn sport = :#{@sshd_port}))

    if out == "" do
      Process.sleep(50)
      wait_listening(ns, tries - 1)
    end
  end

  defp openssh(ns, port, dir, command) do
    System.cmd(
      "ip",
      ~w(netns exec #{ns} ssh -i #{dir}/user/id_ed25519 -o StrictHostKeyChecking=no
           -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR
           -o ConnectTimeout=5 -p #{port} root@fe80::1%eth0 #{command}),
      stderr_to_stdout: true
    )
  end
end
