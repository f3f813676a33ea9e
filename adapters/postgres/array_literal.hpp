#pragma once
// PostgreSQL array literals for binding a list as one parameter (CAST(:keys AS text[])), so
// a batch is one statement instead of a loop of round trips.

#include <string>
#include <vector>

namespace kemas::postgres {

// {"a","b\"c"}: every element quoted, `"` and `\` escaped, so any string is safe.
std::string text_array_literal(const std::vector<std::string>& items);

}  // namespace kemas::postgres
