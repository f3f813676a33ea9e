#pragma once
// billing_repository: the api's reads of a user's billing — the subscription in force (view
// user_limits, 0002_plans_billing.sql) and the order history (table orders). Orders are
// written only by the worker's `upgrade` transaction, with the id the api generated; the api
// polls find_order while it waits for that commit.
//
// Contract (as file_repository.hpp, see query.hpp): awaitables over pg_pool::run; owner
// scoping on every query (another user's order id is not_found); PostgreSQL unreachable
// THROWS kemas::backend_unavailable("postgres", ...).

#include "adapters/postgres/repositories/query.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kemas::postgres {

// The plan in force now: a paid plan past its plan_expires_at is already the free plan here
// (expired = true) even before the `expire` command downgraded the row.
struct subscription_record {
  std::string plan;  // plans.name in force
  std::string plan_display_name;
  std::optional<timestamp> expires_at;  // users.plan_expires_at as stored
  std::int64_t used_bytes = 0;
  std::int64_t quota_bytes = 0;
  std::int64_t max_file_bytes = 0;
  bool expired = false;
};

struct order_record {
  uuid id;
  std::string plan;  // plans.name bought
  std::int64_t amount_cents = 0;
  std::string currency;
  std::string state;                    // pending | paid | failed | refunded
  std::string reason;                   // failed only
  std::optional<timestamp> expires_at;  // the subscription end this order bought
  // Microseconds since the epoch (the column's precision): the cursor round-trips exactly.
  std::int64_t created_us = 0;
};

struct order_position {
  std::int64_t created_us = 0;
  uuid id;
};

struct order_page {
  std::vector<order_record> orders;  // newest first, at most the limit asked
  bool more = false;                 // another page follows
};

class billing_repository {
 public:
  explicit billing_repository(pg_pool& pool) : pool_(pool) {}

  // not_found when the user does not exist.
  boost::asio::awaitable<result<subscription_record>> subscription(uuid user);

  boost::asio::awaitable<result<order_record>> find_order(uuid user, uuid order_id);

  // The user's orders newest first (created_at DESC, id DESC), strictly after `after`.
  boost::asio::awaitable<order_page> list_orders(uuid user, unsigned limit,
                                                 std::optional<order_position> after);

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
