#include "test/support/memory_ports.hpp"

namespace kemas::test {

ports::publish_outcome recording_scheduler::schedule(const commands::envelope& command,
                                                     timestamp due_at) {
  std::lock_guard lock(mutex_);
  taken_.push_back({command, due_at});
  return answer_;
}

ports::batch_result recording_scheduler::schedule_all(
    std::span<const ports::scheduled_command> batch) {
  std::lock_guard lock(mutex_);
  taken_.insert(taken_.end(), batch.begin(), batch.end());
  if (!answer_.ok)
    return {0, batch.size(), answer_.problem};
  return {batch.size(), 0, {}};
}

std::vector<ports::scheduled_command> recording_scheduler::taken() const {
  std::lock_guard lock(mutex_);
  return taken_;
}

void recording_scheduler::answer(ports::publish_outcome outcome) {
  std::lock_guard lock(mutex_);
  answer_ = std::move(outcome);
}

std::optional<ports::object_fault> memory_object_store::take_fault() {
  if (failures_ == 0)
    return std::nullopt;
  --failures_;
  return ports::object_fault{failure_, "injected fault (test)"};
}

ports::object_result<void> memory_object_store::put(const std::string& key, std::string_view bytes,
                                                    const std::string&) {
  std::lock_guard lock(mutex_);
  if (auto fault = take_fault())
    return *fault;
  objects_[key] = std::string(bytes);
  return {};
}

ports::object_result<std::uint64_t> memory_object_store::size_of(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto fault = take_fault())
    return *fault;
  const auto found = objects_.find(key);
  if (found == objects_.end())
    return ports::object_fault{ports::object_fault::kind::not_found, "no such key: " + key};
  return static_cast<std::uint64_t>(found->second.size());
}

ports::object_result<void> memory_object_store::remove(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto fault = take_fault())
    return *fault;
  objects_.erase(key);
  return {};
}

ports::object_result<void> memory_object_store::abort_multipart(
    const std::string&, const std::string& multipart_upload_id) {
  std::lock_guard lock(mutex_);
  if (auto fault = take_fault())
    return *fault;
  aborted_.push_back(multipart_upload_id);
  return {};
}

ports::object_result<void> memory_object_store::discard_multipart(
    const std::string& key, const std::string& multipart_upload_id,
    const std::vector<model::tus_part>&) {
  return abort_multipart(key, multipart_upload_id);
}

ports::object_result<ports::object_listing> memory_object_store::list(
    const std::string& prefix, const std::string& continuation, unsigned max_keys) {
  std::lock_guard lock(mutex_);
  if (auto fault = take_fault())
    return *fault;
  ports::object_listing out;
  // The continuation token is the last key of the previous page.
  auto at = continuation.empty() ? objects_.lower_bound(prefix) : objects_.upper_bound(continuation);
  for (; at != objects_.end() && at->first.starts_with(prefix); ++at) {
    if (out.objects.size() == max_keys) {
      out.next = out.objects.back().key;
      break;
    }
    const auto when = modified.find(at->first);
    out.objects.push_back({at->first, at->second.size(),
                           when == modified.end() ? std::chrono::system_clock::time_point{}
                                                  : when->second});
  }
  return out;
}

std::vector<std::string> memory_object_store::aborted() const {
  std::lock_guard lock(mutex_);
  return aborted_;
}

void memory_object_store::fail_next(std::size_t count, ports::object_fault::kind what) {
  std::lock_guard lock(mutex_);
  failures_ = count;
  failure_ = what;
}

void memory_object_store::store(const std::string& key, std::string bytes) {
  std::lock_guard lock(mutex_);
  objects_[key] = std::move(bytes);
}

std::optional<std::string> memory_object_store::object(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto found = objects_.find(key);
  if (found == objects_.end())
    return std::nullopt;
  return found->second;
}

std::size_t memory_object_store::size() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

ports::payment_outcome scripted_payments::charge(const ports::payment_request& request) {
  std::lock_guard lock(mutex_);
  charged_.push_back(request.order_id);
  return answer_;
}

void scripted_payments::answer(ports::payment_outcome outcome) {
  std::lock_guard lock(mutex_);
  answer_ = std::move(outcome);
}

std::vector<std::string> scripted_payments::charged() const {
  std::lock_guard lock(mutex_);
  return charged_;
}

}  // namespace kemas::test
