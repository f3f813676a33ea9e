#include "workers/mail_notices.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdio>

#include "domain/rfc3339.hpp"

namespace kemas::worker {
namespace json = boost::json;

namespace {

constexpr std::size_t max_event_bytes = 1024 * 1024;

std::string string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string{};
}

// A scalar of data as text: strings as they are, numbers in decimal, anything else "".
std::string text_of(const json::value* v) {
  if (v == nullptr)
    return {};
  if (v->is_string())
    return std::string(v->get_string());
  if (v->is_int64())
    return std::to_string(v->get_int64());
  if (v->is_uint64())
    return std::to_string(v->get_uint64());
  if (v->is_bool())
    return v->get_bool() ? "true" : "false";
  return {};
}

std::string nested(const json::object& data, std::string_view outer, std::string_view inner) {
  const json::value* o = data.if_contains(outer);
  return o != nullptr && o->is_object() ? text_of(o->get_object().if_contains(inner))
                                        : std::string{};
}

std::string amount_text(const json::object& data) {
  const json::value* cents = data.if_contains("amount_cents");
  if (cents == nullptr || !cents->is_number())
    return "-";
  const long long value = cents->to_number<long long>();
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%lld.%02lld %s", value / 100, value % 100,
                string_at(data, "currency").c_str());
  return buffer;
}

mail_notice notice(std::string kind, const uuid& to) {
  mail_notice n;
  n.kind = std::move(kind);
  n.user_id = to;
  return n;
}

}  // namespace

std::variant<mail_event, std::string> parse_mail_event(std::string_view body) {
  if (body.size() > max_event_bytes)
    return std::string("event larger than 1 MiB");
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec, {}, options);
  if (ec || !root.is_object())
    return std::string("malformed event: not a JSON object");
  const json::object& o = root.get_object();
  mail_event e;
  auto id = uuid::parse(string_at(o, "id"));
  if (!id)
    return std::string("malformed event: field 'id' missing or not a UUID");
  e.id = *id;
  e.type = string_at(o, "type");
  if (e.type.empty())
    return std::string("malformed event: field 'type' missing");
  e.occurred_at = string_at(o, "occurred_at");
  e.request_id = string_at(o, "request_id");
  if (const json::value* actor = o.if_contains("actor"); actor != nullptr && actor->is_object()) {
    e.actor_user = uuid::parse(string_at(actor->get_object(), "user_id"));
    e.actor_ip = string_at(actor->get_object(), "ip");
  }
  if (const json::value* subject = o.if_contains("subject");
      subject != nullptr && subject->is_object()) {
    e.subject_type = string_at(subject->get_object(), "type");
    e.subject_id = string_at(subject->get_object(), "id");
  }
  if (const json::value* data = o.if_contains("data"); data != nullptr && data->is_object())
    e.data = data->get_object();
  return e;
}

std::vector<mail_notice> notices_for(const mail_event& event, const notice_options& options) {
  std::vector<mail_notice> out;
  const json::object& data = event.data;
  const auto subject_user =
      event.subject_type == "user" ? uuid::parse(event.subject_id) : std::nullopt;
  const std::string& type = event.type;

  if (type == "apikey.created") {
    if (!event.actor_user)
      return out;
    auto n = notice("api_key_created", *event.actor_user);
    n.values["key_name"] = string_at(data, "name");
    n.values["key_prefix"] = string_at(data, "prefix");
    std::string scopes;
    if (const json::value* list = data.if_contains("scopes"); list != nullptr && list->is_array()) {
      for (const auto& s : list->get_array())
        scopes += (scopes.empty() ? "" : ", ") + text_of(&s);
    }
    n.values["scopes"] = scopes.empty() ? "none" : scopes;
    out.push_back(std::move(n));
    return out;
  }
  if (!subject_user)
    return out;
  const uuid& to = *subject_user;

  if (type == "auth.password_reset_requested") {
    auto n = notice("password_reset", to);
    n.sealed_token = string_at(data, "token_sealed");
    n.values["expires_at"] = string_at(data, "expires_at");
    out.push_back(std::move(n));
  } else if (type == "auth.password_changed" || type == "auth.password_reset") {
    out.push_back(notice("password_changed", to));
  } else if (type == "auth.login") {
    if (event.actor_ip.empty())
      return out;
    auto n = notice("new_login", to);
    n.condition = notice_condition::new_login_address;
    out.push_back(std::move(n));
  } else if (type == "user.role_changed") {
    auto n = notice("role_changed", to);
    n.values["previous_role"] = nested(data, "before", "role");
    n.values["role"] = nested(data, "after", "role");
    out.push_back(std::move(n));
  } else if (type == "user.disabled") {
    out.push_back(notice("account_disabled", to));
  } else if (type == "plan.upgraded") {
    auto receipt = notice("plan_upgraded", to);
    receipt.values["plan"] = string_at(data, "plan");
    receipt.values["from_plan"] = string_at(data, "from_plan");
    receipt.values["order_id"] = text_of(data.if_contains("order_id"));
    receipt.values["amount"] = amount_text(data);
    receipt.values["expires_at"] = string_at(data, "expires_at");
    receipt.values["payment_reference"] = string_at(data, "payment_reference");
    out.push_back(receipt);

    const auto expires = parse_rfc3339(string_at(data, "expires_at"));
    const auto occurred = parse_rfc3339(event.occurred_at);
    if (expires && options.expiry_notice.count() > 0) {
      const auto due = *expires - options.expiry_notice;
      // A plan shorter than the notice period gets no reminder: the receipt said when it ends.
      if (!occurred || due > *occurred) {
        auto reminder = notice("plan_expiring", to);
        reminder.values["plan"] = receipt.values["plan"];
        reminder.values["expires_at"] = receipt.values["expires_at"];
        reminder.due = std::chrono::time_point_cast<mail_clock::duration>(due);
        reminder.condition = notice_condition::plan_still_ends;
        reminder.plan_expires_at_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(expires->time_since_epoch())
                .count();
        out.push_back(std::move(reminder));
      }
    }
  } else if (type == "plan.expired") {
    auto n = notice("plan_expired", to);
    n.values["from_plan"] = string_at(data, "from_plan");
    n.values["expired_at"] = string_at(data, "expired_at");
    n.values["locked"] = text_of(data.if_contains("locked"));
    if (n.values["locked"].empty())
      n.values["locked"] = "0";
    out.push_back(std::move(n));
  }
  return out;
}

const std::vector<std::string_view>& notice_kinds() {
  static const std::vector<std::string_view> kinds{
      "password_reset",   "password_changed", "new_login",     "api_key_created", "role_changed",
      "account_disabled", "plan_upgraded",    "plan_expiring", "plan_expired"};
  return kinds;
}

}  // namespace kemas::worker
