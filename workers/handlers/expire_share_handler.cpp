#include "workers/handlers/expire_share_handler.hpp"

#include "adapters/log/logging.hpp"
#include "domain/rfc3339.hpp"
#include "workers/handlers/handler_steps.hpp"

namespace kemas::worker {

handler_result expire_share_handler::redelay(const commands::envelope& command,
                                             timestamp due_at) const {
  const ports::publish_outcome published = ports_.scheduler->schedule(command, due_at);
  if (!published.ok)
    return handler_result::retry("expire-share: re-delaying failed: " + published.problem);
  log::debug("expire-share not due yet; re-delayed", {{"request_id", command.request_id},
                                                      {"command_id", command.id},
                                                      {"due_at", format_rfc3339(due_at)}});
  return handler_result::done();
}

handler_result expire_share_handler::apply(const commands::envelope& command,
                                           const commands::expire_share& expire) {
  const timestamp now = ports_.now();
  if (now < expire.due_at)
    return redelay(command, expire.due_at);

  ports::share_expiry outcome;
  if (auto failed = guarded([&] { outcome = ports_.store->expire_share(command, expire); },
                            "expire-share: commit"))
    return *failed;
  const std::string share_id = expire.share_id.to_string();
  switch (outcome.what) {
    case ports::share_expiry::kind::not_due:
      return redelay(command, now + outcome.remaining);
    case ports::share_expiry::kind::removed:
      log::info("share link expired and removed", {{"request_id", command.request_id},
                                                   {"command_id", command.id},
                                                   {"share_id", share_id}});
      break;
    case ports::share_expiry::kind::missing:
      log::info("expire-share: no such link; nothing to do", {{"request_id", command.request_id},
                                                              {"command_id", command.id},
                                                              {"share_id", share_id}});
      break;
    case ports::share_expiry::kind::already_processed:
      log::info("expire-share already processed",
                {{"request_id", command.request_id}, {"command_id", command.id}});
      break;
  }
  return handler_result::done();
}

}  // namespace kemas::worker
