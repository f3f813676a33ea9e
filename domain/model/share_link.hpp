#pragma once
// A share link (issue 17): a public, expiring link to one of its owner's files, reached at
// /s/{token}. The token is shown once at creation; only its SHA-256 is kept. A link works
// while it is not revoked, not past expires_at, not used up (max_downloads), its file is
// active and its owner enabled; share_state tells which of these stopped it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

namespace kemas::model {

struct share_link {
  uuid id;
  uuid owner_id;
  uuid file_id;
  std::string file_name;  // the file's current name (renames show through)
  std::uint64_t file_size = 0;
  std::string note;
  bool has_password = false;
  std::optional<std::int64_t> max_downloads;  // nullopt: unlimited
  std::int64_t downloads = 0;
  timestamp expires_at{};
  timestamp created_at{};
  std::optional<timestamp> revoked_at;
};

// What a link is now, seen at `now`: the first of revoked, expired, used_up that applies, else
// active (the file's state is the file's to tell).
enum class share_state { active, expired, revoked, used_up };
share_state state_of(const share_link& link, timestamp now) noexcept;
std::string_view to_string(share_state state) noexcept;

}  // namespace kemas::model
