// kemas-admin create-admin --email E --username U: makes the first admin, or promotes the
// account with that e-mail. Idempotent: run it again and it reports the admin that exists.
// The password (used only when the account is created) comes from $KEMAS_ADMIN_PASSWORD, else
// from the first line of stdin, so it never shows in the process list or shell history.
#include "adapters/crypto/password_hasher.hpp"
#include "app/admin/account_context.hpp"
#include "app/admin/command.hpp"
#include "domain/account.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

namespace kemas::admin {
namespace {

constexpr const char* name = "create-admin";

struct create_admin_options {
  std::string email;
  std::string username;
};

std::optional<std::string> read_password() {
  if (const char* env = std::getenv("KEMAS_ADMIN_PASSWORD"); env != nullptr && *env != '\0')
    return std::string(env);
  if (::isatty(STDIN_FILENO) != 0)
    std::cerr << "password for the new admin: " << std::flush;
  std::string line;
  if (!std::getline(std::cin, line))
    return std::nullopt;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();  // a file written on Windows
  return line;
}

// Usage errors (exit 2) before anything touches a server.
bool report_invalid(const result<void>& check) {
  if (check)
    return false;
  std::cerr << "kemas-admin " << name << ": " << check.error().message << "\n";
  return true;
}

int promote(account_context& context, const model::user& user,
            const create_admin_options& options) {
  if (user.username != options.username) {
    std::cout << "note: the account with email " << user.email << " has username " << user.username
              << "; it is kept\n";
  }
  if (user.disabled)
    std::cout << "note: " << user.email << " is disabled; `kemas-admin user enable` it to log in\n";
  if (user.role == role::admin) {
    std::cout << "already an admin: " << user.email << " (" << user.id.to_string() << ")\n";
    return exit_ok;
  }
  auto changed = context.run(
      context.users().set_role(user.id, role::admin, context.event("user.role_changed", user.id)));
  if (!changed) {
    std::cerr << "kemas-admin " << name << ": " << changed.error().message << "\n";
    return exit_failure;
  }
  std::cout << "promoted " << user.email << " (" << user.id.to_string() << ") from "
            << role_name(user.role) << " to admin; the password is unchanged\n";
  // Sessions carry the role they were opened with: end them so the new role applies.
  return end_sessions(context, name, user) ? exit_ok : exit_failure;
}

int create(account_context& context, const config::settings& settings,
           const create_admin_options& options) {
  const auto password = read_password();
  if (!password) {
    std::cerr << "kemas-admin " << name
              << ": no password: set KEMAS_ADMIN_PASSWORD or write it on stdin\n";
    return exit_usage;
  }
  if (report_invalid(validate_password(*password)))
    return exit_usage;
  const crypto::argon2_params params{settings.auth.argon2_memory_kib,
                                     settings.auth.argon2_iterations,
                                     settings.auth.argon2_parallelism};
  ports::new_user user{options.email, options.username, crypto::hash_password(*password, params),
                       role::admin};
  // The subject (the new id) is filled in by the repository.
  auto event = context.event("user.registered", std::nullopt);
  event.data["email"] = options.email;
  event.data["username"] = options.username;
  event.data["role"] = "admin";
  auto created = context.run(context.users().create(std::move(user), std::move(event)));
  if (!created) {
    std::cerr << "kemas-admin " << name << ": " << created.error().message << "\n";
    return exit_failure;
  }
  std::cout << "created admin " << created->email << " (" << created->id.to_string() << ")\n";
  return exit_ok;
}

int run_create_admin(const global_options& global, const create_admin_options& options) {
  if (report_invalid(validate_email(options.email)) ||
      report_invalid(validate_username(options.username)))
    return exit_usage;
  return with_account_context(
      global, name, [&](account_context& context, const config::settings& settings) {
        auto existing = context.run(context.users().find_by_email(options.email));
        if (existing)
          return promote(context, *existing, options);
        if (existing.error().code != errc::not_found) {
          std::cerr << "kemas-admin " << name << ": " << existing.error().message << "\n";
          return exit_failure;
        }
        return create(context, settings, options);
      });
}

}  // namespace

command add_create_admin_command(CLI::App& app) {
  auto* sub =
      app.add_subcommand(name,
                         "create an admin account, or promote the account with that email to admin "
                         "(password from $KEMAS_ADMIN_PASSWORD or stdin)");
  auto options = std::make_shared<create_admin_options>();
  sub->add_option("--email", options->email, "e-mail address of the admin")->required();
  sub->add_option("--username", options->username, "username of the admin")->required();
  return {sub,
          [options](const global_options& global) { return run_create_admin(global, *options); }};
}

}  // namespace kemas::admin
