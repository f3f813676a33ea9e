#pragma once
// The RabbitMQ topology of kemas in ONE place: names, the delay buckets, and a description
// (exchanges, queues with their typed arguments, bindings) that every process declares at
// start and that conf/rabbitmq/definitions.json mirrors (a unit test compares the two).
//
//   kemas.commands (direct) --<type>--> kemas.commands.<type>   quorum, x-delivery-limit,
//                                                               dead-letters to kemas.dead
//   kemas.dead (fanout) --> kemas.dead-letters                  quorum
//   kemas.events (topic) --#--> kemas.events.audit              quorum
//   kemas.events --<mail_event_types>--> kemas.events.mail      quorum, x-delivery-limit,
//   kemas.commands --"mail"--> kemas.events.mail                dead-letters to kemas.dead
//                                (the mailer's delayed retries and reminders come back
//                                through the delay buckets with routing key "mail")
//   kemas.delay.<b> (fanout) --> kemas.delay.<b>                quorum, x-message-ttl, dead-letters
//                                                               to kemas.commands keeping the
//                                                               routing key (= command type)

#include "domain/commands/envelope.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kemas::amqp {

class connection;

namespace names {
inline constexpr std::string_view commands_exchange = "kemas.commands";
inline constexpr std::string_view dead_exchange = "kemas.dead";
inline constexpr std::string_view dead_letter_queue = "kemas.dead-letters";
inline constexpr std::string_view events_exchange = "kemas.events";
inline constexpr std::string_view audit_queue = "kemas.events.audit";
inline constexpr std::string_view mail_queue = "kemas.events.mail";
// Routing key of the mailer's own delayed copies (retries, reminders) via kemas.delay.*.
inline constexpr std::string_view mail_delayed_key = "mail";
inline constexpr std::string_view delay_prefix = "kemas.delay.";  // + bucket name

// Headers the consumer adds when it dead-letters a message itself.
inline constexpr std::string_view reason_header = "x-kemas-reason";
inline constexpr std::string_view source_queue_header = "x-kemas-source-queue";
inline constexpr std::string_view dead_lettered_at_header = "x-kemas-dead-lettered-at";
}  // namespace names

// The events the mailer turns into messages (workers/mail_notices.hpp says which message).
inline constexpr std::array<std::string_view, 9> mail_event_types{
    "auth.password_reset_requested",
    "auth.password_changed",
    "auth.password_reset",
    "auth.login",
    "apikey.created",
    "user.role_changed",
    "user.disabled",
    "plan.upgraded",
    "plan.expired",
};

// "kemas.commands.<type>"
std::string command_queue(commands::command_type type);
std::string command_routing_key(commands::command_type type);

struct delay_bucket {
  std::string_view name;  // "1s", "5s", "30s", "2m", "10m", "1h"
  std::chrono::milliseconds ttl;
};

inline constexpr std::array<delay_bucket, 6> delay_buckets{{
    {"1s", std::chrono::seconds(1)},
    {"5s", std::chrono::seconds(5)},
    {"30s", std::chrono::seconds(30)},
    {"2m", std::chrono::minutes(2)},
    {"10m", std::chrono::minutes(10)},
    {"1h", std::chrono::hours(1)},
}};

// Exchange (and queue) name of a bucket: "kemas.delay.30s".
std::string delay_exchange(const delay_bucket& bucket);

// The bucket to publish a command through so that it arrives no EARLIER than `remaining`
// from now: the largest bucket <= remaining, or the smallest one when 0 < remaining < 1 s
// (a little late is fine, early is not: a handler would find it not yet due). nullopt when
// remaining <= 0 (due now: publish to kemas.commands directly). For long delays the receiver
// re-delays until due (e.g. 3 h = 1h, 1h, 1h).
std::optional<delay_bucket> pick_delay_bucket(std::chrono::milliseconds remaining) noexcept;

// ---- description ----

using argument_value = std::variant<std::int64_t, std::string>;

struct queue_argument {
  std::string key;
  argument_value value;
  bool operator==(const queue_argument&) const = default;
};

struct exchange_spec {
  std::string name;
  std::string type;  // direct | fanout | topic
  bool operator==(const exchange_spec&) const = default;
};

struct queue_spec {
  std::string name;
  std::vector<queue_argument> arguments;  // in declaration order
  bool operator==(const queue_spec&) const = default;
};

struct binding_spec {
  std::string source;       // exchange
  std::string destination;  // queue
  std::string routing_key;
  bool operator==(const binding_spec&) const = default;
};

// Everything is durable, not auto-delete, not internal; bindings have no arguments.
struct topology {
  std::vector<exchange_spec> exchanges;
  std::vector<queue_spec> queues;
  std::vector<binding_spec> bindings;
};

// The kemas topology. delivery_limit = amqp_settings.delivery_limit (sent as an integer:
// a string is silently ignored by RabbitMQ 3.10).
topology kemas_topology(unsigned delivery_limit);

// Declares every exchange, queue and binding on `channel` (open, not in confirm mode needed).
// Idempotent when the broker already has the same declarations. Throws amqp_failure naming
// the object on the first refusal (e.g. 406 inequivalent arg when a queue exists with other
// arguments — such a queue must be deleted or migrated by an operator).
void declare_topology(connection& conn, std::uint16_t channel, const topology& description);

}  // namespace kemas::amqp
