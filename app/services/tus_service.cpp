#include "app/services/tus_service.hpp"

#include <algorithm>
#include <limits>

#include "adapters/crypto/resumable_sha256.hpp"
#include "adapters/crypto/sha256_stream.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/support/random.hpp"
#include "app/services/tus_writer.hpp"
#include "domain/commands/expire_upload.hpp"
#include "domain/file_name.hpp"
#include "domain/hex.hpp"
#include "domain/media_type.hpp"
#include "domain/model/object_key.hpp"
#include "domain/quota.hpp"
#include "domain/tus_metadata.hpp"

namespace kemas::app {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

timestamp now_ms() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

// A tus upload's id from its URL; another user's and a malformed one are both "no such".
result<uuid> upload_id_of(std::string_view text) {
  if (const auto id = uuid::parse(text))
    return *id;
  return make_error(errc::not_found, "no such upload");
}

error database_down() {
  return make_error(errc::backend_unavailable, "the database is unavailable");
}

}  // namespace

tus_service::tus_service(ports::tus_store& store, ports::upload_leases& leases,
                         ports::part_store& parts, ports::upload_store& uploads,
                         upload_service& plain, command_sender& commands,
                         const config::upload_settings& settings)
    : store_(store),
      leases_(leases),
      parts_(parts),
      uploads_(uploads),
      plain_(plain),
      commands_(commands),
      settings_(settings) {}

result<tus_service::named_file> tus_service::named_in(std::string_view metadata_header) {
  auto metadata = parse_tus_metadata(metadata_header);
  if (!metadata)
    return metadata.error();
  std::string name = first_of(*metadata, {"filename", "name"});
  if (name.empty())
    return make_error(errc::validation_failed, "Upload-Metadata needs the file's name (filename)",
                      "filename");
  if (auto valid = validate_file_name(name); !valid)
    return valid.error();
  auto content_type = normalize_media_type(first_of(*metadata, {"filetype", "type", "contentType"}));
  if (!content_type)
    return content_type.error();
  return named_file{std::move(name), std::move(*content_type)};
}

asio::awaitable<result<upload_view>> tus_service::create_whole(const principal& who,
                                                               tus_creation request,
                                                               ports::byte_source& body) {
  auto named = named_in(request.metadata);
  if (!named)
    co_return named.error();
  upload_request plain;
  plain.name = std::move(named->name);
  plain.content_type = std::move(named->content_type);
  plain.declared_size = request.length;
  plain.origin = std::move(request.origin);
  auto admission = co_await plain_.admit(who, plain);
  if (!admission)
    co_return admission.error();
  co_return co_await plain_.receive(who, plain, *admission, body);
}

asio::awaitable<result<model::tus_upload>> tus_service::create(const principal& who,
                                                               tus_creation request) {
  auto named = named_in(request.metadata);
  if (!named)
    co_return named.error();
  std::string name = std::move(named->name);
  std::optional<std::string> content_type = std::move(named->content_type);

  try {
    auto admission = co_await store_.admission(who.user_id, name);
    if (!admission)
      co_return admission.error();
    const model::storage_limits& limits = admission->storage;
    const std::uint64_t room =
        limits.quota_bytes > limits.used_bytes ? limits.quota_bytes - limits.used_bytes : 0;
    if (request.length && *request.length > limits.max_file_bytes)
      co_return file_too_large_error(limits.max_file_bytes);
    if (request.length ? *request.length > room : room == 0)
      co_return over_quota_error(room);
    if (admission->name_taken)
      co_return make_error(errc::conflict, "a file with this name exists", "name");
    if (admission->open_uploads >= settings_.tus_max_open)
      co_return make_error(errc::rate_limited,
                           "you have " + std::to_string(settings_.tus_max_open) +
                               " unfinished uploads: finish or delete one first",
                           "uploads");

    ports::tus_draft draft;
    draft.id = support::random_uuid();
    draft.owner_id = who.user_id;
    draft.file_id = support::random_uuid();
    draft.object_key = model::object_key_for(who.user_id, draft.file_id);
    draft.name = std::move(name);
    draft.content_type = std::move(*content_type);
    draft.metadata = std::move(request.metadata);
    draft.length = request.length;
    draft.expires_at = now_ms() + settings_.tus_expiry;

    // Its end first: an upload is stored only once its expiry is on the way.
    const commands::expire_upload end{draft.id, draft.expires_at};
    const command_origin system{request.origin.request_id, std::nullopt, request.origin.client_ip};
    auto scheduled = co_await commands_.send_at(end, system, draft.expires_at);
    if (!scheduled)
      co_return scheduled.error();
    auto created = co_await store_.create(std::move(draft));
    if (created) {
      log::info("tus upload created", {{"request_id", request.origin.request_id},
                                       {"upload_id", created->id.to_string()},
                                       {"length", created->length ? static_cast<std::int64_t>(*created->length) : -1}});
    }
    co_return created;
  } catch (const backend_unavailable&) {
    co_return database_down();
  }
}

