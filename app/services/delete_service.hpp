#pragma once
// delete_service: DELETE /files/{id} (issue 4). The api checks the file is the caller's
// (another user's id is not_found, as everywhere), publishes a `delete` command and waits up
// to upload.wait for the worker's settle signal (the file id) that it committed it: the worker soft-deletes the row, lowers
// used_bytes, emits file.deleted, and removes the object after the commit.
//
// Threading: awaitables on the request's executor; PostgreSQL unreachable throws
// backend_unavailable, RabbitMQ unavailable is a backend_unavailable error.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string_view>

#include "domain/ports/file_store.hpp"
#include "domain/ports/settle_signals.hpp"
#include "app/services/command_sender.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::app {

enum class deletion { committed, pending };

class delete_service {
 public:
  delete_service(ports::file_store& files, command_sender& commands,
                 ports::settle_signals& signals, std::chrono::milliseconds wait)
      : files_(files), commands_(commands), signals_(signals), wait_(wait) {}

  // committed: the file is gone (204); pending: accepted, the worker has not committed
  // within the wait or the caller asked not to wait (202).
  boost::asio::awaitable<result<deletion>> remove(const principal& who, std::string_view file_id,
                                                  bool respond_async, command_origin origin);

 private:
  ports::file_store& files_;
  command_sender& commands_;
  ports::settle_signals& signals_;
  std::chrono::milliseconds wait_;
};

}  // namespace kemas::app
