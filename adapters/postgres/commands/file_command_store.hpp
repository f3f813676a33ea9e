#pragma once
// ports::file_command_store over PostgreSQL: the `upload` and `delete` transactions. Every
// statement is in file_command_store.cpp as a named constant; an upload's commit is one
// prepared call of the SQL function commit_upload (schemas/migrations/0009_commit_upload.sql),
// so a committed upload costs the worker 2 statements (the processed check, the commit); a
// group of uploads costs 2 in all (processed_among, one call of commit_uploads from
// schemas/migrations/0010_commit_uploads.sql). Each
// call borrows a pool session and blocks: worker handler threads only. Transient faults throw
// kemas::backend_unavailable (query.hpp); others propagate as they are.

#include <memory>

#include "domain/ports/file_command_store.hpp"

namespace kemas::postgres {

class pg_pool;

class file_command_store final : public ports::file_command_store {
 public:
  explicit file_command_store(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}

  bool processed(const std::string& command_id) override;
  std::vector<bool> processed_among(std::span<const std::string> command_ids) override;
  ports::upload_commit commit_upload(const commands::envelope& envelope,
                                     const commands::upload& upload) override;
  std::vector<ports::upload_commit> commit_uploads(
      std::span<const ports::upload_member> group) override;
  ports::rejection_record record_rejection(const commands::envelope& envelope,
                                           const commands::upload& upload,
                                           model::rejection_reason reason) override;
  bool release_object(const std::string& object_key) override;
  void removal_done(const std::string& object_key) override;
  ports::file_deletion delete_file(const commands::envelope& envelope,
                                   const commands::delete_file& request) override;

 private:
  std::shared_ptr<pg_pool> pool_;
};

}  // namespace kemas::postgres
