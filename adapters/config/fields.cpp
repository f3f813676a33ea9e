#include "adapters/config/fields.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "adapters/config/kinds.hpp"
#include "adapters/config/text.hpp"

namespace kemas::config::detail {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// --- checks of individual strings ---------------------------------------------------------

bool has_space(std::string_view text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)))
      return true;
  }
  return false;
}

std::string check_host(std::string& value) {
  if (has_space(value) || value.find('/') != std::string::npos)
    return "expected a host name or IP address, got \"" + value + "\"";
  return {};
}

std::string check_postgres_url(std::string& value) {
  // Never echo the value: it may carry a password.
  if (!value.starts_with("postgresql://") && !value.starts_with("postgres://"))
    return "expected a postgresql:// URL (postgresql://user@host:port/database)";
  if (has_space(value))
    return "must not contain spaces";
  return {};
}

std::string check_http_url(std::string& value) {
  if (!value.starts_with("http://") && !value.starts_with("https://"))
    return "expected an http:// or https:// URL, got \"" + redact_url(value) + "\"";
  if (has_space(value))
    return "must not contain spaces";
  return {};
}

std::string check_endpoint(std::string& value) {
  if (value.find("://") != std::string::npos || value.find('/') != std::string::npos ||
      has_space(value))
    return "expected host or host:port without scheme or path (set s3.use_ssl for https), got \"" +
           value + "\"";
  return {};
}

std::string check_bucket(std::string& value) {
  // S3 bucket naming rules, the part a typo can break.
  bool valid = value.size() >= 3 && value.size() <= 63;
  for (char c : value) {
    valid = valid && (std::islower(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  }
  valid = valid && std::isalnum(static_cast<unsigned char>(value.front())) &&
          std::isalnum(static_cast<unsigned char>(value.back()));
  if (!valid)
    return "expected an S3 bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter "
           "or digit), got \"" +
           value + "\"";
  return {};
}

std::string check_smtp_url(std::string& value) {
  // Never echo the value: it may carry a password.
  if (!value.starts_with("smtp://") && !value.starts_with("smtps://"))
    return "expected an smtp:// or smtps:// URL (smtp://host:port)";
  if (has_space(value))
    return "must not contain spaces";
  return {};
}

std::string check_mail_from(std::string& value) {
  // "Name <address>" or a bare address; CR/LF would let a value inject mail headers.
  if (value.find_first_of("\r\n") != std::string::npos || value.find('@') == std::string::npos)
    return "expected an address like \"kemas <no-reply@example.com>\", got \"" + value + "\"";
  return {};
}

std::string check_no_space(std::string& value) {
  if (has_space(value))
    return "must not contain spaces";
  return {};
}

std::string check_origin(std::string& value) {
  // Browsers send Origin without a trailing slash; a copied URL often has one.
  if (value == "*")
    return {};
  if (value.size() > 1 && value.back() == '/')
    value.pop_back();
  auto scheme_end = value.find("://");
  bool valid = (value.starts_with("http://") || value.starts_with("https://")) &&
               value.size() > scheme_end + 3 &&
               value.find_first_of("/?#", scheme_end + 3) == std::string::npos && !has_space(value);
  if (!valid)
    return "expected an origin like https://app.example.com[:port] or *, got \"" + value + "\"";
  return {};
}

std::string check_host_port(std::string& value) {
  const auto colon = value.rfind(':');
  const std::string port = colon == std::string::npos ? "" : value.substr(colon + 1);
  const bool valid = colon != std::string::npos && colon > 0 && !port.empty() &&
                     port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                     std::stoi(port) >= 1 && std::stoi(port) <= 65535 && !has_space(value);
  if (!valid)
    return "expected host:port, got \"" + value + "\"";
  return {};
}

std::string check_address_or_network(std::string& value) {
  // An IPv4/IPv6 address, optionally with a /prefix (CIDR).
  auto slash = value.find('/');
  std::string address = value.substr(0, slash);
  unsigned char buffer[16];
  int max_prefix = 0;
  if (inet_pton(AF_INET, address.c_str(), buffer) == 1)
    max_prefix = 32;
  if (inet_pton(AF_INET6, address.c_str(), buffer) == 1)
    max_prefix = 128;
  bool valid = max_prefix != 0;
  if (valid && slash != std::string::npos) {
    auto prefix = value.substr(slash + 1);
    valid = !prefix.empty() && prefix.size() <= 3 &&
            prefix.find_first_not_of("0123456789") == std::string::npos &&
            std::stoi(prefix) <= max_prefix;
  }
  if (!valid)
    return "expected an IP address or network (10.0.0.0/8), got \"" + value + "\"";
  return {};
}

std::string check_currency(std::string& value) {
  for (auto& c : value)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const bool valid =
      value.size() == 3 &&
      std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isupper(c) != 0; });
  if (!valid)
    return "expected a three-letter ISO 4217 code such as USD, got \"" + value + "\"";
  return {};
}

