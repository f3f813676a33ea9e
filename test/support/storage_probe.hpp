#pragma once
// storage_probe: what an api_fixture's uploads left behind, seen directly in its scratch
// database and in the shared S3 bucket, for tests that must prove "nothing stored, no orphan
// object, usage unchanged" without trusting the API's own answers. It also adjusts plans
// (quota, max file size) in that database to set up limit cases.
//
// On destruction it deletes every object under u/<user id>/ of the database's users, so the
// shared bucket does not collect test files.
//
// Threading: one test thread. Database failures throw (soci::soci_error or
// backend_unavailable); S3 listing failures throw std::runtime_error.

#include <ostream>
#include <set>
#include <string>

#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "domain/non_copyable.hpp"
#include "test/support/api_fixture.hpp"

namespace kemas::test {

class storage_probe : kemas::non_copyable {
 public:
  explicit storage_probe(const api_fixture& api);
  ~storage_probe();

  long long used_bytes(const std::string& user_id);
  // Active (or locked) files of the user: how many, and their summed size.
  long long live_files(const std::string& user_id);
  long long live_bytes(const std::string& user_id);
  // uploads rows of the user in `state` (pending, committed, rejected); "" = any state.
  long long uploads(const std::string& user_id, const std::string& state = {});

  // What a user's uploads left, in one comparable value (doctest prints both sides).
  struct totals {
    long long live_files = 0;
    long long uploads = 0;  // rows in any state
    long long used_bytes = 0;
    bool operator==(const totals&) const = default;
  };
  totals totals_of(const std::string& user_id);
  // The bucket holds exactly the objects of the user's live files: no orphan, none missing.
  bool objects_match_files(const std::string& user_id);

  // Every object key under u/<user id>/ in the bucket (all pages).
  std::set<std::string> objects_of(const std::string& user_id);
  // object_key of the user's live files.
  std::set<std::string> live_keys(const std::string& user_id);

  // UPDATE plans ... WHERE name = `plan`.
  void set_plan_limits(const std::string& plan, long long quota_bytes, long long max_file_bytes);
  void set_used_bytes(const std::string& user_id, long long used);

  postgres::pg_pool& pool() noexcept { return pool_; }
  s3::s3_client& objects() noexcept { return s3_; }

 private:
  long long scalar(const std::string& query, const std::string& param,
                   const std::string& param2 = {});

  postgres::pg_pool pool_;
  s3::s3_client s3_;
};

std::ostream& operator<<(std::ostream& out, const storage_probe::totals& t);

}  // namespace kemas::test
