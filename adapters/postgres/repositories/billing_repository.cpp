#include "adapters/postgres/repositories/billing_repository.hpp"

#include "adapters/postgres/repositories/rows.hpp"

#include <soci/soci.h>

#include <utility>

namespace kemas::postgres {
namespace {

constexpr const char* subscription_sql =
    "SELECT plan_name, plan_display_name, "
    "(extract(epoch FROM plan_expires_at) * 1000)::bigint, used_bytes, quota_bytes, "
    "max_file_bytes, expired::int FROM user_limits WHERE user_id = CAST(:user AS uuid)";

// Columns of an model::order, in the order order_from_row reads them.
#define KEMAS_ORDER_COLUMNS                                                           \
  "o.id::text, p.name, o.amount_cents, o.currency, o.state, coalesce(o.reason, ''), " \
  "(extract(epoch FROM o.expires_at) * 1000)::bigint, "                               \
  "(extract(epoch FROM o.created_at) * 1000000)::bigint"

constexpr const char* find_order_sql =
    "SELECT " KEMAS_ORDER_COLUMNS
    " FROM orders o JOIN plans p ON p.id = o.plan_id "
    "WHERE o.id = CAST(:id AS uuid) AND o.user_id = CAST(:user AS uuid)";

constexpr const char* list_first_sql =
    "SELECT " KEMAS_ORDER_COLUMNS
    " FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.user_id = CAST(:user AS uuid) "
    "ORDER BY o.created_at DESC, o.id DESC LIMIT :row_limit";

constexpr const char* list_after_sql =
    "SELECT " KEMAS_ORDER_COLUMNS
    " FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.user_id = CAST(:user AS uuid) "
    "AND (o.created_at, o.id) < (timestamptz 'epoch' + CAST(:after_us AS bigint) * "
    "interval '1 microsecond', CAST(:after_id AS uuid)) "
    "ORDER BY o.created_at DESC, o.id DESC LIMIT :row_limit";

#undef KEMAS_ORDER_COLUMNS

model::order order_from_row(const soci::row& row) {
  return {.id = rows::id(row, 0), .plan = rows::text(row, 1), .amount_cents = rows::int64(row, 2),
          .currency = rows::text(row, 3), .state = rows::text(row, 4),
          .reason = rows::text(row, 5), .expires_at = rows::optional_time(row, 6),
          .created_us = rows::int64(row, 7)};
}

ports::order_page read_orders(soci::session& sql, const std::string& user, unsigned limit,
                       const std::optional<ports::order_position>& after) {
  int row_limit = static_cast<int>(limit) + 1;  // one more tells whether a page follows
  long long after_us = after ? after->created_us : 0;
  std::string after_id = after ? after->id.to_string() : std::string();
  soci::statement st(sql);
  soci::row row;
  st.exchange(soci::use(user, "user"));
  if (after) {
    st.exchange(soci::use(after_us, "after_us"));
    st.exchange(soci::use(after_id, "after_id"));
  }
  st.exchange(soci::use(row_limit, "row_limit"));
  st.exchange(soci::into(row));
  st.alloc();
  st.prepare(after ? list_after_sql : list_first_sql, soci::details::st_one_time_query);
  st.define_and_bind();
  ports::order_page page;
  if (st.execute(true)) {
    do {
      page.orders.push_back(order_from_row(row));
    } while (st.fetch());
  }
  if (page.orders.size() > limit) {
    page.orders.resize(limit);
    page.more = true;
  }
  return page;
}

}  // namespace

boost::asio::awaitable<result<model::subscription>> billing_repository::subscription(uuid user) {
  auto job = [user = user.to_string()](soci::session& sql) -> result<model::subscription> {
    soci::row row;
    sql << subscription_sql, soci::use(user, "user"), soci::into(row);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such user");
    model::subscription s;
    s.plan = rows::text(row, 0);
    s.plan_display_name = rows::text(row, 1);
    s.expires_at = rows::optional_time(row, 2);
    s.used_bytes = rows::int64(row, 3);
    s.quota_bytes = rows::int64(row, 4);
    s.max_file_bytes = rows::int64(row, 5);
    s.expired = rows::boolean(row, 6);
    return s;
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<result<model::order>> billing_repository::find_order(uuid user,
                                                                            uuid order_id) {
  auto job = [user = user.to_string(),
              id = order_id.to_string()](soci::session& sql) -> result<model::order> {
    soci::row row;
    sql << find_order_sql, soci::use(id, "id"), soci::use(user, "user"), soci::into(row);
    if (!sql.got_data())
      return make_error(errc::not_found, "no such order");
    return order_from_row(row);
  };
  co_return co_await run_query(pool_, std::move(job));
}

boost::asio::awaitable<ports::order_page> billing_repository::list_orders(
    uuid user, unsigned limit, std::optional<ports::order_position> after) {
  auto job = [user = user.to_string(), limit, after = std::move(after)](soci::session& sql) {
    return read_orders(sql, user, limit, after);
  };
  co_return co_await run_query(pool_, std::move(job));
}

}  // namespace kemas::postgres
