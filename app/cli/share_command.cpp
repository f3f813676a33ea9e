// kemas share create|ls|revoke: public links to your files (README "Terminal client").
#include <CLI/CLI.hpp>

#include <boost/json/array.hpp>

#include <cctype>
#include <iostream>
#include <optional>
#include <string>
#include <variant>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "file_lookup.hpp"
#include "output.hpp"

namespace kemas::cli {
namespace {

struct create_options {
  std::string file;
  std::string expires;     // "90s", "30m", "12h", "7d" or plain seconds
  std::string expires_at;  // RFC 3339
  bool password_stdin = false;
  std::int64_t max_downloads = 0;
  std::string note;
};

// Seconds in "90s", "30m", "12h", "7d" or "3600"; nullopt for anything else.
std::optional<std::int64_t> duration_seconds(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0 || digits > 9)
    return std::nullopt;
  const std::int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit.empty() || unit == "s")
    return n;
  if (unit == "m")
    return n * 60;
  if (unit == "h")
    return n * 3600;
  if (unit == "d")
    return n * 86400;
  return std::nullopt;
}

std::string text_of(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

void print_share_line(const boost::json::object& s) {
  std::cout << text_of(s, "id") << "  " << text_of(s, "state") << "  "
            << text_of(s, "file_name") << "  " << s.at("downloads").as_int64();
  if (s.at("max_downloads").is_int64())
    std::cout << "/" << s.at("max_downloads").as_int64();
  std::cout << " downloads  until " << text_of(s, "expires_at");
  if (s.at("password").as_bool())
    std::cout << "  (password)";
  if (const auto note = text_of(s, "note"); !note.empty())
    std::cout << "  \"" << note << "\"";
  std::cout << "\n";
}

int run_create(const create_options& o, const global_options& options) {
  boost::json::object body;
  if (!o.expires.empty()) {
    const auto seconds = duration_seconds(o.expires);
    if (!seconds) {
      print_error("--expires takes a duration like 90s, 30m, 12h or 7d");
      return exit_usage;
    }
    body["expires_in"] = *seconds;
  }
  if (!o.expires_at.empty())
    body["expires_at"] = o.expires_at;
  if (o.max_downloads > 0)
    body["max_downloads"] = o.max_downloads;
  if (!o.note.empty())
    body["note"] = o.note;
  if (o.password_stdin) {
    // From stdin, never argv: a command line is visible to every user of the machine.
    std::string password;
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r')
      password.pop_back();
    body["password"] = password;
  }
  api_client api(options);
  auto found = find_file(api, o.file);
  if (auto* failed = std::get_if<api_response>(&found)) {
    print_error(o.file + ": " + describe_failure(*failed));
    return exit_code_for(*failed);
  }
  body["file_id"] = std::get<boost::json::object>(found).at("id");
  const auto answer = api.call("POST", "/api/v1/auth/shares", boost::json::value(body));
  if (!answer.ok()) {
    print_error(o.file + ": " + describe_failure(answer));
    return exit_code_for(answer);
  }
  const auto created = answer.json().as_object();
  if (options.json) {
    print_json(created);
    return exit_ok;
  }
  const auto& share = created.at("share").as_object();
  std::cout << text_of(share, "url") << "\n";
  std::cerr << "shared " << text_of(share, "file_name") << " until "
            << text_of(share, "expires_at") << " (link id " << text_of(share, "id")
            << "; the link is shown only now)\n";
  return exit_ok;
}

int run_list(const global_options& options) {
  api_client api(options);
  const auto answer = api.call("GET", "/api/v1/auth/shares");
  if (!answer.ok()) {
    print_error(describe_failure(answer));
    return exit_code_for(answer);
  }
  const auto listed = answer.json().as_object();
  if (options.json) {
    print_json(listed);
    return exit_ok;
  }
  for (const auto& s : listed.at("shares").as_array())
    print_share_line(s.as_object());
  return exit_ok;
}

int run_revoke(const std::vector<std::string>& ids, const global_options& options) {
  api_client api(options);
  int exit_code = exit_ok;
  boost::json::array revoked;
  for (const auto& id : ids) {
    const auto answer = api.call("DELETE", "/api/v1/auth/shares/" + url_encode(id));
    if (!answer.ok()) {
      print_error(id + ": " + describe_failure(answer));
      if (exit_code == exit_ok)
        exit_code = exit_code_for(answer);
      continue;
    }
    revoked.push_back(boost::json::value(id));
    if (!options.json)
      std::cout << "revoked " << id << "\n";
  }
  if (options.json)
    print_json(boost::json::object{{"revoked", revoked}});
  return exit_code;
}

}  // namespace

command add_share_command(CLI::App& app) {
  auto* sub = app.add_subcommand("share", "public links to your files: create, ls, revoke");
  sub->require_subcommand(1);
  auto created = std::make_shared<create_options>();
  auto* create = sub->add_subcommand("create", "make a link to a file; prints its URL");
  create->add_option("file", created->file, "id or name")->required();
  auto* expires = create->add_option("--expires,-e", created->expires,
                                     "lifetime: 90s, 30m, 12h, 7d (default: the server's, 7d)");
  create->add_option("--expires-at", created->expires_at, "end as an RFC 3339 time")
      ->excludes(expires);
  create->add_option("--max-downloads,-n", created->max_downloads, "stop after N downloads")
      ->check(CLI::Range(1, 1'000'000));
  create->add_option("--note", created->note, "a note for yourself (up to 500 characters)");
  create->add_flag("--password-stdin", created->password_stdin,
                   "ask downloaders for a password, read from the first line of stdin");
  auto* list = sub->add_subcommand("ls", "your links, newest first");
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* revoke = sub->add_subcommand("revoke", "stop links at once");
  revoke->add_option("ids", *ids, "link ids (from share ls)")->required();
  return {sub, [created, ids, create, list, revoke](const global_options& options) {
            if (create->parsed())
              return run_create(*created, options);
            if (list->parsed())
              return run_list(options);
            if (revoke->parsed())
              return run_revoke(*ids, options);
            return exit_usage;
          }};
}

}  // namespace kemas::cli
