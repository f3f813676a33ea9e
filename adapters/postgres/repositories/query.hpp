#pragma once
// What the repositories share: the time type of their records, and run_query, which runs a
// function on the pool and states the failure contract all repositories follow:
//  - failures a caller can cause (a taken e-mail, someone else's key) are kemas::error values
//    in the function's result;
//  - PostgreSQL unreachable, connection lost, statement timeout, serialization failure or
//    deadlock: throws kemas::backend_unavailable("postgres", ...) — the HTTP layer answers 503,
//    a worker retries later;
//  - a data error (SQLSTATE class 22) from a value validation let through: throws
//    kemas::error_exception(validation_failed) — 400, not 500;
//  - anything else (bad SQL, a missing table: bugs) propagates as the original exception.

#include "adapters/postgres/pool.hpp"
#include "domain/result.hpp"
#include "domain/rfc3339.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <exception>
#include <type_traits>
#include <utility>

namespace soci {
class session;
}

namespace kemas::postgres {


// Rethrows the exception being handled, as backend_unavailable when it is transient
// (connection, timeout, retryable). Call only inside a catch block.
[[noreturn]] void rethrow_as_backend_error(const std::exception& error);

template <class F>
auto run_query(pg_pool& pool, F fn)
    -> boost::asio::awaitable<std::invoke_result_t<F, soci::session&>> {
  try {
    // fn is named (a parameter), not a temporary inside the co_await: GCC 12 (asio#1007).
    co_return co_await pool.run(std::move(fn));
  } catch (const std::exception& e) {
    rethrow_as_backend_error(e);
  }
}

// The blocking twin of run_query for worker threads (never an I/O thread): runs fn on a pool
// session and waits, with the same failure contract.
template <class F>
auto run_transaction(pg_pool& pool, F fn) -> std::invoke_result_t<F, soci::session&> {
  try {
    return pool.with_session(std::move(fn));
  } catch (const std::exception& e) {
    rethrow_as_backend_error(e);
  }
}

}  // namespace kemas::postgres
