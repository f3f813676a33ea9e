// kemas mv: renames a file.
#include <CLI/CLI.hpp>

#include <iostream>
#include <variant>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "file_lookup.hpp"
#include "output.hpp"

namespace kemas::cli {

command add_mv_command(CLI::App& app) {
  auto* sub = app.add_subcommand("mv", "rename a file");
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  sub->add_option("file", *from, "the file's id or name")->required();
  sub->add_option("new-name", *to, "its new name")->required();
  return {sub, [from, to](const global_options& options) {
            api_client api(options);
            auto found = find_file(api, *from);
            if (auto* failed = std::get_if<api_response>(&found)) {
              print_error(*from + ": " + describe_failure(*failed));
              return exit_code_for(*failed);
            }
            const std::string id(std::get<boost::json::object>(found).at("id").as_string());
            const auto answer = api.call("PATCH", "/api/v1/auth/files/" + id,
                                         boost::json::value(boost::json::object{{"name", *to}}));
            if (!answer.ok()) {
              print_error(*from + ": " + describe_failure(answer));
              return exit_code_for(answer);
            }
            if (options.json)
              print_json(answer.json());
            else
              std::cout << "renamed " << *from << " to " << *to << "\n";
            return exit_ok;
          }};
}

}  // namespace kemas::cli
