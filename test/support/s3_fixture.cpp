#include "test/support/s3_fixture.hpp"

#include "test/support/test_settings.hpp"

#include "adapters/postgres/pool.hpp"
#include "adapters/support/random.hpp"

#include <soci/soci.h>

#include <openssl/evp.h>

#include <stdexcept>

namespace kemas::test {

config::s3_settings s3_settings_from_env() {
  auto settings = test_settings().s3;
  settings.timeout = std::chrono::seconds(60);
  return settings;
}

void ensure_s3_bucket(s3::s3_client& client) {
  auto head = client.head_bucket();
  if (head)
    return;
  if (!head.error().not_found())
    throw s3::s3_exception(head.error());
  client.create_bucket().value();
}

std::size_t delete_s3_prefix(s3::s3_client& client, const std::string& prefix) noexcept {
  std::size_t failed = 0;
  std::string token;
  do {
    auto page = client.list_objects(prefix, token);
    if (!page)
      return failed + 1;
    for (const auto& entry : page->objects) {
      if (!client.delete_object(entry.key))
        ++failed;
    }
    token = page->next_continuation.value_or("");
  } while (!token.empty());
  return failed;
}

void delete_objects_of_users(postgres::pg_pool& pool, s3::s3_client& client) {
  const auto owners = pool.with_session([](soci::session& sql) {
    std::vector<std::string> ids;
    soci::rowset<std::string> rows = sql.prepare << "SELECT id::text FROM users";
    for (const auto& id : rows)
      ids.push_back(id);
    return ids;
  });
  for (const auto& owner : owners)
    delete_s3_prefix(client, "u/" + owner + "/");
}

bool object_exists(s3::s3_client& client, const std::string& key) {
  auto head = client.head_object(key);
  if (!head && !head.error().not_found())
    throw std::runtime_error("HEAD " + key + ": " + head.error().describe());
  return head.has_value();
}

std::string unique_s3_prefix(std::string_view tag) {
  return "it/" + std::string(tag) + "/" + support::random_hex(8) + "/";
}

void byte_stream::fill(char* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (left_ == 0) {
      // splitmix64: cheap, good enough to make every byte value appear.
      state_ += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = state_;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      word_ = z ^ (z >> 31);
      left_ = 8;
    }
    out[i] = static_cast<char>(word_ & 0xff);
    word_ >>= 8;
    --left_;
  }
}

struct sha256_stream::state {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~state() { EVP_MD_CTX_free(ctx); }
};

sha256_stream::sha256_stream() : state_(std::make_unique<state>()) {
  if (state_->ctx == nullptr || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex failed");
  }
}

sha256_stream::~sha256_stream() = default;

void sha256_stream::update(std::string_view bytes) {
  if (EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("EVP_DigestUpdate failed");
  }
}

std::string sha256_stream::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(state_->ctx, digest, &length) != 1) {
    throw std::runtime_error("EVP_DigestFinal_ex failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace kemas::test
