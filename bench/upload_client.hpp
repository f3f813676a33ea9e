#pragma once
// Client side of kemas_upload_bench: timing helpers, a 1 MiB byte pattern that stands in for
// any body size (a body is the pattern repeated, never held whole), and a raw upload over a
// test::raw_connection that waits until the worker committed the file (201, or 202 then
// polling GET /uploads/{id}). Blocking; one connection per thread.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/s3/client.hpp"
#include "bench/bench_common.hpp"
#include "bench/upload_stack.hpp"
#include "test/support/http_client.hpp"
#include "test/support/s3_fixture.hpp"

namespace kemas::bench {

using test::raw_connection;
inline constexpr std::size_t mib = 1024 * 1024;

inline double mb_per_s(std::uint64_t bytes, double seconds) {
  return bytes / seconds / 1e6;
}

// Polls GET /uploads/{id} until the worker settled it; the final JSON (file inside).
inline boost::json::object await_commit(std::uint16_t port, const bench_user& user,
                                        const std::string& id) {
  for (;;) {
    auto r = kemas::test::http_request(port, "GET", "/api/v1/auth/uploads/" + id, {},
                                       user.authorization);
    auto view = boost::json::parse(r.body).as_object();
    if (r.status != 200 || view.at("state").as_string() != "pending")
      return view;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
  }
}

// Sends one raw upload on `c` and waits for the commit: the file's JSON, or empty when the
// api refused or the worker rejected it (printed on stderr).
inline boost::json::object upload(raw_connection& c, std::uint16_t port, const bench_user& user,
                                  const std::string& name, std::uint64_t size,
                                  std::string_view pattern,
                                  clock_type::time_point* sent = nullptr) {
  // The header goes out with the first piece of the body in one write, as curl does: two
  // writes would meet Nagle's algorithm and the server's delayed ACK (~40 ms on loopback).
  std::string first =
      "POST /api/v1/auth/files/upload?name=" + name + " HTTP/1.1\r\nHost: localhost\r\n" +
      user.authorization +
      "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(size) +
      "\r\n\r\n";
  std::uint64_t left = size;
  for (bool header = true; header || left > 0; header = false) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, pattern.size()));
    if (header) {
      first.append(pattern.substr(0, n));
      c.send(first);
    } else {
      c.send(pattern.substr(0, n));
    }
    left -= n;
  }
  if (sent != nullptr)
    *sent = clock_type::now();
  auto r = c.read_response(std::chrono::minutes(30));
  if (r.status == 201)
    return boost::json::parse(r.body).as_object();
  if (r.status == 202) {
    auto id = std::string(boost::json::parse(r.body).as_object().at("id").as_string());
    auto view = await_commit(port, user, id);
    if (view.contains("file"))
      return view.at("file").as_object();
    std::fprintf(stderr, "upload %s not committed: %s\n", name.c_str(),
                 boost::json::serialize(view).c_str());
    return {};
  }
  std::fprintf(stderr, "upload %s answered %u: %s\n", name.c_str(), r.status, r.body.c_str());
  return {};
}

inline std::string make_pattern(std::size_t n) {
  std::string bytes(n, '\0');
  kemas::test::byte_stream(42).fill(bytes.data(), n);
  return bytes;
}

// `size` bytes of the repeated pattern for an s3_client reader.
inline kemas::s3::body_reader pattern_reader(const std::string& pattern, std::uint64_t& offset) {
  return [&pattern, &offset](char* out, std::size_t max) {
    const std::size_t at = offset % pattern.size();
    const std::size_t n = std::min(max, pattern.size() - at);
    std::copy_n(pattern.data() + at, n, out);
    offset += n;
    return n;
  };
}

}  // namespace kemas::bench
