#include "adapters/amqp/dead_letter_browser.hpp"

#include <amqp.h>

#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/properties.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/config/settings.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::amqp {
namespace {

constexpr amqp_channel_t browse_channel = 1;

std::string text_header(const header_map& headers, std::string_view key) {
  const auto found = headers.find(key);
  if (found == headers.end())
    return {};
  if (const auto* text = std::get_if<std::string>(&found->second))
    return *text;
  return std::to_string(std::get<std::int64_t>(found->second));
}

std::string property(const amqp_basic_properties_t& p, amqp_flags_t flag,
                     const amqp_bytes_t& value) {
  return (p._flags & flag) != 0 ? std::string(as_string_view(value)) : std::string();
}

// The first x-death entry's `time` (an AMQP timestamp, seconds), as RFC 3339; "" if absent.
std::string broker_death_time(const amqp_table_t& headers) {
  for (int i = 0; i < headers.num_entries; ++i) {
    const amqp_table_entry_t& entry = headers.entries[i];
    if (as_string_view(entry.key) != "x-death" || entry.value.kind != AMQP_FIELD_KIND_ARRAY ||
        entry.value.value.array.num_entries == 0)
      continue;
    const amqp_field_value_t& first = entry.value.value.array.entries[0];
    if (first.kind != AMQP_FIELD_KIND_TABLE)
      return {};
    const amqp_table_t& death = first.value.table;
    for (int j = 0; j < death.num_entries; ++j) {
      const amqp_table_entry_t& field = death.entries[j];
      if (as_string_view(field.key) == "time" && field.value.kind == AMQP_FIELD_KIND_TIMESTAMP)
        return format_rfc3339(timestamp(std::chrono::seconds(field.value.value.u64)));
    }
  }
  return {};
}

// `out` holds the delivery tag and routing key already (read before the message frames,
// which may reuse the memory of the get-ok method).
void read_letter(const amqp_message_t& message, dead_letter& out) {
  const amqp_basic_properties_t& p = message.properties;
  out.message_id = std::string(message_id_of(p));
  out.type = property(p, AMQP_BASIC_TYPE_FLAG, p.type);
  out.correlation_id = property(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id);
  if ((p._flags & AMQP_BASIC_HEADERS_FLAG) != 0)
    out.headers = to_header_map(p.headers);
  out.reason = text_header(out.headers, names::reason_header);
  if (out.reason.empty())
    out.reason = text_header(out.headers, "x-first-death-reason");
  out.source_queue = text_header(out.headers, names::source_queue_header);
  if (out.source_queue.empty())
    out.source_queue = text_header(out.headers, "x-first-death-queue");
  out.dead_lettered_at = text_header(out.headers, names::dead_lettered_at_header);
  if (out.dead_lettered_at.empty() && (p._flags & AMQP_BASIC_HEADERS_FLAG) != 0)
    out.dead_lettered_at = broker_death_time(p.headers);
  out.body = std::string(as_string_view(message.body));
}

}  // namespace

dead_letter_browser::dead_letter_browser(const config::amqp_settings& settings)
    : conn_(std::make_unique<connection>(make_connection_options(settings, "kemas-admin dlq"))) {
  conn_->open_channel(browse_channel);
}

dead_letter_browser::~dead_letter_browser() = default;

std::vector<dead_letter> dead_letter_browser::take(std::size_t limit) {
  std::vector<dead_letter> out;
  const std::string queue(names::dead_letter_queue);
  while (out.size() < limit) {
    amqp_maybe_release_buffers(conn_->state());  // decoded frames live in pools until released
    const amqp_rpc_reply_t reply =
        amqp_basic_get(conn_->state(), browse_channel, as_bytes(queue), /*no_ack=*/0);
    conn_->check(reply, browse_channel, "basic.get " + queue);
    if (reply.reply.id != AMQP_BASIC_GET_OK_METHOD)
      break;  // get-empty
    const auto* got = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
    dead_letter letter;
    letter.delivery_tag = got->delivery_tag;
    letter.routing_key = std::string(as_string_view(got->routing_key));
    amqp_message_t message;
    conn_->check(amqp_read_message(conn_->state(), browse_channel, &message, 0), browse_channel,
                 "read dead letter");
    read_letter(message, letter);
    amqp_destroy_message(&message);
    out.push_back(std::move(letter));
  }
  return out;
}

void dead_letter_browser::acknowledge(const dead_letter& letter) {
  conn_->check_status(amqp_basic_ack(conn_->state(), browse_channel, letter.delivery_tag, 0),
                      "ack dead letter");
}

void dead_letter_browser::release() {
  conn_->close_channel(browse_channel);
  conn_->open_channel(browse_channel);
}

std::size_t dead_letter_browser::purge() {
  const std::string queue(names::dead_letter_queue);
  const auto* ok = amqp_queue_purge(conn_->state(), browse_channel, as_bytes(queue));
  conn_->check(amqp_get_rpc_reply(conn_->state()), browse_channel, "purge " + queue);
  return ok != nullptr ? ok->message_count : 0;
}

}  // namespace kemas::amqp
