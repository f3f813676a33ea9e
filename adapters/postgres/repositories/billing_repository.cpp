#include "adapters/postgres/repositories/billing_repository.hpp"

#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <utility>

namespace kemas::postgres {
namespace {

// Every statement here is prepared (prepared.hpp): planned once per connection. $1 user.
const prepared_statement subscription_statement{
    "kemas_billing_subscription",
    "SELECT plan_name, plan_display_name, "
    "(extract(epoch FROM plan_expires_at) * 1000)::bigint, used_bytes, quota_bytes, "
    "max_file_bytes, expired::int FROM user_limits WHERE user_id = CAST($1 AS uuid)"};

// Columns of an model::order, in the order order_from_rows reads them.
#define KEMAS_ORDER_COLUMNS                                                           \
  "o.id::text, p.name, o.amount_cents, o.currency, o.state, coalesce(o.reason, ''), " \
  "(extract(epoch FROM o.expires_at) * 1000)::bigint, "                               \
  "(extract(epoch FROM o.created_at) * 1000000)::bigint"

// $1 order, $2 user.
const prepared_statement find_order_statement{
    "kemas_billing_find_order",
    "SELECT " KEMAS_ORDER_COLUMNS
    " FROM orders o JOIN plans p ON p.id = o.plan_id "
    "WHERE o.id = CAST($1 AS uuid) AND o.user_id = CAST($2 AS uuid)"};

// $1 user, $2 rows; after a cursor $3 its created_at in µs and $4 its id.
const prepared_statement list_first{
    "kemas_billing_orders",
    "SELECT " KEMAS_ORDER_COLUMNS
    " FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.user_id = CAST($1 AS uuid) "
    "ORDER BY o.created_at DESC, o.id DESC LIMIT $2"};
const prepared_statement list_after{
    "kemas_billing_orders_after",
    "SELECT " KEMAS_ORDER_COLUMNS
    " FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.user_id = CAST($1 AS uuid) "
    "AND (o.created_at, o.id) < (timestamptz 'epoch' + CAST($3 AS bigint) * "
    "interval '1 microsecond', CAST($4 AS uuid)) "
    "ORDER BY o.created_at DESC, o.id DESC LIMIT $2"};

#undef KEMAS_ORDER_COLUMNS

model::order order_from_rows(const prepared_rows& rows, int row) {
  return {.id = rows.id(row, 0),
          .plan = rows.text(row, 1),
          .amount_cents = rows.int64(row, 2),
          .currency = rows.text(row, 3),
          .state = rows.text(row, 4),
          .reason = rows.text(row, 5),
          .expires_at = rows::optional_time(rows, row, 6),
          .created_us = rows.int64(row, 7)};
}

ports::order_page read_orders(soci::session& sql, uuid user, unsigned limit,
                              const std::optional<ports::order_position>& after) {
  const unsigned row_limit = limit + 1;  // one more tells whether a page follows
  const prepared_rows rows =
      after ? execute(sql, list_after, user, row_limit, after->created_us, after->id)
            : execute(sql, list_first, user, row_limit);
  ports::order_page page;
  page.orders.reserve(static_cast<std::size_t>(rows.size()));
  for (int row = 0; row < rows.size(); ++row)
    page.orders.push_back(order_from_rows(rows, row));
  if (page.orders.size() > limit) {
    page.orders.resize(limit);
    page.more = true;
  }
  return page;
}

}  // namespace

boost::asio::awaitable<result<model::subscription>> billing_repository::subscription(uuid user) {
  auto job = [user](soci::session& sql) -> result<model::subscription> {
    const prepared_rows rows = execute(sql, subscription_statement, user);
    if (rows.size() == 0)
      return make_error(errc::not_found, "no such user");
    model::subscription s;
    s.plan = rows.text(0, 0);
    s.plan_display_name = rows.text(0, 1);
    s.expires_at = rows::optional_time(rows, 0, 2);
    s.used_bytes = rows.int64(0, 3);
    s.quota_bytes = rows.int64(0, 4);
    s.max_file_bytes = rows.int64(0, 5);
    s.expired = rows.int64(0, 6) != 0;
    return s;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::order>> billing_repository::find_order(uuid user,
                                                                            uuid order_id) {
  auto job = [user, order_id](soci::session& sql) -> result<model::order> {
    const prepared_rows rows = execute(sql, find_order_statement, order_id, user);
    if (rows.size() == 0)
      return make_error(errc::not_found, "no such order");
    return order_from_rows(rows, 0);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<ports::order_page> billing_repository::list_orders(
    uuid user, unsigned limit, std::optional<ports::order_position> after) {
  auto job = [user, limit, after = std::move(after)](soci::session& sql) {
    return read_orders(sql, user, limit, after);
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
