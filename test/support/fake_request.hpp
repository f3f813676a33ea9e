#pragma once
// A request_context for unit tests of code that reads requests (CORS, cookies, guards): no
// socket, no body. A request_context borrows its body reader: fake_request keeps both.

#include <boost/asio/awaitable.hpp>

#include <string>
#include <utility>
#include <vector>

#include "app/server/http_types.hpp"

namespace kemas::test {

// A body reader with nothing to read.
class empty_body final : public http::body_reader {
 public:
  boost::asio::awaitable<result<std::string_view>> next_chunk(std::uint64_t) override {
    co_return std::string_view{};
  }
  bool complete() const noexcept override { return true; }
};

struct fake_request {
  empty_body body;
  http::request_context ctx;
  fake_request(http::method m, std::string target, std::vector<http::header_field> headers)
      : ctx(m, std::string(http::method_name(m)), std::move(target), std::move(headers), "rid-1",
            "203.0.113.5", body) {}
};

}  // namespace kemas::test
