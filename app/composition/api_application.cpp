#include "app/composition/api_application.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "adapters/amqp/command_bus.hpp"
#include "adapters/crypto/jwt.hpp"
#include "adapters/metrics/transfer_metrics.hpp"
#include "adapters/postgres/repositories/admin_directory.hpp"
#include "adapters/postgres/repositories/api_key_repository.hpp"
#include "adapters/postgres/repositories/billing_repository.hpp"
#include "adapters/postgres/repositories/plan_repository.hpp"
#include "adapters/postgres/repositories/share_repository.hpp"
#include "adapters/postgres/repositories/tus_repository.hpp"
#include "adapters/postgres/repositories/file_repository.hpp"
#include "adapters/postgres/repositories/upload_repository.hpp"
#include "adapters/postgres/repositories/user_repository.hpp"
#include "adapters/redis/auth/login_guard.hpp"
#include "adapters/redis/auth/request_gate.hpp"
#include "adapters/redis/auth/reset_tokens.hpp"
#include "adapters/redis/auth/session_store.hpp"
#include "adapters/redis/upload_leases.hpp"
#include "adapters/s3/object_streams.hpp"
#include "adapters/s3/part_store.hpp"
#include "adapters/support/blocking_pool.hpp"
#include "app/auth/auth_guard.hpp"
#include "app/composition/api_backends.hpp"
#include "app/composition/usage_flusher.hpp"
#include "app/routes/accounts.hpp"
#include "app/routes/admin.hpp"
#include "app/routes/security.hpp"
#include "app/routes/shares.hpp"
#include "app/routes/tus.hpp"
#include "app/routes/web_app.hpp"
#include "app/routes/billing.hpp"
#include "app/routes/files.hpp"
#include "app/routes/health.hpp"
#include "app/services/account_service.hpp"
#include "app/services/admin_service.hpp"
#include "app/services/security_service.hpp"
#include "app/services/api_key_service.hpp"
#include "app/services/billing_service.hpp"
#include "app/services/command_sender.hpp"
#include "app/services/delete_service.hpp"
#include "app/services/file_service.hpp"
#include "app/services/password_hashing.hpp"
#include "app/services/plan_service.hpp"
#include "app/services/share_service.hpp"
#include "app/services/tus_service.hpp"
#include "app/services/upload_service.hpp"

namespace kemas::app {

// The ports name Asio's coroutine type without including Asio (domain/ports/async.hpp).
static_assert(std::is_same_v<ports::async<int>, boost::asio::awaitable<int>>);

// Declaration order is construction order; destruction runs in reverse.
struct api_application::parts {
  boost::asio::io_context& ioc;
  const config::settings& settings;
  api_backends backends;
  support::blocking_pool hashing;
  password_hashing passwords;
  crypto::jwt_codec jwt;
  postgres::user_repository users;
  postgres::api_key_repository keys;
  redis::request_gate gate;
  redis::session_store sessions;
  redis::login_guard login_guard;
  redis::reset_tokens resets;
  account_service accounts;
  api_key_service api_keys;
  metrics::transfer_metrics transfers;
  s3::s3_object_streams objects;
  postgres::file_repository file_rows;
  file_service files;
  postgres::upload_repository upload_rows;
  amqp::amqp_command_bus command_bus;
  command_sender commands;
  upload_service uploads;
  postgres::tus_repository tus_rows;
  redis::redis_upload_leases tus_leases;
  s3::s3_part_store tus_parts;
  tus_service tus;
  delete_service deletes;
  postgres::plan_repository plan_rows;
  postgres::billing_repository billing_rows;
  plan_service plans;
  billing_service billing;
  postgres::admin_directory directory;
  admin_service admin;
  security_service security;
  postgres::share_repository share_rows;
  share_service shares;
  auth_guard guard;
  http::router routes;
  usage_flusher usage;

