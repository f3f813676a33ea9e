#include "adapters/amqp/properties.hpp"

#include "domain/enum_names.hpp"

#include "adapters/amqp/connection.hpp"

#include <chrono>
#include <ctime>
#include <type_traits>

namespace kemas::amqp {
namespace {

void set_text(amqp_basic_properties_t& properties, amqp_flags_t flag, amqp_bytes_t& field,
              const std::string& value) {
  if (value.empty())
    return;
  properties._flags |= flag;
  field = as_bytes(value);
}

amqp_table_entry_t to_entry(const std::string& key, const header_value& value) {
  amqp_table_entry_t entry{};
  entry.key = as_bytes(key);
  std::visit(
      [&entry](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::int64_t>) {
          entry.value.kind = AMQP_FIELD_KIND_I64;
          entry.value.value.i64 = v;
        } else {
          entry.value.kind = AMQP_FIELD_KIND_UTF8;
          entry.value.value.bytes = as_bytes(v);
        }
      },
      value);
  return entry;
}

std::string text_of(const amqp_basic_properties_t& properties, amqp_flags_t flag,
                    amqp_bytes_t field) {
  if ((properties._flags & flag) == 0)
    return {};
  return std::string(as_string_view(field));
}

}  // namespace

outgoing_properties::outgoing_properties(const outgoing_message& message) {
  properties_._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
  properties_.delivery_mode = message.persistent ? 2 : 1;
  properties_.timestamp = static_cast<std::uint64_t>(std::time(nullptr));
  set_text(properties_, AMQP_BASIC_CONTENT_TYPE_FLAG, properties_.content_type,
           message.content_type);
  set_text(properties_, AMQP_BASIC_MESSAGE_ID_FLAG, properties_.message_id, message.message_id);
  set_text(properties_, AMQP_BASIC_TYPE_FLAG, properties_.type, message.type);
  set_text(properties_, AMQP_BASIC_CORRELATION_ID_FLAG, properties_.correlation_id,
           message.correlation_id);
  if (message.reply_to) {
    properties_._flags |= AMQP_BASIC_REPLY_TO_FLAG;
    properties_.reply_to = as_bytes(*message.reply_to);
  }
  if (message.expiration) {
    expiration_ = std::to_string(std::max<long long>(0, message.expiration->count()));
    properties_._flags |= AMQP_BASIC_EXPIRATION_FLAG;
    properties_.expiration = as_bytes(expiration_);
  }
  if (!message.headers.empty()) {
    entries_.reserve(message.headers.size());
    for (const auto& [key, value] : message.headers)
      entries_.push_back(to_entry(key, value));
    properties_._flags |= AMQP_BASIC_HEADERS_FLAG;
    properties_.headers = {static_cast<int>(entries_.size()), entries_.data()};
  }
}

amended_properties::amended_properties(const amqp_basic_properties_t& original,
                                       const header_map& extra)
    : properties_(original) {
  if ((original._flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
    for (int i = 0; i < original.headers.num_entries; ++i) {
      const amqp_table_entry_t& entry = original.headers.entries[i];
      if (extra.find(as_string_view(entry.key)) == extra.end())
        entries_.push_back(entry);
    }
  }
  for (const auto& [key, value] : extra)
    entries_.push_back(to_entry(key, value));
  properties_._flags |= AMQP_BASIC_HEADERS_FLAG;
  properties_.headers = {static_cast<int>(entries_.size()), entries_.data()};
}

header_map to_header_map(const amqp_table_t& table) {
  header_map headers;
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& entry = table.entries[i];
    std::string key(as_string_view(entry.key));
    const amqp_field_value_t& v = entry.value;
    switch (v.kind) {
      case AMQP_FIELD_KIND_UTF8:
      case AMQP_FIELD_KIND_BYTES:
        headers.emplace(std::move(key), std::string(as_string_view(v.value.bytes)));
        break;
      case AMQP_FIELD_KIND_BOOLEAN:
        headers.emplace(std::move(key), v.value.boolean ? 1 : 0);
        break;
      case AMQP_FIELD_KIND_I8:
        headers.emplace(std::move(key), v.value.i8);
        break;
      case AMQP_FIELD_KIND_U8:
        headers.emplace(std::move(key), v.value.u8);
        break;
      case AMQP_FIELD_KIND_I16:
        headers.emplace(std::move(key), v.value.i16);
        break;
      case AMQP_FIELD_KIND_U16:
        headers.emplace(std::move(key), v.value.u16);
        break;
      case AMQP_FIELD_KIND_I32:
        headers.emplace(std::move(key), v.value.i32);
        break;
      case AMQP_FIELD_KIND_U32:
        headers.emplace(std::move(key), v.value.u32);
        break;
      case AMQP_FIELD_KIND_I64:
        headers.emplace(std::move(key), v.value.i64);
        break;
      case AMQP_FIELD_KIND_U64:
      case AMQP_FIELD_KIND_TIMESTAMP:
        headers.emplace(std::move(key), static_cast<std::int64_t>(v.value.u64));
        break;
      default:
        break;  // arrays, tables, floats, decimals: not application headers we use
    }
  }
  return headers;
}

delivery to_delivery(const amqp_envelope_t& envelope, std::string queue) {
  const amqp_basic_properties_t& p = envelope.message.properties;
  delivery d;
  d.queue = std::move(queue);
  d.exchange = std::string(as_string_view(envelope.exchange));
  d.routing_key = std::string(as_string_view(envelope.routing_key));
  d.body = std::string(as_string_view(envelope.message.body));
  d.message_id = text_of(p, AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id);
  d.type = text_of(p, AMQP_BASIC_TYPE_FLAG, p.type);
  d.correlation_id = text_of(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id);
  d.content_type = text_of(p, AMQP_BASIC_CONTENT_TYPE_FLAG, p.content_type);
  if ((p._flags & AMQP_BASIC_REPLY_TO_FLAG) != 0) {
    d.reply_to = std::string(as_string_view(p.reply_to));
  }
  if ((p._flags & AMQP_BASIC_HEADERS_FLAG) != 0)
    d.headers = to_header_map(p.headers);
  d.redelivered = envelope.redelivered != 0;
  if (auto it = d.headers.find("x-delivery-count"); it != d.headers.end()) {
    if (const auto* count = std::get_if<std::int64_t>(&it->second))
      d.delivery_count = *count;
  }
  return d;
}

std::string_view message_id_of(const amqp_basic_properties_t& properties) noexcept {
  if ((properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) == 0)
    return {};
  return as_string_view(properties.message_id);
}

const char* to_string(publish_error error) noexcept {
  static constexpr auto names = ordinal_table<publish_error::shut_down>(
      {"ok", "nacked", "returned", "timeout", "not_connected", "connection_lost", "shut_down"});
  return name_of(names, error).data();
}

}  // namespace kemas::amqp
