#include "app/composition/api_backends.hpp"

#include <boost/asio/io_context.hpp>

#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/postgres/pipeline.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/settle_listener.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/s3/async_client.hpp"

namespace kemas::app {

namespace {

std::vector<boost::asio::io_context*> or_only(std::vector<boost::asio::io_context*> loops,
                                              boost::asio::io_context& ioc) {
  if (loops.empty())
    loops.push_back(&ioc);
  return loops;
}

std::vector<boost::asio::any_io_executor> executors_of(
    const std::vector<boost::asio::io_context*>& loops) {
  std::vector<boost::asio::any_io_executor> executors;
  for (auto* loop : loops)
    executors.emplace_back(loop->get_executor());
  return executors;
}

}  // namespace

api_backends::api_backends(boost::asio::io_context& ioc, const config::settings& settings,
                           std::vector<boost::asio::io_context*> loops)
    : postgres_(std::make_unique<postgres::pg_pool>(settings.postgres, "kemas-api")),
      reads_(settings.postgres.read_connections > 0
                 ? std::make_unique<postgres::pg_pipeline>(or_only(loops, ioc), settings.postgres,
                                                           "kemas-api reads")
                 : nullptr),
      settled_(std::make_unique<postgres::settle_listener>(settings.postgres, "kemas-api listener")),
      // One connection per loop: each request's session check stays on its own thread.
      redis_(std::make_unique<redis::redis_client>(executors_of(or_only(loops, ioc)),
                                                   settings.redis)),
      publisher_(std::make_unique<amqp::amqp_publisher>(
          settings.amqp,
          amqp::publisher_options{"kemas-api publisher",
                                  amqp::kemas_topology(settings.amqp.delivery_limit)})),
      storage_(std::make_unique<s3::s3_service>(settings.s3)) {}

api_backends::~api_backends() {
  stop();
}

std::vector<http::readiness_check> api_backends::readiness_checks() {
  return {
      {"postgres", [this] { return postgres_->ping(); }},
      {"redis", [this] { return redis_->ping(); }},
      {"rabbitmq", [this] { return publisher_->ready(); }},
      {"s3", [this] { return storage_->ready(); }},
  };
}

void api_backends::stop() {
  if (publisher_)
    publisher_->stop();
  if (redis_)
    redis_->close();
  if (settled_)
    settled_->stop();
  if (reads_)
    reads_->stop();
  if (postgres_)
    postgres_->stop();
}

ports::settle_signals& api_backends::settle_signals() noexcept { return *settled_; }

}  // namespace kemas::app