  parts(boost::asio::io_context& io, const config::settings& s, metrics::registry& registry,
        std::vector<boost::asio::io_context*> loops)
      : ioc(io),
        settings(s),
        backends(io, s, std::move(loops)),
        // Hash threads run at auth.hash_nice: under a login flood they yield to the I/O
        // threads (measured in bench/login_bench).
        hashing(s.auth.hash_threads, static_cast<int>(s.auth.hash_nice)),
        passwords(s.auth, hashing),
        jwt(s.auth.jwt_secret, s.auth.access_ttl),
        users(backends.postgres()),
        keys(backends.postgres(), backends.postgres_reads()),
        gate(backends.redis()),
        sessions(backends.redis(), s.auth),
        login_guard(backends.redis(), s.auth),
        resets(backends.redis(), s.auth),
        accounts(s.auth, passwords, users, sessions, login_guard, resets, jwt, keys, s.mail.token_key),
        api_keys(s.auth, keys),
        transfers(registry),
        objects(backends.storage(), s.upload),
        file_rows(backends.postgres(), backends.postgres_reads()),
        files(file_rows, objects, transfers),
        upload_rows(backends.postgres(), backends.postgres_reads()),
        command_bus(backends.publisher()),
        commands(command_bus),
        uploads(upload_rows, objects, commands, backends.settle_signals(), s.upload,
                transfers),
        tus_rows(backends.postgres()),
        tus_leases(backends.redis()),
        tus_parts(backends.storage()),
        tus(tus_rows, tus_leases, tus_parts, upload_rows, uploads, commands, s.upload),
        deletes(file_rows, commands, backends.settle_signals(), s.upload.wait),
        plan_rows(backends.postgres()),
        billing_rows(backends.postgres()),
        plans(plan_rows),
        billing(plan_rows, billing_rows, commands, backends.settle_signals(), s.upload.wait),
        directory(backends.postgres()),
        admin(directory, users, sessions, accounts, plan_rows, commands, backends.settle_signals(),
              s.upload.wait),
        security(sessions, directory),
        share_rows(backends.postgres(), backends.postgres_reads()),
        shares(s.share, share_rows, files, passwords, gate, commands),
        guard(s, jwt, gate, keys),
        usage(io, backends.postgres(), transfers) {}
};

api_application::api_application(boost::asio::io_context& ioc, const config::settings& settings,
                                 metrics::registry& registry,
                                 std::vector<boost::asio::io_context*> connection_loops)
    : parts_(std::make_unique<parts>(ioc, settings, registry, std::move(connection_loops))) {
  auto& p = *parts_;
  http::add_health_routes(p.routes, p.backends.readiness_checks(), settings.http.readiness_timeout, registry);
  http::add_user_routes(p.routes, p.accounts, settings);
  http::add_auth_routes(p.routes, p.accounts, settings);
  http::add_key_routes(p.routes, p.api_keys);
  http::add_file_read_routes(p.routes, p.files);
  http::add_file_command_routes(p.routes, p.uploads, p.deletes);
  http::add_tus_routes(p.routes, p.tus);
  http::add_plan_routes(p.routes, p.plans);
  http::add_billing_routes(p.routes, p.billing);
  http::add_internal_routes(p.routes, p.billing, settings.internal);
  http::add_admin_routes(p.routes, p.admin);
  http::add_security_routes(p.routes, p.security);
  http::add_share_routes(p.routes, p.shares, p.files, settings.mail.public_base_url);
  http::add_web_app_routes(p.routes);
  p.usage.start();
}

api_application::~api_application() { stop(); }

http::router& api_application::routes() noexcept { return parts_->routes; }
http::request_guard& api_application::guard() noexcept { return parts_->guard; }
api_backends& api_application::backends() noexcept { return parts_->backends; }

void api_application::warm_up() {
  boost::asio::co_spawn(parts_->ioc, parts_->accounts.warm_up(), boost::asio::detached);
}

void api_application::stop() {
  parts_->usage.stop();
  parts_->backends.stop();
  parts_->hashing.stop();
}

}  // namespace kemas::app
