#pragma once
// Conversions between our message values (message.hpp) and librabbitmq's basic properties.
// Internal to adapters/amqp: only the actors' .cpp files include it.

#include "adapters/amqp/message.hpp"
#include "domain/non_copyable.hpp"

#include <amqp.h>

#include <string>
#include <string_view>
#include <vector>

namespace kemas::amqp {

// amqp_basic_properties_t for an outgoing message. Points into `message` and into its own
// storage: keep both alive and unmoved until amqp_basic_publish returned.
class outgoing_properties : kemas::non_copyable {
 public:
  explicit outgoing_properties(const outgoing_message& message);
  const amqp_basic_properties_t* get() const noexcept { return &properties_; }

 private:
  amqp_basic_properties_t properties_{};
  std::vector<amqp_table_entry_t> entries_;
  std::string expiration_;
};

// The properties of a received message with some headers added or replaced (dead-lettering):
// everything else — including headers of any type, such as x-death — stays as received.
// Points into `original` and `extra`: keep them alive until the publish returned.
class amended_properties : kemas::non_copyable {
 public:
  amended_properties(const amqp_basic_properties_t& original, const header_map& extra);
  const amqp_basic_properties_t* get() const noexcept { return &properties_; }

 private:
  amqp_basic_properties_t properties_{};
  std::vector<amqp_table_entry_t> entries_;
};

// A delivery value (copies everything out of librabbitmq's buffers).
delivery to_delivery(const amqp_envelope_t& envelope, std::string queue);

// String and integer headers of a table; other types are skipped (see message.hpp).
header_map to_header_map(const amqp_table_t& table);

std::string_view message_id_of(const amqp_basic_properties_t& properties) noexcept;

}  // namespace kemas::amqp
