// kemas-admin user disable|enable|set-role|end-sessions --email E [--role R]: account
// administration for operators. Each change is written with its event (user.disabled,
// user.enabled, user.role_changed) in one transaction; running a command twice changes nothing
// the second time. Disabling and changing the role also end the user's sessions in Redis,
// because a session keeps the role it was opened with and must not outlive a disabled
// account; end-sessions does only that (the way out when Redis was down during a change).
#include "app/admin/account_context.hpp"
#include "app/admin/command.hpp"
#include "domain/account.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace kemas::admin {
namespace {

struct user_options {
  CLI::App* disable = nullptr;
  CLI::App* enable = nullptr;
  CLI::App* set_role = nullptr;
  CLI::App* end_sessions = nullptr;
  std::string email;
  std::string role;
};

int set_disabled(account_context& context, const model::user& user, bool disabled) {
  const std::string command = disabled ? "user disable" : "user enable";
  auto event = context.event(disabled ? "user.disabled" : "user.enabled", user.id);
  auto change = context.run(context.users().set_disabled(user.id, disabled, std::move(event)));
  if (!change) {
    std::cerr << "kemas-admin " << command << ": " << change.error().message << "\n";
    return exit_failure;
  }
  const char* state = disabled ? "disabled" : "enabled";
  if (change->changed)
    std::cout << state << " " << user.email << " (" << user.id.to_string() << ")\n";
  else
    std::cout << user.email << " was already " << state << "\n";
  // Also when it was already disabled: a previous run may have failed to reach Redis.
  if (disabled && !end_sessions(context, command, user))
    return exit_failure;
  return exit_ok;
}

int set_role(account_context& context, const model::user& user, kemas::role wanted) {
  const std::string command = "user set-role";
  auto change = context.run(
      context.users().set_role(user.id, wanted, context.event("user.role_changed", user.id)));
  if (!change) {
    std::cerr << "kemas-admin " << command << ": " << change.error().message << "\n";
    return exit_failure;
  }
  if (!change->changed) {
    std::cout << user.email << " already has role " << role_name(wanted) << "\n";
    return exit_ok;
  }
  std::cout << "role of " << user.email << " (" << user.id.to_string()
            << "): " << role_name(user.role) << " -> " << role_name(wanted) << "\n";
  return end_sessions(context, command, user) ? exit_ok : exit_failure;
}

int run_user(const global_options& global, const user_options& options) {
  const std::string command = options.disable->parsed()    ? "user disable"
                              : options.enable->parsed()   ? "user enable"
                              : options.set_role->parsed() ? "user set-role"
                                                           : "user end-sessions";
  std::optional<kemas::role> wanted;
  if (options.set_role->parsed()) {
    wanted = parse_role(options.role);
    if (!wanted) {  // CLI11 checks the set too; this keeps the two from drifting apart
      std::cerr << "kemas-admin " << command << ": unknown role " << options.role << "\n";
      return exit_usage;
    }
  }
  return with_account_context(
      global, command, [&](account_context& context, const config::settings&) {
        const auto user = find_user_or_report(context, command, options.email);
        if (!user)
          return exit_failure;
        if (wanted)
          return set_role(context, *user, *wanted);
        if (options.end_sessions->parsed())
          return end_sessions(context, command, *user) ? exit_ok : exit_failure;
        return set_disabled(context, *user, options.disable->parsed());
      });
}

}  // namespace

command add_user_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "user", "disable or enable an account, change its role, or end its sessions");
  sub->require_subcommand(1);
  auto options = std::make_shared<user_options>();
  options->disable =
      sub->add_subcommand("disable", "refuse the account's logins and end its sessions");
  options->enable = sub->add_subcommand("enable", "let a disabled account log in again");
  options->set_role = sub->add_subcommand("set-role", "change the role; ends the sessions");
  options->end_sessions =
      sub->add_subcommand("end-sessions", "log the account out everywhere (Redis sessions)");
  for (auto* action :
       {options->disable, options->enable, options->set_role, options->end_sessions}) {
    action->add_option("--email", options->email, "e-mail address of the account")->required();
  }
  options->set_role->add_option("--role", options->role, "user, developer or admin")
      ->required()
      ->check(CLI::IsMember({"user", "developer", "admin"}));
  return {sub, [options](const global_options& global) { return run_user(global, *options); }};
}

}  // namespace kemas::admin
