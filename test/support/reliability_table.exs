defmodule ScopedIPv6.Test.ReliabilityTable do
  @moduledoc """
  What the reliability suite tried and what held, printed as a table after
  the suite. Each test adds its row with `record/3`.
  """
  @table :scoped_ipv6_reliability

  def start do
    :ets.new(@table, [:named_table, :public, :ordered_set])
    ExUnit.after_suite(fn _ -> print() end)
  end

  def record(what, tried, held) do
    :ets.insert(@table, {System.unique_integer([:monotonic]), what, tried, held})
  end

  defp print do
    case :ets.tab2list(@table) do
      [] ->
        :ok

      rows ->
        IO.puts("\nReliability suite: what was tried, and what held\n")
        IO.puts("| what | tried | held |")
        IO.puts("|---|---|---|")
        for {_, what, tried, held} <- rows, do: IO.puts("| #{what} | #{tried} | #{held} |")
    end
  end
end
