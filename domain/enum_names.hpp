#pragma once
// The one way kemas spells an enum on the wire, in the database and in metrics: a constexpr
// table of (value, name) pairs, looked up both ways. A value missing from its table is a bug
// that name_of answers with `fallback` instead of undefined behaviour.

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

}  // namespace kemas
