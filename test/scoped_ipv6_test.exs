defmodule ScopedIPv6Test do
  use ExUnit.Case, async: true
  doctest ScopedIPv6

  @ll1 {0xFE80, 0, 0, 0, 0, 0, 0, 1}

  describe "parse/1" do
    test "keeps the zone in the input's string type" do
      assert ScopedIPv6.parse("fe80::1%eth0") == {:ok, {@ll1, "eth0"}}
      assert ScopedIPv6.parse(~c"fe80::1%eth0") == {:ok, {@ll1, ~c"eth0"}}
    end

    test "gives what :inet.parse_address/1 gives for text without a zone" do
      for text <- ["127.1", "0x7f.1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::", "fe80::1"] do
        assert ScopedIPv6.parse(text) == :inet.parse_address(String.to_charlist(text))
      end
    end

    test "parse!/1 raises ScopedIPv6.Error with the reason" do
      error = assert_raise ScopedIPv6.Error, fn -> ScopedIPv6.parse!("fe80::1%") end
      assert error.reason == :einval
    end
  end

  test "ntoa/1 and parse/1 round-trip binary and index zones" do
    :rand.seed(:exsss, {1, 2, 3})

    for _ <- 1..5000 do
      ip =
        List.to_tuple(for _ <- 1..7, do: :rand.uniform(0x10000) - 1) |> Tuple.insert_at(0, 0xFE80)

      zone =
        if :rand.uniform(2) == 1,
          do: :rand.uniform(0x100000000) - 1,
          else: "if" <> Integer.to_string(:rand.uniform(99_999))

      assert ScopedIPv6.parse(ScopedIPv6.ntoa({ip, zone})) == {:ok, {ip, zone}}
    end
  end

  test "resolve!/1 raises with the name as given" do
    error = assert_raise ScopedIPv6.Error, fn -> ScopedIPv6.resolve!({@ll1, "nosuch0"}) end
    assert error.reason == {:no_such_interface, "nosuch0"}
    assert Exception.message(error) =~ "no such network interface: nosuch0 (this host has: lo"
  end

  test "wrong argument types raise ArgumentError naming the function as called" do
    calls = [resolve: :nope, if_index: 42, if_name: -1, needs_scope?: "x"]
    bangs = [resolve!: :nope, if_index!: 42, if_name!: -1]

    for {fun, arg} <- calls ++ bangs do
      error = assert_raise ArgumentError, fn -> apply(ScopedIPv6, fun, [arg]) end
      assert error.message == "invalid argument to ScopedIPv6.#{fun}: #{inspect([arg])}"
    end
  end

  test "watch/2 raises ArgumentError for bad options, showing what the caller passed" do
    for opts <- [:bad, [bogus: 1], [links: :all]] do
      error = assert_raise ArgumentError, fn -> ScopedIPv6.watch("_http._tcp", opts) end

      assert error.message ==
               "invalid argument to ScopedIPv6.watch: #{inspect(["_http._tcp", opts])}"
    end
  end
end

defmodule ScopedIPv6.BadInputTest do
  # Not async: the atom table is global, and other tests load modules.
  use ExUnit.Case, async: false
  import Bitwise

  @ll1 {0xFE80, 0, 0, 0, 0, 0, 0, 1}

  @functions [:parse, :ntoa, :resolve, :if_index, :if_name, :needs_scope?, :format_error] ++
               [:peername, :sockname, :browse]

  test "random terms give an error or ArgumentError, and make no atoms" do
    :rand.seed(:exsss, {4, 5, 6})
    # A first batch loads every module these paths use (loading makes atoms);
    # the second, different batch must then make none.
    Enum.each(1..2000, fn _ -> call_all(random_term(3)) end)
    terms = for _ <- 1..5000, do: random_term(3)
    atoms_before = :erlang.system_info(:atom_count)
    Enum.each(terms, &call_all/1)
    assert :erlang.system_info(:atom_count) == atoms_before
  end

  defp call_all(term) do
    for fun <- @functions do
      try do
        apply(ScopedIPv6, fun, [term])
      rescue
        ArgumentError -> :ok
      else
        {:ok, _} -> :ok
        {:error, _} -> :ok
        text when is_binary(text) and fun in [:ntoa, :format_error] -> :ok
        bool when is_boolean(bool) and fun == :needs_scope? -> :ok
        other -> flunk("#{fun}(#{inspect(term)}) returned #{inspect(other)}")
      end
    end
  end

  defp random_term(0), do: random_leaf()

  defp random_term(depth) do
    case :rand.uniform(5) do
      1 -> List.to_tuple(for _ <- 1..(:rand.uniform(9) - 1)//1, do: random_term(depth - 1))
      2 -> for _ <- 1..(:rand.uniform(4) - 1)//1, do: random_term(depth - 1)
      3 -> {@ll1, random_term(depth - 1)}
      _ -> random_leaf()
    end
  end

  defp random_leaf do
    case :rand.uniform(7) do
      1 -> :rand.uniform(1 <<< 40) - (1 <<< 39)
      2 -> Enum.random([:foo, :ok, nil, true])
      3 -> for _ <- 1..:rand.uniform(12), into: "", do: <<Enum.random(~c"fe80:1%.0lo")>>
      4 -> :rand.uniform() * 10
      5 -> @ll1
      6 -> for _ <- 1..:rand.uniform(16), into: "", do: <<:rand.uniform(256) - 1>>
      7 -> self()
    end
  end
end
