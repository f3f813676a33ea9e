// Access tokens: HS256 only, every claim checked, times checked with a small leeway.
// Forged tokens are crafted by hand here (own header, own HMAC) so each refusal is about
// the one thing the case changes: a correctly crafted HS256 token IS accepted.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/base64.hpp"
#include "adapters/crypto/jwt.hpp"
#include "adapters/crypto/tokens.hpp"
#include "domain/credentials.hpp"

using kemas::errc;
using kemas::role;
using kemas::uuid;
using kemas::crypto::access_claims;
using kemas::base64url;
using kemas::base64url_decode;
using kemas::crypto::jwt_codec;

namespace {

const std::string secret(40, 's');
constexpr std::chrono::seconds ttl{900};
constexpr std::int64_t now = 1'700'000'000;
const std::string sid = "0123456789abcdef0123456789abcdef";
const std::string jti = "fedcba9876543210fedcba9876543210";
const uuid user = *uuid::parse("3f2c1a9e-8d2b-4a51-9b1f-2f8a7c6d5e4b");

std::string hmac_b64(const EVP_MD* md, const std::string& key, const std::string& input) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac.data(), &size);
  return base64url(mac.data(), size);
}

// header.payload.signature with the given JSON texts, signed with HMAC(md, key).
std::string craft(const std::string& header_json, const std::string& payload_json, const EVP_MD* md = EVP_sha256(),
                  const std::string& key = secret) {
  const auto input = base64url(header_json) + "." + base64url(payload_json);
  return input + "." + hmac_b64(md, key, input);
}

const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";

std::string payload(const std::string& sub = user.to_string(), const std::string& session = sid,
                    const std::string& role_text = "user", const std::string& iat = std::to_string(now),
                    const std::string& exp = std::to_string(now + 900)) {
  return R"({"sub":")" + sub + R"(","sid":")" + session + R"(","role":")" + role_text + R"(","iat":)" + iat +
         R"(,"exp":)" + exp + R"(,"jti":")" + jti + R"("})";
}

void check_refused(const jwt_codec& codec, const std::string& token, const std::string& message = "invalid token",
                   std::int64_t at = now) {
  CAPTURE(token);
  const auto result = codec.verify(token, at);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == errc::unauthenticated);
  CHECK(result.error().message == message);
}

std::vector<std::string> split(const std::string& token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

}  // namespace

TEST_CASE("an issued token verifies with all its claims") {
  const jwt_codec codec(secret, ttl);
  const auto token = codec.issue(user, sid, role::developer, now);
  const auto parts = split(token);
  REQUIRE(parts.size() == 3);
  const auto header = base64url_decode(parts[0]);
  REQUIRE(header.has_value());
  CHECK(header->find(R"("alg":"HS256")") != std::string::npos);

  const auto claims = codec.verify(token, now + 10);
  REQUIRE(claims.has_value());
  CHECK(claims->user_id == user);
  CHECK(claims->session_id == sid);
  CHECK(claims->role == role::developer);
  CHECK(claims->issued_at == now);
  CHECK(claims->expires_at == now + 900);
  CHECK(claims->jwt_id.size() == 32);
  CHECK(kemas::is_lower_hex(claims->jwt_id));
  CHECK(codec.access_ttl() == ttl);
}

TEST_CASE("every issued token has its own jti") {
  const jwt_codec codec(secret, ttl);
  const auto a = codec.verify(codec.issue(user, sid, role::admin, now), now);
  const auto b = codec.verify(codec.issue(user, sid, role::admin, now), now);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->jwt_id != b->jwt_id);
  CHECK(a->role == role::admin);
}

TEST_CASE("a hand-crafted HS256 token with the right key is accepted") {
  // Proves the crafting helper is right, so the refusals below are about what they change.
  const jwt_codec codec(secret, ttl);
  const auto claims = codec.verify(craft(hs256, payload()), now);
  REQUIRE(claims.has_value());
  CHECK(claims->jwt_id == jti);
  CHECK(codec.verify(craft(R"({"alg":"HS256"})", payload()), now).has_value());  // typ is optional
}

