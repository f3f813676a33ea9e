#pragma once
// Internal to adapters/s3: one signed HTTP exchange with an S3 server over a libcurl easy
// handle. s3_client builds requests (canonical path and query, headers, payload hash) and
// reads responses; this file owns everything curl: global init, per-thread handle reuse
// (keeps connections alive between calls), SigV4 signing, timeouts, callbacks.
//
// Threading: perform() may run on many threads at once; each thread reuses its own easy
// handle (a nested call from inside a callback gets a temporary one). Nothing blocks
// except the transfer itself.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kemas::s3::detail {

struct transport_config {
  std::string base_url;  // "http://host:port" (no trailing slash)
  std::string sigv4;     // "aws:amz:<region>:s3"
  std::string access_key;
  std::string secret_key;
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds timeout{300'000};
};

struct response_head {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  // The value of the first header named `name` (lower-case), or "".
  std::string_view header(std::string_view name) const;
};

using body_reader = std::function<std::size_t(char* buffer, std::size_t max)>;
using body_sink = std::function<bool(std::string_view chunk)>;

// A sink that may also say "not now": the transfer pauses without taking the chunk, and curl
// hands the same bytes again once resumed (transfer_engine::resume). Only for transfers
// driven by transfer_engine.
enum class write_verdict { taken, pause, stop };
using pausable_sink = std::function<write_verdict(std::string_view chunk)>;

// A reader that may also say "not yet" (the body has not arrived from its client): the
// transfer pauses and asks again once resumed (transfer_engine::resume). `bytes` is the count
// written into the buffer when not paused; 0 then means the body ended early. Only for
// transfers driven by transfer_engine.
struct read_verdict {
  std::size_t bytes = 0;
  bool pause = false;
};
using pausable_reader = std::function<read_verdict(char* buffer, std::size_t max)>;

struct request {
  std::string method = "GET";              // GET HEAD PUT POST DELETE
  std::string path_and_query;              // canonical: "/bucket/key?a=1&b=" (see canonical.hpp)
  std::vector<std::string> headers;        // "Name: value"; curl signs every one of them
  std::string payload_sha256;              // hex, or UNSIGNED-PAYLOAD; sent as x-amz-content-sha256
  std::optional<std::uint64_t> body_size;  // set: a body of exactly this many bytes is sent
  body_reader reader;                      // pulls the body (required when body_size > 0)
  pausable_reader paced_reader;            // instead of reader, on transfer_engine
  // Restarts the body from its first byte, for when curl must resend the request; unset
  // or returning false: the body cannot be replayed once reading began.
  std::function<bool()> rewind;
  std::optional<std::string> range;  // "first-last" or "first-" for the Range header
  // Called once with the final head of a 2xx answer before any body byte; false aborts.
  std::function<bool(const response_head&)> on_head;
  body_sink sink;  // 2xx body goes here when set; else into response.body
  pausable_sink paced_sink;  // instead of sink, on transfer_engine
  std::size_t body_limit = 16 * 1024 * 1024;  // cap on a captured body
  std::chrono::milliseconds timeout{0};       // 0: the config's timeout
};

struct response {
  response_head head;
  std::string body;                   // captured body (error answers always; 2xx without sink)
  bool body_truncated = false;        // the captured body hit body_limit
  int curl_code = 0;                  // CURLcode; 0 when the exchange completed
  std::string curl_message;           // curl's error text when curl_code != 0
  bool aborted = false;               // on_head/sink returned false
  bool short_body = false;            // the reader ended before body_size bytes
  std::exception_ptr callback_error;  // a reader/sink/on_head exception, rethrown by caller
  bool transient_curl_error() const;
};

// curl_global_init, once per process (thread-safe). Throws std::runtime_error if it fails.
void ensure_curl_initialized();

// Runs the exchange. Never throws for network or HTTP errors (they are in the response);
// throws std::bad_alloc or std::runtime_error if curl cannot be initialised.
response perform(const transport_config& config, request& req);

// Runs several exchanges at once on this thread (curl's multi interface, waiting in
// curl_multi_poll), so k small PUTs cost about one round trip's time instead of k. The
// thread's multi handle keeps its connections alive between calls, as perform()'s handle
// does. Response i is request i's; the same error conventions as perform(). Each request's
// payload_sha256 must be set (s3_client does). Blocking: worker handler threads only.
std::vector<response> perform_all(const transport_config& config, std::vector<request> requests);

// An exchange set up on an easy handle of its own for a caller that drives it
// (transfer_engine, on curl's multi interface). It owns the request, the response, the
// header list and the handle; it must stay at its address while the handle is in use.
class easy_exchange {
 public:
  easy_exchange(const transport_config& config, request req);
  ~easy_exchange();
  easy_exchange(const easy_exchange&) = delete;
  easy_exchange& operator=(const easy_exchange&) = delete;

  void* handle() const noexcept { return handle_; }  // CURL*
  // Records curl's result code for the finished transfer; returns the response.
  response& finish(int curl_code);

 private:
  struct state;
  std::unique_ptr<state> state_;
  void* handle_ = nullptr;
};

}  // namespace kemas::s3::detail
