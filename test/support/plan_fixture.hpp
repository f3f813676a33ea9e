#pragma once
// Test helpers for the plan commands (issue 5): a migrated scratch database with accounts,
// files and plans set up by SQL, readers for what the handlers wrote, and the handlers' ports
// on it (the scheduler that records instead of publishing is memory_ports.hpp's).
//
// Threading: one test thread owns a plan_database.
// Failures throw (SOCI exceptions, std::runtime_error).

#include "adapters/postgres/pool.hpp"
#include "domain/commands/envelope.hpp"
#include "test/support/outbox_fixture.hpp"
#include "domain/uuid.hpp"
#include "test/support/memory_ports.hpp"
#include "workers/handlers/plan_ports.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kemas::test {

// Time as the handlers and the database store it: milliseconds since the epoch.
timestamp now_ms();

// The id in `text` (a uuid the test made); throws std::invalid_argument for anything else.
uuid uuid_of(std::string_view text);

class plan_database {
 public:
  explicit plan_database(std::string_view tag);

  config::postgres_settings settings() const { return db_.settings(); }
  const std::string& name() const noexcept { return db_.name(); }
  const std::shared_ptr<postgres::pg_pool>& pool() const noexcept { return pool_; }

  template <class F>
  auto sql(F fn) {
    return pool_->with_session(std::move(fn));
  }

  // UPDATE plans SET quota_bytes / duration_seconds (when given) WHERE name = `plan`.
  void set_plan(const std::string& plan, std::optional<long long> quota_bytes,
                std::optional<long long> duration_seconds);

  // A new account on `plan`; `expires_sql` is an SQL expression for plan_expires_at
  // ("now() - interval '1 second'"), NULL when empty. Returns its id.
  std::string make_user(const std::string& plan = "free", const std::string& expires_sql = "");

  // A file row of `owner` created `seconds_ago` seconds ago in `state`; its size is added to
  // the owner's used_bytes. Returns the file id.
  std::string add_file(const std::string& owner, const std::string& name, long long size,
                       int seconds_ago, const std::string& state = "active");

  struct account {
    std::string plan;
    std::optional<timestamp> expires_at;  // rounded up to the ms, as handlers read it
    long long used_bytes = 0;
  };
  account account_of(const std::string& user);

  // file id -> state, of the owner's files not deleted.
  std::map<std::string, std::string> file_states(const std::string& owner);
  std::vector<boost::json::object> events_of_type(const std::string& type);
  // SELECT count(*) ... with one text parameter.
  long long count(const std::string& query, const std::string& param);

 private:
  migrated_database db_;
  std::shared_ptr<postgres::pg_pool> pool_;
};

// The plan handlers' ports over the scratch database: its real command store, `scheduler`,
// and `payments` (the demo provider unless given). No expiry counter.
worker::plan_ports plan_ports_on(const plan_database& db,
                                 std::shared_ptr<ports::command_scheduler> scheduler,
                                 std::shared_ptr<ports::payment_provider> payments = nullptr);

// An `upgrade` command from `user` for `plan`, with a new order id (or `order_id`).
commands::envelope upgrade_command(const std::string& user, const std::string& plan,
                                         const std::string& order_id = "");

// The order id of an upgrade command's payload.
std::string order_of(const commands::envelope& upgrade);

}  // namespace kemas::test
