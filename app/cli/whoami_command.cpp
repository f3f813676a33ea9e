// kemas whoami: the account the credentials belong to.
#include <CLI/CLI.hpp>

#include <iostream>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "output.hpp"

namespace kemas::cli {

command add_whoami_command(CLI::App& app) {
  auto* sub = app.add_subcommand("whoami", "show the account you are logged in as");
  return {sub, [](const global_options& options) {
            api_client api(options);
            const auto answer = api.call("GET", "/api/v1/auth/me");
            if (!answer.ok()) {
              print_error(describe_failure(answer));
              return exit_code_for(answer);
            }
            const auto user = answer.json().as_object().at("user").as_object();
            if (options.json) {
              print_json(user);
            } else {
              std::cout << user.at("username").as_string().c_str() << " <" << user.at("email").as_string().c_str()
                        << ">  role " << user.at("role").as_string().c_str() << ", plan "
                        << user.at("plan").as_string().c_str() << ", "
                        << human_size(user.at("used_bytes").to_number<std::uint64_t>())
                        << " stored, on " << api.server() << "\n";
            }
            return exit_ok;
          }};
}

}  // namespace kemas::cli
