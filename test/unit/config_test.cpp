// Config loader: conf/kemas.toml defaults, validation naming the key, environment overrides,
// the original service's variables, secrets, and the duration/size units.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "adapters/config/loader.hpp"
#include "adapters/config/units.hpp"

namespace {

using namespace kemas::config;
using namespace std::chrono_literals;

const std::filesystem::path shipped_config = KEMAS_SOURCE_DIR "/conf/kemas.toml";

environment_view env(std::initializer_list<std::pair<const std::string, std::string>> vars) {
  return environment_view{environment_view::map_type(vars)};
}

// The six secrets, valid for production, and the payment provider production must name.
environment_view::map_type production_secrets() {
  return {{"KEMAS_BILLING_PROVIDER", "demo"},
          {"KEMAS_POSTGRES_PASSWORD", "pg-secret"},
          {"KEMAS_AMQP_PASSWORD", "mq-secret"},
          {"KEMAS_S3_SECRET_KEY", "s3-secret"},
          {"KEMAS_AUTH_JWT_SECRET", std::string(32, 'j')},
          {"KEMAS_INTERNAL_TOKEN", std::string(16, 't')},
          {"KEMAS_MAIL_TOKEN_KEY", std::string(32, 'm')}};
}

const config_error* find_error(const load_result& r, std::string_view key) {
  auto it = std::find_if(r.errors.begin(), r.errors.end(),
                         [&](const config_error& e) { return e.key == key; });
  return it == r.errors.end() ? nullptr : &*it;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Loads `toml` in development (so secrets do not matter) with extra variables.
load_result load_dev(std::string_view toml, environment_view::map_type vars = {}) {
  vars.emplace("KEMAS_ENV", "development");
  return load_settings_from_string(toml, environment_view{std::move(vars)}, "test.toml");
}

}  // namespace

// describe() prints every setting as key=value (secrets as <unset>/<redacted>), so it serves
// as the list of settings here without reaching into the loader's internals.
static std::vector<std::pair<std::string, std::string>> described(const settings& s) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::istringstream words(describe(s));
  std::string word;
  while (words >> word) {
    auto equals = word.find('=');
    REQUIRE(equals != std::string::npos);
    pairs.emplace_back(word.substr(0, equals), word.substr(equals + 1));
  }
  return pairs;
}

TEST_CASE("conf/kemas.toml loads and holds exactly the defaults of settings.hpp") {
  auto result = load_settings(shipped_config, environment_view{production_secrets()});
  INFO(result.error_text());
  REQUIRE(result.ok());
  settings expected;
  expected.postgres.password = "pg-secret";
  expected.amqp.password = "mq-secret";
  expected.s3.secret_key = "s3-secret";
  expected.auth.jwt_secret = std::string(32, 'j');
  expected.internal.token = std::string(16, 't');
  expected.mail.token_key = std::string(32, 'm');
  expected.billing.provider = "demo";  // named by production_secrets(); the file leaves it ""
  auto loaded = described(*result.value);
  auto defaults = described(expected);
  REQUIRE(loaded.size() == defaults.size());
  CHECK(loaded.size() > 50);
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    CAPTURE(defaults[i].first);
    CHECK(loaded[i] == defaults[i]);
  }
}

