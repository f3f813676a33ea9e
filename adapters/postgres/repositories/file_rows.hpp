#pragma once
// A model::file read from a row, for every repository that selects files (files, share
// links). Internal to adapters/postgres/repositories: include from .cpp files only.

#include "domain/model/file.hpp"

#include <cstddef>
#include <string>

// Columns of a model::file (`f` is files), in the order rows::file reads them. Times as
// microseconds: a list cursor must round-trip created_at exactly, or rows of the same
// millisecond would be skipped or repeated at a page boundary.
#define KEMAS_FILE_COLUMNS                                                         \
  "f.id::text, f.owner_id::text, f.name, f.content_type, f.size_bytes, f.sha256, " \
  "f.object_key, f.state, (extract(epoch FROM f.created_at) * 1000000)::bigint"

namespace kemas::postgres {
class prepared_rows;
}

namespace kemas::postgres::rows {

inline constexpr std::size_t file_column_count = 9;

// files.state; std::runtime_error for a value the model does not know.
model::file_state file_state(const std::string& text);

// The file whose KEMAS_FILE_COLUMNS start at column `first`, in row `row` of a prepared
// statement's answer.
model::file file(const prepared_rows& rows, int row, int first = 0);

}  // namespace kemas::postgres::rows
