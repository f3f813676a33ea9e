// kemas rm: deletes files.
#include <CLI/CLI.hpp>

#include <boost/json/array.hpp>

#include <iostream>
#include <variant>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "file_lookup.hpp"
#include "output.hpp"

namespace kemas::cli {

command add_rm_command(CLI::App& app) {
  auto* sub = app.add_subcommand("rm", "delete files");
  auto files = std::make_shared<std::vector<std::string>>();
  sub->add_option("files", *files, "ids or names")->required();
  return {sub, [files](const global_options& options) {
            api_client api(options);
            int exit_code = exit_ok;
            boost::json::array deleted;
            for (const auto& ref : *files) {
              auto found = find_file(api, ref);
              api_response answer;
              std::string id;
              if (auto* failed = std::get_if<api_response>(&found)) {
                answer = *failed;
              } else {
                id = std::string(std::get<boost::json::object>(found).at("id").as_string());
                answer = api.call("DELETE", "/api/v1/auth/files/" + id);
              }
              if (!answer.ok()) {
                print_error(ref + ": " + describe_failure(answer));
                if (exit_code == exit_ok)
                  exit_code = exit_code_for(answer);
                continue;
              }
              deleted.push_back(boost::json::value(id));
              if (!options.json)
                std::cout << "deleted " << ref << "\n";
            }
            if (options.json)
              print_json(boost::json::object{{"deleted", deleted}});
            return exit_code;
          }};
}

}  // namespace kemas::cli
