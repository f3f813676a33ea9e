#pragma once
// Randomness from the OS's CSPRNG (OpenSSL RAND_bytes). Thread-safe. Throws
// std::runtime_error only if the CSPRNG fails, which OpenSSL reports as fatal.

#include <cstddef>
#include <string>

#include "domain/uuid.hpp"

namespace kemas::support {

void random_bytes(void* out, std::size_t size);
uuid random_uuid();
// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string random_hex(std::size_t bytes);

}  // namespace kemas::support