TEST_CASE("conf/kemas.toml names every non-secret setting / and secrets only in comments") {
  std::ifstream in(shipped_config);
  REQUIRE(in);
  std::set<std::string> keys_in_file;
  std::string text;
  std::string section;
  for (std::string line; std::getline(in, line);) {
    text += line + "\n";
    if (line.starts_with("["))
      section = line.substr(1, line.find(']') - 1) + ".";
    auto equals = line.find(" = ");
    if (!line.starts_with("#") && equals != std::string::npos)
      keys_in_file.insert(section + line.substr(0, equals));
  }
  std::size_t settings_count = 0;
  for (const auto& [key, value] : described(settings{})) {
    CAPTURE(key);
    bool secret = value == "<unset>";
    CHECK(keys_in_file.contains(key) == !secret);
    if (secret) {
      auto variable = "KEMAS_" + key;
      std::replace(variable.begin(), variable.end(), '.', '_');
      std::transform(variable.begin(), variable.end(), variable.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      CHECK(contains(text, variable));  // a comment names its variable
    }
    ++settings_count;
  }
  CHECK(keys_in_file.size() + 8 == settings_count);  // nothing else in the file
}

// Counts the members of an aggregate by probing how many initialisers it accepts, so a
// member added to settings.hpp without a loader entry fails here instead of being silently
// unconfigurable. Only for the section structs: their members are not aggregates themselves.
struct any_initializer {
  template <class T>
  operator T() const;  // never defined: used in unevaluated requires-expressions only
};

template <class T, class... Probes>
constexpr std::size_t member_count() {
  if constexpr (requires { T{Probes{}..., any_initializer{}}; })
    return member_count<T, Probes..., any_initializer>();
  else
    return sizeof...(Probes);
}

TEST_CASE("the loader knows every member of every section of settings.hpp") {
  std::map<std::string, std::size_t> described_per_section;
  for (const auto& [key, value] : described(settings{})) {
    auto dot = key.find('.');
    described_per_section[dot == std::string::npos ? "" : key.substr(0, dot)]++;
  }
  CHECK(described_per_section[""] == 1);  // env
  CHECK(described_per_section["http"] == member_count<http_settings>());
  CHECK(described_per_section["postgres"] == member_count<postgres_settings>());
  CHECK(described_per_section["redis"] == member_count<redis_settings>());
  CHECK(described_per_section["amqp"] == member_count<amqp_settings>());
  CHECK(described_per_section["s3"] == member_count<s3_settings>());
  CHECK(described_per_section["auth"] == member_count<auth_settings>());
  CHECK(described_per_section["ratelimit"] == member_count<ratelimit_settings>());
  CHECK(described_per_section["share"] == member_count<share_settings>());
  CHECK(described_per_section["cors"] == member_count<cors_settings>());
  CHECK(described_per_section["upload"] == member_count<upload_settings>());
  CHECK(described_per_section["worker"] == member_count<worker_settings>());
  CHECK(described_per_section["log"] == member_count<log_settings>());
  CHECK(described_per_section["internal"] == member_count<internal_settings>());
  CHECK(described_per_section["expiry"] == member_count<expiry_settings>());
  CHECK(described_per_section["plans"] == member_count<plans_settings>());
  CHECK(described_per_section["billing"] == member_count<billing_settings>());
  CHECK(described_per_section["mail"] == member_count<mail_settings>());
  CHECK(described_per_section.size() == 18);  // env + the 17 sections of settings
}

TEST_CASE("development fills missing secrets / Redis stays without password") {
  auto result = load_settings(shipped_config, env({{"KEMAS_ENV", "development"}}));
  INFO(result.error_text());
  REQUIRE(result.ok());
  const auto& s = *result.value;
  CHECK(s.env == environment::development);
  CHECK(s.postgres.password == "kemas");
  CHECK(s.redis.password.empty());
  CHECK(s.amqp.password == "kemas");
  CHECK(s.s3.secret_key == "S3RVER");
  CHECK(s.auth.jwt_secret.size() >= 32);
  CHECK_FALSE(s.internal.token.empty());
  CHECK(s.mail.token_key.size() >= 32);
}

TEST_CASE("the environment written by scripts/services.sh loads") {
  auto result = load_settings(
      shipped_config, env({{"KEMAS_ENV", "development"},
                           {"KEMAS_POSTGRES_URL", "postgresql://kemas@127.0.0.1:55432/kemas"},
                           {"KEMAS_POSTGRES_PASSWORD", "kemas"},
                           {"KEMAS_REDIS_HOST", "127.0.0.1"},
                           {"KEMAS_REDIS_PORT", "56379"},
                           {"KEMAS_AMQP_HOST", "127.0.0.1"},
                           {"KEMAS_AMQP_PORT", "55672"},
                           {"KEMAS_AMQP_USER", "kemas"},
                           {"KEMAS_AMQP_PASSWORD", "kemas"},
                           {"KEMAS_AMQP_MANAGEMENT_URL", "http://127.0.0.1:55673"},
                           {"KEMAS_S3_ENDPOINT", "127.0.0.1:59000"},
                           {"KEMAS_S3_ACCESS_KEY", "S3RVER"},
                           {"KEMAS_S3_SECRET_KEY", "S3RVER"},
                           {"KEMAS_S3_BUCKET", "kemas"},
                           {"KEMAS_S3_REGION", "us-east-1"},
                           {"KEMAS_SVC_PG_PORT", "55432"},
                           {"KEMAS_CONFIG", "conf/kemas.toml"}}));
  INFO(result.error_text());
  CHECK(result.ok());
}

TEST_CASE("unknown keys are errors naming the full key") {
  auto result = load_dev("foo = 1\n[http]\nprot = 8080\n[metrics]\nport = 1\n");
  REQUIRE_FALSE(result.ok());
  CHECK(result.errors.size() == 3);
  const auto* prot = find_error(result, "http.prot");
  REQUIRE(prot != nullptr);
  CHECK(contains(prot->message, "did you mean \"port\""));
  CHECK(prot->source == "test.toml:3");
  CHECK(find_error(result, "metrics") != nullptr);
  CHECK(find_error(result, "foo") != nullptr);
  CHECK(contains(result.error_text(), "http.prot: unknown key"));
}

TEST_CASE("bad values are errors naming the key") {
  struct bad_case {
    std::string toml;
    std::string key;
    std::string says;
  };
  const bad_case cases[] = {
      {"[http]\nport = 0", "http.port", "between 1 and 65535"},
      {"[http]\nport = 70000", "http.port", "between 1 and 65535"},
      {"[http]\nport = \"8081\"", "http.port", "expected an integer"},
      {"[http]\nio_threads = 0", "http.io_threads", "between 1"},
      {"[postgres]\npool_size = 0", "postgres.pool_size", "between 1"},
      {"[http]\nheader_timeout = 10", "http.header_timeout", "need a unit"},
      {"[http]\nheader_timeout = \"10\"", "http.header_timeout", "expected a duration"},
      {"[http]\nidle_timeout = \"ten seconds\"", "http.idle_timeout", "expected a duration"},
      {"[http]\nidle_timeout = \"-5s\"", "http.idle_timeout", "expected a duration"},
      {"[http]\nbody_limit = -1", "http.body_limit", "negative"},
      {"[http]\nbody_limit = \"12XB\"", "http.body_limit", "expected a size"},
      {"[upload]\npart_size = \"1MiB\"", "upload.part_size", "between 5MiB and 5GiB"},
      {"[log]\nlevel = \"loud\"", "log.level", "must be one of"},
      {"[log]\nformat = \"xml\"", "log.format", "must be one of"},
      {"env = \"staging\"", "env", "development or production"},
      {"[s3]\nuse_ssl = \"yes\"", "s3.use_ssl", "true or false"},
      {"[s3]\nendpoint = \"http://minio:9000\"", "s3.endpoint", "without scheme"},
      {"[s3]\nbucket = \"My_Bucket\"", "s3.bucket", "bucket name"},
      {"[cors]\nallowed_origins = \"https://a.test\"", "cors.allowed_origins", "array"},
      {"[cors]\nallowed_origins = [\"https://a.test/app\"]", "cors.allowed_origins", "origin"},
      {"[http]\ntrusted_proxies = [\"10.0.0.0/40\"]", "http.trusted_proxies", "IP address"},
      {"[amqp]\nmore_brokers = [\"rabbit2\"]", "amqp.more_brokers", "host:port"},
      {"[amqp]\nmore_brokers = [\"rabbit2:70000\"]", "amqp.more_brokers", "host:port"},
      {"[auth]\naccess_ttl = \"1500ms\"", "auth.access_ttl", "whole number of seconds"},
      {"[postgres]\nurl = \"mysql://x\"", "postgres.url", "postgresql://"},
      {"http = 1", "http", "must be a table"},
      {"[amqp]\nreconnect_min = \"20s\"\nreconnect_max = \"10s\"", "amqp.reconnect_min",
       "must not exceed"},
      {"[auth]\naccess_ttl = \"12h\"\nrefresh_ttl = \"1h\"", "auth.access_ttl",
       "shorter than auth.refresh_ttl"},
      {"[share]\ndefault_duration = \"30d\"\nmax_duration = \"1d\"", "share.default_duration",
       "must not exceed share.max_duration"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.toml);
    auto result = load_dev(c.toml);
    REQUIRE_FALSE(result.ok());
    const auto* error = find_error(result, c.key);
    INFO(result.error_text());
    REQUIRE(error != nullptr);
    CHECK(contains(error->message, c.says));
  }
}

TEST_CASE("every error is reported at once") {
  auto result = load_dev("[http]\nport = 0\nio_threads = 0\n[log]\nlevel = \"x\"\n");
  CHECK(result.errors.size() == 3);
}

TEST_CASE("TOML syntax errors name the place") {
  auto result = load_dev("[http]\nport = = 1\n");
  REQUIRE(result.errors.size() == 1);
  CHECK(contains(result.errors[0].message, "TOML syntax error"));
  CHECK(contains(result.errors[0].source, "test.toml:2"));
}

TEST_CASE("a missing config file is an error naming the path") {
  auto result = load_settings("/nonexistent/kemas.toml", env({{"KEMAS_ENV", "development"}}));
  REQUIRE(result.errors.size() == 1);
  CHECK(contains(result.errors[0].message, "/nonexistent/kemas.toml"));
}

TEST_CASE("KEMAS_ variables override the file and use the same validators") {
  auto result = load_dev("[http]\nport = 9000\nio_threads = 3\n",
                         {{"KEMAS_HTTP_PORT", "9100"},
                          {"KEMAS_HTTP_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,,"},
                          {"KEMAS_AMQP_MORE_BROKERS", "rabbit2:5672,rabbit3:5673"},
                          {"KEMAS_HTTP_IDLE_TIMEOUT", "90s"},
                          {"KEMAS_UPLOAD_INLINE_MAX", "64KiB"},
                          {"KEMAS_S3_USE_SSL", "true"},
                          {"KEMAS_LOG_LEVEL", "Warning"}});
  INFO(result.error_text());
  REQUIRE(result.ok());
  const auto& s = *result.value;
  CHECK(s.http.port == 9100);
  CHECK(s.http.io_threads == 3);  // from the file
  CHECK(s.http.trusted_proxies == std::vector<std::string>{"10.0.0.0/8", "127.0.0.1"});
  CHECK(s.amqp.more_brokers == std::vector<std::string>{"rabbit2:5672", "rabbit3:5673"});
  CHECK(s.http.idle_timeout == 90s);
  CHECK(s.upload.inline_max == 64 * 1024);
  CHECK(s.s3.use_ssl);
  CHECK(s.log.level == "warn");

  auto bad = load_dev("", {{"KEMAS_HTTP_IO_THREADS", "0"}, {"KEMAS_REDIS_PORT", "abc"}});
  REQUIRE(bad.errors.size() == 2);
  const auto* threads = find_error(bad, "http.io_threads");
  REQUIRE(threads != nullptr);
  CHECK(threads->source == "environment KEMAS_HTTP_IO_THREADS");
  CHECK(find_error(bad, "redis.port") != nullptr);
}

TEST_CASE("unknown KEMAS_<SECTION>_ variables are errors / other KEMAS_ variables are ignored") {
  auto result = load_dev("", {{"KEMAS_HTTP_FOO", "1"},
                              {"KEMAS_HTTP_PROT", "1"},
                              {"KEMAS_CONFIG", "x.toml"},
                              {"KEMAS_SVC_PG_PORT", "1"},
                              {"KEMAS_BUILD_DIR", "/tmp"}});
  REQUIRE(result.errors.size() == 2);
  CHECK(find_error(result, "KEMAS_HTTP_FOO") != nullptr);
  const auto* prot = find_error(result, "KEMAS_HTTP_PROT");
  REQUIRE(prot != nullptr);
  CHECK(contains(prot->message, "KEMAS_HTTP_PORT"));
}

TEST_CASE("the original service's variables map to their settings") {
  auto result = load_settings_from_string(
      "", env({{"ENVIRONMENT", "development"},
               {"DB_URL", "postgresql://app:s%40cret@db.internal:5432/kemas?sslmode=require"},
               {"JWT_ACCESS_SECRET", "seed-jwt-secret"},
               {"PORT", "3000"},
               {"CORS_URL", "http://localhost:3000, https://app.example.com/"},
               {"MINIO_ENDPOINT", "minio:9000"},
               {"MINIO_ACCESS_KEY_ID", "minio-user"},
               {"MINIO_SECRET_ACCESS_KEY", "minio-secret"},
               {"MINIO_USE_SSL", "true"},
               {"MINIO_BUCKET_NAME", "files"},
               {"LOG_LEVEL", "DEBUG"}}));
  INFO(result.error_text());
  REQUIRE(result.ok());
  const auto& s = *result.value;
  CHECK(s.env == environment::development);
  CHECK(s.postgres.url == "postgresql://app@db.internal:5432/kemas?sslmode=require");
  CHECK(s.postgres.password == "s@cret");
  CHECK(s.auth.jwt_secret == "seed-jwt-secret");
  CHECK(s.http.port == 3000);
  CHECK(s.cors.allowed_origins ==
        std::vector<std::string>{"http://localhost:3000", "https://app.example.com"});
  CHECK(s.s3.endpoint == "minio:9000");
  CHECK(s.s3.access_key == "minio-user");
  CHECK(s.s3.secret_key == "minio-secret");
  CHECK(s.s3.use_ssl);
  CHECK(s.s3.bucket == "files");
  CHECK(s.log.level == "debug");
}

TEST_CASE("KEMAS_ variables beat the original service's variables") {
  auto result = load_dev("", {{"PORT", "3000"},
                              {"KEMAS_HTTP_PORT", "4000"},
                              {"DB_URL", "postgresql://app:from-url@db/kemas"},
                              {"KEMAS_POSTGRES_PASSWORD", "explicit"},
                              {"MINIO_BUCKET_NAME", "seed-bucket"},
                              {"KEMAS_S3_BUCKET", "kemas-bucket"}});
  INFO(result.error_text());
  REQUIRE(result.ok());
  CHECK(result.value->http.port == 4000);
  CHECK(result.value->postgres.password == "explicit");
  CHECK(result.value->postgres.url == "postgresql://app@db/kemas");
  CHECK(result.value->s3.bucket == "kemas-bucket");
}

TEST_CASE("a bad seed variable names the variable") {
  auto result = load_dev("", {{"PORT", "http"}});
  const auto* port = find_error(result, "http.port");
  REQUIRE(port != nullptr);
  CHECK(port->source == "environment PORT");
}

TEST_CASE("secrets in the file are errors") {
  auto result = load_dev(
      "[auth]\njwt_secret = \"x\"\n[s3]\nsecret_key = \"y\"\n"
      "[postgres]\nurl = \"postgresql://kemas:hunter2@db/kemas\"\n");
  REQUIRE_FALSE(result.ok());
  CHECK(result.errors.size() == 3);
  const auto* jwt = find_error(result, "auth.jwt_secret");
  REQUIRE(jwt != nullptr);
  CHECK(contains(jwt->message, "must come from the environment"));
  CHECK(contains(jwt->message, "KEMAS_AUTH_JWT_SECRET"));
  CHECK(find_error(result, "s3.secret_key") != nullptr);
  const auto* url = find_error(result, "postgres.url");
  REQUIRE(url != nullptr);
  CHECK_FALSE(contains(result.error_text(), "hunter2"));  // never echo a secret
}

TEST_CASE("production without secrets fails naming each one and its variable") {
  auto result = load_settings(shipped_config, environment_view{});
  REQUIRE_FALSE(result.ok());
  CHECK(result.errors.size() == 7);  // the six secrets and billing.provider
  for (auto [key, variable] : {std::pair{"postgres.password", "KEMAS_POSTGRES_PASSWORD"},
                               std::pair{"mail.token_key", "KEMAS_MAIL_TOKEN_KEY"},
                               std::pair{"amqp.password", "KEMAS_AMQP_PASSWORD"},
                               std::pair{"s3.secret_key", "KEMAS_S3_SECRET_KEY"},
                               std::pair{"auth.jwt_secret", "KEMAS_AUTH_JWT_SECRET"},
                               std::pair{"internal.token", "KEMAS_INTERNAL_TOKEN"}}) {
    CAPTURE(key);
    const auto* error = find_error(result, key);
    REQUIRE(error != nullptr);
    CHECK(contains(error->message, variable));
  }
  CHECK(find_error(result, "redis.password") == nullptr);  // optional
}

TEST_CASE("the demo payment provider is used in production only when named") {
  auto vars = production_secrets();
  vars.erase("KEMAS_BILLING_PROVIDER");
  auto unnamed = load_settings(shipped_config, environment_view{vars});
  REQUIRE_FALSE(unnamed.ok());
  REQUIRE(unnamed.errors.size() == 1);
  CHECK(unnamed.errors[0].key == "billing.provider");
  CHECK(contains(unnamed.errors[0].message, "approves every charge"));

  vars["KEMAS_BILLING_PROVIDER"] = "demo";
  auto named = load_settings(shipped_config, environment_view{vars});
  REQUIRE(named.ok());
  CHECK(named.value->billing.provider == "demo");

  auto development = load_dev("[billing]\nprovider = \"\"\n");
  REQUIRE(development.ok());
  CHECK(development.value->billing.provider == "demo");
  auto unknown = load_dev("[billing]\nprovider = \"stripe\"\n");
  REQUIRE_FALSE(unknown.ok());
  CHECK(find_error(unknown, "billing.provider") != nullptr);
}

TEST_CASE("production: password in DB_URL counts / short JWT secret is refused") {
  auto vars = production_secrets();
  vars.erase("KEMAS_POSTGRES_PASSWORD");
  vars["DB_URL"] = "postgres://kemas:pw@db:5432/kemas";
  vars["KEMAS_AUTH_JWT_SECRET"] = "too-short";
  auto result = load_settings(shipped_config, environment_view{vars});
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].key == "auth.jwt_secret");
  CHECK(contains(result.errors[0].message, "at least 32 bytes"));
  CHECK_FALSE(contains(result.error_text(), "too-short"));
}

