#pragma once
// Password hashing with Argon2id (libargon2), stored in the PHC string format
//   $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt b64>$<hash b64>
// with a 16-byte random salt and a 32-byte hash.
//
// BLOCKING BY DESIGN: hash_password, verify_password and the first dummy_hash call per
// parameter set cost the configured Argon2 time and memory (tens of milliseconds and
// ~19 MiB with the OWASP defaults). Never call them on an Asio I/O thread: run them on a
// kemas::support::blocking_pool. All functions are thread-safe; none keeps shared mutable
// state except dummy_hash's once-per-params cache (mutex-guarded).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::crypto {

// Argon2id cost, taken from config::auth_settings (argon2_memory_kib, argon2_iterations,
// argon2_parallelism).
struct argon2_params {
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;

  friend bool operator==(const argon2_params&, const argon2_params&) = default;
};

// Hashes `password` (any bytes, NULs included) with a fresh random salt. Throws
// std::invalid_argument for parameters libargon2 refuses (e.g. memory below 8 * parallelism
// KiB) and std::runtime_error if it fails otherwise (out of memory, CSPRNG failure).
std::string hash_password(std::string_view password, const argon2_params& params);

// True when `password` matches the PHC string `encoded`. Returns false — never throws —
// for a wrong password and for anything that is not a well-formed argon2id v=19 encoding,
// including encodings whose cost lies outside the bounds below: the hash comes from our
// database, but a corrupted row must not make a login run for minutes or allocate terabytes.
bool verify_password(std::string_view password, std::string_view encoded) noexcept;

// The largest cost verify_password accepts in an encoding: the same ranges the config
// loader allows for auth.argon2_* (adapters/config/fields.cpp), so any configured cost
// yields hashes that verify. Keep the two in step.
inline constexpr std::uint32_t max_verify_memory_kib = 4u * 1024 * 1024;  // 4 GiB
inline constexpr std::uint32_t max_verify_iterations = 100;
inline constexpr std::uint32_t max_verify_parallelism = 64;

// The parameters of an argon2id v=19 encoding, or nullopt when it is not one.
std::optional<argon2_params> parse_encoded_params(std::string_view encoded) noexcept;

// True when `encoded` should be replaced by a fresh hash after a successful login: it is not
// argon2id v=19 with exactly `params` (cost raised or lowered in config), or is malformed.
bool needs_rehash(std::string_view encoded, const argon2_params& params) noexcept;

// A valid hash of a random password, computed once per parameter set and kept for the life
// of the process (thread-safe). A login for an unknown account verifies against it, so it
// costs the same time as a login with a wrong password. The first call per params blocks
// like hash_password; later calls return at once. The reference stays valid forever.
const std::string& dummy_hash(const argon2_params& params);

}  // namespace kemas::crypto
