#include "adapters/support/settle_registry.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <optional>

namespace kemas::support {
namespace asio = boost::asio;
using wake_channel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
using namespace asio::experimental::awaitable_operators;

// `signalled` is the truth; the channel only wakes a waiter that is parked. A signal while
// nobody waits sets the flag (and may leave a value in the channel, drained by the next wait).
struct settle_registry::slot {
  std::mutex mutex;
  bool signalled = false;
  std::optional<wake_channel> channel;  // made by the first wait, on the waiter's executor

  void wake() {
    std::lock_guard lock(mutex);
    signalled = true;
    if (channel)
      channel->try_send(boost::system::error_code{});
  }
};

namespace {

class subscription final : public ports::settle_subscription {
 public:
  subscription(std::shared_ptr<settle_registry::slot> slot, std::function<void()> release)
      : slot_(std::move(slot)), release_(std::move(release)) {}
  ~subscription() override { release_(); }

  asio::awaitable<bool> wait(std::chrono::milliseconds limit) override {
    auto executor = co_await asio::this_coro::executor;
    {
      std::lock_guard lock(slot_->mutex);
      if (slot_->signalled) {
        slot_->signalled = false;
        if (slot_->channel)
          slot_->channel->try_receive([](boost::system::error_code) {});
        co_return true;
      }
      if (!slot_->channel)
        slot_->channel.emplace(executor, 1);
    }
    asio::steady_timer timer(executor, limit);
    co_await (slot_->channel->async_receive(asio::as_tuple(asio::use_awaitable)) ||
              timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    std::lock_guard lock(slot_->mutex);
    const bool signalled = slot_->signalled;
    slot_->signalled = false;
    co_return signalled;
  }

 private:
  std::shared_ptr<settle_registry::slot> slot_;
  std::function<void()> release_;
};

}  // namespace

settle_registry::settle_registry() : table_(std::make_shared<table>()) {}
settle_registry::~settle_registry() = default;

std::unique_ptr<ports::settle_subscription> settle_registry::subscribe(const uuid& id) {
  auto entry = std::make_shared<slot>();
  std::string key = id.to_string();
  {
    std::lock_guard lock(table_->mutex);
    table_->waiting.emplace(key, entry);
  }
  // By key and slot: a rehash invalidates the iterators of an unordered container.
  auto release = [weak = std::weak_ptr<table>(table_), key = std::move(key), mine = entry.get()] {
    if (auto t = weak.lock()) {
      std::lock_guard lock(t->mutex);
      auto [first, last] = t->waiting.equal_range(key);
      for (auto it = first; it != last; ++it) {
        if (it->second.get() == mine) {
          t->waiting.erase(it);
          break;
        }
      }
    }
  };
  return std::make_unique<subscription>(std::move(entry), std::move(release));
}

void settle_registry::signal(std::string_view id) {
  std::vector<std::shared_ptr<slot>> woken;
  {
    std::lock_guard lock(table_->mutex);
    auto [first, last] = table_->waiting.equal_range(std::string(id));
    for (auto it = first; it != last; ++it)
      woken.push_back(it->second);
  }
  for (auto& s : woken)
    s->wake();
}

void settle_registry::signal_all() {
  std::vector<std::shared_ptr<slot>> woken;
  {
    std::lock_guard lock(table_->mutex);
    for (auto& [id, s] : table_->waiting)
      woken.push_back(s);
  }
  for (auto& s : woken)
    s->wake();
}

}  // namespace kemas::support
