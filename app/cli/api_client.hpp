#pragma once
// The terminal client's HTTP side: libcurl, one connection reused across a command's calls.
// Credentials: $KEMAS_API_KEY (sent as `Authorization: ApiKey ...`) or the session `kemas
// login` stored (credentials.hpp), whose access token is refreshed when it is about to expire
// and once more on a 401. Bodies stream from and to files; nothing is held whole in memory.

#include <boost/json/value.hpp>

#include <chrono>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_command.hpp"
#include "credentials.hpp"

namespace kemas::cli {

struct api_response {
  long status = 0;                           // 0: no answer (connection failed)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                          // error bodies and JSON answers
  std::string transport_error;               // libcurl's words when status is 0
  std::uint64_t bytes_received = 0;          // body bytes of a download

  bool ok() const noexcept { return status >= 200 && status < 300; }
  boost::json::value json() const;           // null when the body is not JSON
  std::optional<std::string> header(const std::string& lower_name) const;
};

// (sent, total) in bytes; total 0 while unknown.
using progress_callback = std::function<void(std::uint64_t, std::uint64_t)>;

class api_client {
 public:
  explicit api_client(const global_options& options);
  ~api_client();
  api_client(const api_client&) = delete;
  api_client& operator=(const api_client&) = delete;

  const std::string& server() const noexcept { return server_; }
  // Refreshes the stored access token now if it is about to expire, so several clients
  // started after this (parallel transfers) share it instead of racing to rotate the
  // refresh token (a reused refresh token ends the session). False: no usable credentials.
  bool prepare_credentials();

  // A call without credentials (login).
  api_response anonymous(const std::string& method, const std::string& path,
                         const std::optional<boost::json::value>& body = std::nullopt);
  // An authenticated call with an optional JSON body. A GET is tried again after a transient
  // failure, up to --retries times.
  api_response call(const std::string& method, const std::string& path,
                    const std::optional<boost::json::value>& body = std::nullopt);
  // Uploads a file as the raw body (Content-Length known), streamed from disk.
  api_response upload(const std::string& path, const std::string& file,
                      const std::string& content_type, const progress_callback& progress);
  // A tus request (kemas put's resumable uploads): `headers` ("Name: value") go along with
  // Tus-Resumable; with `file`, its bytes from `from` to its end are the body
  // (application/offset+octet-stream), and progress reports from + bytes sent.
  api_response tus(const std::string& method, const std::string& path,
                   const std::vector<std::string>& headers, const std::string& file = {},
                   std::uint64_t from = 0, const progress_callback& progress = {});
  // At most this many body bytes per second are sent (0: no limit), like curl --limit-rate.
  void limit_send_rate(std::uint64_t bytes_per_second) noexcept { send_limit_ = bytes_per_second; }

  // Downloads into `out` (appending): with `from` > 0 asks for bytes from there on
  // (Range, guarded by If-Range with `etag`); a 200 answer means the whole file came instead.
  api_response download(const std::string& path, std::FILE* out, std::uint64_t from,
                        const std::string& etag, const progress_callback& progress);

 private:
  struct request;
  static request json_request(const std::string& method, const std::string& path,
                              const std::optional<boost::json::value>& body);
  // Opens `file` as r's body from byte `from` to its end; false when it cannot be read.
  static bool attach_file(request& r, const std::string& file, std::uint64_t from);
  api_response perform(request& r);
  api_response authenticated(request& r);
  std::optional<std::string> authorization(bool force_refresh);

  std::string server_;
  unsigned retries_;
  std::uint64_t send_limit_ = 0;
  std::string api_key_;
  std::optional<stored_session> session_;
  struct curl_state;
  std::unique_ptr<curl_state> curl_;
};

// A failure worth trying again: nothing answered or the connection dropped, 429, 502-504.
bool is_transient(const api_response& r);
// How long to wait before try `attempt` (1, 2, ...): Retry-After when the server sent one
// (at most 60 s), else 0.5 s doubling up to 8 s.
std::chrono::milliseconds retry_delay(const api_response& r, unsigned attempt);

// The exit code for a failed answer (cli_command.hpp) and its message for a person:
// the server's own message and request id when it sent one.
int exit_code_for(const api_response& r);
std::string describe_failure(const api_response& r);

}  // namespace kemas::cli
