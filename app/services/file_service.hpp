#pragma once
// file_service: what the api answers about files without a command — list, metadata, rename
// and opening a download. Every call is scoped to the caller: another user's file id, a
// malformed id and a deleted file are all not_found (404), never forbidden.
//
// Threading: awaitables on the caller's executor; PostgreSQL and S3 work runs on their own
// pools. Throws backend_unavailable when PostgreSQL cannot be reached (the HTTP layer
// answers 503); S3 faults come back as backend_unavailable errors.

#include <memory>
#include <optional>
#include <string>

#include "domain/ports/file_store.hpp"
#include "domain/ports/object_streams.hpp"
#include "app/server/http_types.hpp"
#include "domain/byte_range.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::metrics {
class transfer_metrics;
}

namespace kemas::app {

inline constexpr unsigned file_list_default_limit = 50;
inline constexpr unsigned file_list_max_limit = 1000;

// GET /files/list parameters as sent (all optional).
struct file_list_request {
  std::optional<std::string> limit;
  std::optional<std::string> cursor;  // opaque, from a previous page's next_cursor
  std::optional<std::string> prefix;  // names starting with these bytes
  std::optional<std::string> sort;    // "created_at" (newest first, the default) | "name"
};

struct file_page {
  ports::file_list list;
  std::optional<std::string> next_cursor;  // set when another page follows
};

class file_service {
 public:
  // `transfers` counts download bodies (completed or aborted) and their bytes.
  file_service(ports::file_store& files, ports::object_streams& objects,
               metrics::transfer_metrics& transfers);

  // validation_failed naming "limit", "cursor" or "sort" on bad parameters. A cursor is
  // bound to the sort it was made for (and to nothing else: prefix may change between pages).
  boost::asio::awaitable<result<file_page>> list(const principal& who, file_list_request request);

  // The caller's non-deleted file (active or locked).
  boost::asio::awaitable<result<model::file>> get(const principal& who,
                                                            std::string_view file_id);

  // Validates the name (domain/file_name.hpp, 400) and renames; conflict (409, field
  // "name") when another live file of the caller has it. Renaming a file to its own name
  // succeeds without a write. Locked files may be renamed (names are not storage).
  boost::asio::awaitable<result<model::file>> rename(const principal& who,
                                                               std::string_view file_id,
                                                               std::string name);

  // The caller's file, readable for download: file_locked (403) when locked.
  boost::asio::awaitable<result<model::file>> find_downloadable(const principal& who,
                                                                          std::string_view file_id);

  // The download rule for a file already found (its owner's or a share link's): file_locked
  // when it is locked, or when its owner's paid plan is past due and the coming expiry will
  // lock it. One statement when the plan is in force.
  boost::asio::awaitable<result<void>> check_unlocked(const model::file& file);

  // Starts streaming `file`'s object (all of it, or `range`), once S3 answered. The source
  // yields exactly the expected number of bytes or fails; backend_unavailable when S3 cannot
  // deliver (object missing, S3 down, or an answer of the wrong length).
  boost::asio::awaitable<result<std::shared_ptr<http::body_source>>> open_object(
      const model::file& file, std::optional<byte_range> range);

 private:
  ports::file_store& files_;
  ports::object_streams& objects_;
  metrics::transfer_metrics& transfers_;
};

}  // namespace kemas::app
