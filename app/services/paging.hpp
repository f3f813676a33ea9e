#pragma once
// What the listing services (files, orders) share about pages: the `limit` parameter and
// the keyset position "<created_us>:<id>" that their opaque cursors carry. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::app {

// Absent -> `default_limit`; else an integer 1..max_limit, or validation_failed naming
// "limit".
result<unsigned> parse_page_limit(const std::optional<std::string>& text, unsigned default_limit,
                                  unsigned max_limit);

// Where a page sorted by (created_at DESC, id DESC) ended. Microseconds: the column's own
// precision, so the next page starts exactly after this row.
struct time_position {
  std::int64_t created_us = 0;
  uuid id;
};

std::string format_time_position(std::int64_t created_us, const uuid& id);
// Inverse of format_time_position; nullopt for anything else.
std::optional<time_position> parse_time_position(std::string_view text);

}  // namespace kemas::app
