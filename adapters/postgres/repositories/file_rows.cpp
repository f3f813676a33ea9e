#include "adapters/postgres/repositories/file_rows.hpp"

#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <stdexcept>

namespace kemas::postgres::rows {

model::file_state file_state(const std::string& text) {
  if (const auto state = model::file_state_from(text))
    return *state;
  throw std::runtime_error("files.state: unknown value '" + text + "'");
}

model::file file(const prepared_rows& rows, int row, int first) {
  return {.id = rows.id(row, first), .owner_id = rows.id(row, first + 1),
          .name = rows.text(row, first + 2), .content_type = rows.text(row, first + 3),
          .size = static_cast<std::uint64_t>(rows.int64(row, first + 4)),
          .sha256 = rows.text(row, first + 5), .object_key = rows.text(row, first + 6),
          .state = file_state(rows.text(row, first + 7)),
          .created_us = rows.int64(row, first + 8)};
}

}  // namespace kemas::postgres::rows
