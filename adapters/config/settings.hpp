#pragma once
// kemas settings: one struct per section of conf/kemas.toml. Every field has the default
// that conf/kemas.toml documents; load_settings() (loader.hpp) fills them from the file and
// the environment and validates them. Secrets are never read from the file.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kemas::config {

using std::chrono::milliseconds;

enum class environment { development, production };

struct http_settings {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8081;
  unsigned io_threads = 2;
  unsigned max_connections = 1024;
  std::size_t header_limit = 16 * 1024;          // bytes of request line + headers
  std::size_t body_limit = 1024 * 1024;          // non-upload bodies (JSON)
  milliseconds header_timeout{10'000};           // to receive the complete header
  milliseconds idle_timeout{60'000};             // keep-alive idle between requests
  milliseconds request_timeout{300'000};         // whole request incl. body, non-upload
  milliseconds upload_timeout{3'600'000};        // whole upload request incl. its body
  milliseconds shutdown_grace{10'000};           // in-flight requests get this long on SIGTERM
  milliseconds readiness_timeout{2'000};         // each /readyz backend probe
  std::vector<std::string> trusted_proxies;      // peers allowed to set X-Forwarded-For
};

struct postgres_settings {
  std::string url = "postgresql://kemas@127.0.0.1:24432/kemas";
  std::string password;                          // secret: KEMAS_POSTGRES_PASSWORD
  unsigned pool_size = 4;
  // kemas-api's connections that pipeline its hottest statements (the file list, an upload's
  // reads and its pending row) from the I/O loops (adapters/postgres/pipeline.hpp); 0 sends
  // them through the pool instead.
  unsigned read_connections = 2;
  milliseconds connect_timeout{5'000};
  milliseconds statement_timeout{10'000};
};

struct redis_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 24379;
  std::string password;                          // secret: KEMAS_REDIS_PASSWORD (optional)
  unsigned database = 0;
  milliseconds timeout{2'000};
};

struct amqp_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 24672;
  // Further nodes of a RabbitMQ cluster as "host:port", tried in order when host:port cannot
  // be reached (a client of a dead node reconnects to a live one).
  std::vector<std::string> more_brokers;
  std::string vhost = "/";
  std::string user = "kemas";
  std::string password;                          // secret: KEMAS_AMQP_PASSWORD
  unsigned prefetch = 128;
  unsigned delivery_limit = 5;                   // quorum x-delivery-limit before dead-lettering
  std::uint16_t heartbeat_seconds = 30;
  milliseconds confirm_timeout{5'000};
  milliseconds reconnect_min{200};
  milliseconds reconnect_max{1'000};  // how soon publishing recovers after the broker's return
  std::string management_url = "http://127.0.0.1:24673";  // for operators and tests
};

struct s3_settings {
  std::string endpoint = "127.0.0.1:24900";      // host:port, path-style
  bool use_ssl = false;
  std::string region = "us-east-1";
  std::string bucket = "kemas";
  std::string access_key = "S3RVER";             // key id (not secret)
  std::string secret_key;                        // secret: KEMAS_S3_SECRET_KEY
  unsigned threads = 4;                          // blocking calls (PUTs, parts, deletes, probes)
  milliseconds connect_timeout{3'000};
  milliseconds timeout{300'000};                 // one whole transfer
};

struct auth_settings {
  std::string jwt_secret;                        // secret: KEMAS_AUTH_JWT_SECRET / JWT_ACCESS_SECRET
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{7 * 24 * 3600};
  milliseconds session_max_lifetime{30LL * 24 * 3600 * 1000};  // from login, refreshes or not
  unsigned sessions_per_user = 20;               // a login beyond it ends the least recently used
  // Argon2id cost (OWASP 2023 minimum: m=19 MiB, t=2, p=1).
  unsigned argon2_memory_kib = 19 * 1024;
  unsigned argon2_iterations = 2;
  unsigned argon2_parallelism = 1;
  unsigned hash_threads = 2;                     // threads hashing passwords, off the I/O threads
  unsigned hash_nice = 0;                        // their niceness (0 = normal priority)
  // Brute force (domain/ports/login_guard.hpp): this many failed logins for one account from
  // one source (address; IPv6 /64) within the window lock that source out of the account...
  unsigned login_failure_limit = 5;
  milliseconds login_failure_window{15 * 60'000};
  milliseconds lockout_duration{15 * 60'000};
  // ...and this many from all sources within this window close the account to every source
  // it has not logged in from before, until the window ends.
  unsigned account_failure_limit = 100;
  milliseconds account_failure_window{60 * 60'000};
  unsigned hash_queue = 64;                      // hashes waiting for a thread; beyond: 503
  milliseconds password_reset_ttl{30 * 60'000};
  unsigned api_key_max_days = 365;               // longest expires_in_days for an API key
  bool cookie_mode = true;                       // browsers may ask for HttpOnly cookies at login
  bool password_change_revokes_keys = true;      // a password change also revokes API keys
};

// Sliding-window request limits per class (DESIGN.md "Redis").
struct ratelimit_settings {
  unsigned auth_limit = 20;                      // register, login, refresh, reset: per client IP
  milliseconds auth_window{60'000};
  unsigned general_limit = 100;                  // authenticated requests: per user
  milliseconds general_window{60'000};
  unsigned apikey_limit = 1000;                  // requests with an API key: per key
  milliseconds apikey_window{3'600'000};
  unsigned apikey_failure_limit = 30;            // unknown or wrong API keys: per client IP
  milliseconds apikey_failure_window{60'000};
};

// Share links (issue 17): how long a link may live, and the limits of the public route
// GET /s/{token}, counted in Redis like the request classes above.
struct share_settings {
  milliseconds default_duration{7LL * 24 * 3'600'000};  // when a link is created without one
  milliseconds max_duration{365LL * 24 * 3'600'000};    // the longest a link may live
  unsigned ip_limit = 120;                       // public share requests: per client IP
  milliseconds ip_window{60'000};
  unsigned link_limit = 600;                     // requests for one link, from everywhere
  milliseconds link_window{60'000};
  unsigned password_failure_limit = 10;          // wrong passwords for one link; then 429
  milliseconds password_failure_window{15 * 60'000};
};

struct cors_settings {
  std::vector<std::string> allowed_origins;      // exact origins; CORS_URL is accepted
};

struct upload_settings {
  std::size_t inline_max = 256 * 1024;
  // A body of known length up to this size goes to S3 as one PUT streamed while it arrives;
  // a larger one, or one of unknown length, as a multipart upload. 0: always multipart.
  std::uint64_t single_put_max = 5ULL * 1024 * 1024 * 1024;
  // Bytes a streamed PUT holds between the client and S3 (the client waits when it is full).
  std::size_t put_buffer = 8 * 1024 * 1024;
  std::size_t part_size = 8 * 1024 * 1024;
  // Multipart parts sent at once; memory is about (parts_in_flight + 1) x part_size.
  unsigned parts_in_flight = 2;
  milliseconds wait{10'000};
  // Uploads one account may have running at once (per api process); beyond: 429.
  unsigned max_per_user = 4;
  // Buffer memory all running uploads may hold together (per api process), each counted at
  // its most (put_buffer, or (parts_in_flight + 1) x part_size); beyond: 503 + Retry-After.
  std::uint64_t buffer_budget = 256ULL * 1024 * 1024;
  // An upload still pending this long after it began is abandoned: the object cleaner
  // rejects it and removes whatever it stored. Longer than http.upload_timeout plus the
  // longest a command may wait in its queue.
  milliseconds abandon_after{7'200'000};
  // tus uploads (app/routes/tus.cpp). One not finished this long after its creation expires
  // (Upload-Expires): its parts are aborted and its quota reservation released.
  milliseconds tus_expiry{86'400'000};
  // A PATCH holds its upload's lease (Redis) while bytes arrive, renewing it as they do; a
  // PATCH whose client stalls loses it this long after the last renewal, and the next PATCH
  // (on any api instance) takes over. Fencing makes the stalled one's late writes harmless.
  milliseconds tus_lease{15'000};
  // Unfinished tus uploads one account may hold at once (each may reserve quota); beyond: 429.
  unsigned tus_max_open = 20;
};

struct worker_settings {
  milliseconds drain_timeout{30'000};
  unsigned handler_threads = 4;
  // Group commit: up to this many waiting commands of one type that supports it (upload,
  // expire) are applied in one transaction, and up to this many waiting events are stored in
  // one by the audit role; 1 turns grouping off.
  unsigned group_size = 64;
  // An expire-sweep walks the due accounts in pages of this many and applies each page as one
  // transaction (workers/handlers/sweep_handler.hpp): row locks held for one page at a time.
  unsigned sweep_page = 500;
  // A handler's `retry` goes through the delay queues with a growing delay (1s, 5s, 30s, 2m,
  // 10m, 1h, capped at retry_max_delay); after retry_attempts runs it is dead-lettered.
  unsigned retry_attempts = 8;
  milliseconds retry_max_delay{600'000};
  // The object cleaner (commands role, workers/object_cleaner.hpp): objects due for removal
  // are taken this many at a time; a failed removal is tried again after cleanup_retry,
  // doubling per attempt up to an hour; with nothing due it looks again after cleanup_idle.
  unsigned cleanup_batch = 500;
  milliseconds cleanup_retry{10'000};
  milliseconds cleanup_idle{5'000};
  // The reconciler role (workers/reconciler_role.hpp): how often it compares the bucket with
  // the files table, how old an unaccounted object must be to count as an orphan, and how
  // long an orphan stays quarantined (its removal scheduled) before the cleaner deletes it.
  milliseconds reconcile_interval{3'600'000};
  milliseconds reconcile_grace{86'400'000};
  milliseconds reconcile_quarantine{86'400'000};
  std::string metrics_host = "0.0.0.0";          // GET /metrics listener of every role
  std::uint16_t metrics_port = 0;                // 0 = no metrics listener
};

struct log_settings {
  std::string level = "info";                    // trace debug info warn error critical off
  std::string format = "json";                   // json | text
  // Lines waiting for the log thread. When it is full the oldest waiting line is dropped
  // (and counted), so logging never blocks a request.
  unsigned queue_lines = 8192;
  // A line a retry loop repeats while a backend is down is written once per this period,
  // with how many were held back (log::repeat_gate).
  milliseconds repeat_every{30'000};
};

// Overrides of the built-in plans' numbers (step 4), written to the plans table by
// `kemas-admin migrate` only where they differ. Unset (nullopt, or "" for the currency)
// keeps what the database holds: the seed of 0001_initial.sql or an admin's change.
struct plans_settings {
  std::optional<std::uint64_t> free_quota;            // bytes
  std::optional<std::uint64_t> free_max_file_size;    // bytes
  std::optional<std::uint64_t> premium_quota;         // bytes
  std::optional<std::uint64_t> premium_max_file_size; // bytes
  std::optional<std::int64_t> premium_price_cents;
  std::string premium_currency;                       // ISO 4217 ("USD"); "" = keep
  std::optional<std::chrono::seconds> premium_duration;  // down to seconds for demos ("2m")
};

struct billing_settings {
  // Payment provider; "demo" confirms at once. Empty: "demo" in development, an error in
  // production (where the demo must be named to be used).
  std::string provider;
};

// Expiry of paid plans (step 4): the scheduler role's safety-net sweep.
struct expiry_settings {
  // `kemas-worker --role scheduler` publishes one expire-sweep per interval (however many
  // schedulers run: each interval is claimed once in sweep_slots).
  milliseconds sweep_interval{60'000};
};

struct internal_settings {
  std::string token;                             // secret: KEMAS_INTERNAL_TOKEN
};

// The mailer role (workers/mailer.hpp): SMTP through libcurl, templates from conf/mail/.
struct mail_settings {
  // smtp://host[:port] (STARTTLS when the server offers it) or smtps://host[:port] (TLS from
  // the start). The seed's SMTP_HOST / SMTP_PORT build an smtp:// URL when this is unset.
  std::string smtp_url = "smtp://127.0.0.1:25";
  std::string smtp_user;                         // SMTP_USERNAME is accepted too
  std::string smtp_password;                     // secret: KEMAS_MAIL_SMTP_PASSWORD / SMTP_PASSWORD
  bool smtp_require_tls = false;                 // refuse to send over a plain connection
  std::string from = "no-reply@kemas.localhost";  // or "kemas <no-reply@example.com>"
  std::string public_base_url = "http://127.0.0.1:8081";  // links in messages start with it
  // Seals the password-reset token inside its event, so only the mailer can read it.
  std::string token_key;                         // secret: KEMAS_MAIL_TOKEN_KEY
  unsigned attempts = 8;                         // sends per message before it is dead-lettered
  unsigned threads = 2;                          // concurrent SMTP sessions
  milliseconds timeout{30'000};                  // one SMTP session, connect to QUIT
  milliseconds expiry_notice{72 * 3'600'000};    // "your plan ends soon" this long before the end
  std::string templates_dir;                     // "" = the templates built into kemas-worker
};

struct settings {
  environment env = environment::production;
  http_settings http;
  postgres_settings postgres;
  redis_settings redis;
  amqp_settings amqp;
  s3_settings s3;
  auth_settings auth;
  ratelimit_settings ratelimit;
  share_settings share;
  cors_settings cors;
  upload_settings upload;
  worker_settings worker;
  log_settings log;
  internal_settings internal;
  plans_settings plans;
  billing_settings billing;
  expiry_settings expiry;
  mail_settings mail;
};

}  // namespace kemas::config
