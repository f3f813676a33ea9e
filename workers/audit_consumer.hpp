#pragma once
// The `audit` role's handling of one event from kemas.events.audit. Step 1: checks that the
// event is a JSON object with a UUID `id` and a non-empty string `type`, logs it (with its
// request_id) and acks; anything else is dead-lettered with the reason. Storing events in
// audit_log (idempotent by event id) comes with the events of steps 2-4.
// Runs on the consumer thread: it is quick and does no I/O besides the log line.

#include "adapters/amqp/consumer.hpp"

#include <optional>
#include <string>

namespace kemas::worker {

// nullopt when the event is acceptable, else why not (pure; unit-tested).
std::optional<std::string> check_audit_event(const std::string& body);

void handle_audit_event(const amqp::delivery& message, const amqp::delivery_handle& handle);

}  // namespace kemas::worker