asio::awaitable<result<model::tus_upload>> tus_service::find(const principal& who,
                                                             std::string_view upload_id) {
  const auto id = upload_id_of(upload_id);
  if (!id)
    co_return id.error();
  try {
    auto found = co_await store_.find(who.user_id, *id);
    if (found && found->state == model::tus_state::open && found->expires_at <= now_ms())
      co_return make_error(errc::gone, "the upload expired");
    co_return found;
  } catch (const backend_unavailable&) {
    co_return database_down();
  }
}

asio::awaitable<result<tus_position>> tus_service::append(const principal& who,
                                                          std::string_view upload_id,
                                                          tus_chunk request,
                                                          ports::byte_source& body) {
  const auto id = upload_id_of(upload_id);
  if (!id)
    co_return id.error();
  // The same per-process leases as a plain upload: the part being filled and those in flight.
  const std::uint64_t multipart_bytes =
      std::uint64_t{std::max(1u, settings_.parts_in_flight) + 1} * settings_.part_size;
  const std::uint64_t buffer_bytes =
      request.content_length
          ? std::min(multipart_bytes, *request.content_length + settings_.part_size)
          : multipart_bytes;
  auto slot = plain_.slots().acquire(who.user_id, buffer_bytes);
  if (!slot)
    co_return slot.error();

  auto grant = co_await leases_.acquire(*id, settings_.tus_lease);
  if (!grant)
    co_return grant.error();
  if (!grant->holder) {
    error held = make_error(errc::locked, "another request is writing this upload", "upload");
    held.retry_after_ms = std::max<std::int64_t>(grant->held_for.count(), 1000);
    co_return held;
  }
  const std::string holder = *grant->holder;
  std::optional<result<tus_position>> outcome;
  try {
    outcome = co_await append_locked(who, *id, holder, request, body);
  } catch (const backend_unavailable&) {
    outcome = database_down();
  }
  co_await leases_.release(*id, holder);
  co_return std::move(*outcome);
}

