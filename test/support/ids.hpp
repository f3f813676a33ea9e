#pragma once
// Ids for unit tests: distinct, readable ("00000000-0000-4000-8000-000000000007"), and in
// increasing order, so a failing check names the object it is about. Not thread-safe.

#include "domain/uuid.hpp"

namespace kemas::test {

uuid sequential_id();

}  // namespace kemas::test
