#include "app/services/upload_service.hpp"

#include <algorithm>

#include "adapters/log/logging.hpp"
#include "adapters/metrics/transfer_metrics.hpp"
#include "adapters/support/random.hpp"
#include "app/services/settle_wait.hpp"
#include "domain/commands/upload.hpp"
#include "domain/file_name.hpp"
#include "domain/media_type.hpp"
#include "domain/model/object_key.hpp"
#include "domain/model/upload.hpp"
#include "domain/quota.hpp"

namespace kemas::app {
namespace asio = boost::asio;
using model::upload;
using model::upload_state;

namespace {

// Counts an upload in kemas_uploads_running while it lives, even when a backend throws.
class running_upload {
 public:
  running_upload(metrics::transfer_metrics& m, std::uint64_t leased) : m_(m), leased_(leased) {
    m_.upload_started(leased_);
  }
  ~running_upload() { m_.upload_ended(leased_); }
  running_upload(const running_upload&) = delete;
  running_upload& operator=(const running_upload&) = delete;

 private:
  metrics::transfer_metrics& m_;
  std::uint64_t leased_;
};

// The most buffer memory an upload can hold (see object_streams): its declared size when that
// is small, else one streamed PUT's buffer or a multipart upload's parts in flight.
std::uint64_t buffer_bytes_for(const config::upload_settings& s,
                               std::optional<std::uint64_t> declared) {
  const std::uint64_t multipart = std::uint64_t{s.parts_in_flight + 1} * s.part_size;
  if (!declared)
    return multipart;
  if (*declared <= s.inline_max)
    return *declared;
  if (*declared <= s.single_put_max)
    return std::min<std::uint64_t>(*declared, s.put_buffer);
  return std::min(*declared, multipart);
}

}  // namespace

upload_service::upload_service(ports::upload_store& uploads, ports::object_streams& objects,
                               command_sender& commands, ports::settle_signals& signals,
                               const config::upload_settings& settings,
                               metrics::transfer_metrics& transfers)
    : uploads_(uploads),
      objects_(objects),
      commands_(commands),
      signals_(signals),
      settings_(settings),
      transfers_(transfers),
      slots_(settings.max_per_user, settings.buffer_budget) {}

asio::awaitable<result<upload_admission>> upload_service::admit(const principal& who,
                                                                upload_request request) {
  if (auto valid = validate_file_name(request.name); !valid)
    co_return valid.error();
  auto content_type = normalize_media_type(request.content_type);
  if (!content_type)
    co_return content_type.error();

  auto facts = co_await uploads_.limits(who.user_id, request.name);
  if (!facts)
    co_return facts.error();
  const model::storage_limits& limits = facts->storage;
  upload_admission admission;
  admission.name = std::move(request.name);
  admission.content_type = std::move(*content_type);
  admission.max_bytes = limits.max_file_bytes;
  admission.remaining_bytes = remaining_quota(limits.used_bytes, limits.quota_bytes);

  if (request.declared_size) {
    if (auto fits = check_file_size(*request.declared_size, admission.max_bytes); !fits)
      co_return file_too_large_error(admission.max_bytes);
    if (auto fits = check_quota(limits.used_bytes, *request.declared_size, limits.quota_bytes);
        !fits)
      co_return over_quota_error(admission.remaining_bytes);
  } else if (auto fits = check_quota(limits.used_bytes, 0, limits.quota_bytes); !fits) {
    co_return over_quota_error(0);  // over quota after a downgrade: not even an empty file
  }

  if (facts->name_taken)
    co_return make_error(errc::conflict, "a file with this name exists", "name");
  co_return admission;
}

asio::awaitable<result<upload_view>> upload_service::receive(const principal& who,
                                                             const upload_request& request,
                                                             const upload_admission& admission,
                                                             http::body_source& body) {
  // The lease is taken before the body is read and held until the answer: a stalled client
  // keeps only its own share of memory, and the total stays within upload.buffer_budget.
  const std::uint64_t leased = buffer_bytes_for(settings_, request.declared_size);
  auto lease = slots_.acquire(who.user_id, leased);
  if (!lease) {
    transfers_.upload_finished(metrics::upload_outcome::refused, 0);
    co_return lease.error();
  }
  const running_upload running(transfers_, leased);
  std::optional<std::uint64_t> stored_bytes;  // set once the whole body is stored
  auto outcome = co_await store_and_submit(who, request, admission, body, stored_bytes);
  using metrics::upload_outcome;
  upload_outcome counted = upload_outcome::committed;
  if (outcome) {
    counted = outcome->file ? upload_outcome::committed : upload_outcome::accepted;
  } else if (outcome.error().code == errc::backend_unavailable ||
             outcome.error().code == errc::internal) {
    counted = upload_outcome::failed;
  } else {
    counted = stored_bytes ? upload_outcome::rejected : upload_outcome::refused;
  }
  transfers_.upload_finished(counted, stored_bytes.value_or(0));
  co_return outcome;
}

asio::awaitable<result<void>> upload_service::hold(
    upload_target& target, std::optional<std::string> multipart_upload_id) {
  try {
    co_await uploads_.hold_object(target.owner, target.upload_id, target.object_key,
                                  std::move(multipart_upload_id), settings_.abandon_after);
  } catch (const backend_unavailable&) {
    co_return make_error(errc::backend_unavailable, "the database is unavailable");
  }
  target.held = true;
  co_return result<void>{};
}

asio::awaitable<void> upload_service::give_up(ports::object_upload& sink,
                                              const upload_target& target) {
  co_await sink.abandon();
  if (!target.held)
    co_return;
  try {
    co_await uploads_.release_object(target.owner, target.object_key);
  } catch (const backend_unavailable& e) {
    // The claim stays due at upload.abandon_after; the cleaner removes the object then.
    log::warn("upload claim not released; the object goes at its abandon time",
              {{"object_key", target.object_key}, {"error", e.what()}});
  }
}

asio::awaitable<result<upload_view>> upload_service::store_and_submit(
    const principal& who, const upload_request& request, const upload_admission& admission,
    http::body_source& body, std::optional<std::uint64_t>& stored_bytes) {
  upload_target target;
  target.owner = who.user_id;
  target.upload_id = support::random_uuid();
  target.file_id = support::random_uuid();
  target.object_key = model::object_key_for(who.user_id, target.file_id);
  auto before_store = [this, &target](const std::optional<std::string>& multipart_upload_id) {
    return hold(target, multipart_upload_id);
  };
  const std::unique_ptr<ports::object_upload> upload = objects_.upload(
      target.object_key, admission.content_type, request.declared_size, before_store);
  ports::object_upload& sink = *upload;
  std::optional<error> failed;
  for (;;) {
    auto chunk = co_await body.next();
    if (!chunk) {
      failed = chunk.error();
      break;
    }
    if (chunk->empty())
      break;
    const std::uint64_t after = sink.size() + chunk->size();
    if (after > admission.max_bytes) {
      failed = file_too_large_error(admission.max_bytes);
      break;
    }
    if (after > admission.remaining_bytes) {
      failed = over_quota_error(admission.remaining_bytes);
      break;
    }
    auto written = co_await sink.write(*chunk);
    if (!written) {
      failed = written.error();
      break;
    }
  }
  std::optional<ports::stored_body> stored;
  if (!failed) {
    auto finished = co_await sink.finish();
    if (finished)
      stored = std::move(*finished);
    else
      failed = finished.error();
  }
  if (failed) {
    co_await give_up(sink, target);
    co_return *failed;
  }
  stored_bytes = stored->size;
  co_return co_await submit(who, request, admission, target, sink, std::move(*stored));
}

asio::awaitable<result<std::string>> upload_service::send_command(const command_origin& origin,
                                                                  std::string name,
                                                                  std::string content_type,
                                                                  const uuid& upload_id,
                                                                  const uuid& file_id,
                                                                  ports::stored_body body) {
  const uuid& owner = *origin.user;
  commands::upload command{owner,
                           upload_id,
                           file_id,
                           std::move(name),
                           std::move(content_type),
                           body.size,
                           std::move(body.sha256),
                           model::object_key_for(owner, file_id),
                           std::move(body.inline_bytes)};
  co_return co_await commands_.send(command, origin);
}

asio::awaitable<result<upload_view>> upload_service::submit(const principal& who,
                                                            const upload_request& request,
                                                            const upload_admission& admission,
                                                            const upload_target& target,
                                                            ports::object_upload& sink,
                                                            ports::stored_body body) {
  const uuid& upload_id = target.upload_id;
  const uuid& file_id = target.file_id;
  bool recorded = false;
  try {
    co_await uploads_.create_pending(who.user_id, upload_id);
    recorded = true;
  } catch (const backend_unavailable&) {
  }
  if (!recorded) {
    co_await give_up(sink, target);
    co_return make_error(errc::backend_unavailable, "the database is unavailable");
  }

  const std::uint64_t size = body.size;
  // Before the command: the worker's signal can come no earlier than the command arrives.
  const auto subscription = signals_.subscribe(upload_id);
  // The command takes the inline body along: it is freed before the wait below.
  auto sent = co_await send_command(request.origin, admission.name, admission.content_type,
                                    upload_id, file_id, std::move(body));
  if (!sent) {
    // Not confirmed. If a worker settled it anyway, the command did arrive: report that.
    auto after = co_await uploads_.reject_if_pending(who.user_id, upload_id,
                                                     model::rejection_reason::not_queued);
    if (!after || after->state == model::upload_state::rejected) {
      co_await give_up(sink, target);
      co_return sent.error();
    }
  }
  log::info("upload submitted", {{"request_id", request.origin.request_id},
                                 {"upload_id", upload_id.to_string()},
                                 {"file_id", file_id.to_string()},
                                 {"size", size},
                                 {"inline", size <= settings_.inline_max}});

  const auto wait = request.respond_async ? std::chrono::milliseconds(0) : settings_.wait;
  co_return co_await await_decision(who, upload_id, *subscription, wait);
}

asio::awaitable<result<upload_view>> upload_service::commit_stored(
    const principal& who, const command_origin& origin, const uuid& upload_id,
    const uuid& file_id, std::string name, std::string content_type, ports::stored_body body) {
  const auto subscription = signals_.subscribe(upload_id);
  auto sent = co_await send_command(origin, std::move(name), std::move(content_type), upload_id,
                                    file_id, std::move(body));
  if (!sent) {
    auto after = co_await uploads_.reject_if_pending(who.user_id, upload_id,
                                                     model::rejection_reason::not_queued);
    if (!after || after->state == model::upload_state::rejected)
      co_return sent.error();
  }
  co_return co_await await_decision(who, upload_id, *subscription, settings_.wait);
}

asio::awaitable<result<upload_view>> upload_service::await_decision(
    const principal& who, const uuid& upload_id, ports::settle_subscription& subscription,
    std::chrono::milliseconds wait) {
  // The latest read (the upload with its file); a worker's decision ends the wait.
  upload_view latest;
  latest.upload.id = upload_id;
  latest.upload.created_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto check = [&]() -> asio::awaitable<bool> {
    auto current = co_await uploads_.find(who.user_id, upload_id);
    if (current)
      latest = std::move(*current);
    co_return latest.upload.state != model::upload_state::pending;
  };
  const bool settled = co_await wait_until_settled(signals_, subscription, wait, check);
  if (!settled)
    co_return latest;  // pending: 202 with the upload
  if (latest.upload.state == model::upload_state::rejected)
    co_return model::rejection_error(
        latest.upload.reason.value_or(model::rejection_reason::unknown));
  co_return latest;
}

asio::awaitable<result<upload_view>> upload_service::status(const principal& who,
                                                            std::string_view upload_id) {
  const auto id = uuid::parse(upload_id);
  if (!id)
    co_return make_error(errc::not_found, "no such upload");
  co_return co_await uploads_.find(who.user_id, *id);
}

}  // namespace kemas::app
