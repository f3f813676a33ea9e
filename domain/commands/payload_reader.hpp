#pragma once
// Reading a command's payload field by field, with every problem worded the same way for
// every command type: "<type> payload: field 'x' is missing". The codecs of
// domain/commands/<type>.cpp use it; nothing else reads payloads. Pure, thread-safe.

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/commands/envelope.hpp"
#include "domain/uuid.hpp"

namespace kemas::commands {

class payload_reader {
 public:
  // `command` names the type in problems; the payload must outlive the reader.
  payload_reader(command_type command, const boost::json::object& payload) noexcept
      : command_(command), payload_(payload) {}

  // "<type> payload: <problem>".
  payload_problem fail(std::string_view problem) const;

  payload_result<std::string> text(std::string_view key) const;  // a required string
  payload_result<uuid> id(std::string_view key) const;           // a required uuid
  payload_result<timestamp> time(std::string_view key) const;    // a required RFC 3339 time
  // A required integer in 0..INT64_MAX (sizes: they become PostgreSQL bigints).
  payload_result<std::uint64_t> size(std::string_view key) const;
  // An optional integer that fits int64; nullopt when absent.
  payload_result<std::optional<std::int64_t>> optional_integer(std::string_view key) const;
  // An optional string; nullopt when absent.
  payload_result<std::optional<std::string>> optional_text(std::string_view key) const;

 private:
  command_type command_;
  const boost::json::object& payload_;
};

// The envelope's actor.user_id: who issued a user's command (the owner of an upload, the
// buyer of an upgrade). `who` names the role in the problem:
// "upload command: actor.user_id (the owner) is missing".
payload_result<uuid> actor_user(const envelope& command, std::string_view who);

}  // namespace kemas::commands
