#pragma once
// Part 1 of kemas_upload_bench: one large file through the api (raw body, until the worker's
// commit) beside a streamed S3 PUT of the same size before and after it, the api's memory
// from /proc/<pid>/status, and in-process breakdowns of the api's work (SHA-256 alone, the
// same bytes as an S3 multipart upload with the api's part size, one part at a time).
// Blocking; runs on the caller's thread plus one RSS sampler thread.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/serialize.hpp>

#include "adapters/crypto/sha256_stream.hpp"
#include "adapters/s3/client.hpp"
#include "bench/upload_client.hpp"
#include "bench/upload_stack.hpp"
#include "test/support/s3_fixture.hpp"

namespace kemas::bench {

struct large_figures {
  double put_before = 0, put_after = 0;  // s
  double api = 0, api_sent = 0;          // s to 201, s until the last byte was sent
  double sha = 0, parts = 0, complete = 0;
  std::uint64_t rss_before = 0, hwm_before = 0, hwm_after = 0, rss_peak_sampled = 0;  // KiB
  unsigned errors = 0;
};

inline large_figures measure_large(upload_stack& stack, const bench_user& user,
                                   kemas::s3::s3_client& s3, const std::string& prefix,
                                   const std::string& pattern, std::uint64_t size,
                                   std::size_t part_size) {
  large_figures f;
  auto t = clock_type::now();
  kemas::crypto::sha256_stream hash;
  for (std::uint64_t left = size; left > 0;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, pattern.size()));
    hash.update(std::string_view(pattern).substr(0, n));
    left -= n;
  }
  const std::string expected_sha = hash.finish_hex();
  f.sha = seconds_since(t);

  auto put = [&](const std::string& key) {
    std::uint64_t offset = 0;
    const auto start = clock_type::now();
    auto done =
        s3.put_object(key, "application/octet-stream", size, pattern_reader(pattern, offset));
    const double s = seconds_since(start);
    if (!done) {
      std::fprintf(stderr, "S3 PUT failed: %s\n", done.error().describe().c_str());
      ++f.errors;
    }
    s3.delete_object(key);
    return s;
  };
  f.put_before = put(prefix + "large-before");

  const pid_t api = stack.api_pid();
  f.rss_before = proc_status_kib(api, "VmRSS");
  f.hwm_before = proc_status_kib(api, "VmHWM");
  std::atomic<bool> stop{false};
  std::thread sampler([&] {
    while (!stop) {
      f.rss_peak_sampled = std::max(f.rss_peak_sampled, proc_status_kib(api, "VmRSS"));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // sampling interval
    }
  });
  raw_connection c("127.0.0.1", stack.port());
  clock_type::time_point sent;
  t = clock_type::now();
  auto file = upload(c, stack.port(), user, "large.bin", size, pattern, &sent);
  f.api = seconds_since(t);
  f.api_sent = std::chrono::duration<double>(sent - t).count();
  stop = true;
  sampler.join();
  f.hwm_after = proc_status_kib(api, "VmHWM");
  if (file.empty() || file.at("sha256").as_string() != expected_sha ||
      file.at("size").to_number<std::uint64_t>() != size) {
    std::fprintf(stderr, "large upload: wrong or no file: %s (expected sha256 %s)\n",
                 boost::json::serialize(file).c_str(), expected_sha.c_str());
    ++f.errors;
  }
  kemas::test::delete_s3_prefix(s3, "u/" + user.id + "/");

  f.put_after = put(prefix + "large-after");

  // The api's S3 side alone: the same parts, one at a time, no HTTP and no hashing.
  const std::string key = prefix + "large-multipart";
  std::string part(part_size, '\0');
  std::uint64_t offset = 0;
  auto fill = pattern_reader(pattern, offset);
  t = clock_type::now();
  auto id = s3.create_multipart_upload(key);
  std::vector<kemas::s3::completed_part> parts;
  for (std::uint64_t left = size; id && left > 0;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, part_size));
    for (std::size_t at = 0; at < n;)
      at += fill(part.data() + at, n - at);
    auto etag = s3.upload_part(key, *id, static_cast<int>(parts.size()) + 1,
                               std::string_view(part).substr(0, n));
    if (!etag) {
      ++f.errors;
      break;
    }
    parts.push_back({static_cast<int>(parts.size()) + 1, *etag});
    left -= n;
  }
  f.parts = seconds_since(t);
  t = clock_type::now();
  if (!id || !s3.complete_multipart_upload(key, *id, parts))
    ++f.errors;
  f.complete = seconds_since(t);
  s3.delete_object(key);
  return f;
}

}  // namespace kemas::bench
