defmodule ScopedIPv6.TCPParityTest do
  # Same arguments, same socket: for each option set, a socket from
  # ScopedIPv6.TCP and one from :gen_tcp itself, on ::1 and 127.0.0.1, must
  # report the same options and the same kind of local address. A default
  # that differs from gen_tcp's fails here.
  use ExUnit.Case, async: true

  alias ScopedIPv6.TCP

  # What is read back from both sockets. Buffer sizes are left out where
  # the kernel doubles or rounds them alike for both; it does, so they stay.
  @compared [
    :active,
    :mode,
    :packet,
    :packet_size,
    :header,
    :nodelay,
    :keepalive,
    :send_timeout,
    :send_timeout_close,
    :reuseaddr,
    :recbuf,
    :sndbuf,
    :buffer,
    :delay_send,
    :exit_on_close,
    :linger,
    :priority,
    :tos,
    :deliver,
    :high_watermark,
    :low_watermark,
    :show_econnreset
  ]

  @option_sets [
    [],
    [:binary],
    [:list, nodelay: true],
    [packet: 2],
    [packet: :line, packet_size: 1024],
    [active: :once],
    [active: 10],
    [active: false],
    [keepalive: true],
    [send_timeout: 500, send_timeout_close: true],
    [reuseaddr: true],
    [recbuf: 65_536, sndbuf: 65_536],
    [buffer: 4096],
    [delay_send: true],
    [exit_on_close: false],
    [linger: {true, 1}],
    [priority: 3, tos: 32]
  ]

  for {family, loopback} <- [inet6: {0, 0, 0, 0, 0, 0, 0, 1}, inet: {127, 0, 0, 1}],
      opts <- @option_sets do
    @loopback loopback
    @opts opts
    test "connect on #{family} with #{inspect(opts)} gives gen_tcp's socket" do
      {:ok, listener} = :gen_tcp.listen(0, [ip: @loopback] ++ [reuseaddr: true, backlog: 16])
      {:ok, port} = :inet.port(listener)
      {:ok, ours} = TCP.connect(:inet.ntoa(@loopback), port, @opts, 2_000)
      {:ok, theirs} = :gen_tcp.connect(@loopback, port, @opts, 2_000)
      assert same_options(ours, theirs)
      assert sockname_kind(ours) == sockname_kind(theirs)
    end

    test "listen on #{family} with #{inspect(opts)} gives gen_tcp's socket" do
      {:ok, ours} = TCP.listen(0, [ip: to_string(:inet.ntoa(@loopback))] ++ @opts)
      {:ok, theirs} = :gen_tcp.listen(0, [ip: @loopback] ++ @opts)
      assert same_options(ours, theirs)
      assert sockname_kind(ours) == sockname_kind(theirs)
    end
  end

  test "{port, P} is honoured, as gen_tcp does" do
    {:ok, probe} = :gen_tcp.listen(0, ip: {0, 0, 0, 0, 0, 0, 0, 1})
    {:ok, free} = :inet.port(probe)
    :ok = :gen_tcp.close(probe)
    {:ok, ours} = TCP.listen(0, ip: "::1", port: free)
    assert {:ok, {{0, 0, 0, 0, 0, 0, 0, 1}, ^free}} = :inet.sockname(ours)
  end

  test "a family against the address's gives gen_tcp's error" do
    {:ok, listener} = :gen_tcp.listen(0, ip: {0, 0, 0, 0, 0, 0, 0, 1})
    {:ok, port} = :inet.port(listener)
    theirs = :gen_tcp.connect({0, 0, 0, 0, 0, 0, 0, 1}, port, [:inet], 1_000)
    assert theirs == {:error, :eafnosupport}
    assert TCP.connect("::1", port, [:inet], 1_000) == theirs
    assert TCP.connect("fe80::1%lo", port, [:inet], 1_000) == theirs

    assert TCP.connect("127.0.0.1", port, [:inet6], 1_000) ==
             :gen_tcp.connect({127, 0, 0, 1}, port, [:inet6], 1_000)
  end

  defp same_options(ours, theirs) do
    {:ok, a} = :inet.getopts(ours, @compared)
    {:ok, b} = :inet.getopts(theirs, @compared)
    assert a == b
  end

  defp sockname_kind(socket) do
    {:ok, {ip, port}} = :inet.sockname(socket)
    {ip, port > 0}
  end
end