// A setting that may be left unset ([plans] overrides): "" in the file or the environment
// means "not set"; anything else is parsed by `inner`.
template <class Kind>
struct optional_kind {
  using value_type = typename decltype(std::declval<const Kind&>().from_text("").value)::value_type;
  using result_type = parsed<std::optional<value_type>>;
  Kind inner;

  static result_type unset() {
    result_type r;
    r.value.emplace(std::nullopt);
    return r;
  }
  static result_type lift(parsed<value_type> p) {
    result_type r;
    if (p.value)
      r.value.emplace(std::move(*p.value));
    else
      r.error = std::move(p.error);
    return r;
  }
  result_type from_toml(const toml::node& node) const {
    if (const auto* text = node.as_string(); text != nullptr && text->get().empty())
      return unset();
    return lift(inner.from_toml(node));
  }
  result_type from_text(std::string_view text) const {
    if (text.find_first_not_of(" \t") == std::string_view::npos)
      return unset();
    return lift(inner.from_text(text));
  }
  std::string show(const std::optional<value_type>& value) const {
    return value ? inner.show(*value) : std::string("\"\"");
  }
};

// --- binding a kind to a member -----------------------------------------------------------

template <class T, class Target>
std::string store(parsed<T> result, Target& target) {
  if (!result.value)
    return std::move(result.error);
  target = static_cast<Target>(std::move(*result.value));
  return {};
}

// `access` is a generic lambda returning a reference to the member, for const and non-const
// settings alike.
template <class Kind, class Access>
field bind(std::string_view section, std::string_view key, Kind kind, Access access,
           bool secret = false) {
  field f;
  f.section = section;
  f.key = key;
  f.secret = secret;
  f.set_from_toml = [kind, access](settings& s, const toml::node& node) {
    return store(kind.from_toml(node), access(s));
  };
  f.set_from_text = [kind, access](settings& s, std::string_view text) {
    return store(kind.from_text(text), access(s));
  };
  f.show = [kind, access](const settings& s) { return kind.show(access(s)); };
  return f;
}

