#include "adapters/postgres/conninfo.hpp"

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <stdexcept>

namespace kemas::postgres {
namespace {

using option_map = std::map<std::string, std::string, std::less<>>;

// Every keyword libpq understood in `url`, with the values it found (unset ones dropped).
option_map parse_url(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    if (error != nullptr) PQfreemem(error);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    throw std::invalid_argument("postgres.url does not parse: " + message);
  }
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> guard(options, &PQconninfoFree);
  option_map result;
  for (auto* option = options; option->keyword != nullptr; ++option) {
    if (option->val != nullptr && option->val[0] != '\0') result[option->keyword] = option->val;
  }
  return result;
}

// libpq keyword/value syntax: single quotes around the value, backslash escapes ' and \.
void append_option(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ' ';
  out.append(key);
  out += "='";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
}

std::string build(const config::postgres_settings& settings, option_map options,
                  std::string_view application_name) {
  if (!settings.password.empty()) options["password"] = settings.password;
  // libpq takes whole seconds; round up so a sub-second setting never means "wait forever" (0).
  auto ms = settings.connect_timeout.count();
  if (ms > 0) options["connect_timeout"] = std::to_string((ms + 999) / 1000);
  if (!options.contains("application_name") && !application_name.empty()) {
    options["application_name"] = std::string(application_name);
  }
  std::string out;
  for (const auto& [key, value] : options) append_option(out, key, value);
  return out;
}

}  // namespace

std::string build_conninfo(const config::postgres_settings& settings,
                           std::string_view application_name) {
  return build(settings, parse_url(settings.url), application_name);
}

std::string build_conninfo_for_database(const config::postgres_settings& settings,
                                        std::string_view dbname,
                                        std::string_view application_name) {
  auto options = parse_url(settings.url);
  options["dbname"] = std::string(dbname);
  return build(settings, std::move(options), application_name);
}

std::string describe_target(const config::postgres_settings& settings) {
  try {
    auto options = parse_url(settings.url);
    auto get = [&](const char* key, const char* fallback) {
      auto it = options.find(key);
      return it == options.end() ? std::string(fallback) : it->second;
    };
    return get("user", "") + "@" + get("host", "localhost") + ":" + get("port", "5432") + "/" +
           get("dbname", "");
  } catch (const std::exception&) {
    return "<invalid postgres url>";
  }
}

}  // namespace kemas::postgres