asio::awaitable<result<tus_position>> tus_service::append_locked(const principal& who,
                                                                 const uuid& id,
                                                                 const std::string& holder,
                                                                 tus_chunk& request,
                                                                 ports::byte_source& body) {
  const std::uint64_t max_body =
      request.content_length.value_or(std::numeric_limits<std::int64_t>::max());
  auto taken = co_await store_.take_over(who.user_id, id, request.offset, max_body,
                                         settings_.part_size);
  if (!taken)
    co_return taken.error();
  ports::tus_writer_state& state = *taken;
  model::tus_upload& upload = state.upload;

  if (request.length) {
    if (upload.length && *upload.length != *request.length)
      co_return make_error(errc::conflict, "Upload-Length differs from the upload's length",
                           "Upload-Length");
    if (!upload.length) {
      if (*request.length < upload.offset)
        co_return make_error(errc::bad_request, "Upload-Length is below the upload's offset",
                             "Upload-Length");
      if (*request.length > state.max_file_bytes)
        co_return file_too_large_error(state.max_file_bytes);
      if (auto declared = co_await store_.declare_length(who.user_id, id, state.fence,
                                                         *request.length);
          !declared)
        co_return declared.error();
      upload.length = request.length;
    }
  }

  std::optional<crypto::resumable_sha256> hash;
  if (state.sha256_state.empty())
    hash.emplace();
  else
    hash = crypto::resumable_sha256::restore(state.sha256_state);
  if (!hash)
    co_return make_error(errc::internal, "the upload's saved digest is unreadable");

  // How far this upload may grow: its length, or for a deferred one the plan's file limit and
  // the room left in the quota (its bytes are not reserved yet).
  const std::uint64_t max_total =
      upload.length ? *upload.length : std::min(state.max_file_bytes, state.room_bytes);
  auto over_limit = [&]() {
    if (upload.length)
      return make_error(errc::payload_too_large, "the body passes Upload-Length", "file");
    return max_total == state.max_file_bytes ? file_too_large_error(state.max_file_bytes)
                                             : over_quota_error(state.room_bytes);
  };
  if (request.content_length && upload.offset + *request.content_length > max_total)
    co_return over_limit();

  const timestamp abandon_at = upload.expires_at + settings_.abandon_after;
  const bool verify = request.sha256.has_value();
  tus_writer writer(store_, parts_, uploads_, settings_, state, std::move(*hash), verify,
                    abandon_at);
  crypto::sha256_stream body_hash;
  const milliseconds renew_every = std::max(milliseconds(1), settings_.tus_lease / 3);
  auto last_renewal = std::chrono::steady_clock::now();
  std::optional<error> failed;
  bool writer_failed = false;
  for (;;) {
    auto chunk = co_await body.next();
    if (!chunk) {
      failed = chunk.error();
      break;
    }
    if (chunk->empty())
      break;
    if (writer.offset() + chunk->size() > max_total) {
      failed = over_limit();
      break;
    }
    if (std::chrono::steady_clock::now() - last_renewal >= renew_every) {
      const std::string lease_holder = holder;
      auto renewed = co_await leases_.renew(id, lease_holder, settings_.tus_lease);
      if (!renewed || !*renewed) {
        failed = renewed ? make_error(errc::locked, "this request lost the upload's lease",
                                      "upload")
                         : renewed.error();
        break;
      }
      last_renewal = std::chrono::steady_clock::now();
    }
    if (verify)
      body_hash.update(*chunk);
    if (auto written = co_await writer.write(*chunk); !written) {
      failed = written.error();
      writer_failed = true;
      break;
    }
  }

  if (failed) {
    // Keep what arrived (a dropped connection resumes from here), unless the body had to be
    // verified first: then none of it counts.
    if (!verify && !writer_failed) {
      if (auto kept = co_await writer.settle(); !kept) {
        log::info("tus upload: bytes of a broken PATCH not kept",
                  {{"request_id", request.origin.request_id},
                   {"upload_id", id.to_string()},
                   {"error", kept.error().message}});
      }
    }
    co_return *failed;
  }
  if (verify && body_hash.finish_hex() != hex_lower(*request.sha256))
    co_return make_error(errc::checksum_mismatch,
                         "the body's SHA-256 is not the one Upload-Checksum names",
                         "Upload-Checksum");

  tus_position position;
  position.offset = writer.offset();
  position.expires_at = upload.expires_at;
  if (!upload.length || writer.offset() < *upload.length) {
    if (auto kept = co_await writer.settle(); !kept)
      co_return kept.error();
    co_return position;
  }

  auto stored = co_await writer.finish();
  if (!stored)
    co_return stored.error();
  if (!co_await store_.start_commit(who.user_id, id, state.fence))
    co_return make_error(errc::locked, "another request took this upload over", "upload");
  log::info("tus upload complete; committing", {{"request_id", request.origin.request_id},
                                                {"upload_id", id.to_string()},
                                                {"size", stored->size}});
  auto committed = co_await plain_.commit_stored(who, request.origin, id, upload.file_id,
                                                 upload.name, upload.content_type,
                                                 std::move(*stored));
  if (!committed)
    co_return committed.error();
  position.finished = std::move(*committed);
  co_return position;
}

asio::awaitable<result<void>> tus_service::terminate(const principal& who,
                                                     std::string_view upload_id) {
  const auto id = upload_id_of(upload_id);
  if (!id)
    co_return id.error();
  try {
    auto ended = co_await store_.terminate(who.user_id, *id);
    if (!ended)
      co_return ended.error();
    if (ended->multipart_upload_id) {
      co_await parts_.discard(ended->object_key, *ended->multipart_upload_id,
                              std::move(ended->parts));
    }
    log::info("tus upload terminated", {{"upload_id", id->to_string()}});
    co_return result<void>{};
  } catch (const backend_unavailable&) {
    co_return database_down();
  }
}

}  // namespace kemas::app
