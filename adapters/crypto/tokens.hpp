#pragma once
// Small building blocks for secrets: random opaque tokens, base64url, SHA-256 and
// constant-time comparison. All functions are thread-safe and keep no state.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::crypto {

// 32 bytes from the OS CSPRNG as unpadded base64url: 43 characters of [A-Za-z0-9_-].
// The secret part of refresh tokens, API keys and password-reset tokens. Throws
// std::runtime_error only if the CSPRNG fails.
std::string random_token();

// RFC 4648 §5 base64url without '=' padding.
std::string base64url(const void* data, std::size_t size);
inline std::string base64url(std::string_view bytes) { return base64url(bytes.data(), bytes.size()); }

// RFC 4648 §4 base64 with '=' padding (the inline body of an `upload` command).
std::string base64(std::string_view bytes);

// Strict inverse of base64url(): refuses padding, characters outside the alphabet, an
// impossible length (size % 4 == 1) and non-zero unused trailing bits (so every byte string
// has exactly one accepted encoding).
std::optional<std::string> base64url_decode(std::string_view text);

// SHA-256 of `data` as 64 lower-case hex characters (how token secrets are stored).
std::string sha256_hex(std::string_view data);

// Compares two secrets (or their hashes) without an early exit on the first differing byte
// (OpenSSL CRYPTO_memcmp). Strings of different length are unequal; the length itself is
// not hidden, which is fine for fixed-length secrets and hashes.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace kemas::crypto
