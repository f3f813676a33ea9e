// s3_object_streams' uploads against the S3 test server: which path a body takes (one
// streamed PUT when its length is known and at most upload.single_put_max, multipart with
// several parts in flight otherwise), byte-exact objects from small writes through a small
// buffer, and what an abandoned or failed upload leaves behind (nothing).
#include "adapters/s3/object_streams.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <string>

#include "adapters/s3/async_client.hpp"
#include "adapters/s3/object_upload.hpp"
#include "adapters/s3/streamed_put.hpp"
#include "domain/errors.hpp"
#include "test/support/s3_fixture.hpp"

namespace {

namespace asio = boost::asio;
using kemas::ports::object_upload;
using kemas::test::byte_stream;
using kemas::test::sha256_stream;

constexpr std::size_t mib = 1024 * 1024;

std::string generated(std::uint64_t seed, std::size_t size) {
  std::string bytes(size, '\0');
  byte_stream(seed).fill(bytes.data(), size);
  return bytes;
}

std::string sha256_of(std::string_view bytes) {
  sha256_stream digest;
  digest.update(bytes);
  return digest.hex_digest();
}

// What a whole upload came to: the first error's code, or the stored body.
struct outcome {
  std::optional<kemas::errc> failed;
  kemas::ports::stored_body stored;
};

// Writes `bytes` in `piece`-sized writes then finishes; stops at the first error. Stops
// after `cut` bytes (abandoning the upload) when `cut` is set.
asio::awaitable<outcome> send(object_upload& upload, std::string_view bytes, std::size_t piece,
                              std::optional<std::size_t> cut = {}) {
  outcome out;
  const std::size_t end = cut.value_or(bytes.size());
  for (std::size_t at = 0; at < end; at += piece) {
    auto written = co_await upload.write(bytes.substr(at, std::min(piece, end - at)));
    if (!written) {
      out.failed = written.error().code;
      co_await upload.abandon();
      co_return out;
    }
  }
  if (cut) {
    co_await upload.abandon();
    co_return out;
  }
  auto finished = co_await upload.finish();
  if (!finished) {
    out.failed = finished.error().code;
    co_await upload.abandon();
  } else {
    out.stored = *finished;
  }
  co_return out;
}

struct streams_env {
  kemas::config::s3_settings s3 = kemas::test::s3_settings_from_env();
  kemas::s3::s3_client client{s3};
  std::string prefix = kemas::test::unique_s3_prefix("streams");
  kemas::config::upload_settings settings{.inline_max = 256 * 1024,
                                          .single_put_max = 32 * mib,
                                          .put_buffer = 256 * 1024,
                                          .part_size = 5 * mib,
                                          .parts_in_flight = 3};

  streams_env() { kemas::test::ensure_s3_bucket(client); }
  ~streams_env() { kemas::test::delete_s3_prefix(client, prefix); }

  std::string key(const std::string& name) const { return prefix + name; }

  static outcome run(object_upload& upload, std::string_view bytes, std::size_t piece,
                     std::optional<std::size_t> cut = {}) {
    asio::io_context io;
    auto done = asio::co_spawn(io, send(upload, bytes, piece, cut), asio::use_future);
    io.run();
    return done.get();
  }

  // The object's size and SHA-256, or nullopt when it does not exist.
  std::optional<std::pair<std::uint64_t, std::string>> stored(const std::string& k) {
    sha256_stream digest;
    std::uint64_t size = 0;
    auto got = client.get_object(k, std::nullopt, [&](std::string_view chunk) {
      digest.update(chunk);
      size += chunk.size();
      return true;
    });
    if (!got) {
      REQUIRE(got.error().kind == kemas::s3::s3_errc::not_found);
      return std::nullopt;
    }
    return std::pair{size, digest.hex_digest()};
  }
};

}  // namespace

