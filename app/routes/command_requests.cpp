#include "app/routes/command_requests.hpp"
#include "domain/text.hpp"

#include <cctype>

namespace kemas::http {
namespace {}  // namespace

bool prefers_async(const request_context& ctx) {
  const auto prefer = ctx.joined_header("Prefer");
  if (!prefer)
    return false;
  std::string_view rest = *prefer;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view preference = rest.substr(0, comma);
    // The preference's name ends at its value ('=') or its first parameter (';').
    preference = trim_ows(preference.substr(0, preference.find_first_of("=;")));
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
