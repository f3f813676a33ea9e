#pragma once
// run_prepared: one prepared statement for a repository, on the api's pipeline when it has
// one (adapters/postgres/pipeline.hpp: no thread hand-off), else on a pool session, with
// run_query's failure contract either way. `from_rows` turns the answer into the result.
//
// Include from the repositories' .cpp files only: it pulls in libpq.

#include "adapters/postgres/pipeline.hpp"
#include "adapters/postgres/prepared.hpp"
#include "adapters/postgres/repositories/query.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace kemas::postgres {

using statement_parameters = std::vector<std::optional<std::string>>;

// `statement` must outlive the call (the repositories' are static).
template <class F>
auto run_prepared(pg_pool& pool, pg_pipeline* pipeline, const prepared_statement& statement,
                  statement_parameters parameters, F from_rows)
    -> boost::asio::awaitable<std::invoke_result_t<F&, const prepared_rows&>> {
  if (pipeline != nullptr) {
    try {
      const prepared_rows rows = co_await pipeline->execute(statement, std::move(parameters));
      co_return from_rows(rows);
    } catch (const std::exception& e) {
      rethrow_as_backend_error(e);
    }
  }
  auto job = [&statement, p = std::move(parameters), f = std::move(from_rows)](soci::session& sql) {
    return f(execute_prepared(sql, statement, p));
  };
  co_return co_await run_query(pool, std::move(job));
}

}  // namespace kemas::postgres
