#include "adapters/config/units.hpp"
#include "domain/text.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <limits>

namespace kemas::config {
namespace {

// Reads leading decimal digits into `value`; returns how many characters it used (0 when
// there is no digit or the number overflows).
std::size_t read_digits(std::string_view text, std::uint64_t& value) {
  const char* first = text.data();
  const char* last = first + text.size();
  auto [end, ec] = std::from_chars(first, last, value, 10);
  if (ec != std::errc{})
    return 0;
  return static_cast<std::size_t>(end - first);
}


bool multiply_checked(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
    return false;
  out = a * b;
  return true;
}

struct unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr std::array<unit, 5> duration_units{
    {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

constexpr std::uint64_t kib = 1024;
constexpr std::array<unit, 9> size_units{{{"B", 1},
                                          {"KiB", kib},
                                          {"MiB", kib* kib},
                                          {"GiB", kib* kib* kib},
                                          {"TiB", kib* kib* kib* kib},
                                          {"KB", 1000},
                                          {"MB", 1000 * 1000},
                                          {"GB", 1000 * 1000 * 1000},
                                          {"TB", 1000ULL * 1000 * 1000 * 1000}}};

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  // Milliseconds are stored as int64: keep the total within that range.
  constexpr auto max_total = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t total = 0;
  while (!text.empty()) {
    std::uint64_t number = 0;
    std::size_t used = read_digits(text, number);
    if (used == 0)
      return std::nullopt;
    text.remove_prefix(used);
    std::size_t unit_length = 0;
    while (unit_length < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_length])))
      ++unit_length;
    std::string_view name = text.substr(0, unit_length);
    text.remove_prefix(unit_length);
    const unit* found = nullptr;
    for (const auto& u : duration_units) {
      if (u.name == name)
        found = &u;
    }
    std::uint64_t part = 0;
    if (found == nullptr || !multiply_checked(number, found->factor, part))
      return std::nullopt;
    if (part > max_total - total)
      return std::nullopt;
    total += part;
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(total)};
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t number = 0;
  std::size_t used = read_digits(text, number);
  if (used == 0)
    return std::nullopt;
  text.remove_prefix(used);
  if (text.empty())
    return number;
  if (text.front() == ' ')
    text.remove_prefix(1);
  for (const auto& u : size_units) {
    std::uint64_t bytes = 0;
    if (iequals(text, u.name)) {
      if (!multiply_checked(number, u.factor, bytes))
        return std::nullopt;
      return bytes;
    }
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds value) {
  auto ms = value.count();
  if (ms == 0)
    return "0s";
  for (auto it = duration_units.rbegin(); it != duration_units.rend(); ++it) {
    auto factor = static_cast<std::int64_t>(it->factor);
    if (ms % factor == 0)
      return std::to_string(ms / factor) + std::string(it->name);
  }
  return std::to_string(ms) + "ms";  // unreachable: the ms unit divides everything
}

std::string format_size(std::uint64_t bytes) {
  // Largest binary unit that divides exactly, from TiB down to KiB.
  for (std::size_t i = 4; i >= 1; --i) {
    const auto& u = size_units[i];
    if (bytes != 0 && bytes % u.factor == 0)
      return std::to_string(bytes / u.factor) + std::string(u.name);
  }
  return std::to_string(bytes) + "B";
}

}  // namespace kemas::config
