#pragma once
// Reading a command's payload field by field, with every problem worded the same way for
// every command type: "<type> payload: field 'x' is missing". The reader remembers the first
// problem, so a codec reads every field and checks once:
//   payload_reader read(upload::type, from.payload);
//   const uuid file_id = read.id("file_id");
//   const std::uint64_t size = read.size("size");
//   if (read.failed()) return read.problem();
// After a problem the values read are empty or default: use them only when !failed().
// The codecs of domain/commands/<type>.cpp use it; nothing else reads payloads. Pure.

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

  // "<type> payload: <problem>", for the codec's own checks across fields.
  payload_problem fail(std::string_view problem) const;

  std::string text(std::string_view key);  // a required string
  uuid id(std::string_view key);           // a required uuid
  timestamp time(std::string_view key);    // a required RFC 3339 time
  // A required integer in 0..INT64_MAX (sizes: they become PostgreSQL bigints).
  std::uint64_t size(std::string_view key);
  // An optional integer that fits int64; nullopt when absent.
  std::optional<std::int64_t> optional_integer(std::string_view key);
  // An optional string; nullopt when absent.
  std::optional<std::string> optional_text(std::string_view key);

  bool failed() const noexcept { return problem_.has_value(); }
  const payload_problem& problem() const { return *problem_; }

 private:
  // Records the first problem; returns T{} for the caller to return.
  template <class T>
  T miss(std::string_view key, std::string_view what);
  const boost::json::value* field(std::string_view key);

  command_type command_;
  const boost::json::object& payload_;
  std::optional<payload_problem> problem_;
};

// The envelope's actor.user_id: who issued a user's command (the owner of an upload, the
// buyer of an upgrade). `who` names the role in the problem:
// "upload command: actor.user_id (the owner) is missing".
payload_result<uuid> actor_user(const envelope& command, std::string_view who);

}  // namespace kemas::commands
