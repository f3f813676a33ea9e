// What a worker's lock on an account's users row lets through (schemas/migrations/
// 0011_users_no_key_locks.sql). The commit of an upload holds its owner's row until it ends;
// the api's next INSERT for that owner only checks the foreign key to the row and must not
// wait for that commit, while a second commit for the same owner still must (the quota check
// depends on it).

#include <doctest/doctest.h>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <chrono>
#include <string>

#include "adapters/postgres/conninfo.hpp"
#include "adapters/support/random.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/upload_client.hpp"

using namespace std::chrono_literals;
using namespace kemas::test;

namespace {

const std::string sha256_of_nothing =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// A pending upload of `owner`, as the api records it before the command.
std::string pending_upload(soci::session& sql, const std::string& owner) {
  const std::string id = kemas::support::random_uuid().to_string();
  sql << "INSERT INTO uploads (id, owner_id) VALUES (CAST(:id AS uuid), CAST(:owner AS uuid))",
      soci::use(id, "id"), soci::use(owner, "owner");
  return id;
}

// The worker's commit of an empty file for `upload_id`, inside the caller's transaction.
std::string commit_upload(soci::session& sql, const std::string& owner,
                          const std::string& upload_id, const std::string& name) {
  const std::string file_id = kemas::support::random_uuid().to_string();
  const std::string key = "u/" + owner + "/" + file_id;
  const std::string command_id = kemas::support::random_uuid().to_string();
  std::string outcome;
  sql << "SELECT commit_upload(CAST(:upload AS uuid), CAST(:owner AS uuid), "
         "CAST(:file AS uuid), :name, 'text/plain', 0, :sha, :key, false, "
         "CAST(:command AS uuid), '{\"type\":\"file.uploaded\"}'::jsonb, 'kemas_test_locks')",
      soci::use(upload_id, "upload"), soci::use(owner, "owner"), soci::use(file_id, "file"),
      soci::use(name, "name"), soci::use(sha256_of_nothing, "sha"), soci::use(key, "key"),
      soci::use(command_id, "command"), soci::into(outcome);
  return outcome;
}

}  // namespace

TEST_CASE("an upload commit holding its owner's row lets the api take the owner's next upload") {
  api_fixture api;
  auto ana = sign_up(api, "ana");
  const std::string conninfo =
      kemas::postgres::build_conninfo(api.database().settings(), "kemas-test");
  soci::session worker(soci::postgresql, conninfo);
  soci::session other_worker(soci::postgresql, conninfo);
  const std::string first = pending_upload(worker, ana.id);
  const std::string second = pending_upload(worker, ana.id);

  soci::transaction held(worker);
  REQUIRE(commit_upload(worker, ana.id, first, "first.txt") == "committed");

  // Meanwhile the api records the owner's next upload (its row names the owner, so the
  // foreign key check locks the owner's row FOR KEY SHARE) and answers at once.
  const auto started = std::chrono::steady_clock::now();
  const auto r = upload_raw(api, ana.auth, "meanwhile.txt", "hello", "text/plain",
                            "Prefer: respond-async\r\n");
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(r.body);
  CHECK(r.status == 202);
  CHECK(took < 2s);

  // Another commit for the same owner still waits for the first: usage and quota stay exact.
  other_worker << "SET lock_timeout = '300ms'";
  bool waited = false;
  try {
    soci::transaction tx(other_worker);
    commit_upload(other_worker, ana.id, second, "second.txt");
  } catch (const soci::soci_error& e) {
    waited = std::string(e.what()).find("lock timeout") != std::string::npos;
    INFO(e.what());
  }
  CHECK(waited);

  held.commit();
  soci::transaction tx(other_worker);
  CHECK(commit_upload(other_worker, ana.id, second, "second.txt") == "committed");
  tx.commit();
  long long files = 0;
  worker << "SELECT file_count FROM users WHERE id = CAST(:id AS uuid)", soci::use(ana.id, "id"),
      soci::into(files);
  CHECK(files == 2);
}
