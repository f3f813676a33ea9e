#include <boost/asio/post.hpp>

#include "app/server/server_state.hpp"

namespace kemas::http {

std::uint64_t connection_registry::add(boost::asio::any_io_executor strand,
                                       boost::beast::tcp_stream* stream, const bool* idle) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  entries_.emplace(id, entry{std::move(strand), stream, idle});
  return id;
}

void connection_registry::remove(std::uint64_t id) {
  std::function<void()> done;
  {
    std::lock_guard lock(mutex_);
    entries_.erase(id);
    if (entries_.empty() && on_empty_)
      done = std::exchange(on_empty_, nullptr);
  }
  if (done)
    done();
}

std::size_t connection_registry::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void connection_registry::close_idle(std::shared_ptr<const void> owner) {
  close_matching(true, owner);
}
void connection_registry::close_all(std::shared_ptr<const void> owner) {
  close_matching(false, owner);
}

void connection_registry::close_matching(bool idle_only, const std::shared_ptr<const void>& owner) {
  std::lock_guard lock(mutex_);
  for (auto& [id, e] : entries_) {
    // The check runs again on the strand: the session may have moved on (or ended) since.
    boost::asio::post(e.strand, [this, owner, id = id, idle_only] {
      std::lock_guard inner(mutex_);
      auto it = entries_.find(id);
      if (it == entries_.end() || (idle_only && !*it->second.idle))
        return;
      boost::system::error_code ignored;
      it->second.stream->socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      it->second.stream->socket().close(ignored);
    });
  }
}

void connection_registry::when_empty(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (!entries_.empty()) {
      on_empty_ = std::move(fn);
      return;
    }
  }
  fn();
}

}  // namespace kemas::http
