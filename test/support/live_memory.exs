defmodule ScopedIPv6.Test.LiveMemory do
  # Memory held by what is alive: every process (heap, stack, messages),
  # every port, ETS, binaries (the NIF's resources among them) and atoms.
  # A leak, or a flood kept, shows there. :erlang.memory(:total) also
  # counts what the allocators have not yet taken back from processes that
  # ended or were just collected (its processes part read 1.8 MB apart
  # twice a second apart, at rest, while what the live processes held
  # moved by 33 KB), code loaded on first use, and garbage other processes
  # have not collected yet: how much depends on the test order and the OTP
  # release, not on what the code under test keeps.

  @doc "What is held now, by kind, every process collected first."
  def now do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)

    processes = for pid <- Process.list(), bytes = process_bytes(pid), do: bytes

    ports =
      for port <- :erlang.ports(), {:memory, bytes} <- [:erlang.port_info(port, :memory)], do: bytes

    Map.new(
      [processes: Enum.sum(processes), ports: Enum.sum(ports)] ++
        :erlang.memory([:ets, :binary, :atom_used])
    )
  end

  @doc "The bytes of `now/0`, summed."
  def total(memory \\ now()), do: Enum.sum(Map.values(memory))

  # What a process holds: its memory less the free part of its heaps.
  defp process_bytes(pid) do
    case Process.info(pid, [:memory, :garbage_collection_info]) do
      [memory: bytes, garbage_collection_info: gc] ->
        free =
          gc[:heap_block_size] - gc[:heap_size] - gc[:stack_size] +
            gc[:old_heap_block_size] - gc[:old_heap_size]

        bytes - free * :erlang.system_info(:wordsize)

      nil ->
        nil
    end
  end
end
