#pragma once
// share_repository: share links in PostgreSQL (table share_links, 0007_share_links.sql).
// Contract: ports::share_store, and as api_key_repository.hpp — awaitables over
// pg_pool::run; PostgreSQL unreachable THROWS kemas::backend_unavailable("postgres", ...).
//
// Statement budgets (BEGIN and COMMIT counted):
//  - create: 6 — lock the owner's row and read the plan in force, count the live links (a
//    statement of its own, to see what committed while it waited), the INSERT joined with its
//    file (refused by the WHERE unless the file is the owner's and active), the event; a
//    refused INSERT costs one more to tell locked from missing.
//  - list: 1; revoke: 4; find_by_token: 1 (link, file, password hash and owner in one join);
//  - count_download: 4 — the conditional UPDATE that makes a maximum exact, the event.

#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/share_store.hpp"

#include <boost/asio/awaitable.hpp>

namespace kemas::postgres {

class pg_pipeline;

class share_repository final : public ports::share_store {
 public:
  // `reads`: the api's pipeline (prepared_query.hpp), for the public route's lookup; without
  // one it runs on the pool.
  explicit share_repository(pg_pool& pool, pg_pipeline* reads = nullptr)
      : pool_(pool), reads_(reads) {}

  boost::asio::awaitable<result<model::share_link>> create(ports::share_draft draft,
                                                           model::event_draft event) override;
  boost::asio::awaitable<std::vector<model::share_link>> list_for_owner(uuid owner_id) override;
  boost::asio::awaitable<result<model::share_link>> revoke(uuid owner_id, uuid share_id,
                                                           model::event_draft event) override;
  boost::asio::awaitable<result<ports::share_access>> find_by_token(
      std::string token_hash) override;
  boost::asio::awaitable<std::optional<model::share_link>> count_download(
      uuid share_id, model::event_draft event) override;

 private:
  pg_pool& pool_;
  pg_pipeline* reads_;
};

}  // namespace kemas::postgres
