#include "app/server/http_types.hpp"
#include "domain/text.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "domain/enum_names.hpp"

namespace kemas::http {
namespace {
constexpr auto method_names = ordinal_table<method::other>(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"});
}  // namespace

std::string_view method_name(method m) noexcept {
  return name_of(method_names, m, "OTHER");
}

// "OTHER" itself is no method a client can send.
method parse_method(std::string_view name) noexcept {
  const auto m = value_of<method>(method_names, name);
  return m && *m != method::other ? *m : method::other;
}

response response::json(unsigned status, std::string body) {
  response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

response response::text(unsigned status, std::string body, std::string content_type) {
  response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

response response::empty(unsigned status) {
  response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

response& response::with_header(std::string name, std::string value) {
  headers.push_back({std::move(name), std::move(value)});
  return *this;
}

request_context::request_context(method m, std::string method_text, std::string target,
                                 std::vector<header_field> headers, std::string request_id,
                                 std::string peer_ip, body_reader& body)
    : method_(m),
      method_text_(std::move(method_text)),
      target_(std::move(target)),
      headers_(std::move(headers)),
      request_id_(std::move(request_id)),
      peer_ip_(std::move(peer_ip)),
      body_(body) {
  const std::string_view t = target_;
  const auto q = t.find('?');
  path_ = t.substr(0, q);
  query_ = q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::optional<std::string> request_context::query_param(std::string_view name) const {
  if (query_.empty())
    return std::nullopt;  // Boost.URL must not see a null view
  auto params = boost::urls::parse_query(query_);
  if (!params)
    return std::nullopt;
  for (auto param : *params) {
    if (*param.key == name) {
      if (!param.has_value)
        return std::string{};
      const auto decoded = *param.value;
      return std::string(decoded.begin(), decoded.end());
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> request_context::header(std::string_view name) const {
  for (const auto& h : headers_) {
    if (iequals(h.name, name))
      return std::string_view(h.value);
  }
  return std::nullopt;
}

std::optional<std::string> request_context::joined_header(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& h : headers_) {
    if (!iequals(h.name, name))
      continue;
    if (out) {
      *out += ", ";
      *out += h.value;
    } else {
      out = h.value;
    }
  }
  return out;
}

std::optional<std::uint64_t> request_context::content_length() const {
  auto value = header("Content-Length");
  if (!value)
    return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc{} || end != value->data() + value->size())
    return std::nullopt;
  return n;
}

std::string_view request_context::path_param(std::string_view name) const {
  for (const auto& [key, value] : path_params_) {
    if (key == name)
      return value;
  }
  return {};
}

boost::asio::awaitable<result<std::string>> request_context::read_body(std::uint64_t limit) {
  if (auto length = content_length(); length && *length > limit) {
    co_return make_error(errc::payload_too_large,
                         "request body exceeds " + std::to_string(limit) + " bytes");
  }
  std::string body;
  for (;;) {
    auto chunk = co_await body_.next_chunk(limit);
    if (!chunk)
      co_return chunk.error();
    if (chunk->empty())
      break;
    body.append(*chunk);
  }
  co_return body;
}

}  // namespace kemas::http
