#pragma once
// The one way kemas spells an enum on the wire, in the database and in metrics: a constexpr
// table looked up both ways. Most enums are 0, 1, 2, ... in declaration order and take an
// ordinal_names array (names[i] names value i) built by ordinal_table<last enumerator>, which
// refuses to compile when the table misses a value or has one too many; enums with chosen values
// (bit flags) take enum_names pairs. A value missing from its table is a bug that name_of answers
// with `fallback` instead of undefined behaviour.

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace kemas {

template <class E, std::size_t N>
using enum_names = std::array<std::pair<E, std::string_view>, N>;

template <class E, std::size_t N>
constexpr std::string_view name_of(const enum_names<E, N>& table, E value,
                                   std::string_view fallback = "unknown") noexcept {
  for (const auto& [known, name] : table) {
    if (known == value)
      return name;
  }
  return fallback;
}

// Exact, case-sensitive.
template <class E, std::size_t N>
constexpr std::optional<E> value_of(const enum_names<E, N>& table, std::string_view name) noexcept {
  for (const auto& [value, known] : table) {
    if (known == name)
      return value;
  }
  return std::nullopt;
}

template <std::size_t N>
using ordinal_names = std::array<std::string_view, N>;

// ordinal_table<color::blue>({"red", "green", "blue"}): one name per enumerator up to `last`.
template <auto last, std::size_t N>
consteval ordinal_names<N> ordinal_table(const std::string_view (&names)[N]) {
  if (N != static_cast<std::size_t>(last) + 1)
    throw "ordinal_table: the table needs exactly one name per enumerator";
  ordinal_names<N> table{};
  for (std::size_t i = 0; i < N; ++i)
    table[i] = names[i];
  return table;
}

template <class E, std::size_t N>
constexpr std::string_view name_of(const ordinal_names<N>& names, E value,
                                   std::string_view fallback = "unknown") noexcept {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : fallback;
}

// Exact, case-sensitive; E must be named: value_of<errc>(names, "conflict").
template <class E, std::size_t N>
constexpr std::optional<E> value_of(const ordinal_names<N>& names, std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name)
      return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace kemas
