#pragma once
// The tus rows of kemas_upload_bench (issue 17: kemas's tus path against a direct PUT, and
// small tus uploads against the plain upload route). A tus upload here is what a client does
// without a failure: POST (creation) then one PATCH with the whole body, until the PATCH's 204
// names the committed file; a small one is a single creation-with-upload. Blocking; one
// connection per thread.

#include <cstdio>
#include <string>
#include <string_view>

#include "adapters/crypto/tokens.hpp"
#include "bench/upload_client.hpp"
#include "domain/base64.hpp"

namespace kemas::bench {

inline std::string tus_metadata_of(const std::string& name) {
  return "Upload-Metadata: filename " + kemas::base64(name) + ",filetype " +
         kemas::base64("application/octet-stream") + "\r\n";
}

// Sends the request head and `size` bytes of the pattern, the head with the first piece in
// one write (see upload()).
inline void send_with_body(raw_connection& c, std::string head, std::uint64_t size,
                           std::string_view pattern) {
  std::uint64_t left = size;
  for (bool first = true; first || left > 0; first = false) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, pattern.size()));
    if (first) {
      head.append(pattern.substr(0, n));
      c.send(head);
    } else {
      c.send(pattern.substr(0, n));
    }
    left -= n;
  }
}

// The committed file's id, or "" (printed on stderr).
inline std::string tus_upload(raw_connection& c, const bench_user& user, const std::string& name,
                              std::uint64_t size, std::string_view pattern,
                              clock_type::time_point* sent = nullptr) {
  const std::string common = "Host: localhost\r\n" + user.authorization +
                             "Tus-Resumable: 1.0.0\r\n";
  c.send("POST /api/v1/auth/uploads/tus HTTP/1.1\r\n" + common + tus_metadata_of(name) +
         "Upload-Length: " + std::to_string(size) + "\r\nContent-Length: 0\r\n\r\n");
  auto created = c.read_response(std::chrono::seconds(30));
  const auto location = created.header("location");
  if (created.status != 201 || !location) {
    std::fprintf(stderr, "tus create %s answered %u: %s\n", name.c_str(), created.status,
                 created.body.c_str());
    return {};
  }
  send_with_body(c,
                 "PATCH " + *location + " HTTP/1.1\r\n" + common +
                     "Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                     "Content-Length: " + std::to_string(size) + "\r\n\r\n",
                 size, pattern);
  if (sent != nullptr)
    *sent = clock_type::now();
  auto r = c.read_response(std::chrono::minutes(30));
  const auto file = r.header("kemas-file-id");
  if (r.status != 204 || !file) {
    std::fprintf(stderr, "tus PATCH %s answered %u: %s\n", name.c_str(), r.status, r.body.c_str());
    return {};
  }
  return *file;
}

// A small file as one creation-with-upload: the committed file's id, or "".
inline std::string tus_small_upload(raw_connection& c, const bench_user& user,
                                    const std::string& name, std::string_view body) {
  send_with_body(c,
                 "POST /api/v1/auth/uploads/tus HTTP/1.1\r\nHost: localhost\r\n" +
                     user.authorization + "Tus-Resumable: 1.0.0\r\n" + tus_metadata_of(name) +
                     "Upload-Length: " + std::to_string(body.size()) +
                     "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n",
                 body.size(), body);
  auto r = c.read_response(std::chrono::seconds(60));
  const auto file = r.header("kemas-file-id");
  if (r.status != 201 || !file) {
    std::fprintf(stderr, "tus create-with-upload %s answered %u: %s\n", name.c_str(), r.status,
                 r.body.c_str());
    return {};
  }
  return *file;
}

}  // namespace kemas::bench
