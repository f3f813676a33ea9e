#include "test/support/admin_cli.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "adapters/support/random.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/child_process.hpp"

namespace kemas::test {

admin_run run_admin(std::vector<std::string> args, const env_list& extra) {
  const auto out =
      std::filesystem::temp_directory_path() / ("kemas_admin_" + support::random_hex(8));
  child_process::options options;
  options.program = std::string(KEMAS_BINARY_DIR) + "/app/admin/kemas-admin";
  options.args = {"--config", std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml"};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.env = run_env_file();
  options.env.emplace_back("KEMAS_ENV", "development");
  options.env.emplace_back("KEMAS_LOG_FORMAT", "text");
  options.env.insert(options.env.end(), extra.begin(), extra.end());
  options.stdout_path = out.string() + ".out";
  options.stderr_path = out.string() + ".err";
  child_process child(std::move(options));
  admin_run run;
  run.status = child.wait_for(std::chrono::seconds(60));
  if (!run.status)
    child.signal(SIGKILL);
  std::ifstream printed(out.string() + ".out");
  run.out.assign(std::istreambuf_iterator<char>(printed), {});
  run.err = child.stderr_text();
  std::error_code ignored;
  std::filesystem::remove(out.string() + ".out", ignored);
  std::filesystem::remove(out.string() + ".err", ignored);
  return run;
}

admin_run run_admin(const config::postgres_settings& db, std::vector<std::string> args,
                    env_list extra) {
  extra.insert(extra.begin(), {{"KEMAS_POSTGRES_URL", db.url},
                               {"KEMAS_POSTGRES_PASSWORD", db.password}});
  return run_admin(std::move(args), extra);
}

}  // namespace kemas::test
