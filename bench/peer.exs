# The benchmark peer, run in the testbed's sip6-a namespace by bench/run.
# Plain OTP sockets; the same server for every client path measured.
#
#   7400  TCP: accept and close at once (connect latency, connections/s)
#   7401  TCP: read and discard until the client closes (bulk transfer)
#   7402  UDP: echo every datagram
#   7403  TCP: accept and hold open (memory per socket)

defmodule BenchPeer do
  def listen(port) do
    {:ok, l} = :gen_tcp.listen(port, [:inet6, :binary, active: false, reuseaddr: true, backlog: 4096])
    l
  end

  def acceptors(listener, count, handler) do
    for _ <- 1..count, do: spawn_link(fn -> accept_loop(listener, handler) end)
  end

  defp accept_loop(listener, handler) do
    {:ok, socket} = :gen_tcp.accept(listener)
    handler.(socket)
    accept_loop(listener, handler)
  end

  def sink(socket) do
    pid = spawn(fn -> drain(socket) end)
    :ok = :gen_tcp.controlling_process(socket, pid)
    send(pid, :go)
  end

  defp drain(socket) do
    receive do: (:go -> :ok)
    drain_loop(socket)
  end

  defp drain_loop(socket) do
    case :gen_tcp.recv(socket, 0) do
      {:ok, _} -> drain_loop(socket)
      {:error, _} -> :gen_tcp.close(socket)
    end
  end

  # Held open until the client closes: one holder process for them all.
  def hold(holder) do
    fn socket ->
      :ok = :gen_tcp.controlling_process(socket, holder)
      send(holder, {:hold, socket})
    end
  end

  def holder do
    receive do
      {:hold, socket} -> :inet.setopts(socket, active: true)
      {:tcp_closed, socket} -> :gen_tcp.close(socket)
      {:tcp, _socket, _data} -> :ok
    end

    holder()
  end

  def echo do
    {:ok, u} = :gen_udp.open(7402, [:inet6, :binary, active: 100, recbuf: 1_048_576])
    echo_loop(u)
  end

  defp echo_loop(u) do
    receive do
      {:udp, ^u, ip, port, data} ->
        :gen_udp.send(u, ip, port, data)
        echo_loop(u)

      {:udp_passive, ^u} ->
        :inet.setopts(u, active: 100)
        echo_loop(u)
    end
  end
end

BenchPeer.acceptors(BenchPeer.listen(7400), 16, &:gen_tcp.close/1)
BenchPeer.acceptors(BenchPeer.listen(7401), 4, &BenchPeer.sink/1)
holder = spawn(&BenchPeer.holder/0)
BenchPeer.acceptors(BenchPeer.listen(7403), 8, BenchPeer.hold(holder))
spawn_link(&BenchPeer.echo/0)
IO.puts("ready")
Process.sleep(:infinity)
