#include "adapters/s3/object_streams.hpp"

#include <boost/asio/awaitable.hpp>

#include "adapters/log/logging.hpp"
#include "adapters/s3/object_stream.hpp"
#include "adapters/s3/object_upload.hpp"
#include "adapters/s3/streamed_put.hpp"

namespace kemas::s3 {

std::unique_ptr<ports::object_upload> s3_object_streams::upload(
    std::string key, std::string content_type, std::optional<std::uint64_t> length,
    ports::before_store_hook before_store) {
  if (length && *length > settings_.inline_max && *length <= settings_.single_put_max)
    return std::make_unique<streamed_put>(storage_, std::move(key), std::move(content_type),
                                          *length, settings_.put_buffer, std::move(before_store));
  return std::make_unique<object_upload>(storage_, std::move(key), std::move(content_type),
                                         settings_, std::move(before_store));
}

ports::async<result<ports::object_body>> s3_object_streams::open(
    std::string key, std::optional<kemas::byte_range> range) {
  std::optional<s3::byte_range> wanted;
  if (range)
    wanted = s3::byte_range{range->first, range->last};
  auto opened = co_await object_stream::open(storage_, key, wanted);
  if (!opened) {
    log::error("object could not be read",
               {{"object_key", key}, {"error", opened.error().describe()}});
    co_return make_error(errc::backend_unavailable, "the file's content is unavailable");
  }
  const std::uint64_t length = (*opened)->info().content_length;
  co_return ports::object_body{std::move(*opened), length};
}

}  // namespace kemas::s3
