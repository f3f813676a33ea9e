#include "adapters/s3/async_client.hpp"

#include <algorithm>

namespace kemas::s3 {

s3_service::s3_service(const config::s3_settings& settings)
    : client_(settings), pool_(std::max(1u, settings.threads)) {}

boost::asio::awaitable<bool> s3_service::ready(std::chrono::milliseconds timeout) {
  auto outcome = co_await check(timeout);
  co_return outcome.has_value();
}

boost::asio::awaitable<s3_result<void>> s3_service::check(std::chrono::milliseconds timeout) {
  co_return co_await pool_.run([this, timeout] { return client_.head_bucket(timeout); });
}

}  // namespace kemas::s3