TEST_CASE_FIXTURE(streams_env, "a known length up to single_put_max goes as one streamed put") {
  kemas::s3::s3_service service(s3);
  kemas::s3::s3_object_streams streams(service, settings);
  // 20 MiB in 64 KiB writes through a 256 KiB buffer: the writer waits for S3 many times.
  const std::string body = generated(1, 20 * mib + 17);
  auto upload = streams.upload(key("put.bin"), "application/octet-stream", body.size(), nullptr);
  REQUIRE(dynamic_cast<kemas::s3::streamed_put*>(upload.get()) != nullptr);
  const auto result = run(*upload, body, 64 * 1024);
  REQUIRE_FALSE(result.failed);
  CHECK(result.stored.size == body.size());
  CHECK(result.stored.sha256 == sha256_of(body));
  CHECK_FALSE(result.stored.inline_bytes);
  const auto object = stored(key("put.bin"));
  REQUIRE(object);
  CHECK(object->first == body.size());
  CHECK(object->second == sha256_of(body));

  // Past single_put_max, unknown lengths and small bodies take the other path.
  CHECK(dynamic_cast<kemas::s3::object_upload*>(
            streams.upload(key("big"), "x/y", settings.single_put_max + 1, nullptr).get()) != nullptr);
  CHECK(dynamic_cast<kemas::s3::object_upload*>(
            streams.upload(key("chunked"), "x/y", std::nullopt, nullptr).get()) != nullptr);
  CHECK(dynamic_cast<kemas::s3::object_upload*>(
            streams.upload(key("small"), "x/y", settings.inline_max, nullptr).get()) != nullptr);
  settings.single_put_max = 0;  // "always multipart"
  CHECK(dynamic_cast<kemas::s3::object_upload*>(
            streams.upload(key("off"), "x/y", 1 * mib, nullptr).get()) != nullptr);
}

TEST_CASE_FIXTURE(streams_env, "a body of unknown length goes multipart with parts in flight") {
  kemas::s3::s3_service service(s3);
  kemas::s3::s3_object_streams streams(service, settings);
  // Five parts of 5 MiB and a tail, three in flight at once, written in odd-sized pieces.
  const std::string body = generated(2, 5 * 5 * mib + 12'345);
  auto upload = streams.upload(key("multi.bin"), "application/octet-stream", std::nullopt, nullptr);
  const auto result = run(*upload, body, 300'001);
  REQUIRE_FALSE(result.failed);
  CHECK(result.stored.size == body.size());
  CHECK(result.stored.sha256 == sha256_of(body));
  const auto object = stored(key("multi.bin"));
  REQUIRE(object);
  CHECK(object->first == body.size());
  CHECK(object->second == sha256_of(body));
}

TEST_CASE_FIXTURE(streams_env, "a streamed put cut short leaves no object") {
  kemas::s3::s3_service service(s3);
  kemas::s3::s3_object_streams streams(service, settings);
  const std::string body = generated(3, 8 * mib);
  SUBCASE("abandoned after half its bytes") {
    auto upload = streams.upload(key("cut.bin"), "application/octet-stream", body.size(), nullptr);
    const auto result = run(*upload, body, 128 * 1024, body.size() / 2);
    CHECK_FALSE(result.failed);
    CHECK_FALSE(stored(key("cut.bin")));
  }
  SUBCASE("finished one byte short of its length") {
    auto upload = streams.upload(key("short.bin"), "application/octet-stream", body.size() + 1, nullptr);
    const auto result = run(*upload, body, 128 * 1024);
    REQUIRE(result.failed);
    CHECK(*result.failed == kemas::errc::bad_request);
    CHECK_FALSE(stored(key("short.bin")));
  }
  SUBCASE("a write past its length") {
    auto upload = streams.upload(key("long.bin"), "application/octet-stream", body.size() - 1, nullptr);
    const auto result = run(*upload, body, 1 * mib);
    REQUIRE(result.failed);
    CHECK(*result.failed == kemas::errc::bad_request);
    CHECK_FALSE(stored(key("long.bin")));
  }
}

TEST_CASE_FIXTURE(streams_env, "a streamed put to an unreachable server is backend_unavailable") {
  auto down = s3;
  down.endpoint = "127.0.0.1:1";  // nothing listens on port 1
  down.connect_timeout = std::chrono::milliseconds(500);
  kemas::s3::s3_service service(down);
  kemas::s3::s3_object_streams streams(service, settings);
  const std::string body = generated(4, 4 * mib);
  auto upload = streams.upload(key("down.bin"), "application/octet-stream", body.size(), nullptr);
  // The buffer (256 KiB) fills, the writer waits, the transfer fails: the wait ends with it.
  const auto result = run(*upload, body, 64 * 1024);
  REQUIRE(result.failed);
  CHECK(*result.failed == kemas::errc::backend_unavailable);
}
