#include "test/support/plan_fixture.hpp"

#include "adapters/billing/demo_provider.hpp"
#include "adapters/postgres/commands/plan_command_store.hpp"
#include "adapters/support/random.hpp"
#include "domain/commands/upgrade.hpp"
#include "test/support/amqp_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <soci/soci.h>

namespace kemas::test {

timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

uuid uuid_of(std::string_view text) {
  const auto id = uuid::parse(text);
  if (!id)
    throw std::invalid_argument("not a uuid: " + std::string(text));
  return *id;
}

plan_database::plan_database(std::string_view tag)
    : db_(tag), pool_(std::make_shared<postgres::pg_pool>(db_.settings(), "kemas-it-plans")) {}

void plan_database::set_plan(const std::string& plan, std::optional<long long> quota_bytes,
                             std::optional<long long> duration_seconds) {
  sql([&](soci::session& s) {
    if (quota_bytes) {
      s << "UPDATE plans SET quota_bytes = :q WHERE name = :n", soci::use(*quota_bytes),
          soci::use(plan);
    }
    if (duration_seconds) {
      s << "UPDATE plans SET duration_seconds = :d WHERE name = :n",
          soci::use(*duration_seconds), soci::use(plan);
    }
  });
}

std::string plan_database::make_user(const std::string& plan, const std::string& expires_sql) {
  const std::string tag = support::random_hex(6);
  const std::string email = "p" + tag + "@example.com";
  const std::string username = "p" + tag;
  const std::string expires = expires_sql.empty() ? "NULL" : expires_sql;
  return sql([&](soci::session& s) {
    std::string id;
    s << "INSERT INTO users (email, username, password_hash, plan_id, plan_expires_at) "
         "SELECT :email, :username, 'x', id, " + expires + " FROM plans WHERE name = :plan "
         "RETURNING id::text",
        soci::use(email), soci::use(username), soci::use(plan), soci::into(id);
    return id;
  });
}

std::string plan_database::add_file(const std::string& owner, const std::string& name,
                                    long long size, int seconds_ago, const std::string& state) {
  return sql([&](soci::session& s) {
    soci::transaction tx(s);
    const std::string id = support::random_uuid().to_string();
    const std::string key = "u/" + owner + "/" + id;
    const std::string sha(64, 'a');
    s << "INSERT INTO files (id, owner_id, name, size_bytes, sha256, object_key, state, "
         "created_at) VALUES (CAST(:id AS uuid), CAST(:o AS uuid), :n, :s, :sha, :k, :st, "
         "now() - CAST(:ago AS integer) * interval '1 second')",
        soci::use(id), soci::use(owner), soci::use(name), soci::use(size), soci::use(sha),
        soci::use(key), soci::use(state), soci::use(seconds_ago);
    // The counters the worker keeps: bytes of every row (deleted rows too, as before), the
    // live files in file_count.
    const int live = state == "deleted" ? 0 : 1;
    s << "UPDATE users SET used_bytes = used_bytes + :s, file_count = file_count + :live "
         "WHERE id = CAST(:o AS uuid)",
        soci::use(size), soci::use(live), soci::use(owner);
    tx.commit();
    return id;
  });
}

plan_database::account plan_database::account_of(const std::string& user) {
  return sql([&](soci::session& s) {
    account out;
    long long expires_ms = 0;
    soci::indicator has_expiry = soci::i_null;
    s << "SELECT p.name, ceil(extract(epoch FROM u.plan_expires_at) * 1000)::bigint, "
         "u.used_bytes FROM users u JOIN plans p ON p.id = u.plan_id "
         "WHERE u.id = CAST(:u AS uuid)",
        soci::use(user), soci::into(out.plan), soci::into(expires_ms, has_expiry),
        soci::into(out.used_bytes);
    if (has_expiry == soci::i_ok)
      out.expires_at = timestamp(std::chrono::milliseconds(expires_ms));
    return out;
  });
}

std::map<std::string, std::string> plan_database::file_states(const std::string& owner) {
  return sql([&](soci::session& s) {
    std::map<std::string, std::string> out;
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT id::text, state FROM files WHERE owner_id = CAST(:o AS uuid) "
                      "AND state <> 'deleted'",
         soci::use(owner));
    for (const soci::row& row : rows)
      out[row.get<std::string>(0)] = row.get<std::string>(1);
    return out;
  });
}

std::vector<boost::json::object> plan_database::events_of_type(const std::string& type) {
  auto all = sql([](soci::session& s) { return outbox_events(s); });
  std::vector<boost::json::object> out;
  for (auto& e : all) {
    if (e.at("type").as_string() == type)
      out.push_back(std::move(e));
  }
  return out;
}

long long plan_database::count(const std::string& query, const std::string& param) {
  return sql([&](soci::session& s) {
    long long n = -1;
    s << query, soci::use(param), soci::into(n);
    return n;
  });
}

commands::envelope upgrade_command(const std::string& user, const std::string& plan,
                                         const std::string& order_id) {
  const commands::upgrade upgrade{
      *uuid::parse(user), order_id.empty() ? support::random_uuid() : *uuid::parse(order_id), plan};
  return commands::make_envelope(
      upgrade, {support::random_uuid().to_string(), now_ms(), unique_id("req"), {user, "127.0.0.1"}});
}

std::string order_of(const commands::envelope& upgrade) {
  return std::string(upgrade.payload.at("order_id").as_string());
}

worker::plan_ports plan_ports_on(const plan_database& db,
                                 std::shared_ptr<ports::command_scheduler> scheduler,
                                 std::shared_ptr<ports::payment_provider> payments) {
  worker::plan_ports ports;
  ports.store = std::make_shared<postgres::plan_command_store>(db.pool());
  ports.scheduler = std::move(scheduler);
  ports.payments = payments ? std::move(payments) : std::make_shared<billing::demo_provider>();
  return ports;
}

}  // namespace kemas::test
