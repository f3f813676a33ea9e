#pragma once
// object_cleaner: removes the objects the bucket must lose, recorded as durable intents in
// object_cleanup (0006_object_cleanup.sql): files deleted, uploads rejected, and uploads
// abandoned mid-way (the api's claim on an object it was streaming comes due at
// upload.abandon_after unless the upload committed). Every commands worker runs one; any
// number may run at once (rows are leased with SKIP LOCKED).
//
// One round: claim (ONE transaction: reject pending uploads past abandon_after, drop removals
// of objects a live file references, lease up to worker.cleanup_batch due removals), then on
// S3 abort each recorded multipart upload and delete each object, then finish (ONE
// transaction: forget the removed, record the errors of the failed; those come due again
// when their lease ends, after worker.cleanup_retry doubling per attempt, at most 1 h).
// A full batch is followed at once by the next; otherwise the cleaner waits
// worker.cleanup_idle or until wake() (a handler that could not remove an object).
// Statements per round: 4 (abandon, drop kept, lease, finish), whatever the batch size.
//
// A store that cannot abort multipart uploads (s3rver answers 405) gets the object deleted
// anyway and a warning once per log.repeat_every: its parts stay where the store keeps them.
//
// Threading: its own thread; wake() from any thread; stop() joins it (the round in flight
// finishes first). The destructor calls stop().

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>

#include "adapters/log/repeat_gate.hpp"
#include "domain/non_copyable.hpp"
#include "domain/ports/object_cleanup_store.hpp"
#include "domain/ports/object_store.hpp"

namespace kemas::worker {

class worker_metrics;

struct cleanup_round {
  std::size_t removed = 0;
  std::size_t failed = 0;
  std::size_t kept = 0;
  std::size_t abandoned = 0;
  bool full = false;  // the claim was a whole batch: more may be due
};

// One round on the given ports (pure of threads; what the loop and the tests run).
// Throws what the store throws.
cleanup_round clean_once(ports::object_cleanup_store& store, ports::object_store& objects,
                         const ports::cleanup_policy& policy, log::repeat_gate& abort_unsupported);

class object_cleaner : kemas::non_copyable {
 public:
  object_cleaner(std::shared_ptr<ports::object_cleanup_store> store,
                 std::shared_ptr<ports::object_store> objects, ports::cleanup_policy policy,
                 std::chrono::milliseconds idle, worker_metrics* metrics);
  ~object_cleaner();

  void wake();
  void stop();

 private:
  void run();
  // False when stop() was called meanwhile.
  bool pause(std::chrono::milliseconds delay);

  std::shared_ptr<ports::object_cleanup_store> store_;
  std::shared_ptr<ports::object_store> objects_;
  const ports::cleanup_policy policy_;
  const std::chrono::milliseconds idle_;
  worker_metrics* metrics_;
  log::repeat_gate failed_log_;        // on thread_ only
  log::repeat_gate abort_unsupported_;  // on thread_ only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace kemas::worker
