#include "workers/handlers/upload_handler.hpp"

#include "adapters/crypto/tokens.hpp"
#include "adapters/log/logging.hpp"
#include "workers/handlers/handler_steps.hpp"

#include <chrono>
#include <cstdint>

namespace kemas::worker {
namespace {

using model::rejection_reason;
using clock = std::chrono::steady_clock;

std::int64_t micros_since(clock::time_point from) {
  return static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - from).count());
}

// The body is in place with the declared size: nothing set. Otherwise a rejection reason,
// or a retry/reject result for an S3 failure (`failure`).
struct body_check {
  std::optional<rejection_reason> rejection;
  std::optional<handler_result> failure;
};

// An inline body that is not what the command declares never reaches the bucket.
bool inline_body_matches(const commands::upload& upload) {
  const std::string& bytes = *upload.inline_body;
  return bytes.size() == upload.size && crypto::sha256_hex(bytes) == upload.sha256;
}

body_check put_outcome(const ports::object_result<void>& put) {
  if (!put)
    return {std::nullopt, handler_result::retry("s3 put: " + put.error().detail)};
  return {};
}

// A streamed body was put by the api: it must be there with the declared size.
body_check check_streamed(ports::object_store& objects, const commands::upload& upload) {
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

body_check place_body(ports::object_store& objects, const commands::upload& upload) {
  if (!upload.inline_body)
    return check_streamed(objects, upload);
  if (!inline_body_matches(upload))
    return {rejection_reason::checksum_mismatch, std::nullopt};
  return put_outcome(objects.put(upload.object_key, *upload.inline_body, upload.content_type));
}

// place_body for a group: the inline bodies go in one put_all (concurrently where the store
// can), the streamed ones are checked one by one. Result i is uploads[i]'s.
std::vector<body_check> place_bodies(ports::object_store& objects,
                                     std::span<const commands::upload* const> uploads) {
  std::vector<body_check> out(uploads.size());
  std::vector<ports::object_put> puts;
  std::vector<std::size_t> put_of;  // put -> index in `uploads`
  for (std::size_t i = 0; i < uploads.size(); ++i) {
    const commands::upload& upload = *uploads[i];
    if (!upload.inline_body) {
      out[i] = check_streamed(objects, upload);
    } else if (!inline_body_matches(upload)) {
      out[i] = {rejection_reason::checksum_mismatch, std::nullopt};
    } else {
      puts.push_back({&upload.object_key, *upload.inline_body, &upload.content_type});
      put_of.push_back(i);
    }
  }
  if (!puts.empty()) {
    const auto results = objects.put_all(puts);
    for (std::size_t p = 0; p < put_of.size(); ++p)
      out[put_of[p]] = put_outcome(results.at(p));
  }
  return out;
}

void log_already_processed(const commands::envelope& envelope, const commands::upload& upload) {
  log::info("upload command already processed", {{"request_id", envelope.request_id},
                                                  {"command_id", envelope.id},
                                                  {"upload_id", upload.upload_id.to_string()}});
}

}  // namespace

handler_result upload_handler::apply_delivered(const commands::envelope& envelope,
                                               const commands::upload& upload,
                                               const delivery_facts& facts) {
  ports::file_command_store& store = *ports_.store;
  step_times times;
  auto step_started = clock::now();
  bool processed = false;
  if (!facts.first) {
    if (auto failed = guarded([&] { processed = store.processed(envelope.id); },
                              "upload: idempotency check"))
      return *failed;
  }
  if (processed) {
    log_already_processed(envelope, upload);
    return handler_result::done();
  }
  times.check_us = micros_since(step_started);

  step_started = clock::now();
  const body_check body = place_body(*ports_.objects, upload);
  times.object_us = micros_since(step_started);
  if (body.failure)
    return *body.failure;
  if (body.rejection)
    return settle_refusal(envelope, upload, body.rejection);
  return commit_alone(envelope, upload, times);
}

std::vector<handler_result> upload_handler::handle_group(
    std::span<const commands::envelope> commands) {
  return handle_deliveries(commands, {});
}