TEST_CASE("a tampered payload or signature is refused") {
  const jwt_codec codec(secret, ttl);
  const auto token = codec.issue(user, sid, role::user, now);
  const auto parts = split(token);

  auto claims_json = *base64url_decode(parts[1]);
  const auto at = claims_json.find(R"("role":"user")");
  REQUIRE(at != std::string::npos);
  claims_json.replace(at, 13, R"("role":"admin")");
  check_refused(codec, parts[0] + "." + base64url(claims_json) + "." + parts[2]);

  auto signature = parts[2];
  signature[0] = signature[0] == 'A' ? 'B' : 'A';
  check_refused(codec, parts[0] + "." + parts[1] + "." + signature);
  check_refused(codec, parts[0] + "." + parts[1] + ".");
  check_refused(codec, parts[0] + "." + parts[1]);
  check_refused(codec, token + "A");
  check_refused(codec, token + ".");
}

TEST_CASE("a token signed with another key is refused") {
  const jwt_codec codec(secret, ttl);
  const jwt_codec other(std::string(40, 'o'), ttl);
  check_refused(codec, other.issue(user, sid, role::user, now));
  check_refused(codec, craft(hs256, payload(), EVP_sha256(), "wrong key"));
}

TEST_CASE("a remembered token is refused by a codec with another key and when tampered") {
  const jwt_codec codec(secret, ttl);
  const jwt_codec other(std::string(40, 'o'), ttl);
  const auto token = codec.issue(user, sid, role::user, now);
  REQUIRE(codec.verify(token, now).has_value());
  REQUIRE(codec.verify(token, now + 1).has_value());  // from the remembered slot
  check_refused(other, token);
  auto tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  check_refused(codec, tampered);
  CHECK(codec.verify(token, now + 2)->session_id == sid);
}

TEST_CASE("an expired token is refused as expired after the leeway") {
  const jwt_codec codec(secret, ttl);
  const auto token = codec.issue(user, sid, role::user, now);
  const auto exp = now + 900;
  CHECK(codec.verify(token, exp - 1).has_value());
  CHECK(codec.verify(token, exp + jwt_codec::leeway_seconds - 1).has_value());  // clock skew
  check_refused(codec, token, "token expired", exp + jwt_codec::leeway_seconds);
  check_refused(codec, token, "token expired", exp + 3600);
}

TEST_CASE("a token issued in the future is refused beyond the leeway") {
  const jwt_codec codec(secret, ttl);
  const auto token = codec.issue(user, sid, role::user, now);
  CHECK(codec.verify(token, now - jwt_codec::leeway_seconds).has_value());
  check_refused(codec, token, "invalid token", now - jwt_codec::leeway_seconds - 1);
  check_refused(codec, token, "invalid token", now - 3600);
}

TEST_CASE("alg none is refused however it is written") {
  const jwt_codec codec(secret, ttl);
  const auto body = base64url(payload());
  check_refused(codec, base64url(std::string(R"({"alg":"none","typ":"JWT"})")) + "." + body + ".");
  check_refused(codec, base64url(std::string(R"({"alg":"none"})")) + "." + body + ".");
  check_refused(codec, base64url(std::string(R"({"alg":"None","typ":"JWT"})")) + "." + body + ".");
  // Even with a valid HS256 signature over the same input.
  check_refused(codec, craft(R"({"alg":"none","typ":"JWT"})", payload()));
}

TEST_CASE("other algorithms signed with the right key are refused") {
  const jwt_codec codec(secret, ttl);
  check_refused(codec, craft(R"({"alg":"HS384","typ":"JWT"})", payload(), EVP_sha384()));
  check_refused(codec, craft(R"({"alg":"HS512","typ":"JWT"})", payload(), EVP_sha512()));
  // RS256 "signed" with the HMAC secret (the classic key-confusion attack).
  check_refused(codec, craft(R"({"alg":"RS256","typ":"JWT"})", payload()));
  check_refused(codec, craft(R"({"alg":"hs256","typ":"JWT"})", payload()));
  check_refused(codec, craft(R"({"typ":"JWT"})", payload()));
  check_refused(codec, craft(R"({"alg":["HS256"],"typ":"JWT"})", payload()));
  check_refused(codec, craft(R"({"alg":"HS256","typ":"JWE"})", payload()));
  check_refused(codec, craft(R"({"alg":"HS256","crit":["exp"]})", payload()));
}

