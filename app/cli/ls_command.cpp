// kemas ls: the files, newest first or by name, one page or all of them.
#include <CLI/CLI.hpp>

#include <boost/json/array.hpp>

#include <cstdio>
#include <iostream>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "file_lookup.hpp"
#include "output.hpp"

namespace kemas::cli {
namespace {

struct ls_options {
  std::string prefix;
  std::string sort = "created_at";
  unsigned limit = 50;
  bool all = false;
};

int list(const global_options& options, const ls_options& ls) {
  api_client api(options);
  boost::json::array files;
  std::string cursor;
  std::int64_t total = 0;
  std::uint64_t used = 0;
  std::uint64_t quota = 0;
  do {
    std::string path = "/api/v1/auth/files/list?limit=" + std::to_string(ls.limit) +
                       "&sort=" + url_encode(ls.sort);
    if (!ls.prefix.empty())
      path += "&prefix=" + url_encode(ls.prefix);
    if (!cursor.empty())
      path += "&cursor=" + url_encode(cursor);
    const auto answer = api.call("GET", path);
    if (!answer.ok()) {
      print_error(describe_failure(answer));
      return exit_code_for(answer);
    }
    const auto page = answer.json().as_object();
    for (const auto& f : page.at("files").as_array())
      files.push_back(f);
    total = page.at("total").to_number<std::int64_t>();
    used = page.at("used_bytes").to_number<std::uint64_t>();
    quota = page.at("quota_bytes").to_number<std::uint64_t>();
    const auto& next = page.at("next_cursor");
    cursor = next.is_string() ? std::string(next.as_string()) : std::string();
  } while (ls.all && !cursor.empty());

  if (options.json) {
    print_json(boost::json::object{{"files", files},
                                   {"total", total},
                                   {"used_bytes", used},
                                   {"quota_bytes", quota},
                                   {"next_cursor", cursor.empty() ? boost::json::value()
                                                                  : boost::json::value(cursor)}});
    return exit_ok;
  }
  for (const auto& v : files) {
    const auto& f = v.as_object();
    const std::string created(f.at("created_at").as_string());
    std::printf("%s  %10s  %.16s  %-6s  %s\n", std::string(f.at("id").as_string()).c_str(),
                human_size(f.at("size").to_number<std::uint64_t>()).c_str(), created.c_str(),
                std::string(f.at("state").as_string()).c_str(),
                std::string(f.at("name").as_string()).c_str());
  }
  std::printf("%zu of %lld files; %s of %s used%s\n", files.size(),
              static_cast<long long>(total), human_size(used).c_str(), human_size(quota).c_str(),
              cursor.empty() ? "" : " (more: kemas ls --all)");
  return exit_ok;
}

}  // namespace

command add_ls_command(CLI::App& app) {
  auto* sub = app.add_subcommand("ls", "list your files");
  auto o = std::make_shared<ls_options>();
  sub->add_option("--prefix,-p", o->prefix, "names starting with this");
  sub->add_option("--sort", o->sort, "created_at (newest first) or name")
      ->check(CLI::IsMember({"created_at", "name"}));
  sub->add_option("--limit", o->limit, "files per page (1-1000)")->check(CLI::Range(1, 1000));
  sub->add_flag("--all,-a", o->all, "every page");
  return {sub, [o](const global_options& g) { return list(g, *o); }};
}

}  // namespace kemas::cli
