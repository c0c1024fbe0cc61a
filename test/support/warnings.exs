defmodule ScopedIPv6.Test.Warnings do
  @moduledoc false
  # What the Erlang logger is given at warning level and above while a
  # function runs, as text, from every process: a logger handler of its
  # own (ExUnit.CaptureLog needs Elixir's :logger application, which this
  # project's tests do not start). Handlers run in the process that logs,
  # so a warning logged before that process did what the function waited
  # for is here when it returns.

  @handler :scoped_ipv6_test_warnings

  # {fun's result, the warnings' texts}
  def during(fun) do
    config = %{level: :warning, config: %{pid: self()}}
    :ok = :logger.add_handler(@handler, __MODULE__, config)

    try do
      result = fun.()
      {result, collect([])}
    after
      :logger.remove_handler(@handler)
    end
  end

  # The logger's handler callback.
  def log(%{msg: msg}, %{config: %{pid: pid}}), do: send(pid, {__MODULE__, text(msg)})

  defp text({:string, chardata}), do: IO.chardata_to_string(chardata)
  defp text({:report, report}), do: inspect(report)
  defp text({format, args}), do: IO.chardata_to_string(:io_lib.format(format, args))

  defp collect(texts) do
    receive do
      {__MODULE__, text} -> collect([text | texts])
    after
      0 -> Enum.reverse(texts)
    end
  end
end
