#pragma once
// Which message an event sends, to whom, with which values (pure: unit-tested without
// servers). The mailer role (workers/mailer.hpp) adds what only the database knows — the
// recipient's address and name — checks each notice's condition, renders the template of
// its kind (conf/mail/<kind>.txt/.html) and sends it.
//
//   event                          kind              to             condition
//   auth.password_reset_requested  password_reset    subject user   the sealed token opens
//   auth.password_changed          password_changed  subject user
//   auth.password_reset            password_changed  subject user
//   auth.login                     new_login         subject user   first login from actor.ip,
//                                                                   not the account's first
//   apikey.created                 api_key_created   actor user
//   user.role_changed              role_changed      subject user
//   user.disabled                  account_disabled  subject user
//   plan.upgraded                  plan_upgraded     subject user   (the receipt)
//                                  plan_expiring     subject user   at expires_at minus
//                                      mail.expiry_notice, while the plan still ends then
//   plan.expired                   plan_expired      subject user
//
// Every kind is sent at most once per event (table mail_deliveries).

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/mail/templates.hpp"
#include "domain/uuid.hpp"

namespace kemas::worker {

using mail_clock = std::chrono::system_clock;

// The fields of an event (schemas/events/event.schema.json) the mailer reads.
struct mail_event {
  uuid id;
  std::string type;
  std::string occurred_at;  // RFC 3339 as in the event
  std::string request_id;
  std::optional<uuid> actor_user;
  std::string actor_ip;  // "" when none
  std::string subject_type;
  std::string subject_id;
  boost::json::object data;
};

// The event, or why it cannot be read (then it is dead-lettered).
std::variant<mail_event, std::string> parse_mail_event(std::string_view body);

enum class notice_condition {
  none,
  new_login_address,  // send only when actor_ip is new for the user
  plan_still_ends,    // send only while the user's plan_expires_at is `plan_expires_at_ms`
};

struct mail_notice {
  std::string kind;  // template kind
  uuid user_id;      // recipient
  mail::template_values values;
  std::optional<mail_clock::time_point> due;  // not before (reminders)
  notice_condition condition = notice_condition::none;
  long long plan_expires_at_ms = 0;  // for plan_still_ends
  std::string sealed_token;          // password_reset: opened by the mailer into reset_url
};

struct notice_options {
  std::chrono::milliseconds expiry_notice{72 * 3'600'000};  // 0: no reminder
};

// The notices of an event: empty for types that send nothing (and for events missing the
// field that names the recipient).
std::vector<mail_notice> notices_for(const mail_event& event, const notice_options& options);

// Every kind notices_for can produce (the topology binds the event types, the templates must
// exist for these).
const std::vector<std::string_view>& notice_kinds();

}  // namespace kemas::worker
