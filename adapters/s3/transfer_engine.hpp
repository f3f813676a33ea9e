#pragma once
// transfer_engine: S3 exchanges on libcurl's multi interface, driven by an Asio event loop on
// one thread of the engine's own. A transfer costs a socket and its buffers, not a thread:
// thousands can be open at once (slow downloads, each paced by its HTTP client), and none
// delays another or the blocking calls of s3_service's pool.
//
// Every curl call runs on the engine's thread. Callers start a transfer from any thread and
// get a token; resume() (after the transfer's paced_sink said pause) and cancel() post to
// the engine and are thread-safe. `done` runs on the engine's thread once, when the
// exchange ended (never after cancel()); it must not block.
//
// Sockets are watched through curl's socket and timer callbacks (CURLMOPT_SOCKETFUNCTION,
// CURLMOPT_TIMERFUNCTION; curl's docs/examples/asiohiper.cpp shows the pattern); curl opens
// and closes them itself, and tells the engine before it closes one
// (CURLOPT_CLOSESOCKETFUNCTION), so the reactor never watches a closed descriptor.

#include <functional>
#include <memory>

#include "adapters/s3/transport.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::s3 {

class transfer_engine : kemas::non_copyable {
 public:
  struct transfer;  // one exchange in the engine (transfer_engine.cpp)
  using token = std::shared_ptr<transfer>;
  using completion = std::function<void(detail::response&)>;

  transfer_engine();
  ~transfer_engine();  // cancels what runs, joins the thread

  // Starts `req` with `config`'s endpoint and credentials.
  token start(const detail::transport_config& config, detail::request req, completion done);
  // Lets a paused transfer go on (curl delivers the bytes it held back first).
  void resume(const token& transfer);
  // Ends a transfer early; its `done` is not called.
  void cancel(const token& transfer);

  // Transfers in the engine now (for tests and metrics).
  std::size_t active() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace kemas::s3
