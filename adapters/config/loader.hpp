#pragma once
// load_settings: conf/kemas.toml + environment → validated settings, or every error found.
//
// Precedence, lowest first: defaults of settings.hpp < the TOML file < the original
// service's variables (DB_URL, PORT, JWT_ACCESS_SECRET, CORS_URL, MINIO_*, ENVIRONMENT,
// LOG_LEVEL) < KEMAS_<SECTION>_<KEY> (top-level: KEMAS_ENV). Every source goes through the
// same validators; lists from the environment are comma-separated.
//
// Errors (collected, not thrown; the value is empty when there is any):
//  - unknown key in the file ("http.prot"), wrong type, bad or out-of-range value;
//  - KEMAS_<SECTION>_<KEY> where SECTION is a known section but KEY is not (KEMAS_ variables
//    whose first segment is not a section, e.g. KEMAS_CONFIG or KEMAS_SVC_PG_PORT, are not
//    settings and are ignored);
//  - a secret in the file (postgres.password, redis.password, amqp.password, s3.secret_key,
//    auth.jwt_secret, internal.token, or a password inside postgres.url);
//  - env = "production" and a required secret missing (all of the above except
//    redis.password), auth.jwt_secret shorter than 32 bytes or internal.token shorter than 16.
// With env = "development", missing secrets get fixed development values matching
// scripts/services.sh (redis.password stays empty: the development Redis has none).
//
// After loading, postgres.url never holds a password: one found in the URL (DB_URL style
// "postgresql://user:pass@host/db") is percent-decoded into postgres.password (unless
// KEMAS_POSTGRES_PASSWORD is set, which wins) and removed from the URL, so the URL can be
// logged. Consumers combine postgres.url with postgres.password themselves.
//
// Threading: pure functions of their arguments; safe to call from any thread.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/environment.hpp"
#include "adapters/config/settings.hpp"

namespace kemas::config {

struct config_error {
  std::string key;      // "http.port", "env"; an environment variable name for unknown
                        // KEMAS_ variables; empty for errors about the whole file
  std::string message;  // what is wrong and what is accepted
  std::string source;   // "conf/kemas.toml:12", "environment KEMAS_HTTP_PORT", or empty
};

// "http.port: must be between 1 and 65535, got 0 (conf/kemas.toml:3)"
std::string to_string(const config_error& error);

struct load_result {
  std::optional<settings> value;  // set exactly when errors is empty
  std::vector<config_error> errors;

  bool ok() const noexcept { return value.has_value(); }
  // All errors, one per line, for a fatal start-up message.
  std::string error_text() const;
};

// Reads the file; an unreadable or missing file is an error naming the path.
load_result load_settings(const std::filesystem::path& toml_path, const environment_view& env);

// Same rules on TOML text already in memory; `source_name` is used in error locations.
load_result load_settings_from_string(std::string_view toml, const environment_view& env,
                                      std::string_view source_name = "<string>");

// $KEMAS_CONFIG when set and non-empty, else "conf/kemas.toml" (relative to the working
// directory). A CLI flag, when a program has one, takes precedence; callers decide.
std::filesystem::path default_config_path(const environment_view& env);
std::filesystem::path default_config_path();  // reads the process environment

// The effective settings as one line of key=value pairs for the start-up log; secrets are
// printed as "<redacted>" when set and "<unset>" when empty, URL passwords are masked.
std::string describe(const settings& s);

}  // namespace kemas::config
