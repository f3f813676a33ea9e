#pragma once
// billing_store: the api's reads of a user's billing — the subscription in force and the
// order history. Orders are written only by the worker's `upgrade`, with the id the api chose;
// the api reads that order while it waits. Contract as user_store.hpp, owner scoping on every
// call (another user's order id is not_found). Implemented by adapters/postgres
// (billing_repository) and in memory.

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/model/order.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

struct order_position {
  std::int64_t created_us = 0;
  uuid id;
};

struct order_page {
  std::vector<model::order> orders;  // newest first, at most the limit asked
  bool more = false;                 // another page follows
};

class billing_store {
 public:
  virtual ~billing_store() = default;

  // not_found when the user does not exist.
  virtual async<result<model::subscription>> subscription(uuid user) = 0;
  virtual async<result<model::order>> find_order(uuid user, uuid order_id) = 0;
  // The user's orders newest first (created, then id, descending), strictly after `after`.
  virtual async<order_page> list_orders(uuid user, unsigned limit,
                                        std::optional<order_position> after) = 0;
};

}  // namespace kemas::ports
