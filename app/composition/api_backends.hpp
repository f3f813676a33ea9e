#pragma once
// The api's backends, built from settings in dependency order and torn down in reverse:
// PostgreSQL pool, read pipeline and settle listener, Redis client, RabbitMQ publisher (declares the topology on connect) and
// S3 service. Route groups receive references to what they need; nothing is global.

#include <memory>
#include <vector>

#include "adapters/config/settings.hpp"
#include "app/routes/health.hpp"
#include "domain/non_copyable.hpp"

namespace boost::asio {
class io_context;
}
namespace kemas::postgres {
class pg_pool;
class pg_pipeline;
class settle_listener;
}
namespace kemas::ports {
class settle_signals;
}
namespace kemas::redis {
class redis_client;
}
namespace kemas::amqp {
class amqp_publisher;
}
namespace kemas::s3 {
class s3_service;
}

namespace kemas::app {

class api_backends : kemas::non_copyable {
 public:
  // Connections are made lazily or in the background: construction does not fail because a
  // backend is down (/readyz reports it), only because a setting is unusable.
  // `loops`: where HTTP connections live (see api_application); empty means `ioc` alone.
  api_backends(boost::asio::io_context& ioc, const config::settings& settings,
               std::vector<boost::asio::io_context*> loops = {});
  ~api_backends();

  postgres::pg_pool& postgres() noexcept { return *postgres_; }
  // The file list's connections (postgres.read_connections); null when there are none.
  postgres::pg_pipeline* postgres_reads() noexcept { return reads_.get(); }
  // Workers' commits heard by this process (LISTEN on its own PostgreSQL connection).
  ports::settle_signals& settle_signals() noexcept;
  redis::redis_client& redis() noexcept { return *redis_; }
  amqp::amqp_publisher& publisher() noexcept { return *publisher_; }
  s3::s3_service& storage() noexcept { return *storage_; }

  // One /readyz probe per backend, named postgres, redis, rabbitmq, s3.
  std::vector<http::readiness_check> readiness_checks();

  // Completes or fails whatever is pending, then releases the connections.
  void stop();

 private:
  std::unique_ptr<postgres::pg_pool> postgres_;
  std::unique_ptr<postgres::pg_pipeline> reads_;
  std::unique_ptr<postgres::settle_listener> settled_;
  std::unique_ptr<redis::redis_client> redis_;
  std::unique_ptr<amqp::amqp_publisher> publisher_;
  std::unique_ptr<s3::s3_service> storage_;
};

}  // namespace kemas::app
