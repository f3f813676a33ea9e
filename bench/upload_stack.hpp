#pragma once
// upload_stack: the production processes for kemas_upload_bench, run as children of the
// bench — the built kemas-worker (--role commands) and kemas-api binaries, unchanged, with
// conf/kemas.toml — against a scratch PostgreSQL database migrated for the run, a RabbitMQ
// vhost of the run's own (so no other worker takes these commands) and the shared Redis
// and S3 of scripts/services.sh. Users are registered through the api, moved to the
// `premium` plan (100 GiB quota, 5 GiB max file) in the scratch database, and logged in.
//
// Settings: .run/env, then the bench's defaults (rate limits raised so the limiter never
// answers 429), then every KEMAS_* variable of the bench's own environment (a knob, e.g.
// KEMAS_UPLOAD_PART_SIZE=16MiB, reaches both children), then what isolates the run (database
// url, vhost, loopback address and port), which the environment cannot change.
//
// Header-only because bench/CMakeLists.txt builds one executable per *_bench.cpp.
// Threading: one thread builds and destroys the stack; port(), api_pid() and the pool may
// be used from any thread. Failures throw std::runtime_error; the destructor stops both
// children (SIGTERM, then SIGKILL after 15 s) and drops the database and the vhost.

#include <soci/soci.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/postgres/pool.hpp"
#include "domain/non_copyable.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/child_process.hpp"
#include "test/support/eventually.hpp"
#include "test/support/http_client.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/relay_fixture.hpp"  // scratch_vhost

extern char** environ;

namespace kemas::bench {

using env_list = std::vector<std::pair<std::string, std::string>>;

struct bench_user {
  std::string id;
  std::string email;
  std::string authorization;  // "Authorization: Bearer ...\r\n"
};

// KEMAS_* of this process, without the keys that isolate the run.
inline env_list knobs_from_environment() {
  static const char* const isolating[] = {"KEMAS_POSTGRES_URL", "KEMAS_AMQP_VHOST",
                                          "KEMAS_HTTP_HOST", "KEMAS_HTTP_PORT"};
  env_list out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const auto eq = text.find('=');
    if (eq == std::string::npos || text.rfind("KEMAS_", 0) != 0)
      continue;
    const std::string key = text.substr(0, eq);
    bool skip = false;
    for (const char* k : isolating)
      skip = skip || key == k;
    if (!skip)
      out.emplace_back(key, text.substr(eq + 1));
  }
  return out;
}

// VmRSS / VmHWM of a process in KiB (0 when the line or the process is gone).
inline std::uint64_t proc_status_kib(pid_t pid, const std::string& field) {
  std::FILE* file = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (file == nullptr)
    return 0;
  char line[256];
  std::uint64_t value = 0;
  while (std::fgets(line, sizeof line, file) != nullptr) {
    if (std::string_view(line).starts_with(field + ":")) {
      value = std::strtoull(line + field.size() + 1, nullptr, 10);
      break;
    }
  }
  std::fclose(file);
  return value;
}

class upload_stack : kemas::non_copyable {
 public:
  upload_stack()
      : db_("bench_upload"),
        vhost_("bench-upload"),
        pool_(db_.settings(), "kemas-upload-bench"),
        port_(test::free_loopback_port()) {
    env_list defaults{{"KEMAS_RATELIMIT_GENERAL_LIMIT", "1000000"},
                      {"KEMAS_RATELIMIT_AUTH_LIMIT", "1000000"},
                      {"KEMAS_RATELIMIT_APIKEY_LIMIT", "100000000"},
                      {"KEMAS_WORKER_DRAIN_TIMEOUT", "5s"}};
    for (auto& knob : knobs_from_environment())
      defaults.push_back(std::move(knob));
    // The worker declares the vhost's topology when it connects: start it first.
    worker_ = start("workers/kemas-worker", {"--role", "commands"}, defaults, worker_log());
    const bool connected = test::eventually(
        [&] {
          return !worker_->running() ||
                 worker_->stderr_text().find("\"msg\":\"amqp consumer connected\"") !=
                     std::string::npos;
        },
        std::chrono::seconds(30), std::chrono::milliseconds(50));
    if (!connected || !worker_->running())
      throw std::runtime_error("kemas-worker did not connect:\n" + worker_->stderr_text());
    api_ = start("app/kemas-api", {}, defaults, api_log());
    const bool ready = test::eventually(
        [&] {
          if (!api_->running())
            return true;  // reported below
          try {
            return test::http_request(port_, "GET", "/readyz").status == 200;
          } catch (const std::exception&) {
            return false;  // not listening yet
          }
        },
        std::chrono::seconds(30), std::chrono::milliseconds(100));
    if (!ready || !api_->running())
      throw std::runtime_error("kemas-api not ready on port " + std::to_string(port_) + ":\n" +
                               api_->stderr_text());
  }

