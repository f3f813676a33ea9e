#pragma once
// Light HTTP types for route handlers: a request as read by the session and the response a
// handler returns. Deliberately free of Beast so route files compile fast; the session
// (session.cpp) translates to and from Beast messages.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/ports/byte_source.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::http {

enum class method { get, head, post, put, patch, delete_, options, other };

std::string_view method_name(method m) noexcept;
method parse_method(std::string_view name) noexcept;

struct header_field {
  std::string name;
  std::string value;
};

// A response body produced in chunks (downloads): the session pulls chunks and writes them
// with backpressure, so memory per response stays bounded whatever the size. An error after
// the header was sent can only cut the connection: the client sees a short body.
using body_source = ports::byte_source;

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<header_field> headers;
  bool close_connection = false;
  // When set, the body comes from `stream` (exactly `stream_length` bytes) and `body` is unused.
  std::shared_ptr<body_source> stream;
  std::uint64_t stream_length = 0;
  // A stream of unknown length (exports): sent with chunked transfer encoding, until the
  // source's empty chunk (HTTP/1.0 clients: until the connection closes).
  bool stream_chunked = false;

  static response json(unsigned status, std::string body);
  static response text(unsigned status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static response empty(unsigned status);
  response& with_header(std::string name, std::string value);
};

// Pulls a request body in bounded chunks. Implemented by the connection session.
class body_reader {
 public:
  virtual ~body_reader() = default;
  // Next chunk of at most the session's chunk size; an empty view once the body is complete.
  // The view is valid until the next call. Errors: payload_too_large once more than `limit`
  // bytes arrive, request_timeout, bad_request (malformed chunked encoding, client gone).
  virtual boost::asio::awaitable<result<std::string_view>> next_chunk(std::uint64_t limit) = 0;
  virtual bool complete() const noexcept = 0;
};

// path_ and query_ view into target_, hence not copyable.
class request_context : kemas::non_copyable {
 public:
  request_context(method m, std::string method_text, std::string target,
                  std::vector<header_field> headers, std::string request_id, std::string peer_ip,
                  body_reader& body);

  method verb() const noexcept { return method_; }
  std::string_view method_text() const noexcept { return method_text_; }
  std::string_view target() const noexcept { return target_; }
  std::string_view path() const noexcept { return path_; }
  std::string_view query() const noexcept { return query_; }
  // Decoded value of the first query parameter `name`, if present.
  std::optional<std::string> query_param(std::string_view name) const;
  // First header with this name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // Every header with this name joined by ", " in order (X-Forwarded-For may repeat).
  std::optional<std::string> joined_header(std::string_view name) const;
  std::optional<std::uint64_t> content_length() const;
  const std::string& request_id() const noexcept { return request_id_; }
  const std::string& peer_ip() const noexcept { return peer_ip_; }

  void set_path_params(std::vector<std::pair<std::string, std::string>> params) {
    path_params_ = std::move(params);
  }
  std::string_view path_param(std::string_view name) const;

  // Whole body as a string, refused with payload_too_large above `limit` (checked against
  // Content-Length before anything is read, and again while reading).
  boost::asio::awaitable<result<std::string>> read_body(std::uint64_t limit);
  // Same, with the server's http.body_limit.
  boost::asio::awaitable<result<std::string>> read_body() { return read_body(body_limit_); }
  void set_body_limit(std::uint64_t limit) noexcept { body_limit_ = limit; }
  body_reader& body() noexcept { return body_; }

  // Set by the request guard before the handler runs.
  const std::string& client_ip() const noexcept {
    return client_ip_.empty() ? peer_ip_ : client_ip_;
  }
  void set_client_ip(std::string ip) { client_ip_ = std::move(ip); }
  // The authenticated caller; present on every route that is not public.
  const std::optional<kemas::principal>& caller() const noexcept { return caller_; }
  void set_caller(kemas::principal p) { caller_ = std::move(p); }
  // Headers the guard wants on the response (rate-limit state), added by request_guard::finish.
  void add_response_header(std::string name, std::string value) {
    response_headers_.push_back({std::move(name), std::move(value)});
  }
  const std::vector<header_field>& response_headers() const noexcept { return response_headers_; }
  // Convenience for handlers of non-public routes (the guard guarantees a caller there).
  const kemas::principal& who() const { return caller_.value(); }

 private:
  method method_;
  std::string method_text_;
  std::string target_;
  std::string_view path_;
  std::string_view query_;
  std::vector<header_field> headers_;
  std::string request_id_;
  std::string peer_ip_;
  std::vector<std::pair<std::string, std::string>> path_params_;
  body_reader& body_;
  std::uint64_t body_limit_ = 1024 * 1024;
  std::string client_ip_;
  std::optional<kemas::principal> caller_;
  std::vector<header_field> response_headers_;
};

}  // namespace kemas::http
