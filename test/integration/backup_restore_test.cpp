// kemas-admin backup and restore against the real servers: files of two users (inline and
// multipart-sized, one deleted before the backup) are backed up while the api runs; the
// database is emptied and the users' objects are removed from the bucket; restore brings
// back every live file byte-exact through the api with usage unchanged. A backup missing
// one object (deleted between snapshot and copy) restores that file as deleted, usage
// recounted without it.

#include <doctest/doctest.h>

#include <soci/soci.h>
#include <boost/json.hpp>

#include <filesystem>
#include <map>

#include "adapters/support/random.hpp"
#include "test/support/admin_cli.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/upload_env.hpp"

using namespace kemas;
using kemas::test::raw_response;
using kemas::test::upload_env;

namespace {

namespace fs = std::filesystem;

struct stored_file {
  std::string owner;  // test::account id
  std::string auth;
  std::string bytes;
};

std::string committed_id(const raw_response& r) {
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return std::string(boost::json::parse(r.body).at("id").as_string());
}

// A folder under the system's temporary folder, removed at scope exit.
struct scratch_folder {
  fs::path path = fs::temp_directory_path() / ("kemas-backup-" + support::random_hex(6));
  ~scratch_folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void wipe(upload_env& env, const std::vector<test::account>& users) {
  env.store.pool().with_session([](soci::session& sql) {
    sql << "DROP SCHEMA public CASCADE";
    sql << "CREATE SCHEMA public";
  });
  for (const auto& u : users) {
    for (const std::string& key : env.store.objects_of(u.id))
      REQUIRE(env.store.objects().delete_object(key).has_value());
    REQUIRE(env.store.objects_of(u.id).empty());
  }
}

}  // namespace

TEST_CASE("a backup restores every file byte-exact after the database and bucket are wiped") {
  upload_env env("backup");
  const auto alice = test::sign_up(env.api, "backup-alice");
  const auto bob = test::sign_up(env.api, "backup-bob");
  std::map<std::string, stored_file> files;  // file id -> what was uploaded
  std::uint64_t seed = 900;
  for (const auto* who : {&alice, &bob}) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1000}, std::size_t{300'000},
                                   std::size_t{6 * 1024 * 1024 + 17}}) {
      const std::string bytes = test::random_bytes(size, seed++);
      const auto id = committed_id(test::upload_raw(
          env.api, who->auth, "f-" + std::to_string(size) + ".bin", bytes));
      files[id] = {who->id, who->auth, bytes};
    }
  }
  // A file deleted before the backup stays deleted.
  const std::string deleted_id = files.begin()->first;
  REQUIRE(env.api.call("DELETE", "/api/v1/auth/files/" + deleted_id, {}, files.begin()->second.auth)
              .status == 204);
  files.erase(deleted_id);
  const auto alice_before = env.store.totals_of(alice.id);
  const auto bob_before = env.store.totals_of(bob.id);

  scratch_folder backup;
  const auto made = test::run_admin(env.api.database().settings(),
                                    {"backup", "--to", backup.path.string()});
  INFO(made.out, made.err);
  REQUIRE(made.status == 0);
  CHECK(made.out.find("7 of 7 objects") != std::string::npos);

  wipe(env, {alice, bob});
  CHECK(env.api.call("GET", "/api/v1/auth/files/list", {}, alice.auth).status >= 500);

  const auto refused = test::run_admin(env.api.database().settings(),
                                       {"restore", "--from", backup.path.string()});
  CHECK(refused.status == 2);  // without --yes nothing happens
  const auto restored = test::run_admin(env.api.database().settings(),
                                        {"restore", "--from", backup.path.string(), "--yes"});
  INFO(restored.out, restored.err);
  REQUIRE(restored.status == 0);

  CHECK(env.store.totals_of(alice.id) == alice_before);
  CHECK(env.store.totals_of(bob.id) == bob_before);
  CHECK(env.store.objects_match_files(alice.id));
  CHECK(env.store.objects_match_files(bob.id));
  for (const auto& [id, file] : files) {
    const auto got = env.api.call("GET", "/api/v1/auth/files/download/" + id, {}, file.auth);
    CAPTURE(id);
    REQUIRE(got.status == 200);
    CHECK(got.body == file.bytes);
  }
  CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + deleted_id, {},
                     alice.auth).status == 404);

  SUBCASE("an object missing from the backup restores its file as deleted") {
    // As if the file had been deleted between the snapshot and the copy of its object.
    const auto& [gone_id, gone] = *files.rbegin();
    const std::string key = "u/" + gone.owner + "/" + gone_id;
    REQUIRE(fs::remove(backup.path / "objects" / key));
    wipe(env, {alice, bob});
    const auto again = test::run_admin(env.api.database().settings(),
                                       {"restore", "--from", backup.path.string(), "--yes"});
    INFO(again.out, again.err);
    REQUIRE(again.status == 0);
    CHECK(again.out.find("1 files without an object in the backup marked deleted") !=
          std::string::npos);
    CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + gone_id, {}, gone.auth).status ==
          404);
    const auto after = env.store.totals_of(gone.owner);
    const auto before = gone.owner == alice.id ? alice_before : bob_before;
    CHECK(after.live_files == before.live_files - 1);
    CHECK(after.used_bytes == before.used_bytes - static_cast<long long>(gone.bytes.size()));
    CHECK(env.store.objects_match_files(gone.owner));
  }
}