// The TOML key is the member name, so the file, the variables and the struct cannot drift.
#define KEMAS_FIELD(section, key, kind) \
  bind(                                 \
      #section, #key, kind, [](auto& s) -> auto& { return s.section.key; })
#define KEMAS_SECRET(section, key)                      \
  bind(                                                 \
      #section, #key, string_kind{.allow_empty = true}, \
      [](auto& s) -> auto& { return s.section.key; }, true)

std::vector<field> make_fields() {
  const string_kind text{};
  const string_kind host{.check = check_host};
  const integer_kind port{1, 65535};
  const auto count = [](std::int64_t min, std::int64_t max) { return integer_kind{min, max}; };
  const auto duration = [](milliseconds min, milliseconds max) { return duration_kind{min, max}; };
  constexpr std::uint64_t kib = 1024;
  constexpr std::uint64_t mib = 1024 * kib;
  constexpr std::uint64_t gib = 1024 * mib;

  std::vector<field> fields;
  fields.push_back(bind(
      "", "env", environment_kind{}, [](auto& s) -> auto& { return s.env; }));

  fields.push_back(KEMAS_FIELD(http, host, host));
  fields.push_back(KEMAS_FIELD(http, port, port));
  fields.push_back(KEMAS_FIELD(http, io_threads, count(1, 256)));
  fields.push_back(KEMAS_FIELD(http, max_connections, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(http, header_limit, (size_kind{1 * kib, 1 * mib})));
  fields.push_back(KEMAS_FIELD(http, body_limit, (size_kind{1 * kib, 1 * gib})));
  fields.push_back(KEMAS_FIELD(http, header_timeout, duration(1ms, 1h)));
  fields.push_back(KEMAS_FIELD(http, idle_timeout, duration(1ms, 24h)));
  fields.push_back(KEMAS_FIELD(http, request_timeout, duration(1ms, 24h)));
  fields.push_back(KEMAS_FIELD(http, upload_timeout, duration(1ms, 24h)));
  fields.push_back(KEMAS_FIELD(http, shutdown_grace, duration(0ms, 1h)));
  fields.push_back(KEMAS_FIELD(http, readiness_timeout, duration(1ms, 1min)));
  fields.push_back(KEMAS_FIELD(http, trusted_proxies, list_kind{check_address_or_network}));

  fields.push_back(KEMAS_FIELD(postgres, url, (string_kind{.check = check_postgres_url})));
  fields.push_back(KEMAS_SECRET(postgres, password));
  fields.push_back(KEMAS_FIELD(postgres, pool_size, count(1, 1024)));
  fields.push_back(KEMAS_FIELD(postgres, read_connections, count(0, 64)));  // 0 = through the pool
  fields.push_back(KEMAS_FIELD(postgres, connect_timeout, duration(1ms, 10min)));
  fields.push_back(KEMAS_FIELD(postgres, statement_timeout, duration(0ms, 24h)));  // 0 = none

  fields.push_back(KEMAS_FIELD(redis, host, host));
  fields.push_back(KEMAS_FIELD(redis, port, port));
  fields.push_back(KEMAS_SECRET(redis, password));
  fields.push_back(KEMAS_FIELD(redis, database, count(0, 65535)));
  fields.push_back(KEMAS_FIELD(redis, timeout, duration(1ms, 10min)));

  fields.push_back(KEMAS_FIELD(amqp, host, host));
  fields.push_back(KEMAS_FIELD(amqp, port, port));
  fields.push_back(KEMAS_FIELD(amqp, more_brokers, list_kind{check_host_port}));
  fields.push_back(KEMAS_FIELD(amqp, vhost, text));
  fields.push_back(KEMAS_FIELD(amqp, user, text));
  fields.push_back(KEMAS_SECRET(amqp, password));
  fields.push_back(KEMAS_FIELD(amqp, prefetch, count(1, 65535)));  // AMQP prefetch-count is 16-bit
  fields.push_back(KEMAS_FIELD(amqp, delivery_limit, count(1, 1000)));
  fields.push_back(KEMAS_FIELD(amqp, heartbeat_seconds, count(0, 65535)));  // 0 = off
  fields.push_back(KEMAS_FIELD(amqp, confirm_timeout, duration(1ms, 10min)));
  fields.push_back(KEMAS_FIELD(amqp, reconnect_min, duration(1ms, 10min)));
  fields.push_back(KEMAS_FIELD(amqp, reconnect_max, duration(1ms, 1h)));
  fields.push_back(KEMAS_FIELD(amqp, management_url, (string_kind{.check = check_http_url})));

  fields.push_back(KEMAS_FIELD(s3, endpoint, (string_kind{.check = check_endpoint})));
  fields.push_back(KEMAS_FIELD(s3, use_ssl, bool_kind{}));
  fields.push_back(KEMAS_FIELD(s3, region, (string_kind{.check = check_no_space})));
  fields.push_back(KEMAS_FIELD(s3, bucket, (string_kind{.check = check_bucket})));
  fields.push_back(KEMAS_FIELD(s3, access_key, (string_kind{.check = check_no_space})));
  fields.push_back(KEMAS_SECRET(s3, secret_key));
  fields.push_back(KEMAS_FIELD(s3, threads, count(1, 256)));
  fields.push_back(KEMAS_FIELD(s3, connect_timeout, duration(1ms, 10min)));
  fields.push_back(KEMAS_FIELD(s3, timeout, duration(1ms, 24h)));

  fields.push_back(KEMAS_SECRET(auth, jwt_secret));
  fields.push_back(KEMAS_FIELD(auth, access_ttl, (seconds_kind{1s, 24h})));
  fields.push_back(KEMAS_FIELD(auth, refresh_ttl, (seconds_kind{1s, 24h * 365})));
  fields.push_back(KEMAS_FIELD(auth, session_max_lifetime, duration(1min, 24h * 3650)));
  fields.push_back(KEMAS_FIELD(auth, sessions_per_user, count(1, 1000)));
  fields.push_back(KEMAS_FIELD(auth, argon2_memory_kib, count(8, 4 * 1024 * 1024)));
  fields.push_back(KEMAS_FIELD(auth, argon2_iterations, count(1, 100)));
  fields.push_back(KEMAS_FIELD(auth, argon2_parallelism, count(1, 64)));
  fields.push_back(KEMAS_FIELD(auth, hash_threads, count(1, 256)));
  fields.push_back(KEMAS_FIELD(auth, hash_nice, count(0, 19)));
  fields.push_back(KEMAS_FIELD(auth, hash_queue, count(1, 100'000)));
  fields.push_back(KEMAS_FIELD(auth, login_failure_limit, count(1, 1000)));
  fields.push_back(KEMAS_FIELD(auth, login_failure_window, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(auth, lockout_duration, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(auth, account_failure_limit, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(auth, account_failure_window, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(auth, password_reset_ttl, duration(1min, 24h)));
  fields.push_back(KEMAS_FIELD(auth, api_key_max_days, count(1, 3650)));
  fields.push_back(KEMAS_FIELD(auth, cookie_mode, bool_kind{}));
  fields.push_back(KEMAS_FIELD(auth, password_change_revokes_keys, bool_kind{}));

  fields.push_back(KEMAS_FIELD(ratelimit, auth_limit, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(ratelimit, auth_window, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(ratelimit, general_limit, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(ratelimit, general_window, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(ratelimit, apikey_limit, count(1, 100'000'000)));
  fields.push_back(KEMAS_FIELD(ratelimit, apikey_window, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(ratelimit, apikey_failure_limit, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(ratelimit, apikey_failure_window, duration(1s, 24h)));

  fields.push_back(KEMAS_FIELD(share, default_duration, duration(1s, 24h * 3650)));
  fields.push_back(KEMAS_FIELD(share, max_duration, duration(1s, 24h * 3650)));
  fields.push_back(KEMAS_FIELD(share, ip_limit, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(share, ip_window, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(share, link_limit, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(share, link_window, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(share, password_failure_limit, count(1, 1'000'000)));
  fields.push_back(KEMAS_FIELD(share, password_failure_window, duration(1s, 24h)));

  fields.push_back(KEMAS_FIELD(cors, allowed_origins, list_kind{check_origin}));

  // inline_max rides inside an AMQP message: keep it far below the broker's message limit.
  fields.push_back(KEMAS_FIELD(upload, inline_max, (size_kind{0, 64 * mib})));
  // S3 multipart limits: every part but the last is 5 MiB to 5 GiB.
  fields.push_back(KEMAS_FIELD(upload, part_size, (size_kind{5 * mib, 5 * gib})));
  fields.push_back(KEMAS_FIELD(upload, parts_in_flight, count(1, 16)));
  // S3 takes one PUT of at most 5 GiB.
  fields.push_back(KEMAS_FIELD(upload, single_put_max, (size_kind{0, 5 * gib})));
  fields.push_back(KEMAS_FIELD(upload, put_buffer, (size_kind{64 * kib, 1 * gib})));
  fields.push_back(KEMAS_FIELD(upload, wait, duration(0ms, 10min)));  // 0 = always 202
  fields.push_back(KEMAS_FIELD(upload, max_per_user, count(1, 10'000)));
  fields.push_back(KEMAS_FIELD(upload, buffer_budget, (size_kind{1 * mib, 1024 * gib})));
  fields.push_back(KEMAS_FIELD(upload, abandon_after, duration(1s, 24h * 30)));
  fields.push_back(KEMAS_FIELD(upload, tus_expiry, duration(1s, 24h * 30)));
  fields.push_back(KEMAS_FIELD(upload, tus_lease, duration(1s, 1h)));
  fields.push_back(KEMAS_FIELD(upload, tus_max_open, count(1, 10'000)));

  fields.push_back(KEMAS_FIELD(worker, drain_timeout, duration(0ms, 1h)));
  fields.push_back(KEMAS_FIELD(worker, handler_threads, count(1, 256)));
  fields.push_back(KEMAS_FIELD(worker, group_size, count(1, 1000)));
  fields.push_back(KEMAS_FIELD(worker, sweep_page, count(1, 10000)));
  fields.push_back(KEMAS_FIELD(worker, retry_attempts, count(1, 1000)));  // 1 = never retry
  fields.push_back(KEMAS_FIELD(worker, retry_max_delay, duration(1s, 24h)));
  fields.push_back(KEMAS_FIELD(worker, cleanup_batch, count(1, 1000)));  // DeleteObjects max
  fields.push_back(KEMAS_FIELD(worker, cleanup_retry, duration(1s, 1h)));
  fields.push_back(KEMAS_FIELD(worker, cleanup_idle, duration(100ms, 10min)));
  fields.push_back(KEMAS_FIELD(worker, reconcile_interval, duration(1s, 24h * 7)));
  fields.push_back(KEMAS_FIELD(worker, reconcile_grace, duration(0ms, 24h * 30)));
  fields.push_back(KEMAS_FIELD(worker, reconcile_quarantine, duration(0ms, 24h * 365)));
  fields.push_back(KEMAS_FIELD(worker, metrics_host, host));
  fields.push_back(KEMAS_FIELD(worker, metrics_port, count(0, 65535)));  // 0 = off

  fields.push_back(
      KEMAS_FIELD(log, level,
                  (choice_kind{{"trace", "debug", "info", "warn", "error", "critical", "off"},
                               {{"warning", "warn"}, {"err", "error"}, {"fatal", "critical"}}})));
  fields.push_back(KEMAS_FIELD(log, format, (choice_kind{{"json", "text"}, {}})));
  fields.push_back(KEMAS_FIELD(log, queue_lines, count(16, 1'048'576)));
  fields.push_back(KEMAS_FIELD(log, repeat_every, duration(1s, 1h)));

  fields.push_back(KEMAS_SECRET(internal, token));

  // Plan overrides: unset ("") keeps the database's value; see settings.hpp plans_settings.
  constexpr std::uint64_t pib = 1024 * 1024 * gib;
  const optional_kind<size_kind> plan_quota{size_kind{0, pib}};
  const optional_kind<size_kind> plan_file_size{size_kind{1, pib}};  // max_file_bytes > 0
  fields.push_back(KEMAS_FIELD(plans, free_quota, plan_quota));
  fields.push_back(KEMAS_FIELD(plans, free_max_file_size, plan_file_size));
  fields.push_back(KEMAS_FIELD(plans, premium_quota, plan_quota));
  fields.push_back(KEMAS_FIELD(plans, premium_max_file_size, plan_file_size));
  fields.push_back(KEMAS_FIELD(plans, premium_price_cents,
                               (optional_kind<integer_kind>{integer_kind{0, 100'000'000'000}})));
  fields.push_back(KEMAS_FIELD(plans, premium_currency,
                               (string_kind{.allow_empty = true, .check = check_currency})));
  fields.push_back(KEMAS_FIELD(plans, premium_duration,
                               (optional_kind<seconds_kind>{seconds_kind{1s, 24h * 3650}})));

  // Payment provider of the worker's `upgrade` handler; "demo" confirms every payment at once.
  // "" (unset) is allowed here; the loader resolves it (demo in development, an error in
  // production).
  fields.push_back(KEMAS_FIELD(billing, provider, (choice_kind{{"demo"}, {{"", ""}}})));

  // Sweep slots are floor(epoch time / interval): at least a second keeps them few.
  fields.push_back(KEMAS_FIELD(expiry, sweep_interval, duration(1s, 24h)));

  fields.push_back(KEMAS_FIELD(mail, smtp_url, (string_kind{.check = check_smtp_url})));
  fields.push_back(KEMAS_FIELD(mail, smtp_user, (string_kind{.allow_empty = true})));
  fields.push_back(KEMAS_SECRET(mail, smtp_password));
  fields.push_back(KEMAS_FIELD(mail, smtp_require_tls, bool_kind{}));
  fields.push_back(KEMAS_FIELD(mail, from, (string_kind{.check = check_mail_from})));
  fields.push_back(KEMAS_FIELD(mail, public_base_url, (string_kind{.check = check_http_url})));
  fields.push_back(KEMAS_SECRET(mail, token_key));
  fields.push_back(KEMAS_FIELD(mail, attempts, count(1, 100)));
  fields.push_back(KEMAS_FIELD(mail, threads, count(1, 64)));
  fields.push_back(KEMAS_FIELD(mail, timeout, duration(1s, 10min)));
  fields.push_back(KEMAS_FIELD(mail, expiry_notice, duration(0ms, 24h * 365)));  // 0 = none
  fields.push_back(KEMAS_FIELD(mail, templates_dir, (string_kind{.allow_empty = true})));
  return fields;
}

#undef KEMAS_FIELD
#undef KEMAS_SECRET

}  // namespace

std::string field::full_key() const {
  if (section.empty())
    return std::string(key);
  return std::string(section) + "." + std::string(key);
}

std::string field::env_name() const {
  if (section.empty())
    return "KEMAS_" + to_upper(key);
  return "KEMAS_" + to_upper(section) + "_" + to_upper(key);
}

const std::vector<field>& all_fields() {
  static const std::vector<field> fields = make_fields();
  return fields;
}

const field* find_field(std::string_view section, std::string_view key) {
  for (const auto& f : all_fields()) {
    if (f.section == section && f.key == key)
      return &f;
  }
  return nullptr;
}

bool is_section(std::string_view name) {
  if (name.empty())
    return false;
  for (const auto& f : all_fields()) {
    if (f.section == name)
      return true;
  }
  return false;
}

std::vector<std::string_view> section_names() {
  std::vector<std::string_view> names;
  for (const auto& f : all_fields()) {
    if (!f.section.empty() && (names.empty() || names.back() != f.section))
      names.push_back(f.section);
  }
  return names;
}

std::vector<std::string_view> keys_of(std::string_view section) {
  std::vector<std::string_view> keys;
  for (const auto& f : all_fields()) {
    if (f.section == section)
      keys.push_back(f.key);
  }
  return keys;
}

}  // namespace kemas::config::detail
