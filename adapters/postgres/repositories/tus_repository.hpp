#pragma once
// tus_repository: ports::tus_store in PostgreSQL (tables tus_uploads and tus_parts,
// schemas/migrations/0008_tus_uploads.sql). Statement budgets are next to each statement in
// the .cpp; a PATCH's steady state is one statement per part S3 acknowledged.
//
// Contract as upload_repository.hpp (query.hpp): awaitables over pg_pool::run, owner scoping
// on every query, PostgreSQL unreachable throws kemas::backend_unavailable.

#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/tus_store.hpp"

namespace kemas::postgres {

class tus_repository final : public ports::tus_store {
 public:
  explicit tus_repository(pg_pool& pool) : pool_(pool) {}

  ports::async<result<ports::tus_admission>> admission(uuid owner, std::string name) override;
  ports::async<result<model::tus_upload>> create(ports::tus_draft draft) override;
  ports::async<result<model::tus_upload>> find(uuid owner, uuid upload_id) override;
  ports::async<result<ports::tus_writer_state>> take_over(uuid owner, uuid upload_id,
                                                          std::uint64_t client_offset,
                                                          std::uint64_t max_body,
                                                          std::uint64_t part_size) override;
  ports::async<result<void>> declare_length(uuid owner, uuid upload_id, std::int64_t fence,
                                            std::uint64_t length) override;
  ports::async<bool> set_multipart(uuid owner, uuid upload_id, std::int64_t fence,
                                   std::string object_key, std::string multipart_upload_id,
                                   timestamp abandon_at) override;
  ports::async<bool> record(uuid upload_id, std::int64_t fence,
                            ports::tus_progress progress) override;
  ports::async<std::vector<model::tus_part>> parts(uuid upload_id) override;
  ports::async<bool> start_commit(uuid owner, uuid upload_id, std::int64_t fence) override;
  ports::async<result<terminated>> terminate(uuid owner, uuid upload_id) override;

 private:
  pg_pool& pool_;
};

}  // namespace kemas::postgres
