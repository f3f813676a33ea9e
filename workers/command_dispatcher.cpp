#include "workers/command_dispatcher.hpp"

#include "adapters/log/logging.hpp"

#include <chrono>
#include <exception>

namespace kemas::worker {
namespace {

// The request id to log for a message that may not even be an envelope.
std::string_view request_id_of(const amqp::delivery& message,
                               const std::optional<domain::command_envelope>& command) {
  if (command)
    return command->request_id;
  if (domain::is_valid_request_id(message.correlation_id))
    return message.correlation_id;
  return {};
}

}  // namespace

dispatch_plan plan_dispatch(const amqp::delivery& message, const handler_registry& registry,
                            const amqp::decode_limits& limits) {
  dispatch_plan plan;
  auto decoded = amqp::decode_envelope(message.body, limits);
  if (!decoded) {
    plan.dead_letter_reason = std::string("malformed command (") + to_string(decoded.error().code) +
                              "): " + decoded.error().message;
    return plan;
  }
  command_handler* handler = registry.find(decoded->type);
  if (handler == nullptr) {
    plan.dead_letter_reason = "no handler for command type '" +
                              std::string(to_string(decoded->type)) + "' in this worker";
    plan.command = std::move(*decoded);
    return plan;
  }
  plan.command = std::move(*decoded);
  plan.handler = handler;
  return plan;
}

settlement settle_after(const handler_result& result, std::int64_t delivery_count,
                        unsigned delivery_limit) {
  using outcome = handler_result::outcome;
  switch (result.what) {
    case outcome::done:
      return {settlement::action::ack, {}};
    case outcome::reject:
      return {settlement::action::dead_letter, "rejected by the handler: " + result.reason};
    case outcome::retry:
      // A quorum queue dead-letters a message once it was returned more than delivery_limit
      // times, and then only with reason "delivery_limit". On the last attempt we
      // dead-letter it ourselves so that the handler's reason is kept.
      if (delivery_count >= static_cast<std::int64_t>(delivery_limit)) {
        return {settlement::action::dead_letter, "gave up after " +
                                                     std::to_string(delivery_count + 1) +
                                                     " deliveries; last error: " + result.reason};
      }
      return {settlement::action::requeue, result.reason};
  }
  return {settlement::action::requeue, "unknown handler outcome"};
}

command_dispatcher::command_dispatcher(const handler_registry& registry, poster post,
                                       unsigned delivery_limit, amqp::decode_limits limits)
    : registry_(registry),
      post_(std::move(post)),
      delivery_limit_(delivery_limit),
      limits_(limits) {}

void command_dispatcher::on_delivery(amqp::delivery message, amqp::delivery_handle handle) {
  ++running_;
  post_([this, message = std::move(message), handle = std::move(handle)] {
    process(message, handle);
    --running_;
  });
}

void command_dispatcher::process(const amqp::delivery& message,
                                 const amqp::delivery_handle& handle) {
  const auto started = std::chrono::steady_clock::now();
  dispatch_plan plan = plan_dispatch(message, registry_, limits_);
  const std::string_view request_id = request_id_of(message, plan.command);
  const std::string_view command_id = plan.command ? plan.command->id : message.message_id;
  if (plan.handler == nullptr) {
    log::warn("command dead-lettered", {{"request_id", request_id},
                                        {"command_id", command_id},
                                        {"queue", message.queue},
                                        {"reason", plan.dead_letter_reason}});
    handle.dead_letter(plan.dead_letter_reason);
    return;
  }
  const domain::command_envelope& command = *plan.command;
  const std::string_view type = to_string(command.type);

  handler_result result;
  try {
    result = plan.handler->handle(command);
  } catch (const std::exception& e) {
    result = handler_result::retry(std::string("handler threw: ") + e.what());
  } catch (...) {
    result = handler_result::retry("handler threw a non-standard exception");
  }
  const settlement next = settle_after(result, message.delivery_count, delivery_limit_);
  const double duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  switch (next.what) {
    case settlement::action::ack:
      handle.ack();
      log::info("command done", {{"request_id", request_id},
                                 {"command_id", command_id},
                                 {"type", type},
                                 {"duration_ms", duration_ms}});
      break;
    case settlement::action::requeue:
      handle.requeue();
      log::warn("command will be retried", {{"request_id", request_id},
                                            {"command_id", command_id},
                                            {"type", type},
                                            {"delivery_count", message.delivery_count},
                                            {"reason", next.reason}});
      break;
    case settlement::action::dead_letter:
      handle.dead_letter(next.reason);
      log::error("command dead-lettered", {{"request_id", request_id},
                                           {"command_id", command_id},
                                           {"type", type},
                                           {"reason", next.reason}});
      break;
  }
}

}  // namespace kemas::worker
