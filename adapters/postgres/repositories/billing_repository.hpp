#pragma once
// billing_repository: the api's reads of a user's billing — the subscription in force (view
// user_limits, 0002_plans_billing.sql) and the order history (table orders). Orders are
// written only by the worker's `upgrade` transaction, with the id the api generated; the api
// reads find_order once that commit signalled it (app/services/settle_wait.hpp). Every
// statement is prepared (prepared.hpp).
//
// Contract (as file_repository.hpp, see query.hpp): awaitables over pg_pool::run; owner
// scoping on every query (another user's order id is not_found); PostgreSQL unreachable
// THROWS kemas::backend_unavailable("postgres", ...).

#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/billing_store.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kemas::postgres {

class billing_repository final : public ports::billing_store {
 public:
  explicit billing_repository(pg_pool& pool) : pool_(pool) {}

  // not_found when the user does not exist.
  boost::asio::awaitable<result<model::subscription>> subscription(uuid user) override;

  boost::asio::awaitable<result<model::order>> find_order(uuid user, uuid order_id) override;

  // The user's orders newest first (created_at DESC, id DESC), strictly after `after`.
  boost::asio::awaitable<ports::order_page> list_orders(uuid user, unsigned limit,
                                                 std::optional<ports::order_position> after) override;

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
