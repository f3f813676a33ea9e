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
    if (error != nullptr)
      PQfreemem(error);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    throw std::invalid_argument("postgres.url does not parse: " + message);
  }
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> guard(options, &PQconninfoFree);
  option_map result;
  for (auto* option = options; option->keyword != nullptr; ++option) {
    if (option->val != nullptr && option->val[0] != '\0')
      result[option->keyword] = option->val;
  }
  return result;
}

// The string goes through SOCI 4.0's postgresql factory before libpq sees it, and that
// factory re-tokenises it: it splits on blanks (or takes "double-quoted" values whole) and
// re-joins key=value WITHOUT quotes. So values are written in libpq's unquoted syntax,
// where a backslash escapes the next character (blanks, quotes, backslashes), and wrapped
// in double quotes for SOCI when they contain a blank. Only a value with both a blank and
// a double quote cannot be carried; that is refused.
void append_option(std::string& out, std::string_view key, std::string_view value) {
  std::string escaped;
  bool has_blank = false;
  for (char c : value) {
    const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    has_blank = has_blank || blank;
    // '"' too: SOCI would take a value starting with it for a quoted one.
    if (blank || c == '\\' || c == '\'' || c == '"')
      escaped += '\\';
    escaped += c;
  }
  if (has_blank && value.find('"') != std::string_view::npos) {
    throw std::invalid_argument("postgres " + std::string(key) +
                                " contains both a blank and a double quote, which SOCI 4.0 "
                                "cannot pass to libpq");
  }
  if (!out.empty())
    out += ' ';
  out.append(key);
  out += '=';
  if (has_blank) {
    out += '"' + escaped + '"';
  } else {
    out += escaped;
  }
}

option_map with_settings(const config::postgres_settings& settings, option_map options,
                         std::string_view application_name) {
  if (!settings.password.empty())
    options["password"] = settings.password;
  // libpq takes whole seconds; round up so a sub-second setting never means "wait forever" (0).
  auto ms = settings.connect_timeout.count();
  if (ms > 0)
    options["connect_timeout"] = std::to_string((ms + 999) / 1000);
  if (!options.contains("application_name") && !application_name.empty()) {
    options["application_name"] = std::string(application_name);
  }
  return options;
}

std::string build(const config::postgres_settings& settings, option_map options,
                  std::string_view application_name) {
  std::string out;
  for (const auto& [key, value] : with_settings(settings, std::move(options), application_name))
    append_option(out, key, value);
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

std::vector<std::pair<std::string, std::string>> connection_parameters(
    const config::postgres_settings& settings, std::string_view application_name) {
  auto options = with_settings(settings, parse_url(settings.url), application_name);
  return {options.begin(), options.end()};
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
