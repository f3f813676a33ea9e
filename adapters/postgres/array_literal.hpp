#pragma once
// PostgreSQL array literals for binding a list as one parameter (CAST(:keys AS text[])), so
// a batch is one statement instead of a loop of round trips.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "domain/uuid.hpp"

namespace kemas::postgres {

// {"a","b\"c"}: every element quoted, `"` and `\` escaped, so any string is safe.
std::string text_array_literal(const std::vector<std::string>& items);
// {1,2,3}: for CAST(:ids AS bigint[]) (or int[]).
std::string integer_array_literal(std::span<const std::int64_t> items);
// {uuid,uuid}: for CAST(:ids AS uuid[]); uuid text needs no quoting.
std::string uuid_array_literal(std::span<const uuid> items);

}  // namespace kemas::postgres
