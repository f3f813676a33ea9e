#include "workers/handlers/delete_handler.hpp"

#include "adapters/log/logging.hpp"
#include "workers/handlers/handler_steps.hpp"

namespace kemas::worker {

handler_result delete_handler::apply(const commands::envelope& envelope,
                                     const commands::delete_file& request) {
  ports::file_deletion deletion;
  if (auto failed = guarded([&] { deletion = ports_.store->delete_file(envelope, request); },
                            "delete: commit"))
    return *failed;
  const std::string file_id = request.file_id.to_string();
  if (!deletion.deleted) {
    log::info("delete: nothing to do", {{"request_id", envelope.request_id},
                                        {"command_id", envelope.id},
                                        {"file_id", file_id}});
    return handler_result::done();
  }
  remove_object_after_commit(*ports_.objects, *ports_.store, deletion.object_key,
                             envelope.request_id, envelope.id);
  log::info("file deleted", {{"request_id", envelope.request_id},
                             {"command_id", envelope.id},
                             {"file_id", file_id},
                             {"size", deletion.size}});
  return handler_result::done();
}

}  // namespace kemas::worker
