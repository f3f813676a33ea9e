#pragma once
// A stored file: a name the owner chose, the object's generated key, and its state. Locked
// files are over the quota after a downgrade (domain/quota.hpp): listed, renamable, not
// downloadable until space is freed or the plan renewed. Deleted files are never shown.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/uuid.hpp"

namespace kemas::model {

enum class file_state { active, locked, deleted };

std::string_view to_string(file_state state) noexcept;  // "active", "locked", "deleted"
std::optional<file_state> file_state_from(std::string_view name) noexcept;

struct file {
  uuid id;
  uuid owner_id;
  std::string name;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;  // 64 lower-hex: the strong ETag
  std::string object_key;
  file_state state = file_state::active;
  // Microseconds since the epoch: the column's own precision, so a cursor made from it
  // compares exactly with the stored value.
  std::int64_t created_us = 0;
};

}  // namespace kemas::model
