#include "workers/handlers/upload_handler.hpp"

#include "adapters/crypto/tokens.hpp"
#include "adapters/log/logging.hpp"
#include "workers/handlers/handler_steps.hpp"

#include <chrono>
#include <cstdint>

namespace kemas::worker {
namespace {

using model::rejection_reason;

// The body is in place with the declared size: nullopt. Otherwise a rejection reason, or a
// retry/reject result for an S3 failure (`failure`).
struct body_check {
  std::optional<rejection_reason> rejection;
  std::optional<handler_result> failure;
};

body_check place_body(ports::object_store& objects, const commands::upload& upload) {
  if (upload.inline_body) {
    const std::string& bytes = *upload.inline_body;
    if (bytes.size() != upload.size || crypto::sha256_hex(bytes) != upload.sha256)
      return {rejection_reason::checksum_mismatch, std::nullopt};
    auto put = objects.put(upload.object_key, bytes, upload.content_type);
    if (!put)
      return {std::nullopt, handler_result::retry("s3 put: " + put.error().detail)};
    return {};
  }
  auto size = objects.size_of(upload.object_key);
  if (!size) {
    if (size.error().not_found())
      return {rejection_reason::object_missing, std::nullopt};
    return {std::nullopt, handler_result::retry("s3 head: " + size.error().detail)};
  }
  if (*size != upload.size)
    return {rejection_reason::object_missing, std::nullopt};
  return {};
}

}  // namespace

handler_result upload_handler::apply(const commands::envelope& envelope,
                                     const commands::upload& upload) {
  const std::string_view request_id = envelope.request_id;
  const std::string upload_id = upload.upload_id.to_string();
  ports::file_command_store& store = *ports_.store;

  // Where a handler's time goes, in its log line: the idempotency check, the object, the commit.
  using clock = std::chrono::steady_clock;
  const auto micros_since = [](clock::time_point from) {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - from).count());
  };
  auto step_started = clock::now();
  bool processed = false;
  if (auto failed = guarded([&] { processed = store.processed(envelope.id); },
                            "upload: idempotency check"))
    return *failed;
  if (processed) {
    log::info("upload command already processed",
              {{"request_id", request_id}, {"command_id", envelope.id}, {"upload_id", upload_id}});
    return handler_result::done();
  }

  const std::int64_t check_us = micros_since(step_started);
  step_started = clock::now();
  body_check body = place_body(*ports_.objects, upload);
  const std::int64_t object_us = micros_since(step_started);
  step_started = clock::now();
  if (body.failure)
    return *body.failure;

  std::optional<rejection_reason> reason = body.rejection;
  if (!reason) {
    ports::upload_commit commit;
    if (auto failed = guarded([&] { commit = store.commit_upload(envelope, upload); },
                              "upload: commit"))
      return *failed;
    switch (commit.what) {
      case ports::upload_commit::kind::committed:
        log::info("upload committed", {{"request_id", request_id},
                                       {"command_id", envelope.id},
                                       {"upload_id", upload_id},
                                       {"file_id", upload.file_id.to_string()},
                                       {"size", upload.size},
                                       {"check_us", check_us},
                                       {"object_us", object_us},
                                       {"commit_us", micros_since(step_started)}});
        return handler_result::done();
      case ports::upload_commit::kind::no_upload:
        return handler_result::reject("upload " + upload_id +
                                      " does not exist or is not the actor's");
      case ports::upload_commit::kind::refused:
        reason = commit.reason;
        break;
      case ports::upload_commit::kind::already_settled:
        break;  // no reason: settled by another copy
    }
  }

  // Refused (or settled by another copy): record it, then free the object unless a file
  // row points at it.
  ports::rejection_record record;
  auto settle = [&] {
    record = reason ? store.record_rejection(envelope, upload, *reason)
                    : ports::rejection_record{false, !store.release_object(upload.object_key)};
  };
  if (auto failed = guarded(settle, "upload: record rejection"))
    return *failed;
  if (!record.object_in_use)
    remove_object_after_commit(*ports_.objects, store, upload.object_key, request_id,
                               envelope.id);
  if (record.recorded) {
    log::info("upload rejected", {{"request_id", request_id},
                                  {"command_id", envelope.id},
                                  {"upload_id", upload_id},
                                  {"reason", model::to_string(*reason)}});
  } else {
    log::info("upload already settled; nothing to do",
              {{"request_id", request_id}, {"command_id", envelope.id}, {"upload_id", upload_id}});
  }
  return handler_result::done();
}

}  // namespace kemas::worker
