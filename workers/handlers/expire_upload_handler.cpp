#include "workers/handlers/expire_upload_handler.hpp"

#include "adapters/log/logging.hpp"
#include "domain/rfc3339.hpp"
#include "workers/handlers/handler_steps.hpp"

namespace kemas::worker {

handler_result expire_upload_handler::redelay(const commands::envelope& command,
                                              timestamp due_at) const {
  const ports::publish_outcome published = ports_.scheduler->schedule(command, due_at);
  if (!published.ok)
    return handler_result::retry("expire-upload: re-delaying failed: " + published.problem);
  log::debug("expire-upload not due yet; re-delayed", {{"request_id", command.request_id},
                                                       {"command_id", command.id},
                                                       {"due_at", format_rfc3339(due_at)}});
  return handler_result::done();
}

handler_result expire_upload_handler::apply(const commands::envelope& command,
                                            const commands::expire_upload& expire) {
  const timestamp now = ports_.now();
  if (now < expire.due_at)
    return redelay(command, expire.due_at);

  ports::tus_expiry outcome;
  if (auto failed = guarded([&] { outcome = ports_.store->expire_upload(command, expire); },
                            "expire-upload: commit"))
    return *failed;
  const std::string upload_id = expire.upload_id.to_string();
  switch (outcome.what) {
    case ports::tus_expiry::kind::not_due:
      return redelay(command, now + outcome.remaining);
    case ports::tus_expiry::kind::removed: {
      bool freed = true;
      if (outcome.multipart_upload_id) {
        auto discarded = ports_.objects->discard_multipart(
            outcome.object_key, *outcome.multipart_upload_id, outcome.parts);
        if (!discarded) {
          freed = false;
          log::warn("expired upload's parts not freed; the object cleaner tries again",
                    {{"request_id", command.request_id},
                     {"upload_id", upload_id},
                     {"error", discarded.error().detail}});
        }
      }
      log::info("tus upload expired and removed", {{"request_id", command.request_id},
                                                   {"command_id", command.id},
                                                   {"upload_id", upload_id},
                                                   {"parts", outcome.parts.size()},
                                                   {"parts_freed", freed}});
      break;
    }
    case ports::tus_expiry::kind::missing:
      log::info("expire-upload: no such upload; nothing to do",
                {{"request_id", command.request_id},
                 {"command_id", command.id},
                 {"upload_id", upload_id}});
      break;
    case ports::tus_expiry::kind::already_processed:
      log::info("expire-upload already processed",
                {{"request_id", command.request_id}, {"command_id", command.id}});
      break;
  }
  return handler_result::done();
}

}  // namespace kemas::worker