std::vector<handler_result> upload_handler::handle_deliveries(
    std::span<const commands::envelope> commands, std::span<const delivery_facts> facts) {
  const auto facts_of = [&](std::size_t i) {
    return i < facts.size() ? facts[i] : delivery_facts{};
  };
  ports::file_command_store& store = *ports_.store;
  std::vector<std::optional<handler_result>> results(commands.size());
  std::vector<commands::upload> decoded(commands.size());
  std::vector<std::size_t> live;  // decoded members, by index in `commands`
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto payload = commands::decode_as<commands::upload>(commands[i]);
    if (!payload) {
      results[i] = handler_result::reject(payload.error().reason);
      continue;
    }
    decoded[i] = std::move(*payload);
    live.push_back(i);
  }
  step_times times;
  times.group = live.size();

  // 1. One processed check for the members that may have been delivered before (none when
  // all are first deliveries). When it fails, every member goes the single path (which
  // checks again, and retries alone if the database is still away).
  auto step_started = clock::now();
  std::vector<std::string> ids;      // of the members to check
  std::vector<std::size_t> checked;  // their place in `live`
  for (std::size_t m = 0; m < live.size(); ++m) {
    if (!facts_of(live[m]).first) {
      ids.push_back(commands[live[m]].id);
      checked.push_back(m);
    }
  }
  std::vector<bool> processed(live.size(), false);
  const auto check = [&] {
    if (ids.empty())
      return;
    const std::vector<bool> among = store.processed_among(ids);
    for (std::size_t k = 0; k < checked.size(); ++k)
      processed[checked[k]] = among.at(k);
  };
  if (live.size() > 1 && !guarded(check, "upload: idempotency check")) {
    std::vector<std::size_t> fresh;
    for (std::size_t m = 0; m < live.size(); ++m) {
      const std::size_t i = live[m];
      if (processed.at(m)) {
        log_already_processed(commands[i], decoded[i]);
        results[i] = handler_result::done();
      } else {
        fresh.push_back(i);
      }
    }
    times.check_us = micros_since(step_started);

    // 2. The bodies, at once.
    step_started = clock::now();
    std::vector<const commands::upload*> uploads;
    for (std::size_t i : fresh)
      uploads.push_back(&decoded[i]);
    const auto bodies = place_bodies(*ports_.objects, uploads);
    times.object_us = micros_since(step_started);
    std::vector<ports::upload_member> group;
    std::vector<std::size_t> in_group;  // member -> index in `commands`
    for (std::size_t f = 0; f < fresh.size(); ++f) {
      const std::size_t i = fresh[f];
      if (bodies[f].failure) {
        results[i] = *bodies[f].failure;
      } else if (bodies[f].rejection) {
        results[i] = settle_refusal(commands[i], decoded[i], bodies[f].rejection);
      } else {
        group.push_back({&commands[i], &decoded[i]});
        in_group.push_back(i);
      }
    }

    // 3. One transaction for every commit; on a failure each member alone (below).
    if (!group.empty()) {
      step_started = clock::now();
      std::vector<ports::upload_commit> commits;
      const auto failed = guarded([&] { commits = store.commit_uploads(group); },
                                  "upload: group commit");
      times.commit_us = micros_since(step_started);
      if (!failed) {
        for (std::size_t m = 0; m < in_group.size(); ++m) {
          const std::size_t i = in_group[m];
          results[i] = conclude(commands[i], decoded[i], commits.at(m), times);
        }
      } else {
        log::warn("upload: group commit failed; committing its uploads one by one",
                  {{"commands", static_cast<std::int64_t>(group.size())},
                   {"reason", failed->reason}});
        for (std::size_t i : in_group)
          results[i] = commit_alone(commands[i], decoded[i], {times.check_us, times.object_us});
      }
    }
  }

  std::vector<handler_result> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i)
    out.push_back(results[i] ? std::move(*results[i])
                             : apply_delivered(commands[i], decoded[i], facts_of(i)));
  return out;
}

handler_result upload_handler::commit_alone(const commands::envelope& envelope,
                                            const commands::upload& upload, step_times times) {
  const auto started = clock::now();
  ports::upload_commit commit;
  if (auto failed = guarded([&] { commit = ports_.store->commit_upload(envelope, upload); },
                            "upload: commit"))
    return *failed;
  times.commit_us = micros_since(started);
  times.group = 1;
  return conclude(envelope, upload, commit, times);
}

handler_result upload_handler::conclude(const commands::envelope& envelope,
                                        const commands::upload& upload,
                                        const ports::upload_commit& commit,
                                        const step_times& times) {
  switch (commit.what) {
    case ports::upload_commit::kind::committed:
      log::info("upload committed", {{"request_id", envelope.request_id},
                                     {"command_id", envelope.id},
                                     {"upload_id", upload.upload_id.to_string()},
                                     {"file_id", upload.file_id.to_string()},
                                     {"size", upload.size},
                                     {"group", times.group},
                                     {"check_us", times.check_us},
                                     {"object_us", times.object_us},
                                     {"commit_us", times.commit_us}});
      return handler_result::done();
    case ports::upload_commit::kind::no_upload:
      return handler_result::reject("upload " + upload.upload_id.to_string() +
                                    " does not exist or is not the actor's");
    case ports::upload_commit::kind::refused:
      return settle_refusal(envelope, upload, commit.reason);
    case ports::upload_commit::kind::already_settled:
      break;
  }
  return settle_refusal(envelope, upload, std::nullopt);  // settled by another copy
}

handler_result upload_handler::settle_refusal(const commands::envelope& envelope,
                                              const commands::upload& upload,
                                              std::optional<rejection_reason> reason) {
  ports::file_command_store& store = *ports_.store;
  ports::rejection_record record;
  auto settle = [&] {
    record = reason ? store.record_rejection(envelope, upload, *reason)
                    : ports::rejection_record{false, !store.release_object(upload.object_key)};
  };
  if (auto failed = guarded(settle, "upload: record rejection"))
    return *failed;
  if (!record.object_in_use)
    remove_object_after_commit(*ports_.objects, store, upload.object_key, envelope.request_id,
                               envelope.id);
  const std::string upload_id = upload.upload_id.to_string();
  if (record.recorded) {
    log::info("upload rejected", {{"request_id", envelope.request_id},
                                  {"command_id", envelope.id},
                                  {"upload_id", upload_id},
                                  {"reason", model::to_string(*reason)}});
  } else {
    log::info("upload already settled; nothing to do",
              {{"request_id", envelope.request_id},
               {"command_id", envelope.id},
               {"upload_id", upload_id}});
  }
  return handler_result::done();
}

}  // namespace kemas::worker
