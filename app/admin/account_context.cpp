#include "app/admin/account_context.hpp"

#include "adapters/support/random.hpp"

#include <iostream>

namespace kemas::admin {
namespace {

config::postgres_settings one_connection(config::postgres_settings settings) {
  settings.pool_size = 1;  // a CLI run does one thing at a time
  return settings;
}

}  // namespace

account_context::account_context(const config::settings& settings)
    : request_id_("kemas-admin-" + support::random_hex(8)),
      pool_(one_connection(settings.postgres), "kemas-admin"),
      users_(pool_),
      redis_(io_.get_executor(), settings.redis),
      sessions_(redis_, settings.auth) {}

model::event_draft account_context::event(std::string type, std::optional<uuid> user) const {
  model::event_draft draft;
  draft.type = std::move(type);
  draft.request_id = request_id_;
  draft.subject_type = "user";
  if (user)
    draft.subject_id = user->to_string();
  draft.data["via"] = "kemas-admin";
  return draft;
}

std::optional<model::user> find_user_or_report(account_context& context, const std::string& command,
                                               const std::string& email) {
  auto found = context.run(context.users().find_by_email(email));
  if (found)
    return std::move(*found);
  if (found.error().code == errc::not_found) {
    std::cerr << "kemas-admin " << command << ": no user with email " << email << "\n";
  } else {
    std::cerr << "kemas-admin " << command << ": " << found.error().message << "\n";
  }
  return std::nullopt;
}

bool end_sessions(account_context& context, const std::string& command, const model::user& user) {
  const auto ended = context.run(context.sessions().revoke_all(user.id));
  if (!ended) {
    std::cerr << "kemas-admin " << command << ": " << user.email
              << " was changed, but its sessions could not be ended in Redis ("
              << ended.error().message << "); they stay valid until they expire. Run "
              << "`kemas-admin user end-sessions --email " << user.email
              << "` once Redis is back.\n";
    return false;
  }
  std::cout << "ended " << *ended << (*ended == 1 ? " session" : " sessions") << " of "
            << user.email << "\n";
  return true;
}

int with_account_context(
    const global_options& global, const std::string& command,
    const std::function<int(account_context&, const config::settings&)>& work) {
  auto settings = load_admin_settings(global);
  if (!settings)
    return exit_failure;
  try {
    account_context context(*settings);
    return work(context, *settings);
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin " << command << ": " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace kemas::admin
