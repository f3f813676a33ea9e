#include "adapters/config/loader.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "adapters/config/fields.hpp"
#include "adapters/config/text.hpp"
#include "adapters/config/units.hpp"

namespace kemas::config {
namespace {

using detail::field;
using detail::find_field;

constexpr std::string_view kemas_prefix = "KEMAS_";

// The original service's variables, applied before (so below) the KEMAS_ ones.
struct seed_variable {
  std::string_view name;
  std::string_view section;
  std::string_view key;
};
constexpr seed_variable seed_variables[] = {
    {"ENVIRONMENT", "", "env"},
    {"DB_URL", "postgres", "url"},
    {"JWT_ACCESS_SECRET", "auth", "jwt_secret"},
    {"PORT", "http", "port"},
    {"CORS_URL", "cors", "allowed_origins"},
    {"MINIO_ENDPOINT", "s3", "endpoint"},
    {"MINIO_ACCESS_KEY_ID", "s3", "access_key"},
    {"MINIO_SECRET_ACCESS_KEY", "s3", "secret_key"},
    {"MINIO_USE_SSL", "s3", "use_ssl"},
    {"MINIO_BUCKET_NAME", "s3", "bucket"},
    {"LOG_LEVEL", "log", "level"},
    {"SMTP_USERNAME", "mail", "smtp_user"},
    {"SMTP_PASSWORD", "mail", "smtp_password"},
};

// Secrets: development values (matching scripts/services.sh) and production rules.
struct secret_rule {
  std::string_view section;
  std::string_view key;
  std::string_view development_value;  // "" = stays empty in development too
  bool required_in_production;
  std::size_t min_length_in_production;
  std::string_view also;  // other ways to set it, for the error message
  std::string& (*get)(settings&);
};
const secret_rule secret_rules[] = {
    {"postgres", "password", "kemas", true, 0, " or a password in KEMAS_POSTGRES_URL / DB_URL",
     [](settings& s) -> std::string& { return s.postgres.password; }},
    {"redis", "password", "", false, 0, "",
     [](settings& s) -> std::string& { return s.redis.password; }},
    {"amqp", "password", "kemas", true, 0, "",
     [](settings& s) -> std::string& { return s.amqp.password; }},
    {"s3", "secret_key", "S3RVER", true, 0, " or MINIO_SECRET_ACCESS_KEY",
     [](settings& s) -> std::string& { return s.s3.secret_key; }},
    {"auth", "jwt_secret", "kemas-development-jwt-secret-do-not-use-in-production", true, 32,
     " or JWT_ACCESS_SECRET", [](settings& s) -> std::string& { return s.auth.jwt_secret; }},
    {"internal", "token", "kemas-development-internal-token", true, 16, "",
     [](settings& s) -> std::string& { return s.internal.token; }},
    {"mail", "smtp_password", "", false, 0, " or SMTP_PASSWORD",
     [](settings& s) -> std::string& { return s.mail.smtp_password; }},
    {"mail", "token_key", "kemas-development-mail-token-key-do-not-use", true, 32, "",
     [](settings& s) -> std::string& { return s.mail.token_key; }},
};

class loader {
 public:
  loader(const environment_view& env, std::string_view source_name)
      : env_(env), source_name_(source_name) {}

  void apply_file(std::string_view text);
  void apply_environment();
  load_result finish();

 private:
  void apply_file_value(const field& f, const toml::node& node);
  void apply_text(const field& f, std::string_view variable, std::string_view value);
  void move_url_password();
  void apply_secret_rules();
  void check_relations();
  std::string where(const toml::node& node) const {
    return fmt::format("{}:{}", source_name_, node.source().begin.line);
  }
  void add(std::string key, std::string message, std::string source) {
    errors_.push_back({std::move(key), std::move(message), std::move(source)});
  }

  const environment_view& env_;
  std::string source_name_;
  settings settings_;
  std::vector<config_error> errors_;
  std::map<std::string, std::string, std::less<>> origin_;  // full key → "file" or variable
  bool env_failed_ = false;
};

void loader::apply_file(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text, source_name_);
  } catch (const toml::parse_error& e) {
    add("", "TOML syntax error: " + std::string(e.description()),
        fmt::format("{}:{}:{}", source_name_, e.source().begin.line, e.source().begin.column));
    return;
  }
  std::vector<std::string_view> top_names = detail::section_names();
  top_names.push_back("env");
  for (auto&& [name, node] : root) {
    if (const field* f = find_field("", name.str())) {
      apply_file_value(*f, node);
    } else if (detail::is_section(name.str())) {
      const auto* table = node.as_table();
      if (table == nullptr) {
        add(std::string(name.str()), "must be a table ([" + std::string(name.str()) + "])",
            where(node));
        continue;
      }
      auto keys = detail::keys_of(name.str());
      for (auto&& [key, value] : *table) {
        if (const field* f2 = find_field(name.str(), key.str())) {
          apply_file_value(*f2, value);
        } else {
          add(std::string(name.str()) + "." + std::string(key.str()),
              "unknown key" + detail::did_you_mean(key.str(), keys), where(value));
        }
      }
    } else {
      add(std::string(name.str()), "unknown key" + detail::did_you_mean(name.str(), top_names),
          where(node));
    }
  }
}

