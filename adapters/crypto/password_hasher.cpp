#include "adapters/crypto/password_hasher.hpp"

#include <argon2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "adapters/support/random.hpp"

namespace kemas::crypto {
namespace {

constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;
// A real encoding with the largest parameters we accept is ~120 characters; anything much
// longer is corrupt, and refusing it early bounds the work of parsing it.
constexpr std::size_t max_encoded_length = 512;

bool is_b64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Consumes `prefix` from the front of `text`.
bool eat(std::string_view& text, std::string_view prefix) noexcept {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// Consumes a decimal number without sign or leading zeros (libargon2 writes them so).
std::optional<std::uint32_t> eat_number(std::string_view& text) noexcept {
  std::uint32_t value = 0;
  const auto* first = text.data();
  const auto* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || end == first || (*first == '0' && end - first > 1)) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - first));
  return value;
}

// Consumes a non-empty run of unpadded standard base64.
bool eat_b64(std::string_view& text) noexcept {
  const auto n = static_cast<std::size_t>(std::ranges::find_if_not(text, is_b64_char) - text.begin());
  if (n == 0 || n % 4 == 1) return false;
  text.remove_prefix(n);
  return true;
}

}  // namespace

std::optional<argon2_params> parse_encoded_params(std::string_view encoded) noexcept {
  if (encoded.size() > max_encoded_length) return std::nullopt;
  std::string_view rest = encoded;
  if (!eat(rest, "$argon2id$v=19$m=")) return std::nullopt;
  argon2_params p;
  const auto m = eat_number(rest);
  if (!m || !eat(rest, ",t=")) return std::nullopt;
  const auto t = eat_number(rest);
  if (!t || !eat(rest, ",p=")) return std::nullopt;
  const auto lanes = eat_number(rest);
  if (!lanes || !eat(rest, "$") || !eat_b64(rest) || !eat(rest, "$") || !eat_b64(rest) || !rest.empty()) {
    return std::nullopt;
  }
  p.memory_kib = *m;
  p.iterations = *t;
  p.parallelism = *lanes;
  return p;
}

std::string hash_password(std::string_view password, const argon2_params& params) {
  if (password.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("argon2: password too long");
  }
  std::array<unsigned char, salt_bytes> salt{};
  support::random_bytes(salt.data(), salt.size());
  // argon2_encodedlen counts the terminating NUL.
  std::vector<char> encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                              salt_bytes, hash_bytes, Argon2_id));
  const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism, password.data(),
                                       password.size(), salt.data(), salt.size(), hash_bytes, encoded.data(),
                                       encoded.size());
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL) {
    throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
  }
  if (rc != ARGON2_OK) throw std::invalid_argument(std::string("argon2: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool verify_password(std::string_view password, std::string_view encoded) noexcept {
  const auto params = parse_encoded_params(encoded);
  if (!params || params->memory_kib > max_verify_memory_kib || params->iterations > max_verify_iterations ||
      params->parallelism > max_verify_parallelism ||
      password.size() > std::numeric_limits<std::uint32_t>::max()) {
    return false;
  }
  // libargon2 wants a C string; the length was bounded by parse_encoded_params.
  std::array<char, max_encoded_length + 1> terminated{};
  std::ranges::copy(encoded, terminated.begin());
  // argon2id_verify decodes, recomputes and compares in constant time; any error code
  // (mismatch, decoding failure, out of memory) means "not verified".
  return argon2id_verify(terminated.data(), password.data(), password.size()) == ARGON2_OK;
}

bool needs_rehash(std::string_view encoded, const argon2_params& params) noexcept {
  const auto current = parse_encoded_params(encoded);
  return !current || *current != params;
}

const std::string& dummy_hash(const argon2_params& params) {
  // std::map nodes never move, so references handed out stay valid as entries are added.
  static std::mutex mutex;
  static std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::string> hashes;
  const auto key = std::make_tuple(params.memory_kib, params.iterations, params.parallelism);
  const std::lock_guard lock(mutex);
  auto it = hashes.find(key);
  if (it == hashes.end()) {
    // A random password nobody knows: verifying against it never succeeds in practice.
    std::array<char, 32> secret{};
    support::random_bytes(secret.data(), secret.size());
    it = hashes.emplace(key, hash_password(std::string_view(secret.data(), secret.size()), params)).first;
  }
  return it->second;
}

}  // namespace kemas::crypto
