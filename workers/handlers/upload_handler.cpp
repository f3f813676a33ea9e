#include "workers/handlers/upload_handler.hpp"

#include "adapters/crypto/tokens.hpp"
#include "adapters/log/logging.hpp"
#include "workers/handlers/file_store_tx.hpp"

namespace kemas::worker {
namespace {

// The body is in place with the declared size: nullopt. Otherwise a rejection reason, or a
// retry/reject result for an S3 failure (`failure`).
struct body_check {
  std::optional<std::string> rejection;
  std::optional<handler_result> failure;
};

body_check place_body(s3::s3_client& objects, const upload_payload& upload) {
  if (upload.inline_body) {
    const std::string& bytes = *upload.inline_body;
    if (bytes.size() != upload.size || crypto::sha256_hex(bytes) != upload.sha256)
      return {"checksum_mismatch", std::nullopt};
    auto put = objects.put_object(upload.object_key, bytes, upload.content_type);
    if (!put)
      return {std::nullopt, handler_result::retry("s3 put: " + put.error().describe())};
    return {};
  }
  auto head = objects.head_object(upload.object_key);
  if (!head) {
    if (head.error().not_found())
      return {"object_missing", std::nullopt};
    return {std::nullopt, handler_result::retry("s3 head: " + head.error().describe())};
  }
  if (head->size != upload.size)
    return {"object_missing", std::nullopt};
  return {};
}

}  // namespace

handler_result upload_handler::handle(const domain::command_envelope& command) {
  auto parsed = parse_upload_payload(command);
  if (!parsed)
    return handler_result::reject(parsed.error().reason);
  const upload_payload& upload = *parsed;
  const std::string_view request_id = command.request_id;

  bool processed = false;
  auto check = [&](soci::session& sql) { processed = command_processed(sql, command.id); };
  if (auto failed = run_transaction(*ports_.db, check, "upload: idempotency check"))
    return *failed;
  if (processed) {
    log::info("upload command already processed", {{"request_id", request_id},
                                                    {"command_id", command.id},
                                                    {"upload_id", upload.upload_id}});
    return handler_result::done();
  }

  body_check body = place_body(*ports_.objects, upload);
  if (body.failure)
    return *body.failure;

  std::string reason;
  if (body.rejection) {
    reason = *body.rejection;
  } else {
    upload_commit commit;
    auto apply = [&](soci::session& sql) { commit = commit_upload(sql, command, upload); };
    if (auto failed = run_transaction(*ports_.db, apply, "upload: commit"))
      return *failed;
    switch (commit.what) {
      case upload_commit::kind::committed:
        log::info("upload committed", {{"request_id", request_id},
                                       {"command_id", command.id},
                                       {"upload_id", upload.upload_id},
                                       {"file_id", upload.file_id},
                                       {"size", upload.size}});
        return handler_result::done();
      case upload_commit::kind::no_upload:
        return handler_result::reject("upload " + upload.upload_id +
                                      " does not exist or is not the actor's");
      case upload_commit::kind::already_settled:
      case upload_commit::kind::refused:
        reason = commit.reason;  // empty for already_settled
        break;
    }
  }

  // Refused (or settled by another copy): record it, then free the object unless a file
  // row points at it.
  rejection_record record;
  auto reject = [&](soci::session& sql) {
    record = reason.empty() ? rejection_record{false, object_in_use(sql, upload.object_key)}
                            : record_rejection(sql, command, upload, reason);
  };
  if (auto failed = run_transaction(*ports_.db, reject, "upload: record rejection"))
    return *failed;
  if (!record.object_in_use)
    remove_object_after_commit(*ports_.objects, upload.object_key, request_id, command.id);
  if (record.recorded) {
    log::info("upload rejected", {{"request_id", request_id},
                                  {"command_id", command.id},
                                  {"upload_id", upload.upload_id},
                                  {"reason", reason}});
  } else {
    log::info("upload already settled; nothing to do", {{"request_id", request_id},
                                                         {"command_id", command.id},
                                                         {"upload_id", upload.upload_id}});
  }
  return handler_result::done();
}

}  // namespace kemas::worker
