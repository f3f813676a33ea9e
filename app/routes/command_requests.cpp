#include "app/routes/command_requests.hpp"

#include <cctype>

namespace kemas::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

bool prefers_async(const request_context& ctx) {
  const auto prefer = ctx.joined_header("Prefer");
  if (!prefer)
    return false;
  std::string_view rest = *prefer;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view preference = rest.substr(0, comma);
    // The preference's name ends at its value ('=') or its first parameter (';').
    preference = trim(preference.substr(0, preference.find_first_of("=;")));
    if (iequals(preference, "respond-async"))
      return true;
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

app::command_origin origin_of(const request_context& ctx) {
  return {ctx.request_id(), ctx.who().user_id, ctx.client_ip()};
}

}  // namespace kemas::http
