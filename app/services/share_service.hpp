#pragma once
// share_service: share links (issue 17) — the owner's create, list and revoke, and the public
// side of GET /s/{token}: which file a token opens, and counting a download.
//
// Rules:
//  - A token is 32 random bytes (base64url, 43 characters), shown once; only its SHA-256 is
//    stored. The password, when there is one, is stored as Argon2id.
//  - A link lives share.default_duration unless asked otherwise (expires_at, or expires_in
//    seconds), at most share.max_duration. Its cleanup (the `expire-share` command through
//    the delay queues) is published BEFORE the link is stored: when the broker cannot take it
//    the creation fails with 503 and nothing is stored, so no stored link lacks its cleanup.
//  - The plan in force sets how many live links an account may hold (plans.max_share_links).
//  - A link opens its file while it is not revoked, not expired, not used up, its owner is
//    enabled and its file active and not locked (gone, 410, for the first four and a deleted
//    file; file_locked, 403, for a locked one).
//  - Public requests are limited per client IP (share.ip_limit) and per link
//    (share.link_limit); wrong passwords per link (share.password_failure_limit), after which
//    every try is 429 until the window has passed — guessing cannot outrun the limit.
//
// Threading: awaitables on the caller's executor; PostgreSQL, Redis and hashing work run
// where their ports put them. PostgreSQL loss throws backend_unavailable (503).

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.hpp"
#include "app/services/account_service.hpp"
#include "domain/ports/request_gate.hpp"
#include "domain/ports/share_store.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::app {

class command_sender;
class file_service;
class password_hashing;

// POST /shares as sent; every member but file_id is optional.
struct share_request {
  std::string file_id;
  std::optional<std::string> expires_at;         // RFC 3339
  std::optional<std::int64_t> expires_in;        // seconds; not with expires_at
  std::optional<std::string> password;           // 1..256 bytes
  std::optional<std::int64_t> max_downloads;     // 1..1,000,000
  std::string note;                              // 0..500 characters
};

struct created_share {
  model::share_link link;
  std::string token;  // returned to the owner once, never stored
};

class share_service {
 public:
  share_service(const config::share_settings& settings, ports::share_store& shares,
                file_service& files, password_hashing& passwords, ports::request_gate& gate,
                command_sender& commands);

  // validation_failed naming the field; not_found (not the caller's live file); file_locked;
  // forbidden (field "share_links") at the plan's limit; backend_unavailable when the cleanup
  // command or the hashing queue cannot be had.
  boost::asio::awaitable<result<created_share>> create(const principal& who, share_request request,
                                                       request_meta meta);
  boost::asio::awaitable<std::vector<model::share_link>> list(const principal& who);
  boost::asio::awaitable<result<void>> revoke(const principal& who, std::string share_id,
                                              request_meta meta);

  // The link and file `token` opens for this client, after the rate limits and the password
  // (nullopt: none given). not_found, gone, file_locked, unauthenticated (field "password":
  // a password is needed or was wrong), rate_limited (with retry_after_ms).
  boost::asio::awaitable<result<ports::share_access>> open(std::string token,
                                                           std::optional<std::string> password,
                                                           request_meta meta);
  // Counts one download of an opened link (share.downloaded); gone when the link was used up,
  // revoked or expired since it was opened.
  boost::asio::awaitable<result<void>> count_download(const ports::share_access& access,
                                                      request_meta meta);

 private:
  boost::asio::awaitable<result<void>> within_limit(ports::limit_spec spec, const char* what);
  boost::asio::awaitable<result<void>> check_password(const ports::share_access& access,
                                                      std::optional<std::string> password);
  result<timestamp> expiry_of(const share_request& request, timestamp now) const;

  config::share_settings settings_;
  ports::share_store& shares_;
  file_service& files_;
  password_hashing& passwords_;
  ports::request_gate& gate_;
  command_sender& commands_;
};

}  // namespace kemas::app
