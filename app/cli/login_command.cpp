// kemas login / kemas logout: a session of the terminal client (credentials.hpp).
#include <CLI/CLI.hpp>

#include <termios.h>
#include <unistd.h>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "credentials.hpp"
#include "output.hpp"

namespace kemas::cli {
namespace {

std::string ask(const std::string& prompt, bool secret) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  if (tty)
    std::cerr << prompt << std::flush;
  termios saved{};
  if (tty && secret) {
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty && secret) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  return line;
}

int login(const global_options& options, const std::string& user_option) {
  api_client api(options);
  const std::string who = user_option.empty() ? ask("e-mail or username: ", false) : user_option;
  // The password: $KEMAS_PASSWORD, else asked without echo (or the first line of stdin).
  const char* env = std::getenv("KEMAS_PASSWORD");
  const std::string password = env != nullptr && *env != '\0' ? std::string(env)
                                                              : ask("password: ", true);
  boost::json::object body{{"password", password}};
  body[who.find('@') != std::string::npos ? "email" : "username"] = who;
  const auto answer = api.anonymous("POST", "/api/v1/user/login", boost::json::value(body));
  if (!answer.ok()) {
    print_error(answer.status == 401 ? "wrong e-mail, username or password"
                                     : describe_failure(answer));
    return exit_code_for(answer);
  }
  const auto tokens = answer.json().as_object();
  stored_session session;
  session.server = api.server();
  session.refresh_token = std::string(tokens.at("refresh_token").as_string());
  session.access_token = std::string(tokens.at("access_token").as_string());
  session.access_expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count() +
                              tokens.at("expires_in").to_number<std::int64_t>();
  save_session(session);
  const auto& user = tokens.at("user").as_object();
  if (options.json) {
    print_json(boost::json::object{{"server", api.server()}, {"user", user},
                                   {"credentials", credentials_path().string()}});
  } else {
    std::cout << "Logged in to " << api.server() << " as " << user.at("username").as_string().c_str()
              << " (session kept in " << credentials_path().string() << ")\n";
  }
  return exit_ok;
}

int logout(const global_options& options) {
  api_client api(options);
  if (load_session()) {
    const auto answer = api.call("POST", "/api/v1/auth/logout");
    if (!answer.ok() && answer.status != 401)
      print_error("the server did not end the session: " + describe_failure(answer));
  }
  forget_session();
  if (options.json)
    print_json(boost::json::object{{"logged_out", true}});
  else
    std::cout << "Logged out.\n";
  return exit_ok;
}

}  // namespace

command add_login_command(CLI::App& app) {
  auto* sub = app.add_subcommand("login", "log in and keep the session (mode 0600)");
  auto user = std::make_shared<std::string>();
  sub->add_option("--user,-u", *user, "e-mail or username (asked when absent)");
  return {sub, [user](const global_options& o) { return login(o, *user); }};
}

command add_logout_command(CLI::App& app) {
  auto* sub = app.add_subcommand("logout", "end the session and forget it");
  return {sub, [](const global_options& o) { return logout(o); }};
}

}  // namespace kemas::cli
