#include "app/server/response_head.hpp"

#include <boost/beast/http/status.hpp>

#include <array>
#include <charconv>

#include "domain/text.hpp"

namespace kemas::http {
namespace {

void append_number(std::string& out, std::uint64_t n) {
  std::array<char, 24> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), n).ptr;
  out.append(digits.data(), end);
}

std::string_view reason(unsigned status) {
  if (status == 460)
    return "Checksum Mismatch";  // tus 1.0's checksum extension
  const auto phrase = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return phrase == "<unknown-status>" ? std::string_view("Unknown") : std::string_view(phrase);
}

void header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// Set by render_head itself; a handler's own value would be overwritten (or contradict the
// framing), so it is left out.
constexpr std::array<std::string_view, 9> ours = {
    "Content-Length",   "Transfer-Encoding",          "Connection",
    "X-Request-Id",     "X-Content-Type-Options",     "X-Frame-Options",
    "Referrer-Policy",  "Cross-Origin-Resource-Policy", "Strict-Transport-Security"};

bool is_ours(std::string_view name) {
  for (auto n : ours) {
    if (iequals(name, n))
      return true;
  }
  return false;
}

bool splits_lines(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

bool status_has_no_body(unsigned status) noexcept {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void render_head(std::string& out, const response& r, const head_facts& facts) {
  out.append(facts.version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  append_number(out, r.status);
  out.push_back(' ');
  out.append(reason(r.status)).append("\r\n");
  if (!r.content_type.empty() && !splits_lines(r.content_type))
    header(out, "Content-Type", r.content_type);
  bool has_policy = false;
  bool has_cache_control = false;
  for (const auto& h : r.headers) {
    if (is_ours(h.name) || splits_lines(h.name) || splits_lines(h.value))
      continue;
    has_policy = has_policy || iequals(h.name, "Content-Security-Policy");
    has_cache_control = has_cache_control || iequals(h.name, "Cache-Control");
    header(out, h.name, h.value);
  }
  header(out, "X-Request-Id", facts.request_id);
  out.append(
      "X-Content-Type-Options: nosniff\r\n"
      "X-Frame-Options: DENY\r\n"
      "Referrer-Policy: no-referrer\r\n"
      "Cross-Origin-Resource-Policy: same-origin\r\n");
  // API answers are data, never a document to render; the web app's pages set their own.
  if (!has_policy)
    out.append("Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n");
  if (!has_cache_control)
    out.append("Cache-Control: no-store\r\n");
  // HSTS only means something over TLS, which production terminates in front of kemas.
  if (facts.env == config::environment::production)
    out.append("Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n");
  if (facts.version >= 11 && !facts.keep_alive)
    out.append("Connection: close\r\n");
  else if (facts.version < 11 && facts.keep_alive)
    out.append("Connection: keep-alive\r\n");
  switch (facts.framing) {
    case body_framing::length:
      out.append("Content-Length: ");
      append_number(out, facts.content_length);
      out.append("\r\n");
      break;
    case body_framing::chunked:
      out.append("Transfer-Encoding: chunked\r\n");
      break;
    case body_framing::until_close:
    case body_framing::none:
      break;
  }
  out.append("\r\n");
}

}  // namespace kemas::http