void loader::apply_file_value(const field& f, const toml::node& node) {
  if (f.secret) {
    add(f.full_key(),
        "is a secret and must come from the environment (" + f.env_name() + "), not the file",
        where(node));
    return;
  }
  if (auto problem = f.set_from_toml(settings_, node); !problem.empty()) {
    if (f.section.empty())
      env_failed_ = true;
    add(f.full_key(), std::move(problem), where(node));
    return;
  }
  origin_[f.full_key()] = "file";
}

void loader::apply_text(const field& f, std::string_view variable, std::string_view value) {
  if (auto problem = f.set_from_text(settings_, value); !problem.empty()) {
    if (f.section.empty())
      env_failed_ = true;
    add(f.full_key(), std::move(problem), "environment " + std::string(variable));
    return;
  }
  origin_[f.full_key()] = std::string(variable);
}

void loader::apply_environment() {
  for (const auto& seed : seed_variables) {
    auto value = env_.get(seed.name);
    // Empty seed variables are common in compose files ("DB_URL=") and mean "not set".
    if (value && !value->empty())
      apply_text(*find_field(seed.section, seed.key), seed.name, *value);
  }
  // The seed's SMTP_HOST and SMTP_PORT (587 when unset) are two variables for one setting.
  if (auto host = env_.get("SMTP_HOST"); host && !host->empty()) {
    auto port = env_.get("SMTP_PORT");
    const std::string url = "smtp://" + std::string(*host) + ":" +
                            (port && !port->empty() ? std::string(*port) : std::string("587"));
    apply_text(*find_field("mail", "smtp_url"), "SMTP_HOST", url);
  }
  for (const auto& [name, value] : env_.all()) {
    if (!name.starts_with(kemas_prefix))
      continue;
    std::string rest = detail::to_lower(std::string_view(name).substr(kemas_prefix.size()));
    if (const field* top = find_field("", rest)) {
      apply_text(*top, name, value);
      continue;
    }
    auto underscore = rest.find('_');
    std::string section = rest.substr(0, underscore);
    if (!detail::is_section(section))
      continue;  // KEMAS_CONFIG, KEMAS_SVC_*: not settings
    std::string key = underscore == std::string::npos ? std::string{} : rest.substr(underscore + 1);
    if (const field* f = find_field(section, key)) {
      apply_text(*f, name, value);
      continue;
    }
    auto suggestion = detail::closest_match(key, detail::keys_of(section));
    std::string hint = suggestion.empty()
                           ? std::string{}
                           : " (did you mean " + find_field(section, suggestion)->env_name() + "?)";
    add(name, "unknown setting: section [" + section + "] has no key \"" + key + "\"" + hint,
        "environment");
  }
}

void loader::move_url_password() {
  auto parts = detail::split_url_password(settings_.postgres.url);
  if (parts.url == settings_.postgres.url)
    return;
  auto url_origin = origin_.find("postgres.url");
  bool from_file = url_origin != origin_.end() && url_origin->second == "file";
  if (from_file && parts.password) {
    add("postgres.url",
        "contains a password: secrets must come from the environment (KEMAS_POSTGRES_PASSWORD, "
        "or the whole URL in KEMAS_POSTGRES_URL / DB_URL), not the file",
        source_name_);
  } else if (parts.password && !origin_.contains("postgres.password")) {
    settings_.postgres.password = std::move(*parts.password);
  }
  settings_.postgres.url = std::move(parts.url);
}

