#pragma once
// Access tokens: JWTs signed with HMAC-SHA256 (libjwt 1.10, kept out of this header).
//
// Issued tokens carry header {"alg":"HS256","typ":"JWT"} and the claims
//   sub (user uuid), sid (session id, 32 lower-hex), role ("user"|"developer"|"admin"),
//   iat, exp (Unix seconds, integers), jti (32 lower-hex, random per token).
//
// verify() trusts nothing libjwt would otherwise let through: the algorithm is pinned to
// HS256 by reading the header ourselves BEFORE libjwt sees the token (alg "none", HS384,
// RS256... are refused whatever key), the HMAC is checked in constant time by us (libjwt
// 1.10 compares with strcmp) and then again by jwt_decode with the key, every claim must be
// present with the right JSON type and format, and times are checked here (libjwt 1.10 has
// no validation API). The revocation check (is the session still alive?) is NOT done here:
// the caller looks `session_id` up in Redis.
//
// Verified tokens are remembered per thread (a direct-mapped table of 1,024 slots keyed by
// the token's SHA-256, compared in constant time, and by the codec that verified it): a
// client sends the same token with every request until it expires, and the full check
// (two HMACs, libjwt's parse and ours) was a sixth of an authenticated file list's CPU in
// the api. A remembered token is still checked against exp on every use; whether its
// session lives is the caller's Redis lookup, as always.
//
// Thread-safety: a jwt_codec is immutable after construction; issue() and verify() may be
// called from any number of threads at once. Both are cheap (microseconds, no I/O).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/account.hpp"
#include "domain/result.hpp"
#include "domain/uuid.hpp"

namespace kemas::crypto {

struct access_claims {
  uuid user_id;             // sub
  std::string session_id;   // sid
  kemas::role role = kemas::role::user;
  std::int64_t issued_at = 0;   // iat, Unix seconds
  std::int64_t expires_at = 0;  // exp, Unix seconds
  std::string jwt_id;       // jti

  friend bool operator==(const access_claims&, const access_claims&) = default;
};

class jwt_codec {
 public:
  // Tolerated clock skew between the api processes that issue and verify tokens: a token is
  // still accepted up to this long after exp, and may carry an iat up to this far ahead.
  static constexpr std::int64_t leeway_seconds = 5;
  // Longer tokens are refused before any parsing (ours are ~300 bytes).
  static constexpr std::size_t max_token_length = 4096;

  // `secret` is the HMAC key (config auth.jwt_secret; the loader demands >= 32 bytes).
  // Throws std::invalid_argument for an empty secret or a non-positive ttl.
  jwt_codec(std::string secret, std::chrono::seconds access_ttl);

  // A token for `user` in session `session_id` (32 lower-hex), iat = now_unix and
  // exp = now_unix + access_ttl. Throws std::invalid_argument for a malformed session id or
  // a nil user, std::runtime_error if libjwt fails (out of memory).
  std::string issue(const uuid& user, std::string_view session_id, kemas::role role, std::int64_t now_unix) const;

  // The claims of a valid token, or error{errc::unauthenticated, "token expired"} for a
  // well-signed token past exp + leeway, or error{errc::unauthenticated, "invalid token"}
  // for anything else (malformed, wrong algorithm, bad signature, missing or mistyped
  // claim, iat in the future). Never throws for bad input.
  result<access_claims> verify(std::string_view token, std::int64_t now_unix) const;

  std::chrono::seconds access_ttl() const noexcept { return access_ttl_; }

 private:
  // verify() without the remembered tokens.
  result<access_claims> verify_token(std::string_view token, std::int64_t now_unix) const;

  std::string secret_;
  std::chrono::seconds access_ttl_;
  std::uint64_t id_;  // which codec remembered a token (never reused, unlike an address)
};

}  // namespace kemas::crypto
