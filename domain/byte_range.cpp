#include "domain/byte_range.hpp"
#include "domain/text.hpp"

#include <limits>
#include <optional>

namespace kemas {
namespace {

constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// 1*DIGIT, saturating at 2^64-1: "99999999999999999999999" is a valid, huge position.
std::optional<std::uint64_t> parse_digits(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    value = value > (u64_max - d) / 10 ? u64_max : value * 10 + d;
  }
  return value;
}

// The one range-spec of a value already known to hold a single one.
range_selection select_one(std::string_view spec, std::uint64_t size) noexcept {
  const range_selection whole{};
  const range_selection unsatisfiable{range_outcome::unsatisfiable, {}};
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const auto first_text = spec.substr(0, dash);
  const auto last_text = spec.substr(dash + 1);

  if (first_text.empty()) {  // suffix-range: "-N"
    const auto suffix = parse_digits(last_text);
    if (!suffix) return whole;
    if (*suffix == 0) return unsatisfiable;
    if (size == 0) return whole;
    const auto length = *suffix < size ? *suffix : size;
    return {range_outcome::partial, {size - length, size - 1}};
  }

  const auto first = parse_digits(first_text);
  if (!first) return whole;
  std::uint64_t last = u64_max;  // open range: "N-"
  if (!last_text.empty()) {
    const auto parsed = parse_digits(last_text);
    if (!parsed || *parsed < *first) return whole;  // invalid: the field is ignored
    last = *parsed;
  }
  if (*first >= size) return unsatisfiable;
  return {range_outcome::partial, {*first, last < size - 1 ? last : size - 1}};
}

}  // namespace

range_selection select_range(std::string_view header, std::uint64_t size) noexcept {
  const range_selection whole{};
  header = trim_ows(header);
  const auto eq = header.find('=');
  if (eq == std::string_view::npos || !iequals(header.substr(0, eq), "bytes")) return whole;

  // range-set = 1#range-spec: a list, so empty elements and OWS around commas are allowed.
  std::string_view only;
  std::size_t count = 0;
  auto rest = header.substr(eq + 1);
  while (true) {
    const auto comma = rest.find(',');
    const auto element = trim_ows(rest.substr(0, comma));
    if (!element.empty()) {
      if (++count > 1) return whole;  // several ranges: served whole, see the header
      only = element;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (count == 0) return whole;
  return select_one(only, size);
}

std::string content_range_header(std::uint64_t first, std::uint64_t last, std::uint64_t size) {
  return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size);
}

std::string unsatisfied_range_header(std::uint64_t size) { return "bytes */" + std::to_string(size); }

}  // namespace kemas
