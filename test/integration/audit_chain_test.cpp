// The tamper-evident audit trail: every audit_log row is linked to the one before it by a
// hash (schemas/migrations/0004), also when writers insert concurrently, and
// `kemas-admin audit verify` names the first row that was changed, removed or reordered.

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <optional>
#include <thread>

#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/audit_chain.hpp"
#include "adapters/postgres/repositories/audit_repository.hpp"
#include "adapters/support/random.hpp"
#include "test/support/admin_cli.hpp"
#include "test/support/outbox_fixture.hpp"

using namespace kemas;

namespace {

test::admin_run audit_verify(const config::postgres_settings& db) {
  return test::run_admin(db, {"audit", "verify"});
}

postgres::audit_record record(int i) {
  postgres::audit_record r;
  r.event_id = support::random_uuid();
  r.actor_id = support::random_uuid();
  r.actor_ip = "198.51.100." + std::to_string(i % 250);
  r.action = i % 2 == 0 ? "auth.login" : "user.role_changed";
  r.target_type = "user";
  r.target_id = r.actor_id->to_string();
  r.before = boost::json::object{{"role", "user"}};
  r.after = boost::json::object{{"role", "admin"}, {"n", i}};
  r.request_id = "req-" + std::to_string(i);
  return r;
}

std::string event_at(postgres::pg_pool& pool, int seq) {
  return pool.with_session([seq](soci::session& sql) {
    std::string id;
    sql << "SELECT event_id::text FROM audit_log WHERE chain_seq = :s", soci::use(seq),
        soci::into(id);
    return id;
  });
}

}  // namespace

TEST_CASE("concurrent audit writers build one unbroken chain that verify accepts") {
  test::migrated_database db("audit_chain");
  postgres::pg_pool pool(db.settings(), "kemas-it-audit-chain");
  // Four writers at once, as the audit role's threads write.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&db, w] {
      postgres::pg_pool own(db.settings(), "kemas-it-audit-writer");
      for (int i = 0; i < 50; ++i)
        own.with_session(
            [&](soci::session& sql) { postgres::insert_audit_record(sql, record(w * 100 + i)); });
    });
  }
  for (auto& t : writers)
    t.join();
  // A redelivered event is one row, and takes no chain position.
  auto again = record(7);
  pool.with_session([&](soci::session& sql) {
    CHECK(postgres::insert_audit_record(sql, again));
    CHECK_FALSE(postgres::insert_audit_record(sql, again));
  });

  const auto report =
      pool.with_session([](soci::session& sql) { return postgres::verify_audit_chain(sql, 37); });
  CHECK(report.rows == 201);
  CHECK(report.head_seq == 201);
  CHECK_FALSE(report.broken.has_value());

  const auto ok = audit_verify(db.settings());
  INFO(ok.err);
  REQUIRE(ok.status.has_value());
  CHECK(*ok.status == 0);
  CHECK(ok.out.find("audit chain ok: 201 rows") != std::string::npos);
  CHECK(ok.out.find(report.head_hash) != std::string::npos);
}

TEST_CASE("audit verify names the row that was changed / removed / reordered") {
  test::migrated_database db("audit_tamper");
  postgres::pg_pool pool(db.settings(), "kemas-it-audit-tamper");
  pool.with_session([](soci::session& sql) {
    for (int i = 0; i < 20; ++i)
      postgres::insert_audit_record(sql, record(i));
  });
  REQUIRE(*audit_verify(db.settings()).status == 0);

  SUBCASE("changed") {
    const std::string event = event_at(pool, 12);
    pool.with_session([](soci::session& sql) {
      sql << "UPDATE audit_log SET after = '{\"role\":\"user\"}' WHERE chain_seq = 12";
    });
    const auto run = audit_verify(db.settings());
    CHECK(*run.status == 1);
    CHECK(run.out.find("BROKEN at chain_seq 12 ") != std::string::npos);
    CHECK(run.out.find(event) != std::string::npos);
  }
  SUBCASE("removed") {
    pool.with_session(
        [](soci::session& sql) { sql << "DELETE FROM audit_log WHERE chain_seq = 5"; });
    const auto run = audit_verify(db.settings());
    CHECK(*run.status == 1);
    CHECK(run.out.find("BROKEN at chain_seq 6 ") != std::string::npos);
    CHECK(run.out.find("rows removed") != std::string::npos);
  }
  SUBCASE("reordered") {
    pool.with_session([](soci::session& sql) {
      sql << "UPDATE audit_log SET chain_seq = CASE chain_seq WHEN 8 THEN -9 ELSE -8 END "
             "WHERE chain_seq IN (8, 9)";
      sql << "UPDATE audit_log SET chain_seq = -chain_seq WHERE chain_seq < 0";
    });
    const auto run = audit_verify(db.settings());
    CHECK(*run.status == 1);
    CHECK(run.out.find("BROKEN at chain_seq 8 ") != std::string::npos);
  }
}
