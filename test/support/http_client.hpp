#pragma once
// A deliberately dumb blocking HTTP/1.1 client over a raw socket, so tests control every
// byte (slow headers, lying Content-Length, pipelining) and see exactly what the server sent.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/non_copyable.hpp"

namespace kemas::test {

struct raw_response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> header(const std::string& lower_name) const;
};

class raw_connection : kemas::non_copyable {
 public:
  raw_connection(const std::string& host, std::uint16_t port);
  ~raw_connection();

  void send(std::string_view bytes);
  // Reads one response (Content-Length or chunked body). Throws on timeout or close.
  // For the answer to a HEAD request pass head = true: its Content-Length has no body.
  raw_response read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                             bool head = false);
  // True if the peer closed the connection (EOF or reset) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
// A loopback TCP port free right now (bound, then closed again), for a child process's
// listener. Throws std::runtime_error when no socket can be bound.
std::uint16_t free_loopback_port();

raw_response http_request(std::uint16_t port, std::string_view method, std::string_view target,
                          std::string_view body = {}, std::string_view extra_headers = {});

}  // namespace kemas::test
