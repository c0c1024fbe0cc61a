defmodule ScopedIPv6.Test.Descriptors do
  @moduledoc """
  The VM's open descriptors, each as its number and the kernel object
  behind it (`socket:[inode]`, a path). A test that must leak nothing
  compares what is open after it with what was open before: a descriptor
  it left open is a new entry. Counting would also see descriptors that
  earlier tests' processes close while this test runs (their ports and
  UDP sockets close when their owners exit, a little later), and a number
  reused by another object is a new entry too.
  """

  @doc "All of them, as a set of `{fd, object}`."
  def open do
    for fd <- File.ls!("/proc/self/fd"),
        {:ok, object} <- [File.read_link("/proc/self/fd/#{fd}")],
        into: MapSet.new(),
        do: {String.to_integer(fd), object}
  end

  @doc "What is open now and was not in `before` (from `open/0`)."
  def opened_since(before), do: MapSet.difference(open(), before) |> Enum.sort()

  @doc "A gen_tcp or gen_udp port's descriptor, as `{fd, object}`."
  def of(socket) do
    {:ok, fd} = :inet.getfd(socket)
    {fd, File.read_link!("/proc/self/fd/#{fd}")}
  end

  @doc "Whether that descriptor is still open: the number may be reused by another object once closed, the object not."
  def open?({fd, object}), do: File.read_link("/proc/self/fd/#{fd}") == {:ok, object}
end
