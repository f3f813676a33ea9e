#include "adapters/amqp/confirm_tracker.hpp"

#include <utility>

namespace kemas::amqp {

std::uint64_t confirm_tracker::add(confirm_key key, completion done, clock::time_point deadline) {
  const std::uint64_t tag = next_tag_++;
  outstanding_.emplace(tag, entry{std::move(key), std::move(done), deadline, std::nullopt});
  return tag;
}

void confirm_tracker::on_return(const confirm_key& key, std::string detail) {
  for (auto& [tag, item] : outstanding_) {
    if (!item.returned && item.key == key) {
      item.returned = std::move(detail);
      return;
    }
  }
}

std::vector<confirm_tracker::finished> confirm_tracker::on_ack(std::uint64_t tag, bool multiple) {
  return settle(tag, multiple, true);
}

std::vector<confirm_tracker::finished> confirm_tracker::on_nack(std::uint64_t tag, bool multiple) {
  return settle(tag, multiple, false);
}

std::vector<confirm_tracker::finished> confirm_tracker::settle(std::uint64_t tag, bool multiple,
                                                               bool ack) {
  std::vector<finished> out;
  auto complete = [&out, ack](entry& item) {
    publish_result result;
    if (!ack) {
      result = {publish_error::nacked, "the broker nacked the message"};
    } else if (item.returned) {
      result = {publish_error::returned, "unroutable (basic.return: " + *item.returned + ")"};
    }
    out.push_back({std::move(item.done), std::move(result)});
  };
  if (multiple) {
    auto end = outstanding_.upper_bound(tag);
    for (auto it = outstanding_.begin(); it != end; ++it)
      complete(it->second);
    outstanding_.erase(outstanding_.begin(), end);
  } else if (auto it = outstanding_.find(tag); it != outstanding_.end()) {
    complete(it->second);
    outstanding_.erase(it);
  }
  return out;
}

std::vector<confirm_tracker::finished> confirm_tracker::expire(clock::time_point now) {
  std::vector<finished> out;
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    if (it->second.deadline <= now) {
      out.push_back({std::move(it->second.done),
                     {publish_error::timeout, "no publisher confirm before the deadline"}});
      it = outstanding_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<confirm_tracker::finished> confirm_tracker::fail_all(publish_error error,
                                                                 const std::string& detail) {
  std::vector<finished> out;
  out.reserve(outstanding_.size());
  for (auto& [tag, item] : outstanding_)
    out.push_back({std::move(item.done), {error, detail}});
  outstanding_.clear();
  return out;
}

std::optional<confirm_tracker::clock::time_point> confirm_tracker::next_deadline() const {
  std::optional<clock::time_point> earliest;
  for (const auto& [tag, item] : outstanding_) {
    if (!earliest || item.deadline < *earliest)
      earliest = item.deadline;
  }
  return earliest;
}

}  // namespace kemas::amqp
