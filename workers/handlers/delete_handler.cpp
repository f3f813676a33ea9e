#include "workers/handlers/delete_handler.hpp"

#include "adapters/log/logging.hpp"
#include "workers/handlers/file_store_tx.hpp"

namespace kemas::worker {

handler_result delete_handler::handle(const domain::command_envelope& command) {
  auto parsed = parse_delete_payload(command);
  if (!parsed)
    return handler_result::reject(parsed.error().reason);
  const delete_payload& request = *parsed;

  file_deletion deletion;
  auto apply = [&](soci::session& sql) { deletion = delete_file(sql, command, request); };
  if (auto failed = run_transaction(*ports_.db, apply, "delete: commit"))
    return *failed;
  if (!deletion.deleted) {
    log::info("delete: nothing to do", {{"request_id", command.request_id},
                                        {"command_id", command.id},
                                        {"file_id", request.file_id}});
    return handler_result::done();
  }
  remove_object_after_commit(*ports_.objects, deletion.object_key, command.request_id,
                             command.id);
  log::info("file deleted", {{"request_id", command.request_id},
                             {"command_id", command.id},
                             {"file_id", request.file_id},
                             {"size", deletion.size}});
  return handler_result::done();
}

}  // namespace kemas::worker