void loader::apply_secret_rules() {
  bool development = settings_.env == environment::development;
  for (const auto& rule : secret_rules) {
    std::string& value = rule.get(settings_);
    const field& f = *find_field(rule.section, rule.key);
    if (development) {
      if (value.empty())
        value = std::string(rule.development_value);
      continue;
    }
    if (env_failed_)
      continue;  // the env error says it all; no list of follow-on complaints
    if (value.empty() && rule.required_in_production) {
      add(f.full_key(),
          "is required when env = \"production\": set " + f.env_name() + std::string(rule.also),
          {});
    } else if (!value.empty() && value.size() < rule.min_length_in_production) {
      add(f.full_key(),
          fmt::format("must be at least {} bytes when env = \"production\", got {}",
                      rule.min_length_in_production, value.size()),
          origin_.contains(f.full_key()) ? "environment " + origin_[f.full_key()] : std::string{});
    }
  }
}

void loader::check_relations() {
  const auto& amqp = settings_.amqp;
  if (amqp.reconnect_min > amqp.reconnect_max)
    add("amqp.reconnect_min",
        fmt::format("must not exceed amqp.reconnect_max ({} > {})",
                    format_duration(amqp.reconnect_min), format_duration(amqp.reconnect_max)),
        {});
  // An upload still receiving its body must never count as abandoned.
  if (settings_.upload.abandon_after <= settings_.http.upload_timeout)
    add("upload.abandon_after",
        fmt::format("must exceed http.upload_timeout ({} <= {})",
                    format_duration(settings_.upload.abandon_after),
                    format_duration(settings_.http.upload_timeout)),
        {});
  // The demo provider approves every charge: fine for development, never a silent default
  // of a production deployment. There it must be named (billing.provider = "demo").
  auto& billing = settings_.billing;
  if (billing.provider.empty()) {
    if (settings_.env == environment::development)
      billing.provider = "demo";
    else if (!env_failed_)
      add("billing.provider",
          "is required when env = \"production\": name the payment provider (\"demo\" approves "
          "every charge without payment; set it only for a demonstration)",
          {});
  }
  const auto& share = settings_.share;
  if (share.default_duration > share.max_duration)
    add("share.default_duration",
        fmt::format("must not exceed share.max_duration ({} > {})",
                    format_duration(share.default_duration), format_duration(share.max_duration)),
        {});
  const auto& auth = settings_.auth;
  if (auth.access_ttl >= auth.refresh_ttl)
    add("auth.access_ttl",
        fmt::format("must be shorter than auth.refresh_ttl ({}s >= {}s)", auth.access_ttl.count(),
                    auth.refresh_ttl.count()),
        {});
}

load_result loader::finish() {
  move_url_password();
  apply_secret_rules();
  check_relations();
  load_result result;
  if (errors_.empty()) {
    result.value = std::move(settings_);
  } else {
    result.errors = std::move(errors_);
  }
  return result;
}

}  // namespace

std::string to_string(const config_error& error) {
  std::string out = error.key.empty() ? std::string("config") : error.key;
  out += ": " + error.message;
  if (!error.source.empty())
    out += " (" + error.source + ")";
  return out;
}

std::string load_result::error_text() const {
  std::string out;
  for (const auto& error : errors) {
    if (!out.empty())
      out += "\n";
    out += to_string(error);
  }
  return out;
}

load_result load_settings_from_string(std::string_view toml, const environment_view& env,
                                      std::string_view source_name) {
  loader l(env, source_name);
  l.apply_file(toml);
  l.apply_environment();
  return l.finish();
}

load_result load_settings(const std::filesystem::path& toml_path, const environment_view& env) {
  std::ifstream in(toml_path, std::ios::binary);
  if (!in) {
    int saved = errno;
    load_result result;
    result.errors.push_back(
        {"",
         fmt::format("cannot read config file {}: {} (set KEMAS_CONFIG or pass --config)",
                     toml_path.string(), std::strerror(saved)),
         toml_path.string()});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_settings_from_string(text.str(), env, toml_path.string());
}

std::filesystem::path default_config_path(const environment_view& env) {
  auto path = env.get("KEMAS_CONFIG");
  if (path && !path->empty())
    return std::filesystem::path(*path);
  return "conf/kemas.toml";
}

std::filesystem::path default_config_path() {
  const char* path = std::getenv("KEMAS_CONFIG");
  if (path != nullptr && *path != '\0')
    return path;
  return "conf/kemas.toml";
}

std::string describe(const settings& s) {
  std::string out;
  for (const auto& f : detail::all_fields()) {
    if (!out.empty())
      out += ' ';
    out += f.full_key() + "=";
    if (f.secret) {
      // Every secret field is a string: show() prints it, so test emptiness through it.
      out += f.show(s) == "\"\"" ? "<unset>" : "<redacted>";
    } else {
      auto value = f.show(s);
      out += value.find("://") != std::string::npos ? detail::redact_url(value) : value;
    }
  }
  return out;
}

}  // namespace kemas::config
