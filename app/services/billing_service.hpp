#pragma once
// billing_service: a user's subscription and orders, the upgrade, and the sweep trigger of
// the internal route.
//
// Upgrade (POST /auth/billing/upgrade {"package"}): the package must be a public plan that
// can be bought (has a duration, is not 'free'); the api generates the order id, publishes
// the `upgrade` command {"order_id", "plan"} (actor = the buyer) with publisher confirms,
// and waits up to upload.wait for the worker's transaction by polling the order row it
// writes (settle_wait.hpp: works with any number of api instances). The worker charges
// through the payment provider, writes the order (paid or failed with a reason), moves the
// plan and its expiry, unlocks files, emits plan.upgraded and schedules the `expire`.
//
// Errors: unknown or hidden package -> not_found (the route answers 404 `unknown_plan`);
// 'free' or a plan without duration -> validation_failed (field "package"); RabbitMQ
// unavailable -> backend_unavailable (nothing was sent). PostgreSQL unreachable throws
// backend_unavailable (503).
//
// Threading: awaitables on the request's executor; the publisher is an actor.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "domain/ports/billing_store.hpp"
#include "domain/ports/plan_store.hpp"
#include "domain/ports/settle_signals.hpp"
#include "app/services/command_sender.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::app {

inline constexpr unsigned order_list_default_limit = 20;
inline constexpr unsigned order_list_max_limit = 100;

struct upgrade_outcome {
  uuid order_id;
  // Set once the worker committed within the wait (paid or failed); nullopt: still pending.
  std::optional<model::order> order;
  std::optional<model::subscription> subscription;  // with a committed order
};

struct order_list_page {
  std::vector<model::order> orders;
  std::optional<std::string> next_cursor;
};

class billing_service {
 public:
  billing_service(ports::plan_store& plans, ports::billing_store& billing,
                  command_sender& commands, ports::settle_signals& signals,
                  std::chrono::milliseconds wait);

  boost::asio::awaitable<result<model::subscription>> subscription(const principal& who);

  // limit 1..100 (default 20); cursor from a previous page. validation_failed naming
  // "limit" or "cursor".
  boost::asio::awaitable<result<order_list_page>> orders(const principal& who,
                                                         std::optional<std::string> limit,
                                                         std::optional<std::string> cursor);

  boost::asio::awaitable<result<model::order>> order(const principal& who,
                                                               std::string_view order_id);

  boost::asio::awaitable<result<upgrade_outcome>> upgrade(const principal& who, std::string package,
                                                          bool respond_async,
                                                          command_origin origin);

  // Publishes `expire-sweep` {} with no actor user (the internal route, operators). Returns
  // the command id; backend_unavailable when RabbitMQ did not confirm.
  boost::asio::awaitable<result<std::string>> request_sweep(std::string request_id,
                                                            std::string client_ip);

 private:
  ports::plan_store& plans_;
  ports::billing_store& billing_;
  command_sender& commands_;
  ports::settle_signals& signals_;
  std::chrono::milliseconds wait_;
};

}  // namespace kemas::app
