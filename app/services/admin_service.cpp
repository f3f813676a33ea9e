#include "app/services/admin_service.hpp"

#include "domain/file_name.hpp"

#include "adapters/support/random.hpp"
#include "app/services/paging.hpp"
#include "app/services/security_service.hpp"
#include "app/services/settle_wait.hpp"
#include "domain/base64.hpp"
#include "domain/commands/assign_plan.hpp"
#include "domain/model/plan.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::app {
namespace asio = boost::asio;

namespace {

constexpr std::size_t max_query_chars = 254;  // the longest e-mail address
constexpr std::size_t max_filter_chars = 128;

error invalid(std::string field, std::string message) {
  return make_error(errc::validation_failed, std::move(message), std::move(field));
}

model::event_draft admin_event(std::string type, const principal& admin, const request_meta& meta,
                               const uuid& subject) {
  auto e = request_event(std::move(type), meta, admin.user_id, "user");
  e.subject_id = subject.to_string();
  e.data = {{"via", "admin api"}};
  return e;
}

result<std::string> bounded_text(const std::optional<std::string>& value, std::string field,
                                 std::size_t max) {
  if (!value)
    return std::string{};
  if (value->size() > max)
    return invalid(std::move(field),
                   field + " is longer than " + std::to_string(max) + " characters");
  // Checked before SQL sees it: PostgreSQL refuses bytes that are not UTF-8 (and NUL).
  if (!is_valid_utf8(*value) || value->find('\0') != std::string::npos)
    return invalid(std::move(field), field + " must be valid UTF-8 text");
  return *value;
}

}  // namespace

admin_service::admin_service(ports::admin_directory& directory, ports::user_store& users,
                             ports::session_store& sessions, account_service& accounts,
                             ports::plan_store& plans, command_sender& commands,
                             ports::settle_signals& signals, std::chrono::milliseconds wait)
    : directory_(directory),
      users_(users),
      sessions_(sessions),
      accounts_(accounts),
      plans_(plans),
      commands_(commands),
      signals_(signals),
      wait_(wait) {}

asio::awaitable<result<bool>> admin_service::assign_plan(const principal& admin, const uuid& user,
                                                         const std::string& plan,
                                                         std::optional<timestamp> expires_at,
                                                         const request_meta& meta) {
  std::string name = plan;  // named: GCC 12 co_await temporaries
  auto found = co_await plans_.find_by_name(std::move(name));
  if (!found)
    co_return invalid("plan", "no plan named '" + plan + "'");
  if (expires_at && found->name == "free")
    co_return invalid("plan_expires_at", "the free plan does not end");
  const commands::assign_plan command{admin.user_id, support::random_uuid(), user, found->name,
                                      expires_at};
  const auto subscription = signals_.subscribe(command.assignment_id);  // before it can apply
  const command_origin origin{meta.request_id, admin.user_id, meta.client_ip};
  auto sent = co_await commands_.send(command, origin);
  if (!sent)
    co_return sent.error();
  const std::string command_id = *sent;
  auto applied = [&]() -> asio::awaitable<bool> {
    std::string id = command_id;
    co_return co_await directory_.command_processed(std::move(id));
  };
  co_return co_await wait_until_settled(signals_, *subscription, wait_, applied);
}

asio::awaitable<result<user_list>> admin_service::list_users(user_list_request request) {
  auto limit = parse_page_limit(request.limit, default_page, max_page);
  if (!limit)
    co_return limit.error();
  ports::user_filter filter;
  auto query = bounded_text(request.query, "q", max_query_chars);
  if (!query)
    co_return query.error();
  filter.query = std::move(*query);
  if (request.role && !request.role->empty()) {
    filter.role = parse_role(*request.role);
    if (!filter.role)
      co_return invalid("role", "role must be user, developer or admin");
  }
  auto plan = bounded_text(request.plan, "plan", 32);
  if (!plan)
    co_return plan.error();
  filter.plan = std::move(*plan);
  if (request.disabled && !request.disabled->empty()) {
    if (*request.disabled != "true" && *request.disabled != "false")
      co_return invalid("disabled", "disabled must be true or false");
    filter.disabled = *request.disabled == "true";
  }
  std::optional<ports::user_position> after;
  if (request.cursor && !request.cursor->empty()) {
    auto raw = base64url_decode(*request.cursor);
    auto position = raw ? parse_time_position(*raw) : std::nullopt;
    if (!position)
      co_return invalid("cursor", "cursor is not valid for this listing");
    after = ports::user_position{position->created_us, position->id};
  }
  auto page = co_await directory_.list_users(std::move(filter), after, *limit);
  user_list out;
  out.users = std::move(page.users);
  if (page.more && !out.users.empty()) {
    const auto& last = out.users.back();
    out.next_cursor = base64url(format_time_position(last.created_us, last.user.id));
  }
  co_return out;
}

asio::awaitable<result<user_view>> admin_service::view(const uuid& id) {
  auto details = co_await directory_.user(id);
  if (!details)
    co_return make_error(errc::not_found, "no such user");
  auto sessions = co_await sessions_.list(id);
  if (!sessions)
    co_return sessions.error();
  co_return user_view{std::move(*details), std::move(*sessions)};
}

asio::awaitable<result<user_view>> admin_service::user(std::string id) {
  const auto parsed = uuid::parse(id);
  if (!parsed)
    co_return make_error(errc::not_found, "no such user");
  co_return co_await view(*parsed);
}

