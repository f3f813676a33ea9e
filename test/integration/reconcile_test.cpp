// Issue 14's reconciler against the real servers: `kemas-admin reconcile` on a scratch
// database and a bucket of this test's own finds the orphan and the file without an object;
// --dry-run changes nothing; without it the orphan is quarantined, and the object cleaner of a
// real `kemas-worker --role commands` deletes it when the quarantine ends, leaving every
// accounted object alone.

#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/admin_cli.hpp"
#include "test/support/eventually.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/relay_fixture.hpp"
#include "test/support/s3_fixture.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

struct reconcile_env {
  test::migrated_database db{"reconcile"};
  config::s3_settings s3 = fresh_bucket();
  s3::s3_client bucket{s3};
  postgres::pg_pool pool{db.settings(), "kemas-it-reconcile"};
  std::string owner;

  reconcile_env() {
    test::ensure_s3_bucket(bucket);
    owner = pool.with_session([](soci::session& s) {
      std::string id;
      const std::string tag = support::random_hex(6);
      s << "INSERT INTO users (email, username, password_hash, plan_id) "
           "SELECT 'r' || :tag || '@example.com', 'r' || :tag2, 'x', id FROM plans "
           "WHERE name = 'free' RETURNING id::text",
          soci::use(tag), soci::use(tag), soci::into(id);
      return id;
    });
  }
  ~reconcile_env() {
    test::delete_s3_prefix(bucket, "");
  }

  static config::s3_settings fresh_bucket() {
    auto settings = test::s3_settings_from_env();
    settings.bucket = "kemas-reconcile-" + support::random_hex(4);
    return settings;
  }

  std::string key(const std::string& name) const { return "u/" + owner + "/" + name; }

  void put(const std::string& k) { REQUIRE(bucket.put_object(k, "bytes").has_value()); }

  void file_row(const std::string& k) {
    pool.with_session([&](soci::session& s) {
      s << "INSERT INTO files (owner_id, name, content_type, size_bytes, sha256, object_key) "
           "VALUES (CAST(:o AS uuid), :n, 'text/plain', 5, repeat('a', 64), :k)",
          soci::use(owner), soci::use(k), soci::use(k);
    });
  }

  long long cleanup_rows(const std::string& k) {
    return pool.with_session([&](soci::session& s) {
      long long n = 0;
      s << "SELECT count(*) FROM object_cleanup WHERE object_key = :k", soci::use(k),
          soci::into(n);
      return n;
    });
  }

  bool exists(const std::string& k) { return kemas::test::object_exists(bucket, k); }

  std::vector<std::pair<std::string, std::string>> server_env() const {
    return {{"KEMAS_S3_BUCKET", s3.bucket},
            {"KEMAS_ENV", "development"},
            {"KEMAS_LOG_FORMAT", "text"},
            // Everything unaccounted counts at once, and its quarantine ends at once.
            {"KEMAS_WORKER_RECONCILE_GRACE", "0s"},
            {"KEMAS_WORKER_RECONCILE_QUARANTINE", "0s"}};
  }

  test::admin_run reconcile(std::vector<std::string> flags) {
    flags.insert(flags.begin(), "reconcile");
    return test::run_admin(db.settings(), std::move(flags), server_env());
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("reconcile finds the orphan and the missing object and the cleaner ends the orphan") {
  reconcile_env env;
  const std::string kept = env.key("kept");        // a live file and its object
  const std::string missing = env.key("missing");  // a live file whose object is gone
  const std::string orphan = env.key("orphan");    // an object nothing accounts for
  const std::string leaving = env.key("leaving");  // an object whose removal is scheduled
  env.put(kept);
  env.file_row(kept);
  env.file_row(missing);
  env.put(orphan);
  env.put(leaving);
  env.pool.with_session([&](soci::session& s) {
    s << "INSERT INTO object_cleanup (object_key, due_at) VALUES (:k, now() + interval '1 day')",
        soci::use(leaving);
  });

  const auto dry = env.reconcile({"--dry-run"});
  INFO(dry.out, dry.err);
  REQUIRE(dry.status == 3);  // findings
  CHECK(contains(dry.out, "objects listed: 3, live files: 2"));
  CHECK(contains(dry.out, "orphans (older than the grace): 1 (dry run: nothing changed)"));
  CHECK(contains(dry.out, "  orphan " + orphan));
  CHECK(contains(dry.out, "  missing " + missing));
  CHECK(env.cleanup_rows(orphan) == 0);

  const auto real = env.reconcile({});
  INFO(real.out, real.err);
  REQUIRE(real.status == 3);
  CHECK(contains(real.out, "newly quarantined: 1"));
  CHECK(env.cleanup_rows(orphan) == 1);
  CHECK(env.exists(orphan));  // the reconciler never deletes; the cleaner does

  test::scratch_vhost vhost{"reconcile"};
  auto worker_env = env.server_env();
  worker_env.emplace_back("KEMAS_WORKER_CLEANUP_IDLE", "200ms");
  auto worker = test::start_worker("commands", env.db.settings().url, vhost.name(),
                                   "reconcile_test.worker", worker_env);
  const bool gone = test::eventually(
      [&] { return !env.exists(orphan) && env.cleanup_rows(orphan) == 0; }, 30s);
  CHECK_MESSAGE(gone, worker.stderr_text());
  CHECK(env.exists(kept));
  CHECK(env.exists(leaving));  // its removal is due tomorrow

  const auto after = env.reconcile({"--dry-run"});
  INFO(after.out, after.err);
  CHECK(after.status == 3);  // the missing object remains a finding
  CHECK(contains(after.out, "orphans (older than the grace): 0"));
}
