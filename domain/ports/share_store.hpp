#pragma once
// share_store: share links (DESIGN.md "Data": share_links; issue 17). Only the SHA-256 of a
// link's token is stored. Contract as api_key_store.hpp: owner scoping — another user's link
// id is indistinguishable from one that does not exist (not_found); the event a change
// describes is written in the same transaction. Implemented by adapters/postgres
// (share_repository) and in memory for unit tests.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/model/event.hpp"
#include "domain/model/file.hpp"
#include "domain/model/share_link.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

struct share_draft {
  uuid id;  // chosen by the caller: its cleanup command names it before it is stored
  uuid owner_id;
  uuid file_id;
  std::string token_hash;                    // SHA-256 hex of the token
  std::string note;                          // 0..500 characters
  std::optional<std::string> password_hash;  // Argon2id PHC string
  std::optional<std::int64_t> max_downloads;
  timestamp expires_at{};
};

// What the public route needs about a link, in one read: the link, its file, the password
// hash to check, and whether the owner's account is disabled.
struct share_access {
  model::share_link link;
  model::file file;
  std::optional<std::string> password_hash;
  bool owner_disabled = false;
};

class share_store {
 public:
  // list_for_owner returns at most this many links (the newest).
  static constexpr int list_limit = 1000;

  virtual ~share_store() = default;

  // Stores the link and emits `event` (share.created), if the owner holds fewer live links
  // (not revoked, not expired) than the plan in force allows; concurrent creations by one owner
  // are serialised on the owner's row, so the limit is exact. not_found when the file is not
  // the owner's live file; file_locked when it is locked; forbidden (field "share_links") at
  // the plan's limit; conflict (field "token") when the token hash is taken — draw again.
  virtual async<result<model::share_link>> create(share_draft draft,
                                                  model::event_draft event) = 0;

  // The owner's links, newest first, revoked and expired ones included.
  virtual async<std::vector<model::share_link>> list_for_owner(uuid owner_id) = 0;

  // Revokes the owner's link and emits `event` (share.revoked). not_found when the link does
  // not exist, belongs to someone else, or is already revoked.
  virtual async<result<model::share_link>> revoke(uuid owner_id, uuid share_id,
                                                  model::event_draft event) = 0;

  // The link with this token hash (any state), with its file. not_found when there is none.
  virtual async<result<share_access>> find_by_token(std::string token_hash) = 0;

  // Counts one download and emits `event` (share.downloaded) in one transaction — only while
  // the link is still usable at the database's clock: not revoked, not expired, under its
  // maximum (a conditional UPDATE, so N concurrent downloads of a link with k left count
  // exactly k). Returns the link after counting, or nullopt when it could not be counted.
  virtual async<std::optional<model::share_link>> count_download(uuid share_id,
                                                                 model::event_draft event) = 0;
};

}  // namespace kemas::ports