asio::awaitable<result<user_view>> admin_service::update_user(const principal& admin,
                                                              std::string id, user_update change,
                                                              request_meta meta) {
  const auto parsed = uuid::parse(id);
  if (!parsed)
    co_return make_error(errc::not_found, "no such user");
  const uuid user_id = *parsed;
  std::optional<kemas::role> role;
  if (change.role) {
    role = parse_role(*change.role);
    if (!role)
      co_return invalid("role", "role must be user, developer or admin");
  }
  if (!role && !change.disabled && !change.plan)
    co_return invalid("", "nothing to change: send role, disabled and/or plan");
  if (change.plan_expires_at && !change.plan)
    co_return invalid("plan_expires_at", "plan_expires_at goes with plan");
  std::optional<timestamp> plan_end;
  if (change.plan) {
    if (!model::is_plan_name(*change.plan))
      co_return invalid("plan", "plan is not a plan name");
    if (change.plan_expires_at) {
      plan_end = parse_rfc3339(*change.plan_expires_at);
      const auto now =
          std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
      if (!plan_end)
        co_return invalid("plan_expires_at", "plan_expires_at must be an RFC 3339 time or null");
      if (*plan_end <= now)
        co_return invalid("plan_expires_at", "plan_expires_at must be in the future");
    }
  }
  if (user_id == admin.user_id && (role || change.disabled))
    co_return make_error(errc::conflict,
                         "admins cannot change their own role or disable themselves");
  if (!co_await directory_.user(user_id))
    co_return make_error(errc::not_found, "no such user");

  bool end_sessions = false;
  if (role) {
    auto event = admin_event("user.role_changed", admin, meta, user_id);
    auto changed = co_await users_.set_role(user_id, *role, std::move(event));
    if (!changed)
      co_return changed.error();
    end_sessions = end_sessions || changed->changed;
  }
  if (change.disabled) {
    auto event =
        admin_event(*change.disabled ? "user.disabled" : "user.enabled", admin, meta, user_id);
    auto changed = co_await users_.set_disabled(user_id, *change.disabled, std::move(event));
    if (!changed)
      co_return changed.error();
    // Also when it was already disabled: an earlier call may have failed to reach Redis.
    end_sessions = end_sessions || *change.disabled;
  }
  if (end_sessions) {
    auto ended = co_await sessions_.revoke_all(user_id);
    if (!ended)
      co_return ended.error();
  }
  bool plan_pending = false;
  if (change.plan) {
    auto applied = co_await assign_plan(admin, user_id, *change.plan, plan_end, meta);
    if (!applied)
      co_return applied.error();
    plan_pending = !*applied;
  }
  auto now = co_await view(user_id);
  if (now)
    now->plan_pending = plan_pending;
  co_return now;
}

asio::awaitable<result<void>> admin_service::send_reset(std::string id, request_meta meta) {
  const auto parsed = uuid::parse(id);
  if (!parsed)
    co_return make_error(errc::not_found, "no such user");
  auto user = co_await users_.find_by_id(*parsed);
  if (!user)
    co_return user.error();
  if (user->disabled)
    co_return make_error(errc::conflict, "the account is disabled; enable it first");
  co_return co_await accounts_.request_password_reset(user->email, std::move(meta));
}

result<ports::audit_filter> admin_service::audit_filter_of(const audit_request& request) {
  ports::audit_filter filter;
  if (request.actor && !request.actor->empty()) {
    filter.actor = uuid::parse(*request.actor);
    if (!filter.actor)
      return invalid("actor", "actor must be a user id");
  }
  struct text_filter {
    const std::optional<std::string>& value;
    const char* name;
    std::string& into;
  };
  for (const text_filter& f : {text_filter{request.action, "action", filter.action},
                               text_filter{request.target_type, "target_type", filter.target_type},
                               text_filter{request.target_id, "target_id", filter.target_id},
                               text_filter{request.request_id, "request_id", filter.request_id}}) {
    auto text = bounded_text(f.value, f.name, max_filter_chars);
    if (!text)
      return text.error();
    f.into = std::move(*text);
  }
  for (auto [value, name, into] : {std::tuple{&request.from, "from", &filter.from},
                                   std::tuple{&request.to, "to", &filter.to}}) {
    if (*value && !(*value)->empty()) {
      *into = parse_rfc3339(**value);
      if (!*into)
        return invalid(name, std::string(name) + " must be an RFC 3339 time");
    }
  }
  return filter;
}

asio::awaitable<result<audit_list>> admin_service::audit(audit_request request) {
  auto limit = parse_page_limit(request.limit, default_page, max_page);
  if (!limit)
    co_return limit.error();
  auto filter = audit_filter_of(request);
  if (!filter)
    co_return filter.error();
  std::optional<std::int64_t> before;
  if (request.cursor && !request.cursor->empty()) {
    before = parse_audit_cursor(*request.cursor);
    if (!before)
      co_return invalid("cursor", "cursor is not valid for this listing");
  }
  auto page = co_await directory_.audit(std::move(*filter), before, *limit);
  audit_list out;
  out.entries = std::move(page.entries);
  if (page.more && !out.entries.empty())
    out.next_cursor = audit_cursor(out.entries.back().seq);
  co_return out;
}

asio::awaitable<ports::audit_page> admin_service::audit_page(ports::audit_filter filter,
                                                             std::optional<std::int64_t> before,
                                                             unsigned rows) {
  co_return co_await directory_.audit(std::move(filter), before, rows);
}

asio::awaitable<result<ports::usage_stats>> admin_service::usage(std::optional<std::string> days) {
  constexpr unsigned default_days = 30;
  constexpr unsigned max_days = 366;
  constexpr unsigned top_users = 10;
  auto span = parse_page_limit(days, default_days, max_days);
  if (!span)
    co_return invalid("days", "days must be 1 to " + std::to_string(max_days));
  co_return co_await directory_.usage(*span, top_users);
}

}  // namespace kemas::app
