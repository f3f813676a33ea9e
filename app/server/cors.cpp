#include "app/server/cors.hpp"
#include "domain/text.hpp"

#include <algorithm>
#include <cctype>

namespace kemas::http {
namespace {

constexpr std::string_view allow_methods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr std::string_view allow_headers =
    "Authorization, Content-Type, X-Request-Id, Prefer, Range, If-None-Match, Idempotency-Key, "
    "X-Requested-With, Tus-Resumable, Upload-Length, Upload-Defer-Length, Upload-Offset, "
    "Upload-Metadata, Upload-Checksum";
constexpr std::string_view expose_headers =
    "X-Request-Id, Location, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, "
    "ETag, Content-Disposition, Content-Range, Tus-Resumable, Tus-Version, Tus-Extension, "
    "Tus-Checksum-Algorithm, Upload-Offset, Upload-Length, Upload-Defer-Length, Upload-Expires, "
    "Upload-Metadata, Kemas-File-Id, Kemas-Upload-State";
constexpr std::string_view max_age = "600";

// An origin has no path, so the whole text is scheme and authority: lower-casing all of it is
// exact. The default port and a trailing slash are dropped so equal origins compare equal.

// Adds "Origin" to the response's Vary header, creating it if needed, without duplicating.
void vary_on_origin(response& res) {
  for (auto& h : res.headers) {
    if (!iequals(h.name, "Vary"))
      continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      auto token = rest.substr(0, comma);
      while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ')
        token.remove_suffix(1);
      if (token == "*" || iequals(token, "Origin"))
        return;
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    h.value += h.value.empty() ? "Origin" : ", Origin";
    return;
  }
  res.headers.push_back({"Vary", "Origin"});
}

bool has_header(const response& res, std::string_view name) {
  return std::ranges::any_of(res.headers,
                             [name](const header_field& h) { return iequals(h.name, name); });
}

}  // namespace

std::string normalise_origin(std::string_view origin) {
  std::string out = ascii_lower(origin);
  if (out.size() > 1 && out.back() == '/')
    out.pop_back();
  if (out.starts_with("https://") && out.ends_with(":443"))
    out.resize(out.size() - 4);
  if (out.starts_with("http://") && out.ends_with(":80"))
    out.resize(out.size() - 3);
  return out;
}

cors_policy::cors_policy(std::vector<std::string> allowed_origins) {
  for (const auto& origin : allowed_origins) {
    if (origin == "*") {
      any_origin_ = true;
      continue;
    }
    auto normal = normalise_origin(origin);
    if (normal != "null" && std::ranges::find(origins_, normal) == origins_.end()) {
      origins_.push_back(std::move(normal));
    }
  }
}

cors_policy::grant cors_policy::grant_for(std::string_view origin) const {
  if (origin.empty())
    return grant::none;
  const auto normal = normalise_origin(origin);
  if (normal == "null")
    return grant::none;
  if (std::ranges::find(origins_, normal) != origins_.end())
    return grant::credentialed;
  return any_origin_ ? grant::wildcard : grant::none;
}

bool cors_policy::allows(std::string_view origin) const {
  return grant_for(origin) != grant::none;
}

bool cors_policy::allows_credentials(std::string_view origin) const {
  return grant_for(origin) == grant::credentialed;
}

std::optional<response> cors_policy::preflight(const request_context& req) const {
  if (req.verb() != method::options)
    return std::nullopt;
  const auto origin = req.header("Origin");
  if (!origin || !req.header("Access-Control-Request-Method"))
    return std::nullopt;

  auto res = response::empty(204);
  res.headers.push_back({"Vary", "Origin"});
  if (!allow_origin(res, *origin))
    return res;
  res.headers.push_back({"Access-Control-Allow-Methods", std::string(allow_methods)});
  res.headers.push_back({"Access-Control-Allow-Headers", std::string(allow_headers)});
  res.headers.push_back({"Access-Control-Max-Age", std::string(max_age)});
  return res;
}

bool cors_policy::allow_origin(response& res, std::string_view origin) const {
  switch (grant_for(origin)) {
    case grant::none:
      return false;
    case grant::wildcard:
      res.headers.push_back({"Access-Control-Allow-Origin", "*"});
      return true;
    case grant::credentialed:
      res.headers.push_back({"Access-Control-Allow-Origin", std::string(origin)});
      res.headers.push_back({"Access-Control-Allow-Credentials", "true"});
      return true;
  }
  return false;
}

void cors_policy::decorate(const request_context& req, response& res) const {
  if (origins_.empty() && !any_origin_)
    return;  // CORS off: nothing depends on Origin
  // A preflight answer (or a handler) already decided; decorating again would duplicate.
  if (has_header(res, "Access-Control-Allow-Origin"))
    return;
  vary_on_origin(res);
  const auto origin = req.header("Origin");
  if (!origin)
    return;
  if (allow_origin(res, *origin))
    res.headers.push_back({"Access-Control-Expose-Headers", std::string(expose_headers)});
}

}  // namespace kemas::http
