#pragma once
// Test helpers for the Redis client: settings from the KEMAS_REDIS_* environment written by
// scripts/services.sh (.run/env), unique key prefixes, and an io_context running on a few
// threads that tests drive coroutines on.

#include "test/support/io_threads.hpp"
#include "adapters/config/settings.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kemas::test {

// KEMAS_REDIS_HOST, KEMAS_REDIS_PORT (and KEMAS_REDIS_PASSWORD if set) from the environment,
// else from <source dir>/.run/env. Throws std::runtime_error naming a missing variable.
config::redis_settings redis_settings_from_env();

// "it:<tag>:<random hex>:" — keys under it belong to this run only.
std::string unique_redis_prefix(std::string_view tag);


}  // namespace kemas::test
