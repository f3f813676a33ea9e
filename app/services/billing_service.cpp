#include "app/services/billing_service.hpp"

#include "adapters/support/random.hpp"
#include "app/services/paging.hpp"
#include "app/services/settle_wait.hpp"
#include "domain/base64.hpp"
#include "domain/commands/expire_sweep.hpp"
#include "domain/commands/upgrade.hpp"
#include "domain/model/plan.hpp"

namespace kemas::app {
namespace asio = boost::asio;
using model::order;

namespace {

// Cursors are base64url of "<created_us>:<id>" of the previous page's last order.
std::string encode_cursor(const model::order& last) {
  return base64url(format_time_position(last.created_us, last.id));
}

result<ports::order_position> decode_cursor(std::string_view text) {
  const auto bad = make_error(errc::validation_failed, "cursor is not valid", "cursor");
  auto raw = base64url_decode(text);
  if (!raw)
    return bad;
  auto at = parse_time_position(*raw);
  if (!at)
    return bad;
  ports::order_position pos;
  pos.created_us = at->created_us;
  pos.id = at->id;
  return pos;
}

bool settled(const model::order& order) {
  return order.state != "pending";
}

}  // namespace

billing_service::billing_service(ports::plan_store& plans,
                                 ports::billing_store& billing, command_sender& commands,
                                 ports::settle_signals& signals,
                                 std::chrono::milliseconds wait)
    : plans_(plans), billing_(billing), commands_(commands), signals_(signals), wait_(wait) {}

asio::awaitable<result<model::subscription>> billing_service::subscription(
    const principal& who) {
  co_return co_await billing_.subscription(who.user_id);
}

asio::awaitable<result<order_list_page>> billing_service::orders(
    const principal& who, std::optional<std::string> limit, std::optional<std::string> cursor) {
  auto rows = parse_page_limit(limit, order_list_default_limit, order_list_max_limit);
  if (!rows)
    co_return rows.error();
  std::optional<ports::order_position> after;
  if (cursor && !cursor->empty()) {
    auto pos = decode_cursor(*cursor);
    if (!pos)
      co_return pos.error();
    after = *pos;
  }
  auto page = co_await billing_.list_orders(who.user_id, *rows, after);
  order_list_page out;
  if (page.more && !page.orders.empty())
    out.next_cursor = encode_cursor(page.orders.back());
  out.orders = std::move(page.orders);
  co_return out;
}

asio::awaitable<result<model::order>> billing_service::order(const principal& who,
                                                             std::string_view order_id) {
  const auto id = uuid::parse(order_id);
  if (!id)
    co_return make_error(errc::not_found, "no such order");
  co_return co_await billing_.find_order(who.user_id, *id);
}

asio::awaitable<result<upgrade_outcome>> billing_service::upgrade(const principal& who,
                                                                  std::string package,
                                                                  bool respond_async,
                                                                  command_origin origin) {
  std::string name = package;  // named: GCC 12 co_await temporaries
  auto plan = co_await plans_.find_by_name(std::move(name));
  if (!plan || !plan->is_public)
    co_return make_error(errc::not_found, "no plan named '" + package + "' can be bought",
                         "package");
  if (!model::is_purchasable(plan->name, plan->duration_seconds)) {
    co_return make_error(errc::validation_failed,
                         "the plan '" + plan->name + "' cannot be bought: it never expires",
                         "package");
  }

  upgrade_outcome outcome;
  outcome.order_id = support::random_uuid();
  // Named, not a temporary inside the co_await: GCC 12 destroys those twice.
  const commands::upgrade command{who.user_id, outcome.order_id, plan->name};
  const auto subscription = signals_.subscribe(outcome.order_id);  // before it can be applied
  auto sent = co_await commands_.send(command, origin);
  if (!sent)
    co_return sent.error();

  const auto wait = respond_async ? std::chrono::milliseconds(0) : wait_;
  auto committed = [&]() -> asio::awaitable<bool> {
    auto found = co_await billing_.find_order(who.user_id, outcome.order_id);
    if (found && settled(*found))
      outcome.order = std::move(*found);
    co_return outcome.order.has_value();
  };
  const bool done = co_await wait_until_settled(signals_, *subscription, wait, committed);
  if (done) {
    auto now = co_await billing_.subscription(who.user_id);
    if (now)
      outcome.subscription = std::move(*now);
  }
  co_return outcome;
}

asio::awaitable<result<std::string>> billing_service::request_sweep(std::string request_id,
                                                                    std::string client_ip) {
  // Named, not temporaries inside the co_await: GCC 12 destroys those twice.
  const commands::expire_sweep command;
  const command_origin origin{std::move(request_id), std::nullopt, std::move(client_ip)};
  co_return co_await commands_.send(command, origin);
}

}  // namespace kemas::app
