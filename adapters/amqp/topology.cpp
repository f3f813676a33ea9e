#include "adapters/amqp/topology.hpp"

#include "adapters/amqp/connection.hpp"

#include <amqp.h>

#include <type_traits>

namespace kemas::amqp {
namespace {

std::string str(std::string_view text) {
  return std::string(text);
}

// Arguments shared by every queue that dead-letters: at-least-once needs reject-publish, or
// RabbitMQ silently falls back to at-most-once (FACTS.md).
void add_dead_lettering(std::vector<queue_argument>& arguments, std::string_view exchange) {
  arguments.push_back({"x-dead-letter-exchange", str(exchange)});
  arguments.push_back({"x-dead-letter-strategy", std::string("at-least-once")});
  arguments.push_back({"x-overflow", std::string("reject-publish")});
}

queue_spec quorum_queue(std::string name) {
  return queue_spec{std::move(name), {{"x-queue-type", std::string("quorum")}}};
}

}  // namespace

std::string command_queue(commands::command_type type) {
  return str(names::commands_exchange) + "." + str(commands::to_string(type));
}

std::string command_routing_key(commands::command_type type) {
  return str(commands::to_string(type));
}

std::string delay_exchange(const delay_bucket& bucket) {
  return str(names::delay_prefix) + str(bucket.name);
}

std::optional<delay_bucket> pick_delay_bucket(std::chrono::milliseconds remaining) noexcept {
  if (remaining <= std::chrono::milliseconds::zero())
    return std::nullopt;
  std::optional<delay_bucket> best;
  for (const delay_bucket& bucket : delay_buckets) {
    if (bucket.ttl <= remaining)
      best = bucket;
  }
  return best ? best : std::optional<delay_bucket>(delay_buckets.front());
}

topology kemas_topology(unsigned delivery_limit) {
  topology t;
  t.exchanges.push_back({str(names::commands_exchange), "direct"});
  t.exchanges.push_back({str(names::dead_exchange), "fanout"});
  t.exchanges.push_back({str(names::events_exchange), "topic"});

  for (commands::command_type type : commands::all_command_types) {
    queue_spec queue = quorum_queue(command_queue(type));
    queue.arguments.push_back({"x-delivery-limit", static_cast<std::int64_t>(delivery_limit)});
    add_dead_lettering(queue.arguments, names::dead_exchange);
    t.queues.push_back(std::move(queue));
    t.bindings.push_back(
        {str(names::commands_exchange), command_queue(type), command_routing_key(type)});
  }

  t.queues.push_back(quorum_queue(str(names::dead_letter_queue)));
  t.bindings.push_back({str(names::dead_exchange), str(names::dead_letter_queue), ""});

  // The audit queue gets the same poison protection as the command queues.
  queue_spec audit = quorum_queue(str(names::audit_queue));
  audit.arguments.push_back({"x-delivery-limit", static_cast<std::int64_t>(delivery_limit)});
  add_dead_lettering(audit.arguments, names::dead_exchange);
  t.queues.push_back(std::move(audit));
  t.bindings.push_back({str(names::events_exchange), str(names::audit_queue), "#"});

  queue_spec mail = quorum_queue(str(names::mail_queue));
  mail.arguments.push_back({"x-delivery-limit", static_cast<std::int64_t>(delivery_limit)});
  add_dead_lettering(mail.arguments, names::dead_exchange);
  t.queues.push_back(std::move(mail));
  for (std::string_view type : mail_event_types)
    t.bindings.push_back({str(names::events_exchange), str(names::mail_queue), str(type)});
  t.bindings.push_back(
      {str(names::commands_exchange), str(names::mail_queue), str(names::mail_delayed_key)});

  for (const delay_bucket& bucket : delay_buckets) {
    const std::string name = delay_exchange(bucket);
    t.exchanges.push_back({name, "fanout"});
    queue_spec queue = quorum_queue(name);
    queue.arguments.push_back({"x-message-ttl", static_cast<std::int64_t>(bucket.ttl.count())});
    // No x-dead-letter-routing-key: the original routing key (the command type) is kept.
    add_dead_lettering(queue.arguments, names::commands_exchange);
    t.queues.push_back(std::move(queue));
    t.bindings.push_back({name, name, ""});
  }
  return t;
}

void declare_topology(connection& conn, std::uint16_t channel, const topology& description) {
  amqp_connection_state_t state = conn.state();
  for (const exchange_spec& exchange : description.exchanges) {
    amqp_exchange_declare(state, channel, as_bytes(exchange.name), as_bytes(exchange.type),
                          /*passive=*/0, /*durable=*/1, /*auto_delete=*/0, /*internal=*/0,
                          amqp_empty_table);
    conn.check(amqp_get_rpc_reply(state), channel, "declare exchange " + exchange.name);
  }
  for (const queue_spec& queue : description.queues) {
    std::vector<amqp_table_entry_t> entries(queue.arguments.size());
    for (std::size_t i = 0; i < queue.arguments.size(); ++i) {
      const queue_argument& argument = queue.arguments[i];
      entries[i].key = as_bytes(argument.key);
      std::visit(
          [&entries, i](const auto& value) {
            if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::int64_t>) {
              entries[i].value.kind = AMQP_FIELD_KIND_I64;
              entries[i].value.value.i64 = value;
            } else {
              entries[i].value.kind = AMQP_FIELD_KIND_UTF8;
              entries[i].value.value.bytes = as_bytes(value);
            }
          },
          argument.value);
    }
    const amqp_table_t arguments{static_cast<int>(entries.size()), entries.data()};
    amqp_queue_declare(state, channel, as_bytes(queue.name), /*passive=*/0, /*durable=*/1,
                       /*exclusive=*/0, /*auto_delete=*/0, arguments);
    conn.check(amqp_get_rpc_reply(state), channel, "declare queue " + queue.name);
  }
  for (const binding_spec& binding : description.bindings) {
    amqp_queue_bind(state, channel, as_bytes(binding.destination), as_bytes(binding.source),
                    as_bytes(binding.routing_key), amqp_empty_table);
    conn.check(amqp_get_rpc_reply(state), channel,
               "bind " + binding.destination + " to " + binding.source + " with '" +
                   binding.routing_key + "'");
  }
}

}  // namespace kemas::amqp