TEST_CASE("garbage is refused") {
  const jwt_codec codec(secret, ttl);
  const std::vector<std::string> garbage = {
      "", ".", "..", "...", "abc", "a.b.c", "Bearer x", "eyJhbGciOiJIUzI1NiJ9",
      craft("not json", payload()), craft(hs256, "not json"), craft("[]", payload()), craft(hs256, "[]"),
      craft(hs256, "{}"), craft(hs256, payload() + "x"),
      std::string(jwt_codec::max_token_length + 1, 'a'),
      codec.issue(user, sid, role::user, now) + std::string("\0", 1),
      "=" + codec.issue(user, sid, role::user, now),
  };
  for (const auto& token : garbage) check_refused(codec, token);
}

TEST_CASE("missing or ill-typed claims are refused") {
  const jwt_codec codec(secret, ttl);
  const auto iat = std::to_string(now);
  const auto exp = std::to_string(now + 900);
  const std::string u = user.to_string();
  const std::vector<std::string> payloads = {
      R"({"sub":")" + u + R"(","role":"user","iat":)" + iat + R"(,"exp":)" + exp + R"(,"jti":")" + jti + R"("})",
      R"({"sub":")" + u + R"(","sid":")" + sid + R"(","iat":)" + iat + R"(,"exp":)" + exp + R"(,"jti":")" + jti + R"("})",
      R"({"sid":")" + sid + R"(","role":"user","iat":)" + iat + R"(,"exp":)" + exp + R"(,"jti":")" + jti + R"("})",
      R"({"sub":")" + u + R"(","sid":")" + sid + R"(","role":"user","exp":)" + exp + R"(,"jti":")" + jti + R"("})",
      R"({"sub":")" + u + R"(","sid":")" + sid + R"(","role":"user","iat":)" + iat + R"(,"jti":")" + jti + R"("})",
      R"({"sub":")" + u + R"(","sid":")" + sid + R"(","role":"user","iat":)" + iat + R"(,"exp":)" + exp + "}",
      payload(u, sid, "root"),
      payload(u, sid, "Admin"),
      payload(u, sid, ""),
      payload("not-a-uuid"),
      payload("3F2C1A9E-8D2B-4A51-9B1F-2F8A7C6D5E4B"),  // not the canonical form we issue
      payload("00000000-0000-0000-0000-000000000000"),
      payload(u, "0123456789ABCDEF0123456789ABCDEF"),
      payload(u, "0123456789abcdef"),
      payload(u, sid + "0"),
      payload(u, sid, "user", "\"" + iat + "\""),
      payload(u, sid, "user", iat, "\"" + exp + "\""),
      payload(u, sid, "user", iat, exp + ".0"),
      payload(u, sid, "user", iat, "1.7e10"),
      payload(u, sid, "user", iat, "null"),
      payload(u, sid, "user", iat, iat),                       // exp not after iat
      payload(u, sid, "user", iat, "99999999999999999999"),    // beyond int64
  };
  for (const auto& p : payloads) check_refused(codec, craft(hs256, p));
  // sid as a number, role as an array
  check_refused(codec, craft(hs256, R"({"sub":")" + u + R"(","sid":1,"role":"user","iat":)" + iat +
                                         R"(,"exp":)" + exp + R"(,"jti":")" + jti + R"("})"));
  check_refused(codec, craft(hs256, R"({"sub":")" + u + R"(","sid":")" + sid + R"(","role":["admin"],"iat":)" +
                                         iat + R"(,"exp":)" + exp + R"(,"jti":")" + jti + R"("})"));
}

TEST_CASE("nbf in the future is honoured") {
  const jwt_codec codec(secret, ttl);
  auto p = payload();
  p.insert(p.size() - 1, R"(,"nbf":)" + std::to_string(now + 60));
  check_refused(codec, craft(hs256, p));
  CHECK(codec.verify(craft(hs256, p), now + 60).has_value());
}

TEST_CASE("jwt_codec refuses unusable construction and issue arguments") {
  CHECK_THROWS_AS(jwt_codec("", ttl), std::invalid_argument);
  CHECK_THROWS_AS(jwt_codec(secret, std::chrono::seconds{0}), std::invalid_argument);
  const jwt_codec codec(secret, ttl);
  CHECK_THROWS_AS(codec.issue(user, "short", role::user, now), std::invalid_argument);
  CHECK_THROWS_AS(codec.issue(user, "0123456789ABCDEF0123456789ABCDEF", role::user, now), std::invalid_argument);
  CHECK_THROWS_AS(codec.issue(uuid{}, sid, role::user, now), std::invalid_argument);
}
