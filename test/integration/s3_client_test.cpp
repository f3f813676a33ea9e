// s3_client against the S3 test server of scripts/services.sh (s3rver 4.0.4, signatures
// checked). Each test case writes under its own random prefix, so runs never collide.
// What s3rver cannot show (abort of a multipart upload, part-size minimum) is tested only
// as far as the server goes; the comments say where.

#include "adapters/s3/async_client.hpp"
#include "adapters/s3/client.hpp"
#include "test/support/s3_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using kemas::s3::byte_range;
using kemas::s3::s3_errc;
using kemas::test::byte_stream;
using kemas::test::sha256_stream;

struct s3_env {
  kemas::config::s3_settings settings = kemas::test::s3_settings_from_env();
  kemas::s3::s3_client client{settings};
  std::string prefix = kemas::test::unique_s3_prefix("s3");

  s3_env() { kemas::test::ensure_s3_bucket(client); }
  // Leaves the shared bucket as it was (s3rver's HEAD bucket lists every object, so
  // leftovers slow down every later readiness probe). Errors here are not the test's.
  ~s3_env() { kemas::test::delete_s3_prefix(client, prefix); }

  // The object (or a range of it) collected into a string.
  kemas::s3::s3_result<kemas::s3::get_info> get(const std::string& key, std::string& out,
                                                std::optional<byte_range> range = {}) {
    out.clear();
    return client.get_object(key, range, [&out](std::string_view chunk) {
      out.append(chunk);
      return true;
    });
  }
};

std::string all_byte_values(std::size_t repeat) {
  std::string bytes;
  for (std::size_t r = 0; r < repeat; ++r) {
    for (int b = 0; b < 256; ++b)
      bytes += static_cast<char>(b);
  }
  return bytes;
}

std::string generated(std::uint64_t seed, std::size_t size) {
  std::string bytes(size, '\0');
  byte_stream(seed).fill(bytes.data(), size);
  return bytes;
}

// A named coroutine (not a capturing lambda: its captures would dangle, see STYLE.md).
boost::asio::awaitable<std::uint64_t> size_via_service(kemas::s3::s3_service& service,
                                                       std::string key) {
  auto head = co_await service.run(
      [&key](kemas::s3::s3_client& client) { return client.head_object(key); });
  co_return head ? head->size : 0;
}

// Streams an object back: how many bytes came and their SHA-256.
struct streamed {
  kemas::s3::s3_result<kemas::s3::get_info> info;
  std::uint64_t bytes = 0;
  std::string sha256;
};
streamed read_back(kemas::s3::s3_client& client, const std::string& key) {
  sha256_stream digest;
  std::uint64_t bytes = 0;
  auto info = client.get_object(key, std::nullopt, [&](std::string_view chunk) {
    digest.update(chunk);
    bytes += chunk.size();
    return true;
  });
  return {std::move(info), bytes, digest.hex_digest()};
}

}  // namespace

