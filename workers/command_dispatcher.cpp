#include "workers/command_dispatcher.hpp"

#include "adapters/amqp/topology.hpp"
#include "adapters/log/logging.hpp"
#include "workers/worker_metrics.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <limits>

namespace kemas::worker {
namespace {

// The request id to log for a message that may not even be an envelope.
std::string_view request_id_of(const amqp::delivery& message,
                               const std::optional<commands::envelope>& command) {
  if (command)
    return command->request_id;
  if (commands::is_valid_request_id(message.correlation_id))
    return message.correlation_id;
  return {};
}

// A handler's reason can be a long exception text; the header only helps an operator looking
// into a delay queue (the full reason is logged).
std::string header_sized(std::string text) {
  constexpr std::size_t limit = 512;
  if (text.size() <= limit)
    return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;  // not inside a UTF-8 sequence
  text.resize(cut);
  return text;
}

}  // namespace

struct command_dispatcher::context {
  std::string request_id;
  std::string command_id;
  std::string type;
  handler_result::outcome result = handler_result::outcome::done;
  timestamp issued_at{};
  unsigned attempt = 1;
};

dispatch_plan plan_dispatch(const amqp::delivery& message, const handler_registry& registry,
                            const commands::decode_limits& limits) {
  dispatch_plan plan;
  auto decoded = commands::decode_envelope(message.body, limits);
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

unsigned attempt_of(const amqp::delivery& message) noexcept {
  const auto found = message.headers.find(attempt_header);
  if (found == message.headers.end())
    return 1;
  std::int64_t value = 0;
  if (const auto* number = std::get_if<std::int64_t>(&found->second)) {
    value = *number;
  } else {
    const std::string& text = std::get<std::string>(found->second);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
      return 1;
  }
  if (value < 1 || value > std::numeric_limits<unsigned>::max())
    return 1;
  return static_cast<unsigned>(value);
}

delivery_facts facts_of(const amqp::delivery& message) noexcept {
  return {.first = !message.redelivered && message.delivery_count == 0 &&
                   !message.headers.contains(attempt_header)};
}

amqp::delay_bucket retry_bucket(unsigned failed_attempt,
                                std::chrono::milliseconds max_delay) noexcept {
  const std::size_t step = std::max(failed_attempt, 1u) - 1;
  const auto& scheduled = amqp::delay_buckets[std::min(step, amqp::delay_buckets.size() - 1)];
  const auto bucket = amqp::pick_delay_bucket(std::min(scheduled.ttl, max_delay));
  return bucket ? *bucket : amqp::delay_buckets.front();
}

settlement settle_after(const handler_result& result, const delivery_state& state,
                        const retry_policy& policy) {
  using outcome = handler_result::outcome;
  switch (result.what) {
    case outcome::done:
      return {settlement::action::ack, {}, std::nullopt, 0};
    case outcome::reject:
      return {settlement::action::dead_letter, "rejected by the handler: " + result.reason,
              std::nullopt, 0};
    case outcome::retry:
      if (state.attempt >= policy.max_attempts) {
        return {settlement::action::dead_letter,
                "gave up after " + std::to_string(state.attempt) +
                    " attempts; last error: " + result.reason,
                std::nullopt, 0};
      }
      return {settlement::action::delay, result.reason,
              retry_bucket(state.attempt, policy.max_delay), state.attempt + 1};
  }
  return {settlement::action::requeue, "unknown handler outcome", std::nullopt, 0};
}

settlement settle_after_failed_delay(const settlement& planned, const delivery_state& state,
                                     const retry_policy& policy, std::string_view problem) {
  // A quorum queue dead-letters a message once it was returned more than delivery_limit
  // times, and then only with reason "delivery_limit": on its last delivery we do it ourselves.
  if (state.delivery_count >= static_cast<std::int64_t>(policy.delivery_limit)) {
    return {settlement::action::dead_letter,
            "gave up after " + std::to_string(state.delivery_count + 1) +
                " deliveries (the delayed retry could not be published: " + std::string(problem) +
                "); last error: " + planned.reason,
            std::nullopt, 0};
  }
  return {settlement::action::requeue, planned.reason, std::nullopt, 0};
}

amqp::outgoing_message delayed_copy(const amqp::delivery& message, commands::command_type type,
                                    const settlement& planned) {
  amqp::outgoing_message copy;
  copy.exchange = amqp::delay_exchange(planned.bucket.value_or(amqp::delay_buckets.front()));
  // The delay queue dead-letters keeping this key: it routes the copy back to its queue.
  copy.routing_key = amqp::command_routing_key(type);
  copy.body = message.body;
  copy.message_id = message.message_id;
  copy.type = message.type;
  copy.correlation_id = message.correlation_id;
  if (!message.content_type.empty())
    copy.content_type = message.content_type;
  copy.reply_to = message.reply_to;
  copy.persistent = true;
  copy.mandatory = true;
  for (const auto& [key, value] : message.headers) {
    // x-delivery-count, x-first-death-* and the like belong to the broker and this copy.
    if (!key.starts_with("x-") || key.starts_with("x-kemas-"))
      copy.headers.emplace(key, value);
  }
  copy.headers.insert_or_assign(std::string(attempt_header),
                                static_cast<std::int64_t>(planned.next_attempt));
  copy.headers.insert_or_assign(std::string(retry_reason_header), header_sized(planned.reason));
  return copy;
}

command_dispatcher::command_dispatcher(const handler_registry& registry, poster post,
                                       republisher republish, retry_policy policy,
                                       worker_metrics* metrics, commands::decode_limits limits)
    : registry_(registry),
      post_(std::move(post)),
      republish_(std::move(republish)),
      policy_(policy),
      metrics_(metrics),
      limits_(limits) {
  for (commands::command_type type : commands::all_command_types) {
    command_handler* handler = registry_.find(type);
    if (handler != nullptr && handler->group_limit() > 1)
      grouping_[amqp::command_queue(type)] = handler;
  }
}

void command_dispatcher::on_delivery(amqp::delivery message, amqp::delivery_handle handle) {
  ++running_;
  // Grouped types wait in the dispatcher's own queue (by the queue they came from, so the
  // consumer's thread decodes nothing): whichever handler thread gets there first takes all
  // that wait, up to the handler's group_limit.
  if (const auto grouped = grouping_.find(message.queue); grouped != grouping_.end()) {
    command_handler* handler = grouped->second;
    {
      std::lock_guard lock(group_mutex_);
      waiting_[handler].push_back({std::move(message), std::move(handle)});
    }
    post_([this, handler] { run_group(*handler); });
    return;
  }
  post_([this, message = std::move(message), handle = std::move(handle)] {
    process(message, handle);
    --running_;
  });
}

void command_dispatcher::process(const amqp::delivery& message,
                                 const amqp::delivery_handle& handle) {
  dispatch_plan plan = plan_dispatch(message, registry_, limits_);
  const std::string_view request_id = request_id_of(message, plan.command);
  const std::string_view command_id = plan.command ? plan.command->id : message.message_id;
  if (plan.handler == nullptr) {
    log::warn("command dead-lettered", {{"request_id", request_id},
                                        {"command_id", command_id},
                                        {"queue", message.queue},
                                        {"reason", plan.dead_letter_reason}});
    handle.dead_letter(plan.dead_letter_reason);
    if (metrics_ != nullptr) {
      const std::string_view type =
          plan.command ? commands::to_string(plan.command->type) : invalid_command_type;
      metrics_->processed(type, command_outcome::dead_lettered);
    }
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  handler_result result;
  try {
    result = plan.handler->handle_delivery(*plan.command, facts_of(message));
  } catch (const std::exception& e) {
    result = handler_result::retry(std::string("handler threw: ") + e.what());
  } catch (...) {
    result = handler_result::retry("handler threw a non-standard exception");
  }
  finish(message, handle, *plan.command, std::move(result),
         std::chrono::steady_clock::now() - started);
}

void command_dispatcher::run_group(command_handler& handler) {
  std::vector<waiting_delivery> taken;
  {
    std::lock_guard lock(group_mutex_);
    auto& queue = waiting_[&handler];
    const std::size_t take = std::min(queue.size(), handler.group_limit());
    for (std::size_t i = 0; i < take; ++i) {
      taken.push_back(std::move(queue.front()));
      queue.pop_front();
    }
  }
  if (taken.empty())
    return;  // another handler thread took them into its group
  // Members that are not this handler's well-formed commands go the single path (and are
  // dead-lettered there with their reason).
  std::vector<waiting_delivery> members;
  std::vector<commands::envelope> commands;
  std::vector<delivery_facts> facts;
  for (auto& delivery : taken) {
    dispatch_plan plan = plan_dispatch(delivery.message, registry_, limits_);
    if (plan.handler != &handler) {
      process(delivery.message, delivery.handle);
      --running_;
      continue;
    }
    commands.push_back(std::move(*plan.command));
    facts.push_back(facts_of(delivery.message));
    members.push_back(std::move(delivery));
  }
  if (members.empty())
    return;
  const auto started = std::chrono::steady_clock::now();
  std::vector<handler_result> results;
  try {
    results = handler.handle_deliveries(commands, facts);
  } catch (const std::exception& e) {
    results.assign(members.size(),
                   handler_result::retry(std::string("handler threw: ") + e.what()));
  } catch (...) {
    results.assign(members.size(),
                   handler_result::retry("handler threw a non-standard exception"));
  }
  if (results.size() != members.size())
    results.assign(members.size(), handler_result::retry("group handler returned a wrong count"));
  // Each member's share of the group's time, for the handler duration metric.
  const auto took = (std::chrono::steady_clock::now() - started) / members.size();
  if (metrics_ != nullptr && members.size() > 1)
    metrics_->grouped(commands::to_string(commands.front().type), members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    finish(members[i].message, members[i].handle, commands[i], std::move(results[i]), took);
    --running_;
  }
}

void command_dispatcher::finish(const amqp::delivery& message,
                                const amqp::delivery_handle& handle,
                                const commands::envelope& command, handler_result result,
                                std::chrono::steady_clock::duration elapsed) {
  context about{std::string(command.request_id),
                std::string(command.id),
                std::string(commands::to_string(command.type)),
                handler_result::outcome::done,
                command.issued_at,
                attempt_of(message)};
  const std::chrono::duration<double> took = elapsed;
  if (metrics_ != nullptr)
    metrics_->handler_ran(about.type, took.count());
  about.result = result.what;

  const delivery_state state{about.attempt, message.delivery_count};
  settlement next = settle_after(result, state, policy_);
  if (next.what == settlement::action::delay && !republish_)
    next = settle_after_failed_delay(next, state, policy_, "no publisher for delayed retries");
  if (next.what == settlement::action::delay) {
    log::debug("command handler ran", {{"request_id", about.request_id},
                                       {"command_id", about.command_id},
                                       {"duration_ms", took.count() * 1000.0}});
    publish_delayed(message, command.type, handle, next, state, std::move(about));
    return;
  }
  if (next.what == settlement::action::ack) {
    log::info("command done", {{"request_id", about.request_id},
                               {"command_id", about.command_id},
                               {"type", about.type},
                               {"attempt", about.attempt},
                               // Returns to the queue so far (x-delivery-count): how close
                               // connection losses brought it to amqp.delivery_limit.
                               {"delivery_count", message.delivery_count},
                               {"duration_ms", took.count() * 1000.0}});
  }
  settle(next, handle, about);
}

void command_dispatcher::publish_delayed(const amqp::delivery& message, commands::command_type type,
                                         const amqp::delivery_handle& handle,
                                         const settlement& planned, const delivery_state& state,
                                         context about) {
  ++running_;  // until the broker answered: stop() waits for it
  republish_(delayed_copy(message, type, planned),
             [this, handle, planned, state, about = std::move(about)](amqp::publish_result r) {
               // On the publisher's thread: settling only queues work to the consumer.
               if (r.ok()) {
                 settle(planned, handle, about);
               } else {
                 const std::string problem = std::string(amqp::to_string(r.error)) +
                                             (r.detail.empty() ? "" : ": ") + r.detail;
                 settle(settle_after_failed_delay(planned, state, policy_, problem), handle, about);
               }
               --running_;
             });
}

void command_dispatcher::settle(const settlement& next, const amqp::delivery_handle& handle,
                                const context& about) const {
  command_outcome outcome = command_outcome::retry;
  switch (next.what) {
    case settlement::action::ack:
      handle.ack();
      outcome = command_outcome::done;
      if (metrics_ != nullptr && about.issued_at != timestamp{}) {
        const std::chrono::duration<double> latency =
            std::chrono::system_clock::now() - about.issued_at;
        metrics_->committed(about.type, latency.count());
      }
      break;
    case settlement::action::delay:  // the copy is confirmed: the original is done with
      handle.ack();
      log::warn("command will be retried", {{"request_id", about.request_id},
                                            {"command_id", about.command_id},
                                            {"type", about.type},
                                            {"attempt", about.attempt},
                                            {"next_attempt", next.next_attempt},
                                            {"delay", next.bucket ? next.bucket->name : "?"},
                                            {"reason", next.reason}});
      break;
    case settlement::action::requeue:
      handle.requeue();
      log::warn("command requeued for an immediate retry", {{"request_id", about.request_id},
                                                            {"command_id", about.command_id},
                                                            {"type", about.type},
                                                            {"attempt", about.attempt},
                                                            {"reason", next.reason}});
      break;
    case settlement::action::dead_letter:
      handle.dead_letter(next.reason);
      outcome = about.result == handler_result::outcome::reject ? command_outcome::rejected
                                                                : command_outcome::dead_lettered;
      log::error("command dead-lettered", {{"request_id", about.request_id},
                                           {"command_id", about.command_id},
                                           {"type", about.type},
                                           {"attempt", about.attempt},
                                           {"reason", next.reason}});
      break;
  }
  if (metrics_ != nullptr)
    metrics_->processed(about.type, outcome);
}

}  // namespace kemas::worker
