#pragma once
// tus_service: resumable uploads, tus 1.0 with the creation, creation-with-upload,
// creation-defer-length, expiration, checksum (sha256) and termination extensions (issue 17;
// the HTTP side is app/routes/tus.cpp). What kemas adds to the protocol:
//  - no sticky sessions: a PATCH on any api instance takes the upload's lease in Redis
//    (ports::upload_leases) and renews it while bytes arrive; one whose client stalls loses
//    it after upload.tus_lease and the next PATCH takes over. The fencing token it got from
//    PostgreSQL (tus_store::take_over) makes a stalled PATCH's late writes harmless. HEAD
//    never takes the lease: it reads the recorded offset;
//  - the offset and the parts are recorded by kemas (app/services/tus_writer.hpp), never read
//    back from S3, so HEAD and resume survive any restart;
//  - quota is reserved exactly at creation when Upload-Length is known (and when a deferred
//    length is declared); a deferred upload is held to the room left as it grows;
//  - an upload ends by itself at Upload-Expires: the `expire-upload` command is published
//    through the delay queues before the upload is stored;
//  - the last byte commits through the same `upload` command as every other upload
//    (upload_service::commit_stored), and a small creation-with-upload that carries the whole
//    file (at most upload.inline_max) is just that: a plain upload (route's shortcut).
//
// Threading: awaitables on the request's executor. PostgreSQL faults become 503.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/config/settings.hpp"
#include "app/services/command_sender.hpp"
#include "app/services/upload_service.hpp"
#include "domain/model/tus_upload.hpp"
#include "domain/ports/byte_source.hpp"
#include "domain/ports/part_store.hpp"
#include "domain/ports/tus_store.hpp"
#include "domain/ports/upload_leases.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::app {

struct tus_creation {
  std::optional<std::uint64_t> length;  // Upload-Length; nullopt: Upload-Defer-Length: 1
  std::string metadata;                 // Upload-Metadata as sent
  command_origin origin;
};

struct tus_chunk {
  std::uint64_t offset = 0;                     // Upload-Offset
  std::optional<std::uint64_t> length;          // Upload-Length, declaring a deferred one
  std::optional<std::uint64_t> content_length;  // of this PATCH's body
  std::optional<std::string> sha256;            // Upload-Checksum sha256: the raw digest
  command_origin origin;
};

// Where an upload stands after a PATCH.
struct tus_position {
  std::uint64_t offset = 0;
  timestamp expires_at{};
  std::optional<upload_view> finished;  // the last byte is in: the upload as the worker left it
};

class tus_service {
 public:
  tus_service(ports::tus_store& store, ports::upload_leases& leases, ports::part_store& parts,
              ports::upload_store& uploads, upload_service& plain, command_sender& commands,
              const config::upload_settings& settings);

  // POST: validates the metadata (filename, filetype) and the length against the plan,
  // schedules its end, stores it with its reservation.
  boost::asio::awaitable<result<model::tus_upload>> create(const principal& who,
                                                           tus_creation request);

  // A creation-with-upload whose body is the whole file, at most upload.inline_max bytes:
  // stored as a plain upload (one `upload` command, no tus rows), so small files cost what
  // POST /files/upload costs. The route decides when a request qualifies.
  boost::asio::awaitable<result<upload_view>> create_whole(const principal& who,
                                                           tus_creation request,
                                                           ports::byte_source& body);

  // HEAD: not_found for a malformed id or another user's upload; gone once it expired.
  boost::asio::awaitable<result<model::tus_upload>> find(const principal& who,
                                                         std::string_view upload_id);

  // PATCH (and the body of a creation-with-upload): the body's bytes at request.offset.
  // locked (423, Retry-After) while another PATCH holds the lease; conflict (409) for a wrong
  // offset; checksum_mismatch (460) records nothing of this body.
  boost::asio::awaitable<result<tus_position>> append(const principal& who,
                                                      std::string_view upload_id,
                                                      tus_chunk request,
                                                      ports::byte_source& body);

  std::size_t inline_max() const noexcept { return settings_.inline_max; }

  // DELETE: ends the upload, releases its reservation and frees its parts on S3.
  boost::asio::awaitable<result<void>> terminate(const principal& who, std::string_view upload_id);

 private:
  struct named_file {
    std::string name;
    std::string content_type;
  };
  // The file's name and content type from Upload-Metadata, validated.
  static result<named_file> named_in(std::string_view metadata);

  boost::asio::awaitable<result<tus_position>> append_locked(const principal& who,
                                                             const uuid& id,
                                                             const std::string& holder,
                                                             tus_chunk& request,
                                                             ports::byte_source& body);

  ports::tus_store& store_;
  ports::upload_leases& leases_;
  ports::part_store& parts_;
  ports::upload_store& uploads_;
  upload_service& plain_;
  command_sender& commands_;
  const config::upload_settings& settings_;
};

}  // namespace kemas::app
