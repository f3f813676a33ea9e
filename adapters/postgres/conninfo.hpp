#pragma once
// Turns postgres_settings into a libpq connection string.
//
// settings.url may be a libpq URI (postgresql://user@host:port/db?opt=v) or a keyword/value
// string (host=... dbname=...); both are parsed by libpq itself (PQconninfoParse), then
// re-emitted as a keyword/value string with the password (a secret that lives outside the
// URL) and connect_timeout added. The values are escaped so that they survive SOCI 4.0's
// postgresql factory, which re-tokenises the string before PQconnectdb sees it (see the .cpp).
// The result is what pg_pool hands to soci::session::open(soci::postgresql, ...).

#include "adapters/config/settings.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kemas::postgres {

// Throws std::invalid_argument naming the problem when settings.url does not parse.
// application_name is used only when the URL does not set one (it shows up in
// pg_stat_activity, which is how operators tell kemas-api from kemas-worker).
std::string build_conninfo(const config::postgres_settings& settings,
                           std::string_view application_name = "kemas");

// Same, but connects to `dbname` instead of the URL's database (tests, create-database).
std::string build_conninfo_for_database(const config::postgres_settings& settings,
                                        std::string_view dbname,
                                        std::string_view application_name = "kemas");

// The same options as keyword/value pairs, unescaped: for PQconnectdbParams, where no
// string goes through SOCI (settle_listener's own connection).
std::vector<std::pair<std::string, std::string>> connection_parameters(
    const config::postgres_settings& settings, std::string_view application_name = "kemas");

// "user@host:port/dbname" for log lines and error messages; never contains the password.
// Returns "<invalid postgres url>" rather than throwing.
std::string describe_target(const config::postgres_settings& settings);

}  // namespace kemas::postgres
