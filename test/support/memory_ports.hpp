#pragma once
// In-memory implementations of the ports (domain/ports/) for unit tests of the worker
// handlers and the api services: no server, no thread of their own, every call answered at
// once from plain containers. They keep the ports' contracts where a test can tell (the
// quota's conditional update, idempotency by command id, owner scoping) and let a test
// script faults (`fail_next`) and look at what was done.
//
// Threading: each is guarded by its own mutex, so handlers may call them from several
// threads; a test reads them after the calls returned.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/ports/command_scheduler.hpp"
#include "domain/ports/object_store.hpp"
#include "domain/ports/payment_provider.hpp"

namespace kemas::test {

// A command_scheduler that records what would be published instead of publishing it.
class recording_scheduler final : public ports::command_scheduler {
 public:
  ports::publish_outcome schedule(const commands::envelope& command, timestamp due_at) override;
  ports::batch_result schedule_all(std::span<const ports::scheduled_command> batch) override;

  // Everything scheduled so far, in call order.
  std::vector<ports::scheduled_command> taken() const;
  // The answer schedule() and schedule_all() give from now on (default: ok); what is
  // scheduled is recorded either way (a failed publish may have reached the broker).
  void answer(ports::publish_outcome outcome);

 private:
  mutable std::mutex mutex_;
  std::vector<ports::scheduled_command> taken_;
  ports::publish_outcome answer_;
};

// A bucket in a map: key -> bytes.
class memory_object_store final : public ports::object_store {
 public:
  ports::object_result<void> put(const std::string& key, std::string_view bytes,
                                 const std::string& content_type) override;
  ports::object_result<std::uint64_t> size_of(const std::string& key) override;
  ports::object_result<void> remove(const std::string& key) override;
  ports::object_result<void> abort_multipart(const std::string& key,
                                             const std::string& multipart_upload_id) override;
  ports::object_result<void> discard_multipart(const std::string& key,
                                               const std::string& multipart_upload_id,
                                               const std::vector<model::tus_part>& parts) override;
  ports::object_result<ports::object_listing> list(const std::string& prefix,
                                                   const std::string& continuation,
                                                   unsigned max_keys) override;
  std::vector<std::string> aborted() const;  // multipart ids, in call order
  // Modification times list() reports (default: the epoch, i.e. old).
  std::map<std::string, std::chrono::system_clock::time_point> modified;

  // The next `count` calls fail with `what` (transient by default).
  void fail_next(std::size_t count,
                 ports::object_fault::kind what = ports::object_fault::kind::transient);
  void store(const std::string& key, std::string bytes);
  std::optional<std::string> object(const std::string& key) const;
  std::size_t size() const;

 private:
  std::optional<ports::object_fault> take_fault();

  mutable std::mutex mutex_;
  std::map<std::string, std::string> objects_;
  std::vector<std::string> aborted_;
  std::size_t failures_ = 0;
  ports::object_fault::kind failure_ = ports::object_fault::kind::transient;
};

// A payment provider with a scripted answer; counts its charges by order id.
class scripted_payments final : public ports::payment_provider {
 public:
  explicit scripted_payments(ports::payment_outcome answer = ports::payment_outcome::paid("test"))
      : answer_(std::move(answer)) {}
  std::string_view name() const noexcept override { return "scripted"; }
  ports::payment_outcome charge(const ports::payment_request& request) override;

  void answer(ports::payment_outcome outcome);
  std::vector<std::string> charged() const;  // order ids, in call order

 private:
  mutable std::mutex mutex_;
  ports::payment_outcome answer_;
  std::vector<std::string> charged_;
};

}  // namespace kemas::test