  ~upload_stack() {
    for (auto* child : {&api_, &worker_}) {
      if (*child && (*child)->running()) {
        (*child)->signal(SIGTERM);
        (*child)->wait_for(std::chrono::seconds(15));
      }
      child->reset();  // SIGKILLs one still running
    }
  }

  std::uint16_t port() const noexcept { return port_; }
  pid_t api_pid() const noexcept { return api_->pid(); }
  pid_t worker_pid() const noexcept { return worker_->pid(); }
  const std::string& database() const noexcept { return db_.name(); }
  const std::string& vhost() const noexcept { return vhost_.name(); }
  config::amqp_settings amqp_settings() const { return vhost_.amqp_settings(); }
  // The children's stderr: their JSON logs, one line per event.
  static std::string api_log() {
    return std::string(KEMAS_BINARY_DIR) + "/bench/upload_bench.api.log";
  }
  static std::string worker_log() {
    return std::string(KEMAS_BINARY_DIR) + "/bench/upload_bench.worker.log";
  }

  template <class F>
  auto sql(F fn) {
    return pool_.with_session(std::move(fn));
  }

  // Registers `tag`@bench.example through the api, moves it to the premium plan, logs in.
  bench_user premium_user(const std::string& tag) {
    static constexpr const char* password = "correct horse battery 1";
    bench_user user;
    user.email = tag + "@bench.example";
    const std::string json = "Content-Type: application/json\r\n";
    auto registered = test::http_request(port_, "POST", "/api/v1/user/register",
                                         R"({"email":")" + user.email + R"(","username":")" + tag +
                                             R"(","password":")" + password + R"("})",
                                         json);
    if (registered.status != 201)
      throw std::runtime_error("register " + tag + ": " + std::to_string(registered.status) + " " +
                               registered.body);
    user.id = sql([&](soci::session& s) {
      std::string id;
      s << "UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'premium') "
           "WHERE email = :email RETURNING id::text",
          soci::use(user.email), soci::into(id);
      return id;
    });
    auto login = test::http_request(
        port_, "POST", "/api/v1/user/login",
        R"({"email":")" + user.email + R"(","password":")" + password + R"("})", json);
    if (login.status != 200)
      throw std::runtime_error("login " + tag + ": " + std::to_string(login.status) + " " +
                               login.body);
    const auto token = boost::json::parse(login.body).as_object().at("access_token").as_string();
    user.authorization = "Authorization: Bearer " + std::string(token) + "\r\n";
    return user;
  }

  // Committed files and their bytes in the scratch database.
  std::pair<long long, long long> committed_files() {
    return sql([](soci::session& s) {
      long long count = 0;
      long long bytes = 0;
      s << "SELECT count(*), COALESCE(sum(size_bytes), 0)::bigint FROM files WHERE state = "
           "'active'",
          soci::into(count), soci::into(bytes);
      return std::pair{count, bytes};
    });
  }

 private:
  // `binary` (relative to the build directory) with conf/kemas.toml, .run/env, `settings`,
  // and the run's database, vhost and address last.
  std::unique_ptr<test::child_process> start(const std::string& binary,
                                             std::vector<std::string> args,
                                             const env_list& settings, std::string log) {
    test::child_process::options o;
    o.program = std::string(KEMAS_BINARY_DIR) + "/" + binary;
    o.args = std::move(args);
    o.args.emplace_back("--config");
    o.args.push_back(std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml");
    o.env = test::run_env_file();
    o.env.insert(o.env.end(), settings.begin(), settings.end());
    o.env.emplace_back("KEMAS_POSTGRES_URL", db_.settings().url);
    o.env.emplace_back("KEMAS_AMQP_VHOST", vhost_.name());
    o.env.emplace_back("KEMAS_HTTP_HOST", "127.0.0.1");
    o.env.emplace_back("KEMAS_HTTP_PORT", std::to_string(port_));
    o.stderr_path = std::move(log);
    return std::make_unique<test::child_process>(std::move(o));
  }

  test::migrated_database db_;
  test::scratch_vhost vhost_;
  postgres::pg_pool pool_;
  std::uint16_t port_;
  std::unique_ptr<test::child_process> worker_;
  std::unique_ptr<test::child_process> api_;
};

}  // namespace kemas::bench
