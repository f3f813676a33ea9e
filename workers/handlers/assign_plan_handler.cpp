#include "workers/handlers/assign_plan_handler.hpp"

#include "adapters/log/logging.hpp"
#include "workers/handlers/handler_steps.hpp"
#include "workers/handlers/scheduled_commands.hpp"

namespace kemas::worker {

handler_result assign_plan_handler::apply(const commands::envelope& envelope,
                                          const commands::assign_plan& assignment) {
  using kind = ports::assignment_commit::kind;
  ports::assignment_commit commit;
  if (auto failed = guarded([&] { commit = ports_.store->assign_plan(envelope, assignment); },
                            "assign-plan: recording the assignment"))
    return *failed;

  const std::string user_id = assignment.user_id.to_string();
  switch (commit.what) {
    case kind::no_user:
      return handler_result::reject("assign-plan: the account " + user_id + " does not exist");
    case kind::no_plan:
      return handler_result::reject("assign-plan: there is no plan named '" + assignment.plan +
                                    "'");
    case kind::already_processed:
      log::info("assign-plan already processed",
                {{"request_id", envelope.request_id}, {"command_id", envelope.id}});
      break;
    case kind::assigned:
      log::info("plan assigned", {{"request_id", envelope.request_id},
                                  {"command_id", envelope.id},
                                  {"user_id", user_id},
                                  {"from_plan", commit.from_plan},
                                  {"plan", assignment.plan},
                                  {"locked", commit.locked},
                                  {"unlocked", commit.unlocked}});
      break;
  }
  if (assignment.expires_at) {
    const auto expire =
        make_expire_command(assignment.user_id, *assignment.expires_at, envelope.request_id);
    const ports::publish_outcome published =
        ports_.scheduler->schedule(expire, *assignment.expires_at);
    if (!published.ok)
      return handler_result::retry("assign-plan: scheduling the expire failed: " +
                                   published.problem);
  }
  return handler_result::done();
}

}  // namespace kemas::worker
