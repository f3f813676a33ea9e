#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "domain/quota.hpp"

using namespace kemas;

namespace {

constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();

uuid id(std::uint8_t n) {
  uuid::bytes b{};
  b[15] = n;
  return uuid(b);
}

timestamp at(std::int64_t seconds) { return timestamp(std::chrono::seconds(seconds)); }

quota_file file(std::uint8_t n, std::uint64_t size, std::int64_t created_s, bool locked = false) {
  return quota_file{id(n), size, at(created_s), locked};
}

// What the worker does with the answer: flip the states.
void apply(std::vector<quota_file>& files, const lock_changes& changes) {
  for (auto& f : files) {
    if (std::ranges::find(changes.to_lock, f.id) != changes.to_lock.end()) f.locked = true;
    if (std::ranges::find(changes.to_unlock, f.id) != changes.to_unlock.end()) f.locked = false;
  }
}

}  // namespace

TEST_CASE("file size limit is inclusive") {
  CHECK(check_file_size(0, 1));
  CHECK(check_file_size(10, 10));
  auto r = check_file_size(11, 10);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::payload_too_large);
  CHECK(r.error().field == "file");
  CHECK(r.error().message.find("10 bytes") != std::string::npos);
  CHECK_FALSE(check_file_size(u64_max, u64_max - 1));
  CHECK(check_file_size(u64_max, u64_max));
}

TEST_CASE("quota check matches the conditional update") {
  CHECK(check_quota(0, 100, 100));
  CHECK(check_quota(40, 60, 100));
  CHECK(check_quota(100, 0, 100));
  CHECK(check_quota(0, 0, 0));
  auto r = check_quota(41, 60, 100);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::quota_exceeded);
  CHECK(r.error().field == "file");
  CHECK(r.error().message.find("59 of 100 bytes left") != std::string::npos);
  CHECK_FALSE(check_quota(101, 0, 100));  // over quota after a downgrade: nothing more
  CHECK_FALSE(check_quota(0, 1, 0));
}

TEST_CASE("quota sums never wrap around") {
  CHECK_FALSE(check_quota(u64_max, 1, u64_max));
  CHECK_FALSE(check_quota(1, u64_max, u64_max));
  CHECK_FALSE(check_quota(u64_max, u64_max, 100));
  CHECK(check_quota(u64_max - 1, 1, u64_max));
}

TEST_CASE("remaining quota never goes below zero") {
  CHECK(remaining_quota(0, 100) == 100);
  CHECK(remaining_quota(30, 100) == 70);
  CHECK(remaining_quota(100, 100) == 0);
  CHECK(remaining_quota(150, 100) == 0);
}

TEST_CASE("nothing is locked while everything fits") {
  std::vector<quota_file> files{file(1, 40, 1), file(2, 30, 2), file(3, 20, 3), file(4, 10, 4)};
  CHECK(plan_locks(files, 100) == lock_changes{});
  CHECK(plan_locks(files, u64_max) == lock_changes{});
  CHECK(plan_locks({}, 0) == lock_changes{});
}

TEST_CASE("the newest files are locked first until the rest fit") {
  std::vector<quota_file> files{file(1, 40, 1), file(2, 30, 2), file(3, 20, 3), file(4, 10, 4)};
  CHECK(plan_locks(files, 99) == lock_changes{{id(4)}, {}});
  CHECK(plan_locks(files, 75) == lock_changes{{id(4), id(3)}, {}});
  CHECK(plan_locks(files, 70) == lock_changes{{id(4), id(3)}, {}});
  CHECK(plan_locks(files, 39) == lock_changes{{id(4), id(3), id(2), id(1)}, {}});
  CHECK(plan_locks(files, 0) == lock_changes{{id(4), id(3), id(2), id(1)}, {}});
}

TEST_CASE("input order does not matter and equal dates are ordered by id") {
  std::vector<quota_file> files{file(9, 10, 5), file(3, 10, 5), file(7, 10, 5), file(1, 10, 1)};
  // oldest: id 1; then the three at t=5 by id: 3, 7, 9
  CHECK(plan_locks(files, 25) == lock_changes{{id(9), id(7)}, {}});
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::ranges::shuffle(files, rng);
    CHECK(plan_locks(files, 25) == lock_changes{{id(9), id(7)}, {}});
  }
}

TEST_CASE("a small newer file after one that does not fit is locked too") {
  std::vector<quota_file> files{file(1, 40, 1), file(2, 50, 2), file(3, 5, 3)};
  CHECK(plan_locks(files, 60) == lock_changes{{id(3), id(2)}, {}});
}

TEST_CASE("empty files count as fitting until the first file that does not fit") {
  std::vector<quota_file> files{file(1, 0, 1), file(2, 0, 2), file(3, 1, 3), file(4, 0, 4)};
  CHECK(plan_locks(files, 0) == lock_changes{{id(4), id(3)}, {}});
}

TEST_CASE("locked files that fit again are unlocked and already locked ones are not locked twice") {
  std::vector<quota_file> files{file(1, 40, 1), file(2, 30, 2, true), file(3, 20, 3, true), file(4, 10, 4, true)};
  CHECK(plan_locks(files, 100) == lock_changes{{}, {id(2), id(3), id(4)}});
  CHECK(plan_locks(files, 90) == lock_changes{{}, {id(2), id(3)}});
  CHECK(plan_locks(files, 70) == lock_changes{{}, {id(2)}});
  CHECK(plan_locks(files, 40) == lock_changes{});
  CHECK(plan_locks(files, 39) == lock_changes{{id(1)}, {}});
}

TEST_CASE("huge sizes never wrap around to fit") {
  std::vector<quota_file> files{file(1, u64_max, 1), file(2, u64_max, 2), file(3, 1, 3)};
  CHECK(plan_locks(files, u64_max) == lock_changes{{id(3), id(2)}, {}});
}

TEST_CASE("random histories: applying the changes leaves a fitting oldest prefix and is idempotent") {
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::uint64_t> size(0, 1000);
  std::uniform_int_distribution<int> count(0, 30);
  std::uniform_int_distribution<std::int64_t> when(0, 20);
  std::bernoulli_distribution coin(0.3);
  for (int round = 0; round < 500; ++round) {
    std::vector<quota_file> files;
    const int n = count(rng);
    for (int i = 0; i < n; ++i) files.push_back(file(static_cast<std::uint8_t>(i), size(rng), when(rng), coin(rng)));
    const std::uint64_t quota = size(rng) * 5;
    const auto changes = plan_locks(files, quota);
    INFO("round " << round);
    for (const auto& u : changes.to_lock) {
      CHECK(std::ranges::find_if(files, [&](const quota_file& f) { return f.id == u && !f.locked; }) != files.end());
    }
    for (const auto& u : changes.to_unlock) {
      CHECK(std::ranges::find_if(files, [&](const quota_file& f) { return f.id == u && f.locked; }) != files.end());
    }
    apply(files, changes);
    std::uint64_t unlocked = 0;
    for (const auto& f : files) {
      if (!f.locked) unlocked += f.size;
    }
    CHECK(unlocked <= quota);
    auto sorted = files;
    std::ranges::sort(sorted, [](const quota_file& a, const quota_file& b) {
      return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
    // Locked files form a newest suffix, and the first of them did not fit.
    const auto first_locked = std::ranges::find_if(sorted, [](const quota_file& f) { return f.locked; });
    CHECK(std::all_of(first_locked, sorted.end(), [](const quota_file& f) { return f.locked; }));
    if (first_locked != sorted.end()) CHECK(unlocked + first_locked->size > quota);
    CHECK(plan_locks(files, quota) == lock_changes{});
  }
}