TEST_CASE("a bad env value is not followed by a list of missing secrets") {
  auto result = load_settings(shipped_config, env({{"KEMAS_ENV", "prod"}}));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].key == "env");
}

TEST_CASE("describe shows effective settings and hides secrets") {
  auto result =
      load_dev("", {{"KEMAS_POSTGRES_PASSWORD", "pg-hidden"},
                    {"KEMAS_AMQP_MANAGEMENT_URL", "http://ops:mgmt-hidden@127.0.0.1:55673"}});
  INFO(result.error_text());
  REQUIRE(result.ok());
  auto text = describe(*result.value);
  CHECK(contains(text, "env=development"));
  CHECK(contains(text, "http.port=8081"));
  CHECK(contains(text, "http.header_limit=16KiB"));
  CHECK(contains(text, "http.request_timeout=5m"));
  CHECK(contains(text, "postgres.password=<redacted>"));
  CHECK(contains(text, "redis.password=<unset>"));
  CHECK(contains(text, "amqp.management_url=http://ops:***@127.0.0.1:55673"));
  CHECK_FALSE(contains(text, "pg-hidden"));
  CHECK_FALSE(contains(text, "mgmt-hidden"));
  CHECK_FALSE(contains(text, "S3RVER\n"));
  CHECK_FALSE(contains(text, result.value->auth.jwt_secret));
}

