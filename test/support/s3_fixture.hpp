#pragma once
// Test helpers for the S3 client: settings from the KEMAS_S3_* environment written by
// scripts/services.sh (.run/env), a unique key prefix per test run, byte generators and an
// incremental SHA-256 for comparing large bodies without holding them.

#include "adapters/config/settings.hpp"
#include "adapters/s3/client.hpp"
#include "domain/non_copyable.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kemas::postgres {
class pg_pool;
}

namespace kemas::test {

// KEMAS_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _BUCKET, _REGION from the environment; when
// KEMAS_S3_ENDPOINT is unset they are read from <source dir>/.run/env. Throws
// std::runtime_error naming the variable when one is missing.
config::s3_settings s3_settings_from_env();

// Creates the bucket unless it exists; throws s3::s3_exception on failure.
void ensure_s3_bucket(s3::s3_client& client);

// Deletes every object under `prefix`; returns how many could not be deleted. No throw.
std::size_t delete_s3_prefix(s3::s3_client& client, const std::string& prefix) noexcept;

// Deletes the objects of every user of `pool`'s database (u/<user id>/), so a test's scratch
// users leave nothing in the shared bucket. Database errors propagate.
void delete_objects_of_users(postgres::pg_pool& pool, s3::s3_client& client);

// Whether `key` is in the bucket (HEAD). Throws std::runtime_error when S3 answers anything
// but the object or "not found".
bool object_exists(s3::s3_client& client, const std::string& key);

// "it/<tag>/<random hex>/": keys under it belong to this run only.
std::string unique_s3_prefix(std::string_view tag);

// Deterministic pseudo-random bytes: byte i of stream `seed` is always the same, so a
// reader can produce a large body piecewise and a checker can recompute it.
class byte_stream {
 public:
  explicit byte_stream(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  void fill(char* out, std::size_t n);

 private:
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  unsigned left_ = 0;  // bytes of word_ not yet handed out
};

// Incremental SHA-256 (OpenSSL), hex result.
class sha256_stream : kemas::non_copyable {
 public:
  sha256_stream();
  ~sha256_stream();
  void update(std::string_view bytes);
  std::string hex_digest();  // finishes; call once

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace kemas::test
