#include "adapters/s3/async_client.hpp"

#include <algorithm>

namespace kemas::s3 {

namespace {
constexpr std::string_view readiness_key = ".kemas-readiness-probe";
}

s3_service::s3_service(const config::s3_settings& settings)
    : client_(settings), pool_(std::max(1u, settings.threads)) {}

boost::asio::awaitable<bool> s3_service::ready(std::chrono::milliseconds timeout) {
  auto outcome = co_await check(timeout);
  co_return outcome.has_value();
}

// HEAD of a key that never exists: a 404 proves the endpoint answers and accepts our
// signature (a wrong secret gives 403), without HEAD on the bucket, which some servers
// (s3rver) answer by listing every object.
boost::asio::awaitable<s3_result<void>> s3_service::check(std::chrono::milliseconds timeout) {
  co_return co_await pool_.run([this, timeout]() -> s3_result<void> {
    auto answer = client_.with_timeout(timeout).head_object(readiness_key);
    if (answer || answer.error().not_found()) return {};
    return answer.error();
  });
}

}  // namespace kemas::s3