TEST_CASE("default_config_path: KEMAS_CONFIG / else conf/kemas.toml") {
  CHECK(default_config_path(env({{"KEMAS_CONFIG", "/etc/kemas.toml"}})) == "/etc/kemas.toml");
  CHECK(default_config_path(env({{"KEMAS_CONFIG", ""}})) == "conf/kemas.toml");
  CHECK(default_config_path(environment_view{}) == "conf/kemas.toml");
}

TEST_CASE("environment_view::from_process sees the process environment") {
  ::setenv("KEMAS_CONFIG_TEST_PROBE", "a=b", 1);
  auto view = environment_view::from_process();
  ::unsetenv("KEMAS_CONFIG_TEST_PROBE");
  CHECK(view.get("KEMAS_CONFIG_TEST_PROBE") == std::optional<std::string_view>{"a=b"});
  CHECK_FALSE(view.get("KEMAS_CONFIG_TEST_ABSENT").has_value());
}

TEST_CASE("durations parse with units and refuse ambiguity") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("10s") == 10s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("7d") == 7 * 24h);
  CHECK(parse_duration("1h30m") == 90min);
  CHECK(parse_duration("0s") == 0ms);
  for (auto bad : {"", "10", "s", "-1s", "+1s", "1.5s", "10 s", "10sec", "1w", "5M",
                   "99999999999999999999s", "9999999999999999d"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
  CHECK(format_duration(300'000ms) == "5m");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(7 * 24h) == "7d");
  CHECK(format_duration(0ms) == "0s");
}

TEST_CASE("sizes parse bytes and binary or decimal units") {
  CHECK(parse_size("0") == 0u);
  CHECK(parse_size("512") == 512u);
  CHECK(parse_size("512B") == 512u);
  CHECK(parse_size("256KiB") == 256u * 1024);
  CHECK(parse_size("8MiB") == 8u * 1024 * 1024);
  CHECK(parse_size("8 mib") == 8u * 1024 * 1024);
  CHECK(parse_size("1GiB") == 1024u * 1024 * 1024);
  CHECK(parse_size("1TiB") == 1024ull * 1024 * 1024 * 1024);
  CHECK(parse_size("5MB") == 5'000'000u);
  for (auto bad : {"", "-1", "1.5MiB", "KiB", "10 XB", "8M", "8  MiB", "99999999999TiB",
                   "18446744073709551616"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
  CHECK(format_size(256 * 1024) == "256KiB");
  CHECK(format_size(16 * 1024) == "16KiB");
  CHECK(format_size(1000) == "1000B");
  CHECK(format_size(0) == "0B");
  CHECK(format_size(5ull * 1024 * 1024 * 1024) == "5GiB");
}

TEST_CASE("the seed's SMTP variables configure the mailer") {
  auto result = load_dev("", {{"SMTP_HOST", "mail.example.com"},
                              {"SMTP_PORT", "2525"},
                              {"SMTP_USERNAME", "postmaster"},
                              {"SMTP_PASSWORD", "hunter2"}});
  INFO(result.error_text());
  REQUIRE(result.ok());
  CHECK(result.value->mail.smtp_url == "smtp://mail.example.com:2525");
  CHECK(result.value->mail.smtp_user == "postmaster");
  CHECK(result.value->mail.smtp_password == "hunter2");
  auto no_port = load_dev("", {{"SMTP_HOST", "mail.example.com"}});
  CHECK(no_port.value->mail.smtp_url == "smtp://mail.example.com:587");
  // KEMAS_ wins over the seed's names; a URL of another scheme is refused.
  auto both = load_dev(
      "", {{"SMTP_HOST", "a.example.com"}, {"KEMAS_MAIL_SMTP_URL", "smtps://b.example.com:465"}});
  CHECK(both.value->mail.smtp_url == "smtps://b.example.com:465");
  auto wrong = load_dev("", {{"KEMAS_MAIL_SMTP_URL", "http://mail.example.com"}});
  CHECK_FALSE(wrong.ok());
}
