#pragma once
// plan_repository: the plan catalog (table plans) — the public list, lookups by id and name,
// and the admins' create/update/delete with their plan.* events in the same transaction.
//
// Contract (as user_repository.hpp, see query.hpp): awaitables over pg_pool::run; the pool
// outlives the repository and its calls; failures a request can cause are kemas::error
// values; PostgreSQL unreachable THROWS kemas::backend_unavailable("postgres", ...).
//  - The caller validates fields first (app/services/plan_service.cpp); the database CHECKs
//    are the last line and come back as validation_failed naming the field.
//  - 'free' is the fallback plan of user_limits and of expiry (0002_plans_billing.sql): it
//    cannot be deleted, renamed or given a duration (conflict / validation_failed).
//  - A plan in use (an account on it, or an order that bought it) cannot be deleted:
//    conflict. Hide it instead (public = false).
//  - Events: plan.created / plan.updated / plan.deleted, subject {"plan", <name>}, data
//    {"plan": {...}} or {"before": {...}, "after": {...}} with the changed fields. An update
//    that changes nothing writes nothing and emits nothing.
//
// apply_plan_settings is the synchronous piece kemas-admin migrate runs on its own session.

#include "adapters/config/settings.hpp"
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/repositories/query.hpp"
#include "domain/model/plan.hpp"
#include "domain/result.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kemas::postgres {

using model::fallback_plan_name;

struct plan_record {
  std::int32_t id = 0;
  std::string name;  // the stable key clients buy by ({"package": "premium"})
  std::string display_name;
  std::int64_t quota_bytes = 0;
  std::int64_t max_file_bytes = 0;
  std::int64_t price_cents = 0;
  std::string currency;
  std::optional<std::int64_t> duration_seconds;  // nullopt: never expires (Free)
  bool is_public = true;
  timestamp created_at{};
  timestamp updated_at{};
};

// Every field of a new plan (validated by the caller).
struct plan_fields {
  std::string name;
  std::string display_name;
  std::int64_t quota_bytes = 0;
  std::int64_t max_file_bytes = 0;
  std::int64_t price_cents = 0;
  std::string currency = "USD";
  std::optional<std::int64_t> duration_seconds;
  bool is_public = true;
};

// What an update changes; an absent member keeps its value. The name is immutable: it is
// the key of orders, events and the API ({"package": ...}).
struct plan_patch {
  std::optional<std::string> display_name;
  std::optional<std::int64_t> quota_bytes;
  std::optional<std::int64_t> max_file_bytes;
  std::optional<std::int64_t> price_cents;
  std::optional<std::string> currency;
  std::optional<std::optional<std::int64_t>> duration_seconds;  // inner nullopt: never expires
  std::optional<bool> is_public;
};

class plan_repository {
 public:
  explicit plan_repository(pg_pool& pool) : pool_(pool) {}

  // Cheapest first (price, then id). public_only: the catalog anyone may read.
  boost::asio::awaitable<std::vector<plan_record>> list(bool public_only);

  boost::asio::awaitable<result<plan_record>> find(std::int32_t id);
  boost::asio::awaitable<result<plan_record>> find_by_name(std::string name);

  // conflict (field "name") when the name is taken.
  boost::asio::awaitable<result<plan_record>> create(plan_fields fields, event_draft event);
  // not_found; validation_failed for 'free' with a duration.
  boost::asio::awaitable<result<plan_record>> update(std::int32_t id, plan_patch patch,
                                                     event_draft event);
  // not_found; conflict for 'free' and for a plan in use.
  boost::asio::awaitable<result<void>> remove(std::int32_t id, event_draft event);

 private:
  pg_pool& pool_;
};

// Writes the [plans] overrides that differ from the database to the plans 'free' and
// 'premium' (one transaction, one plan.updated event per changed plan with no actor and
// data.via "config"). Returns one line per change ("premium.duration_seconds: 2592000 ->
// 120"); empty when nothing differed, so running it again changes nothing. Throws SOCI
// errors (e.g. a plan missing, or a value a CHECK refuses) for the caller to report.
std::vector<std::string> apply_plan_settings(soci::session& sql,
                                             const config::plans_settings& settings);

}  // namespace kemas::postgres