TEST_CASE_FIXTURE(s3_env, "s3 put and get are byte-exact for empty and binary bodies") {
  const std::vector<std::pair<std::string, std::string>> objects = {
      {prefix + "hello.txt", "hello, kemas"},
      {prefix + "empty", ""},
      {prefix + "binary.bin", all_byte_values(4)},
      {prefix + "dir with spaces/file name.txt", "spaces"},
      {prefix + "unicod\xC3\xA9/\xE6\x96\x87\xE4\xBB\xB6 \xE2\x9C\x93.txt", "unicode"},
      {prefix + "deep/a/b/c/d.bin", generated(1, 70'000)},
  };
  for (const auto& [key, body] : objects) {
    CAPTURE(key);
    auto put = client.put_object(key, body, "application/x-kemas-test");
    REQUIRE_MESSAGE(put.has_value(), put.error().describe());
    CHECK_FALSE(put->etag.empty());

    std::string got;
    auto info = get(key, got);
    REQUIRE_MESSAGE(info.has_value(), info.error().describe());
    CHECK(info->http_status == 200);
    CHECK(got == body);
    CHECK(info->content_length == body.size());
    CHECK(info->object_size == body.size());
    CHECK(info->etag == put->etag);
    CHECK(info->content_type == "application/x-kemas-test");
  }
}

TEST_CASE_FIXTURE(s3_env, "s3 get with ranges - first bytes and middle and open-ended") {
  const std::string key = prefix + "ranged.bin";
  const std::string body = generated(2, 10'000);
  REQUIRE(client.put_object(key, body).has_value());
  std::string got;

  auto first = get(key, got, byte_range{0, 9});
  REQUIRE_MESSAGE(first.has_value(), first.error().describe());
  CHECK(first->http_status == 206);
  CHECK(got == body.substr(0, 10));
  CHECK(first->content_length == 10);
  CHECK(first->content_range == "bytes 0-9/10000");
  CHECK(first->object_size == 10'000);

  auto middle = get(key, got, byte_range{4'000, 5'999});
  REQUIRE(middle.has_value());
  CHECK(middle->http_status == 206);
  CHECK(got == body.substr(4'000, 2'000));

  auto open_ended = get(key, got, byte_range{9'990, std::nullopt});
  REQUIRE(open_ended.has_value());
  CHECK(open_ended->http_status == 206);
  CHECK(got == body.substr(9'990));
  CHECK(open_ended->content_range == "bytes 9990-9999/10000");

  auto outside = get(key, got, byte_range{20'000, 20'010});
  REQUIRE_FALSE(outside.has_value());
  CHECK(outside.error().kind == s3_errc::invalid_range);
  CHECK(outside.error().http_status == 416);
}

TEST_CASE_FIXTURE(s3_env, "s3 head gives size and etag and missing keys are not_found") {
  const std::string key = prefix + "head me.txt";
  auto put = client.put_object(key, std::string(1234, 'x'), "text/plain");
  REQUIRE(put.has_value());

  auto head = client.head_object(key);
  REQUIRE_MESSAGE(head.has_value(), head.error().describe());
  CHECK(head->size == 1234);
  CHECK(head->etag == put->etag);
  CHECK(head->content_type == "text/plain");
  CHECK_FALSE(head->last_modified.empty());

  auto missing = client.head_object(prefix + "no such key");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == s3_errc::not_found);
  CHECK(missing.error().http_status == 404);

  std::string got;
  auto missing_get = get(prefix + "no such key", got);
  REQUIRE_FALSE(missing_get.has_value());
  CHECK(missing_get.error().kind == s3_errc::not_found);
  CHECK(missing_get.error().code == "NoSuchKey");
  CHECK(got.empty());  // an error body never reaches the sink
}

TEST_CASE_FIXTURE(s3_env, "s3 copy makes an identical object under another key") {
  const std::string source = prefix + "copy source \xC3\xA9.bin";
  const std::string destination = prefix + "copies/copy destination.bin";
  const std::string body = all_byte_values(10);
  REQUIRE(client.put_object(source, body).has_value());

  auto copy = client.copy_object(source, destination);
  REQUIRE_MESSAGE(copy.has_value(), copy.error().describe());
  std::string got;
  REQUIRE(get(destination, got).has_value());
  CHECK(got == body);

  auto missing = client.copy_object(prefix + "absent", prefix + "never");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == s3_errc::not_found);
}

TEST_CASE_FIXTURE(s3_env, "s3 multipart upload of 5 MiB + 5 MiB + 1 KiB reassembles exactly") {
  const std::string key = prefix + "multipart/big file.bin";
  const std::vector<std::string> parts = {generated(10, 5 * 1024 * 1024),
                                          generated(11, 5 * 1024 * 1024), generated(12, 1024)};
  auto upload_id = client.create_multipart_upload(key, "application/x-kemas-parts");
  REQUIRE_MESSAGE(upload_id.has_value(), upload_id.error().describe());

  std::vector<kemas::s3::completed_part> completed;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    auto etag = client.upload_part(key, *upload_id, number, parts[i]);
    REQUIRE_MESSAGE(etag.has_value(), etag.error().describe());
    completed.push_back({number, *etag});
  }
  auto done = client.complete_multipart_upload(key, *upload_id, completed);
  REQUIRE_MESSAGE(done.has_value(), done.error().describe());

  sha256_stream expected;
  for (const auto& part : parts)
    expected.update(part);
  const auto back = read_back(client, key);
  REQUIRE_MESSAGE(back.info.has_value(), back.info.error().describe());
  CHECK(back.bytes == 10 * 1024 * 1024 + 1024);
  CHECK(back.sha256 == expected.hex_digest());

  // Abort: s3rver answers 405 (FACTS.md); AWS and MinIO free the parts. Either way the
  // client must not report success for a server that did nothing.
  auto second = client.create_multipart_upload(prefix + "multipart/aborted.bin");
  REQUIRE(second.has_value());
  REQUIRE(client.upload_part(prefix + "multipart/aborted.bin", *second, 1, "tiny").has_value());
  auto aborted = client.abort_multipart_upload(prefix + "multipart/aborted.bin", *second);
  if (!aborted)
    CHECK(aborted.error().kind == s3_errc::unsupported);
}

TEST_CASE_FIXTURE(s3_env, "s3 list by prefix pages through every key with its size") {
  std::set<std::string> expected;
  for (int i = 0; i < 5; ++i) {
    const std::string key = prefix + "list/item " + std::to_string(i) + ".txt";
    REQUIRE(client.put_object(key, std::string(static_cast<std::size_t>(i) * 10, 'a')).has_value());
    expected.insert(key);
  }
  REQUIRE(client.put_object(prefix + "other/not listed.txt", "x").has_value());

  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = client.list_objects(prefix + "list/", token, 2);
    REQUIRE_MESSAGE(page.has_value(), page.error().describe());
    ++pages;
    for (const auto& entry : page->objects) {
      CAPTURE(entry.key);
      CHECK(entry.key.rfind(prefix + "list/", 0) == 0);
      const auto index = entry.key.substr((prefix + "list/item ").size(), 1);
      CHECK(entry.size == static_cast<std::uint64_t>(std::stoi(index)) * 10);
      CHECK_FALSE(entry.etag.empty());
      seen.insert(entry.key);
    }
    token = page->next_continuation.value_or("");
  } while (!token.empty() && pages < 10);
  CHECK(seen == expected);
  CHECK(pages == 3);
}

TEST_CASE_FIXTURE(s3_env, "s3 delete is idempotent and the object is gone") {
  const std::string key = prefix + "delete me/\xC3\xA9.txt";
  REQUIRE(client.put_object(key, "bye").has_value());
  auto removed = client.delete_object(key);
  REQUIRE_MESSAGE(removed.has_value(), removed.error().describe());
  auto head = client.head_object(key);
  REQUIRE_FALSE(head.has_value());
  CHECK(head.error().kind == s3_errc::not_found);
  CHECK(client.delete_object(key).has_value());
}

TEST_CASE_FIXTURE(s3_env, "s3 a client with a wrong secret is refused") {
  const std::string key = prefix + "guarded.txt";
  REQUIRE(client.put_object(key, "secret stuff").has_value());

  auto wrong = settings;
  wrong.secret_key = settings.secret_key + "-wrong";
  kemas::s3::s3_client intruder(wrong);

  auto put = intruder.put_object(prefix + "intruder.txt", "nope");
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().kind == s3_errc::access_denied);
  CHECK(put.error().http_status == 403);
  CHECK(put.error().code == "SignatureDoesNotMatch");

  std::string got;
  auto read = intruder.get_object(key, std::nullopt, [&got](std::string_view chunk) {
    got.append(chunk);
    return true;
  });
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().kind == s3_errc::access_denied);
  CHECK(got.empty());

  auto streamed = intruder.put_object(prefix + "intruder-streamed.bin", "application/octet-stream",
                                      1024 * 1024, [](char* buffer, std::size_t max) {
                                        std::fill_n(buffer, max, 'z');
                                        return max;
                                      });
  REQUIRE_FALSE(streamed.has_value());
  CHECK(streamed.error().kind == s3_errc::access_denied);
  CHECK_FALSE(client.head_object(prefix + "intruder.txt").has_value());
}

TEST_CASE_FIXTURE(s3_env, "s3 streamed put of 20 MiB from a reader comes back byte-exact") {
  const std::string key = prefix + "streamed/twenty.bin";
  constexpr std::uint64_t size = 20 * 1024 * 1024 + 12'345;
  byte_stream source(42);
  sha256_stream sent;
  std::uint64_t produced = 0;
  std::size_t largest_call = 0;
  auto put =
      client.put_object(key, "application/octet-stream", size, [&](char* buffer, std::size_t max) {
        largest_call = std::max(largest_call, max);
        source.fill(buffer, max);
        sent.update(std::string_view(buffer, max));
        produced += max;
        return max;
      });
  REQUIRE_MESSAGE(put.has_value(), put.error().describe());
  CHECK(produced == size);
  CHECK(largest_call <= 1024 * 1024);  // pulled in pieces, never the whole body

  const auto back = read_back(client, key);
  REQUIRE_MESSAGE(back.info.has_value(), back.info.error().describe());
  CHECK(back.bytes == size);
  CHECK(back.sha256 == sent.hex_digest());
}

TEST_CASE_FIXTURE(s3_env,
                  "s3 caller callbacks - head first and abort and short reader and throwing sink") {
  const std::string key = prefix + "callbacks.bin";
  const std::string body = generated(7, 300'000);
  REQUIRE(client.put_object(key, body).has_value());

  bool head_seen = false;
  std::size_t bytes_before_head = 0;
  std::size_t received = 0;
  auto info = client.get_object(
      key, std::nullopt,
      [&](std::string_view chunk) {
        if (!head_seen)
          bytes_before_head += chunk.size();
        received += chunk.size();
        return true;
      },
      [&](const kemas::s3::get_info& head) {
        head_seen = true;
        CHECK(head.content_length == body.size());
        return true;
      });
  REQUIRE(info.has_value());
  CHECK(head_seen);
  CHECK(bytes_before_head == 0);
  CHECK(received == body.size());

  auto stopped = client.get_object(key, std::nullopt, [](std::string_view) { return false; });
  REQUIRE_FALSE(stopped.has_value());
  CHECK(stopped.error().kind == s3_errc::aborted);

  auto short_body = client.put_object(prefix + "short.bin", "application/octet-stream", 1000,
                                      [calls = 0](char* buffer, std::size_t) mutable {
                                        if (calls++ > 0)
                                          return std::size_t{0};
                                        std::fill_n(buffer, 10, 'q');
                                        return std::size_t{10};
                                      });
  REQUIRE_FALSE(short_body.has_value());
  CHECK(short_body.error().kind == s3_errc::invalid);
  // What the server keeps of a broken upload is its business: AWS keeps nothing, s3rver
  // sometimes leaves an EMPTY object behind (seen here), so no check on the key.

  CHECK_THROWS_AS(
      client.get_object(key, std::nullopt,
                        [](std::string_view) -> bool { throw std::logic_error("sink failed"); }),
      std::logic_error);
  // The thread's handle is still usable after an abandoned transfer.
  CHECK(client.head_object(key).has_value());
}

TEST_CASE("s3 an unreachable server is a transient error and the service reports not ready") {
  auto settings = kemas::test::s3_settings_from_env();
  settings.endpoint = "127.0.0.1:1";  // nothing listens on port 1
  settings.connect_timeout = std::chrono::milliseconds(500);
  kemas::s3::s3_client client(settings);
  auto head = client.head_bucket();
  REQUIRE_FALSE(head.has_value());
  CHECK(head.error().kind == s3_errc::transient);
  CHECK(head.error().transient());
  CHECK(head.error().http_status == 0);

  boost::asio::io_context io;
  kemas::s3::s3_service down(settings);
  kemas::s3::s3_service up(kemas::test::s3_settings_from_env());
  auto down_ready = boost::asio::co_spawn(io, down.ready(), boost::asio::use_future);
  auto up_ready = boost::asio::co_spawn(io, up.ready(), boost::asio::use_future);
  io.run();
  CHECK_FALSE(down_ready.get());
  CHECK(up_ready.get());
}

TEST_CASE("s3 a server that never answers runs into the call's timeout") {
  boost::asio::io_context io;
  // Listens (the kernel completes the handshake) but never accepts nor answers.
  boost::asio::ip::tcp::acceptor silent(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  auto settings = kemas::test::s3_settings_from_env();
  settings.endpoint = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  kemas::s3::s3_client client(settings);
  const auto started = std::chrono::steady_clock::now();
  auto head = client.head_bucket(std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(head.has_value());
  CHECK(head.error().kind == s3_errc::transient);
  CHECK(head.error().code == "curl:28");  // CURLE_OPERATION_TIMEDOUT
  CHECK(took < std::chrono::seconds(3));

  auto get = client.with_timeout(std::chrono::milliseconds(300))
                 .get_object("any", std::nullopt, [](std::string_view) { return true; });
  REQUIRE_FALSE(get.has_value());
  CHECK(get.error().code == "curl:28");
}

TEST_CASE_FIXTURE(s3_env, "s3 several puts at once each land byte-exact and a bad one fails alone") {
  std::vector<std::string> keys;
  std::vector<std::string> bodies;
  for (std::size_t i = 0; i < 12; ++i) {
    keys.push_back(prefix + "together/" + std::to_string(i));
    bodies.push_back(generated(700 + i, i == 0 ? 0 : 997 * i * i));
  }
  bodies.back() = generated(799, 256 * 1024);
  for (int round = 0; round < 2; ++round) {  // the second reuses the thread's connections
    CAPTURE(round);
    std::vector<kemas::s3::s3_client::object_bytes> objects;
    for (std::size_t i = 0; i < keys.size(); ++i)
      objects.push_back({keys[i], bodies[i], "application/x-kemas-test"});
    objects.push_back({"", "no key", "text/plain"});
    const auto results = client.put_objects(objects);
    REQUIRE(results.size() == objects.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      CAPTURE(keys[i]);
      REQUIRE_MESSAGE(results[i].has_value(), results[i].error().describe());
      std::string got;
      auto info = get(keys[i], got);
      REQUIRE_MESSAGE(info.has_value(), info.error().describe());
      CHECK(got == bodies[i]);
      CHECK(info->etag == results[i]->etag);
      CHECK(info->content_type == "application/x-kemas-test");
    }
    REQUIRE_FALSE(results.back().has_value());
    CHECK(results.back().error().kind == s3_errc::invalid);
    std::reverse(bodies.begin(), bodies.end());  // new contents under the same keys
  }
}

TEST_CASE("s3 several puts at once wait for the slowest not for their sum") {
  boost::asio::io_context io;
  // Listens (the kernel completes the handshakes) but never accepts nor answers.
  boost::asio::ip::tcp::acceptor silent(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  auto settings = kemas::test::s3_settings_from_env();
  settings.endpoint = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  const auto client = kemas::s3::s3_client(settings).with_timeout(std::chrono::milliseconds(400));
  std::vector<std::string> keys;
  for (int i = 0; i < 6; ++i)
    keys.push_back("k" + std::to_string(i));
  std::vector<kemas::s3::s3_client::object_bytes> objects;
  for (const auto& key : keys)
    objects.push_back({key, "body", "text/plain"});
  const auto started = std::chrono::steady_clock::now();
  auto copy = client;
  const auto results = copy.put_objects(objects);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(results.size() == 6);
  for (const auto& result : results) {
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == "curl:28");  // each ran into its own timeout
  }
  // One after another they would take 6 x 400 ms.
  CHECK(took < std::chrono::milliseconds(1'500));
}

// Serves one PUT on a loopback socket and keeps its request head: answers "100 Continue"
// when asked, reads the body, answers 200.
struct recording_server {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor{
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
  std::string head;
  std::size_t body_bytes = 0;
  std::thread thread{[this] {
    boost::asio::ip::tcp::socket socket(io);
    acceptor.accept(socket);
    std::string data;
    char chunk[65536];
    while (data.find("\r\n\r\n") == std::string::npos)
      data.append(chunk, socket.read_some(boost::asio::buffer(chunk)));
    const std::size_t end = data.find("\r\n\r\n") + 4;
    head = data.substr(0, end);
    const auto length_at = head.find("Content-Length: ") + 16;
    const std::size_t length = std::stoul(head.substr(length_at, head.find('\r', length_at)));
    if (head.find("Expect: 100-continue") != std::string::npos)
      boost::asio::write(socket, boost::asio::buffer(std::string("HTTP/1.1 100 Continue\r\n\r\n")));
    body_bytes = data.size() - end;
    while (body_bytes < length)
      body_bytes += socket.read_some(boost::asio::buffer(chunk));
    boost::asio::write(socket, boost::asio::buffer(std::string(
                                   "HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\n\r\n")));
  }};

  ~recording_server() {
    if (thread.joinable())
      thread.join();
  }
  std::string endpoint() const {
    return "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  }
};

TEST_CASE("s3 a small put sends its body at once and a large one asks to continue first") {
  for (const std::size_t size : {std::size_t{4096}, std::size_t{2} * 1024 * 1024}) {
    CAPTURE(size);
    recording_server server;
    auto settings = kemas::test::s3_settings_from_env();
    settings.endpoint = server.endpoint();
    kemas::s3::s3_client client(settings);
    const auto put = client.put_object("expect/" + std::to_string(size), std::string(size, 'x'));
    server.thread.join();
    CHECK(put.has_value());
    CHECK(server.body_bytes == size);
    const bool asks = server.head.find("Expect: 100-continue") != std::string::npos;
    CHECK(asks == (size >= 1024 * 1024));  // one round trip less below 1 MiB
  }
}

TEST_CASE_FIXTURE(s3_env, "s3 service runs client calls on its pool and bucket creation is safe") {
  const std::string key = prefix + "service.txt";
  REQUIRE(client.put_object(key, std::string(77, 's')).has_value());
  boost::asio::io_context io;
  kemas::s3::s3_service service(settings);
  auto size = boost::asio::co_spawn(io, size_via_service(service, key), boost::asio::use_future);
  io.run();
  CHECK(size.get() == 77);

  // The bucket exists: AWS/MinIO answer BucketAlreadyOwnedByYou (success), s3rver answers
  // BucketAlreadyExists (conflict). Either way nothing is lost.
  auto again = client.create_bucket();
  if (!again)
    CHECK(again.error().kind == s3_errc::conflict);
  CHECK(client.head_object(key).has_value());
}

TEST_CASE_FIXTURE(s3_env, "s3 one client serves many threads at once") {
  constexpr int threads = 4;
  constexpr int rounds = 10;
  std::vector<int> failures(threads, 0);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([this, t, &failures] {
      for (int r = 0; r < rounds; ++r) {
        const std::string key = prefix + "threads/" + std::to_string(t) + "-" + std::to_string(r);
        const std::string body = generated(static_cast<std::uint64_t>(t * 100 + r), 50'000);
        std::string got;
        if (!client.put_object(key, body) || !get(key, got) || got != body)
          ++failures[t];
      }
    });
  }
  for (auto& worker : workers)
    worker.join();
  for (int t = 0; t < threads; ++t)
    CHECK(failures[t] == 0);
}
