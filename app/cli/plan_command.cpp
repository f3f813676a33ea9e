// kemas plan: the plan in force, its end and the usage against its limits.
#include <CLI/CLI.hpp>

#include <iostream>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "output.hpp"

namespace kemas::cli {

command add_plan_command(CLI::App& app) {
  auto* sub = app.add_subcommand("plan", "show your plan, its end and your usage");
  return {sub, [](const global_options& options) {
            api_client api(options);
            const auto answer = api.call("GET", "/api/v1/auth/billing/subscription");
            if (!answer.ok()) {
              print_error(describe_failure(answer) +
                          (answer.status == 403 ? " (plans need a login session, not an API key)"
                                                : ""));
              return exit_code_for(answer);
            }
            const auto sub_json = answer.json().as_object();
            if (options.json) {
              print_json(sub_json);
              return exit_ok;
            }
            std::cout << sub_json.at("plan_display_name").as_string().c_str() << ": "
                      << human_size(sub_json.at("used_bytes").to_number<std::uint64_t>()) << " of "
                      << human_size(sub_json.at("quota_bytes").to_number<std::uint64_t>())
                      << " used, files up to "
                      << human_size(sub_json.at("max_file_bytes").to_number<std::uint64_t>());
            const auto& ends = sub_json.at("expires_at");
            if (ends.is_string())
              std::cout << (sub_json.at("expired").as_bool() ? ", ended " : ", ends ")
                        << ends.as_string().c_str();
            std::cout << "\n";
            return exit_ok;
          }};
}

}  // namespace kemas::cli
