#pragma once
// Small building blocks for secrets: random opaque tokens, SHA-256 and constant-time
// comparison (base64 is domain/base64.hpp). All functions are thread-safe and keep no state.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::crypto {

// 32 bytes from the OS CSPRNG as unpadded base64url: 43 characters of [A-Za-z0-9_-].
// The secret part of refresh tokens, API keys and password-reset tokens. Throws
// std::runtime_error only if the CSPRNG fails.
std::string random_token();

// SHA-256 of `data` as 64 lower-case hex characters (how token secrets are stored).
std::string sha256_hex(std::string_view data);
// SHA-1 as 40 lower-case hex characters: only where a protocol asks for it (Redis EVALSHA).
std::string sha1_hex(std::string_view data);

// Compares two secrets (or their hashes) without an early exit on the first differing byte
// (OpenSSL CRYPTO_memcmp). Strings of different length are unequal; the length itself is
// not hidden, which is fine for fixed-length secrets and hashes.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace kemas::crypto
