#include "app/server/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace kemas::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start)
      out.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos)
      break;
    start = slash + 1;
  }
  return out;
}

// A path the router will look at: it starts with '/', and no segment is empty ("//", a
// trailing '/'). Proxies and clients differ on whether "/metrics/" is "/metrics"; an exact
// nginx `location = /metrics` rule must not be sidestepped by one, so neither is accepted.
bool strict_path(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return false;
  if (path == "/")
    return true;
  return path.back() != '/' && path.find("//") == std::string_view::npos;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches path segments against a pattern, collecting parameters.
bool segments_match(const route& r, const std::vector<std::string_view>& parts,
                    std::vector<std::pair<std::string, std::string>>& params) {
  if (r.segments.size() != parts.size())
    return false;
  params.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = r.segments[i];
    if (is_param(seg)) {
      params.emplace_back(seg.substr(1, seg.size() - 2), std::string(parts[i]));
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void router::add(method verb, std::string pattern, handler h) {
  add(verb, std::move(pattern), route_options{}, std::move(h));
}

void router::add(method verb, std::string pattern, route_options options, handler h) {
  for (const auto& r : routes_) {
    if (r.verb == verb && r.pattern == pattern) {
      throw std::logic_error("duplicate route " + std::string(method_name(verb)) + " " + pattern);
    }
  }
  std::vector<std::string> segments;
  for (auto s : split_path(pattern))
    segments.emplace_back(s);
  routes_.push_back(
      route{verb, std::move(pattern), std::move(segments), std::move(h), std::move(options)});
}

route_match router::match(method verb, std::string_view path) const {
  route_match result;
  if (!strict_path(path))
    return result;  // not_found
  const auto parts = split_path(path);
  std::vector<std::pair<std::string, std::string>> params;
  // Literal routes win over parameterised ones: try routes with fewer parameters first.
  const route* best = nullptr;
  std::size_t best_params = 0;
  for (const auto& r : routes_) {
    if (!segments_match(r, parts, params))
      continue;
    if (r.verb != verb && !(verb == method::head && r.verb == method::get)) {
      if (std::ranges::find(result.allowed, r.verb) == result.allowed.end()) {
        result.allowed.push_back(r.verb);
      }
      continue;
    }
    if (best == nullptr || params.size() < best_params) {
      best = &r;
      best_params = params.size();
      result.params = params;
    }
  }
  if (best != nullptr) {
    result.outcome = route_match::kind::found;
    result.matched = best;
  } else if (!result.allowed.empty()) {
    result.outcome = route_match::kind::method_not_allowed;
  }
  return result;
}

}  // namespace kemas::http
