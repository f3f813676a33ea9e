#include "app/composition/usage_flusher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/log/logging.hpp"
#include "adapters/metrics/transfer_metrics.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/admin_directory.hpp"

namespace kemas::app {
namespace asio = boost::asio;

usage_flusher::usage_flusher(asio::io_context& ioc, postgres::pg_pool& pool,
                             metrics::transfer_metrics& transfers,
                             std::chrono::milliseconds interval)
    : ioc_(ioc), pool_(pool), transfers_(transfers), interval_(interval), timer_(ioc) {}

void usage_flusher::start() {
  asio::co_spawn(ioc_, run(), asio::detached);
}

asio::awaitable<void> usage_flusher::run() {
  for (;;) {
    timer_.expires_after(interval_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopped_)
      co_return;
    const auto tally = transfers_.take_download_tally();
    if (tally.downloads == 0)
      continue;
    try {
      auto job = [tally](soci::session& sql) {
        postgres::add_downloads(sql, tally.downloads, tally.bytes);
      };
      co_await pool_.run(std::move(job));
    } catch (const std::exception& e) {
      transfers_.return_download_tally(tally);
      log::warn("download tally not stored; kept for the next flush", {{"error", e.what()}});
    }
  }
}

void usage_flusher::stop() {
  if (stopped_.exchange(true))
    return;
  // The timer belongs to the io_context's threads: cancel it there.
  asio::post(ioc_, [this] { timer_.cancel(); });
  const auto tally = transfers_.take_download_tally();
  if (tally.downloads == 0)
    return;
  try {
    pool_.with_session(
        [&](soci::session& sql) { postgres::add_downloads(sql, tally.downloads, tally.bytes); });
  } catch (const std::exception& e) {
    log::warn("download tally lost at shutdown",
              {{"downloads", tally.downloads}, {"error", e.what()}});
  }
}

}  // namespace kemas::app
