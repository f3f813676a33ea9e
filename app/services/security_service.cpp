#include "app/services/security_service.hpp"

#include "app/services/paging.hpp"
#include "domain/base64.hpp"

namespace kemas::app {
namespace asio = boost::asio;

std::string audit_cursor(std::int64_t seq) {
  return base64url("a:" + std::to_string(seq));
}

std::optional<std::int64_t> parse_audit_cursor(std::string_view cursor) {
  auto raw = base64url_decode(cursor);
  if (!raw || !raw->starts_with("a:") || raw->size() < 3 || raw->size() > 21 ||
      raw->find_first_not_of("0123456789", 2) != std::string::npos)
    return std::nullopt;
  const auto seq = std::stoll(raw->substr(2));
  return seq > 0 ? std::optional<std::int64_t>(seq) : std::nullopt;
}

security_service::security_service(ports::session_store& sessions,
                                   ports::admin_directory& directory)
    : sessions_(sessions), directory_(directory) {}

asio::awaitable<result<std::vector<own_session>>> security_service::sessions(const principal& who) {
  auto live = co_await sessions_.list(who.user_id);
  if (!live)
    co_return live.error();
  std::vector<own_session> out;
  out.reserve(live->size());
  for (auto& info : *live) {
    const bool current = info.session_id == who.session_id;
    out.push_back({std::move(info), current});
  }
  co_return out;
}

asio::awaitable<result<void>> security_service::end_session(const principal& who,
                                                            std::string session_id) {
  // Only the caller's own sessions: look in their list, never revoke by a bare id.
  auto live = co_await sessions_.list(who.user_id);
  if (!live)
    co_return live.error();
  const bool own = std::any_of(live->begin(), live->end(), [&](const ports::session_info& s) {
    return s.session_id == session_id;
  });
  if (!own)
    co_return make_error(errc::not_found, "no such session");
  auto revoked = co_await sessions_.revoke(std::move(session_id));
  if (!revoked)
    co_return revoked.error();
  co_return result<void>{};
}

asio::awaitable<result<audit_list>> security_service::activity(const principal& who,
                                                               std::optional<std::string> limit,
                                                               std::optional<std::string> cursor) {
  auto rows = parse_page_limit(limit, admin_service::default_page, admin_service::max_page);
  if (!rows)
    co_return rows.error();
  std::optional<std::int64_t> before;
  if (cursor && !cursor->empty()) {
    before = parse_audit_cursor(*cursor);
    if (!before)
      co_return make_error(errc::validation_failed, "cursor is not valid for this listing",
                           "cursor");
  }
  auto page = co_await directory_.security_activity(who.user_id, before, *rows);
  audit_list out;
  out.entries = std::move(page.entries);
  if (page.more && !out.entries.empty())
    out.next_cursor = audit_cursor(out.entries.back().seq);
  co_return out;
}

}  // namespace kemas::app
