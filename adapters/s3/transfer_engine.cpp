#include "adapters/s3/transfer_engine.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <curl/curl.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <unordered_map>

#include "adapters/log/logging.hpp"

namespace kemas::s3 {
namespace asio = boost::asio;

struct transfer_engine::transfer {
  std::unique_ptr<detail::easy_exchange> exchange;
  completion done;
};

namespace {

// What curl wants to hear about one socket, and which waits are armed on it.
struct socket_watch {
  explicit socket_watch(asio::io_context& io, curl_socket_t fd) : descriptor(io, fd) {}
  asio::posix::stream_descriptor descriptor;
  int wanted = 0;  // CURL_POLL_IN | CURL_POLL_OUT
  bool reading = false;
  bool writing = false;
};

CURL* easy_of(const transfer_engine::token& t) {
  return static_cast<CURL*>(t->exchange->handle());
}

}  // namespace

struct transfer_engine::impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  CURLM* multi = nullptr;
  std::unordered_map<curl_socket_t, std::shared_ptr<socket_watch>> sockets;
  std::unordered_map<CURL*, token> running;
  std::atomic<std::size_t> count{0};
  std::thread thread;

  // --- curl's callbacks (engine thread, from inside curl) ------------------------------------

  static int on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
    static_cast<impl*>(self)->watch(fd, what);
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* self) {
    auto& engine = *static_cast<impl*>(self);
    if (timeout_ms < 0) {
      engine.timer.cancel();
      return 0;
    }
    // Never call back into curl from inside its callback: the timer fires from the loop.
    engine.timer.expires_after(std::chrono::milliseconds(timeout_ms));
    engine.timer.async_wait([&engine](boost::system::error_code ec) {
      if (!ec)
        engine.act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  static int on_close_socket(void* self, curl_socket_t fd) {
    static_cast<impl*>(self)->forget(fd);
    return ::close(fd);
  }

  // --- the loop -------------------------------------------------------------------------------

  void watch(curl_socket_t fd, int what) {
    if (what == CURL_POLL_REMOVE) {
      forget(fd);
      return;
    }
    auto& entry = sockets[fd];
    if (!entry)
      entry = std::make_shared<socket_watch>(io, fd);
    entry->wanted = what;
    arm(fd, entry);
  }

  // Stops watching `fd` without closing it (curl owns it).
  void forget(curl_socket_t fd) {
    const auto found = sockets.find(fd);
    if (found == sockets.end())
      return;
    boost::system::error_code ignored;
    found->second->descriptor.cancel(ignored);
    found->second->descriptor.release();
    sockets.erase(found);
  }

  void arm(curl_socket_t fd, const std::shared_ptr<socket_watch>& w) {
    if ((w->wanted & CURL_POLL_IN) != 0 && !w->reading) {
      w->reading = true;
      w->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                               [this, fd, w](boost::system::error_code ec) {
                                 w->reading = false;
                                 ready(fd, w, ec, CURL_POLL_IN, CURL_CSELECT_IN);
                               });
    }
    if ((w->wanted & CURL_POLL_OUT) != 0 && !w->writing) {
      w->writing = true;
      w->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                               [this, fd, w](boost::system::error_code ec) {
                                 w->writing = false;
                                 ready(fd, w, ec, CURL_POLL_OUT, CURL_CSELECT_OUT);
                               });
    }
  }

  void ready(curl_socket_t fd, const std::shared_ptr<socket_watch>& w,
             boost::system::error_code ec, int poll_bit, int select_bit) {
    const auto current = sockets.find(fd);
    if (ec || current == sockets.end() || current->second != w)
      return;  // cancelled, or the socket was forgotten (and its number maybe reused)
    if ((w->wanted & poll_bit) == 0)
      return;
    act(fd, select_bit);
    const auto still = sockets.find(fd);
    if (still != sockets.end() && still->second == w)
      arm(fd, w);
  }

  void act(curl_socket_t fd, int events) {
    int running_handles = 0;
    curl_multi_socket_action(multi, fd, events, &running_handles);
    finish_done();
  }

  void finish_done() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE)
        continue;
      CURL* easy = message->easy_handle;
      const auto code = static_cast<int>(message->data.result);
      const auto found = running.find(easy);
      if (found == running.end())
        continue;
      token t = std::move(found->second);
      running.erase(found);
      curl_multi_remove_handle(multi, easy);
      count.fetch_sub(1);
      try {
        t->done(t->exchange->finish(code));
      } catch (const std::exception& e) {
        log::error("s3 transfer completion threw", {{"error", e.what()}});
      }
    }
  }

  void add(token t) {
    CURL* easy = easy_of(t);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &impl::on_close_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
    running.emplace(easy, t);
    if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
      running.erase(easy);
      count.fetch_sub(1);
      detail::response& res = t->exchange->finish(CURLE_FAILED_INIT);
      t->done(res);
    }
  }

  void remove(const token& t) {
    CURL* easy = easy_of(t);
    const auto found = running.find(easy);
    if (found == running.end())
      return;  // already done
    curl_multi_remove_handle(multi, easy);  // may close its connection: on_close_socket
    running.erase(found);
    count.fetch_sub(1);
  }

  void shut_down() {
    for (auto& [easy, t] : running)
      curl_multi_remove_handle(multi, easy);
    count.fetch_sub(running.size());
    running.clear();
    curl_multi_cleanup(multi);  // closes the cached connections: on_close_socket
    multi = nullptr;
    timer.cancel();
    for (auto& [fd, w] : sockets) {
      boost::system::error_code ignored;
      w->descriptor.cancel(ignored);
      w->descriptor.release();
    }
    sockets.clear();
    work.reset();
  }
};

transfer_engine::transfer_engine() : impl_(std::make_shared<impl>()) {
  detail::ensure_curl_initialized();
  impl_->multi = curl_multi_init();
  if (impl_->multi == nullptr)
    throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, &impl::on_socket);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, &impl::on_timer);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
  impl_->thread = std::thread([engine = impl_.get()] { engine->io.run(); });
}

transfer_engine::~transfer_engine() {
  asio::post(impl_->io, [engine = impl_.get()] { engine->shut_down(); });
  impl_->thread.join();
}

transfer_engine::token transfer_engine::start(const detail::transport_config& config,
                                              detail::request req, completion done) {
  auto t = std::make_shared<transfer>();
  t->exchange = std::make_unique<detail::easy_exchange>(config, std::move(req));
  t->done = std::move(done);
  impl_->count.fetch_add(1);
  asio::post(impl_->io, [engine = impl_.get(), t] { engine->add(t); });
  return t;
}

void transfer_engine::resume(const token& t) {
  asio::post(impl_->io, [engine = impl_.get(), t] {
    if (engine->running.contains(easy_of(t)))
      curl_easy_pause(easy_of(t), CURLPAUSE_CONT);
  });
}

void transfer_engine::cancel(const token& t) {
  asio::post(impl_->io, [engine = impl_.get(), t] { engine->remove(t); });
}

std::size_t transfer_engine::active() const noexcept {
  return impl_->count.load();
}

}  // namespace kemas::s3
