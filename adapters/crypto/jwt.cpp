#include "adapters/crypto/jwt.hpp"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include "adapters/crypto/tokens.hpp"
#include "adapters/support/random.hpp"
#include "domain/base64.hpp"
#include "domain/credentials.hpp"

namespace kemas::crypto {
namespace {

namespace json = boost::json;

struct jwt_deleter {
  void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

struct malloc_deleter {  // libjwt 1.10 has no jwt_free_str: its strings come from malloc
  void operator()(char* p) const noexcept { std::free(p); }
};

constexpr std::size_t hex_id_length = 32;  // sid and jti: random_hex(16)

error invalid_token() { return make_error(errc::unauthenticated, "invalid token"); }
error expired_token() { return make_error(errc::unauthenticated, "token expired"); }

std::atomic<std::uint64_t> next_codec_id{1};

const unsigned char* key_bytes(const std::string& secret) noexcept {
  return reinterpret_cast<const unsigned char*>(secret.data());
}

bool is_hex_id(std::string_view text) noexcept { return text.size() == hex_id_length && is_lower_hex(text); }

// One base64url part of a compact JWS, decoded and parsed as a JSON object.
std::optional<json::object> decode_object(std::string_view part) {
  const auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  json::error_code ec;
  json::value value = json::parse(*bytes, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// The pin: exactly HS256, typ absent or "JWT", no critical extensions we would ignore.
bool header_acceptable(const json::object& header) {
  const auto* alg = header.if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") return false;
  const auto* typ = header.if_contains("typ");
  if (typ != nullptr && (!typ->is_string() || typ->get_string() != "JWT")) return false;
  return !header.contains("crit");
}

std::optional<std::string_view> string_claim(const json::object& claims, std::string_view name) {
  const auto* v = claims.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

// Integers only: 1.7e9 written as a double is not a well-typed NumericDate for us.
std::optional<std::int64_t> int_claim(const json::object& claims, std::string_view name) {
  const auto* v = claims.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

// HMAC-SHA256 of the signing input, compared in constant time with the token's signature.
bool signature_matches(const std::string& secret, std::string_view signing_input, std::string_view signature) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac.data(),
           &mac_size) == nullptr) {
    return false;
  }
  return constant_time_equal(base64url(mac.data(), mac_size), signature);
}

}  // namespace

jwt_codec::jwt_codec(std::string secret, std::chrono::seconds access_ttl)
    : secret_(std::move(secret)), access_ttl_(access_ttl), id_(next_codec_id.fetch_add(1)) {
  if (secret_.empty() || secret_.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("jwt_codec: the secret must be non-empty");
  }
  if (access_ttl_.count() <= 0) throw std::invalid_argument("jwt_codec: access_ttl must be positive");
}

std::string jwt_codec::issue(const uuid& user, std::string_view session_id, kemas::role role,
                             std::int64_t now_unix) const {
  if (user.is_nil()) throw std::invalid_argument("jwt_codec::issue: nil user id");
  if (!is_hex_id(session_id)) throw std::invalid_argument("jwt_codec::issue: malformed session id");
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  const jwt_ptr token(raw);
  const std::string sid(session_id);
  const std::string jti = support::random_hex(hex_id_length / 2);
  const std::string role_text(role_name(role));
  const long iat = static_cast<long>(now_unix);
  const long exp = static_cast<long>(now_unix + access_ttl_.count());
  if (jwt_add_grant(token.get(), "sub", user.to_string().c_str()) != 0 ||
      jwt_add_grant(token.get(), "sid", sid.c_str()) != 0 ||
      jwt_add_grant(token.get(), "role", role_text.c_str()) != 0 ||
      jwt_add_grant_int(token.get(), "iat", iat) != 0 || jwt_add_grant_int(token.get(), "exp", exp) != 0 ||
      jwt_add_grant(token.get(), "jti", jti.c_str()) != 0 ||
      jwt_set_alg(token.get(), JWT_ALG_HS256, key_bytes(secret_), static_cast<int>(secret_.size())) != 0) {
    throw std::runtime_error("libjwt could not build the token");
  }
  const std::unique_ptr<char, malloc_deleter> encoded(jwt_encode_str(token.get()));
  if (!encoded) throw std::runtime_error("jwt_encode_str failed");
  return std::string(encoded.get());
}

namespace {

struct remembered_token {
  std::uint64_t codec = 0;  // 0: empty slot
  std::array<unsigned char, 32> digest{};
  std::int64_t verified_at = 0;  // a clock set back since is not trusted with iat and nbf
  access_claims claims;
};
constexpr std::size_t remembered_slots = 1024;

std::array<unsigned char, 32> token_digest(std::string_view token) {
  std::array<unsigned char, 32> out{};
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), out.data(), &size, EVP_sha256(), nullptr);
  return out;
}

std::string_view bytes_of(const std::array<unsigned char, 32>& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace

result<access_claims> jwt_codec::verify(std::string_view token, std::int64_t now_unix) const {
  if (token.empty() || token.size() > max_token_length)
    return invalid_token();
  thread_local auto slots = std::make_unique<std::array<remembered_token, remembered_slots>>();
  const auto digest = token_digest(token);
  auto& slot = (*slots)[(digest[0] | (std::size_t{digest[1]} << 8)) % remembered_slots];
  if (slot.codec == id_ && slot.verified_at <= now_unix &&
      constant_time_equal(bytes_of(slot.digest), bytes_of(digest))) {
    if (slot.claims.expires_at <= now_unix - leeway_seconds)
      return expired_token();
    return slot.claims;
  }
  auto verified = verify_token(token, now_unix);
  if (verified)
    slot = {id_, digest, now_unix, *verified};
  return verified;
}

result<access_claims> jwt_codec::verify_token(std::string_view token, std::int64_t now_unix) const {
  // Shape: three base64url parts, a non-empty signature, nothing else (no NULs for libjwt).
  if (token.empty() || token.size() > max_token_length) return invalid_token();
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  if (first_dot == std::string_view::npos || second_dot == std::string_view::npos) return invalid_token();
  const auto header_part = token.substr(0, first_dot);
  const auto payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const auto signature_part = token.substr(second_dot + 1);
  if (!is_base64url(header_part) || !is_base64url(payload_part) || !is_base64url(signature_part) ||
      signature_part.empty()) {
    return invalid_token();
  }

  // Pin the algorithm before anything trusts the header.
  const auto header = decode_object(header_part);
  if (!header || !header_acceptable(*header)) return invalid_token();
  if (!signature_matches(secret_, token.substr(0, second_dot), signature_part)) return invalid_token();

  // libjwt must agree (and parses the token the same way we did).
  const std::string terminated(token);
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, terminated.c_str(), key_bytes(secret_), static_cast<int>(secret_.size()));
  const jwt_ptr decoded(raw);
  if (rc != 0 || !decoded || jwt_get_alg(decoded.get()) != JWT_ALG_HS256) return invalid_token();

  // Claims, from the bytes whose signature was just checked.
  const auto payload = decode_object(payload_part);
  if (!payload) return invalid_token();
  const auto sub = string_claim(*payload, "sub");
  const auto sid = string_claim(*payload, "sid");
  const auto role_text = string_claim(*payload, "role");
  const auto jti = string_claim(*payload, "jti");
  const auto iat = int_claim(*payload, "iat");
  const auto exp = int_claim(*payload, "exp");
  if (!sub || !sid || !role_text || !jti || !iat || !exp) return invalid_token();
  const auto user = uuid::parse(*sub);
  const auto role = parse_role(*role_text);
  if (!user || user->is_nil() || user->to_string() != *sub || !role || !is_hex_id(*sid) || !is_hex_id(*jti)) {
    return invalid_token();
  }
  if (payload->contains("nbf")) {  // we never issue nbf, but honour it if present
    const auto nbf = int_claim(*payload, "nbf");
    if (!nbf || *nbf > now_unix + leeway_seconds) return invalid_token();
  }

  // Times: checked last, so "token expired" is only said of a genuine token.
  if (*exp <= *iat || *iat > now_unix + leeway_seconds) return invalid_token();
  if (*exp <= now_unix - leeway_seconds) return expired_token();

  return access_claims{*user, std::string(*sid), *role, *iat, *exp, std::string(*jti)};
}

}  // namespace kemas::crypto
