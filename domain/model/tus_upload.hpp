#pragma once
// A resumable upload (tus 1.0, issue 17): what kemas records about it while its bytes arrive
// in PATCHes, possibly through several api instances. The offset counts the bytes kemas has
// made durable: the parts S3 acknowledged plus the tail kept in PostgreSQL (bytes after the
// last part; S3 takes only full parts but the last). HEAD reads this and nothing else.

#include <cstdint>
#include <optional>
#include <string>

#include "domain/rfc3339.hpp"
#include "domain/uuid.hpp"

namespace kemas::model {

// open: taking bytes; completing: every byte is in, the `upload` command is on its way;
// committed: it became a file (HEAD still answers, from the file).
enum class tus_state { open, completing, committed };

struct tus_upload {
  uuid id;  // also the id of the `uploads` row and the command once the last byte is in
  uuid owner_id;
  uuid file_id;
  std::string object_key;  // object_key_for(owner, file_id)
  std::string name;
  std::string content_type;
  std::string metadata;                 // the client's Upload-Metadata, echoed by HEAD
  std::optional<std::uint64_t> length;  // nullopt: Upload-Defer-Length, not declared yet
  std::uint64_t offset = 0;
  tus_state state = tus_state::open;
  timestamp expires_at{};
  timestamp created_at{};

  bool complete() const noexcept { return length && offset == *length; }
};

// A part S3 acknowledged.
struct tus_part {
  int number = 0;
  std::uint64_t size = 0;
  std::string etag;
};

}  // namespace kemas::model
