#pragma once
// upload_service: POST /files/upload and GET /uploads/{id} (issue 4). An upload is
//   1. admitted before its body is read: the name (domain/file_name.hpp) and content type
//      are valid, no live file of the caller has the name (409), and a declared size fits
//      the plan's max file size (413) and the remaining quota (507);
//   2. received: with a lease on the account's upload slots and the process's buffer budget
//      (app/services/upload_slots.hpp; 429 or 503 + Retry-After when there is none), the body
//      streams through object_upload (inline up to upload.inline_max,
//      else to S3 at its generated key u/{owner}/{file_id}) and is cut off as soon as it
//      passes the file size limit or the remaining quota;
//   3. submitted: the uploads row is created pending, the `upload` command published
//      (confirmed), then the request waits up to upload.wait for the worker's decision.
// The worker's check is the one that counts: steps 1-2 only refuse early what cannot fit.
// Whatever fails before the command is confirmed leaves nothing behind (object removed,
// upload rejected); once confirmed, the upload is the worker's to settle.
//
// Threading: awaitables on the request's executor. PostgreSQL unreachable throws
// backend_unavailable (503); S3 and RabbitMQ faults are backend_unavailable errors.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "adapters/config/settings.hpp"
#include "domain/ports/object_streams.hpp"
#include "domain/ports/upload_store.hpp"
#include "app/server/http_types.hpp"
#include "app/services/command_sender.hpp"
#include "app/services/upload_slots.hpp"
#include "domain/ports/settle_signals.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::metrics {
class transfer_metrics;
}

namespace kemas::app {


struct upload_request {
  std::string name;          // as sent; validated by admit()
  std::string content_type;  // as sent; empty means application/octet-stream
  // The file's exact size when the client declared it (raw body with Content-Length).
  std::optional<std::uint64_t> declared_size;
  bool respond_async = false;  // Prefer: respond-async: answer 202 without waiting
  command_origin origin;
};

// What the body may bring, decided by admit().
struct upload_admission {
  std::string name;
  std::string content_type;
  std::uint64_t max_bytes = 0;       // the plan's max file size
  std::uint64_t remaining_bytes = 0;  // quota left when the upload started
};

// An upload as the client sees it: its row and, once committed, its file (one read).
using upload_view = ports::upload_record;

class upload_service {
 public:
  upload_service(ports::upload_store& uploads, ports::object_streams& objects, command_sender& commands,
                 ports::settle_signals& signals, const config::upload_settings& settings,
                 metrics::transfer_metrics& transfers);

  boost::asio::awaitable<result<upload_admission>> admit(const principal& who,
                                                         upload_request request);

  // Streams `body` (the file's bytes; an empty chunk at the end), stores it and submits the
  // command. Committed: the view has the file. Still pending when the wait ends (or
  // respond_async): the view's upload is pending. Rejected by the worker: the error for its
  // reason (409 name_taken, 413, 507 quota_exceeded).
  boost::asio::awaitable<result<upload_view>> receive(const principal& who,
                                                      const upload_request& request,
                                                      const upload_admission& admission,
                                                      http::body_source& body);

  // The tus path (app/services/tus_service.hpp): the last PATCH stored the body of upload
  // `upload_id` (inline, or at object_key_for(owner, file_id)) and made its pending row.
  // Sends the `upload` command and waits for the worker as receive() does.
  boost::asio::awaitable<result<upload_view>> commit_stored(const principal& who,
                                                            const command_origin& origin,
                                                            const uuid& upload_id,
                                                            const uuid& file_id, std::string name,
                                                            std::string content_type,
                                                            ports::stored_body body);

  // The process's upload leases (upload.max_per_user, upload.buffer_budget), which tus PATCHes
  // take too.
  upload_slots& slots() noexcept { return slots_; }

  // GET /uploads/{id}: not_found for a malformed id or another user's upload.
  boost::asio::awaitable<result<upload_view>> status(const principal& who,
                                                     std::string_view upload_id);

 private:
  // Where one upload's body goes, and whether the api recorded a claim on its object
  // (upload_store::hold_object) that a failure must release.
  struct upload_target {
    uuid owner;
    uuid upload_id;
    uuid file_id;
    std::string object_key;
    bool held = false;
  };

  // The before_store hook: records the claim (with the multipart id once there is one).
  boost::asio::awaitable<result<void>> hold(upload_target& target,
                                            std::optional<std::string> multipart_upload_id);
  // The upload failed: stops and removes what the store got, and releases the claim so the
  // object cleaner removes whatever abandon() could not.
  boost::asio::awaitable<void> give_up(ports::object_upload& sink, const upload_target& target);

  boost::asio::awaitable<result<upload_view>> store_and_submit(const principal& who,
                                                               const upload_request& request,
                                                               const upload_admission& admission,
                                                               http::body_source& body,
                                                               std::optional<std::uint64_t>& stored_bytes);
  boost::asio::awaitable<result<upload_view>> submit(const principal& who,
                                                     const upload_request& request,
                                                     const upload_admission& admission,
                                                     const upload_target& target,
                                                     ports::object_upload& sink,
                                                     ports::stored_body body);
  boost::asio::awaitable<result<std::string>> send_command(const command_origin& origin,
                                                          std::string name,
                                                          std::string content_type,
                                                          const uuid& upload_id,
                                                          const uuid& file_id,
                                                          ports::stored_body body);
  // After a confirmed command: waits up to `wait` for the worker's decision.
  boost::asio::awaitable<result<upload_view>> await_decision(const principal& who,
                                                             const uuid& upload_id,
                                                             ports::settle_subscription& subscription,
                                                             std::chrono::milliseconds wait);

  ports::upload_store& uploads_;
  ports::object_streams& objects_;
  command_sender& commands_;
  ports::settle_signals& signals_;
  const config::upload_settings& settings_;
  metrics::transfer_metrics& transfers_;
  upload_slots slots_;  // upload.max_per_user and upload.buffer_budget
};

}  // namespace kemas::app
