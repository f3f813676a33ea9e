#include "workers/object_cleaner.hpp"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "adapters/log/logging.hpp"
#include "workers/worker_metrics.hpp"

namespace kemas::worker {
namespace {

// What S3 said about one object: nullopt when it is gone, else why it is not.
std::optional<std::string> remove_one(ports::object_store& objects,
                                      const ports::object_removal& removal,
                                      log::repeat_gate& abort_unsupported) {
  if (removal.multipart_upload_id) {
    auto aborted = objects.abort_multipart(removal.object_key, *removal.multipart_upload_id);
    if (!aborted && aborted.error().transient())
      return "abort multipart upload: " + aborted.error().detail;
    if (!aborted && !aborted.error().not_found()) {
      if (const auto held = abort_unsupported.pass())
        log::warn("multipart upload not aborted: the store refuses; its parts stay there",
                  {{"object_key", removal.object_key},
                   {"error", aborted.error().detail},
                   {"attempts_not_logged", *held}});
    }
  }
  auto removed = objects.remove(removal.object_key);
  if (!removed)
    return "delete object: " + removed.error().detail;
  return std::nullopt;
}

}  // namespace

cleanup_round clean_once(ports::object_cleanup_store& store, ports::object_store& objects,
                         const ports::cleanup_policy& policy,
                         log::repeat_gate& abort_unsupported) {
  const ports::cleanup_claim claim = store.claim(policy);
  cleanup_round round;
  round.abandoned = claim.abandoned;
  round.kept = claim.kept;
  round.full = claim.due.size() >= policy.batch;
  std::vector<std::string> removed;
  std::vector<std::pair<std::string, std::string>> failed;
  for (const ports::object_removal& removal : claim.due) {
    if (auto why = remove_one(objects, removal, abort_unsupported))
      failed.emplace_back(removal.object_key, std::move(*why));
    else
      removed.push_back(removal.object_key);
  }
  store.finish(removed, failed);
  round.removed = removed.size();
  round.failed = failed.size();
  if (!failed.empty())
    log::warn("objects not removed; tried again later",
              {{"failed", failed.size()},
               {"first_key", failed.front().first},
               {"first_error", failed.front().second}});
  return round;
}

object_cleaner::object_cleaner(std::shared_ptr<ports::object_cleanup_store> store,
                               std::shared_ptr<ports::object_store> objects,
                               ports::cleanup_policy policy, std::chrono::milliseconds idle,
                               worker_metrics* metrics)
    : store_(std::move(store)),
      objects_(std::move(objects)),
      policy_(policy),
      idle_(idle),
      metrics_(metrics),
      thread_([this] { run(); }) {}

object_cleaner::~object_cleaner() {
  stop();
}

void object_cleaner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void object_cleaner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

bool object_cleaner::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_ || woken_; });
  woken_ = false;
  return !stopping_;
}

void object_cleaner::run() {
  for (;;) {
    std::chrono::milliseconds delay = idle_;
    try {
      const cleanup_round round = clean_once(*store_, *objects_, policy_, abort_unsupported_);
      failed_log_.reset();
      if (metrics_ != nullptr) {
        metrics_->cleanup("removed", round.removed);
        metrics_->cleanup("failed", round.failed);
        metrics_->cleanup("kept", round.kept);
        metrics_->cleanup("abandoned_upload", round.abandoned);
      }
      if (round.removed + round.abandoned > 0)
        log::info("object cleanup round", {{"removed", round.removed},
                                           {"failed", round.failed},
                                           {"kept", round.kept},
                                           {"abandoned_uploads", round.abandoned}});
      if (round.full && round.failed == 0)
        delay = std::chrono::milliseconds(0);
    } catch (const std::exception& e) {
      if (const auto held = failed_log_.pass())
        log::warn("object cleanup failed; retrying",
                  {{"error", e.what()}, {"attempts_not_logged", *held}});
    }
    if (delay.count() > 0 && !pause(delay))
      return;
    std::lock_guard lock(mutex_);
    if (stopping_)
      return;
  }
}

}  // namespace kemas::worker
