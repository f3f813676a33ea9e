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
#include "domain/ports/plan_store.hpp"
#include "domain/model/plan.hpp"
#include "domain/result.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kemas::postgres {

using model::fallback_plan_name;

class plan_repository final : public ports::plan_store {
 public:
  explicit plan_repository(pg_pool& pool) : pool_(pool) {}

  // Cheapest first (price, then id). public_only: the catalog anyone may read.
  boost::asio::awaitable<std::vector<model::plan>> list(bool public_only) override;

  boost::asio::awaitable<result<model::plan>> find(std::int32_t id) override;
  boost::asio::awaitable<result<model::plan>> find_by_name(std::string name) override;

  // conflict (field "name") when the name is taken.
  boost::asio::awaitable<result<model::plan>> create(ports::plan_fields fields, model::event_draft event) override;
  // not_found; validation_failed for 'free' with a duration.
  boost::asio::awaitable<result<model::plan>> update(std::int32_t id, ports::plan_patch patch,
                                                     model::event_draft event) override;
  // not_found; conflict for 'free' and for a plan in use.
  boost::asio::awaitable<result<void>> remove(std::int32_t id, model::event_draft event) override;

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
