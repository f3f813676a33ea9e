#include "app/server/request_id.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

#include "adapters/support/random.hpp"

namespace kemas::http {

bool is_sane_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128)
    return false;
  return std::ranges::all_of(id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

std::string new_request_id() {
  // A request id must be unique, not secret: it is echoed to the client and logged. Asking
  // OpenSSL's CSPRNG for each one took ~9% of a /healthz request (a global lock and a
  // getpid() syscall per call), so each thread seeds its own generator from it once.
  thread_local std::mt19937_64 generator = [] {
    std::array<std::uint32_t, 8> seed{};
    support::random_bytes(seed.data(), sizeof seed);
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  uuid::bytes b{};
  const std::uint64_t high = generator();
  const std::uint64_t low = generator();
  std::memcpy(b.data(), &high, sizeof high);
  std::memcpy(b.data() + sizeof high, &low, sizeof low);
  return uuid::v4_from(b).to_string();
}

std::string request_id_for(std::optional<std::string_view> from_client) {
  if (from_client && is_sane_request_id(*from_client))
    return std::string(*from_client);
  return new_request_id();
}

}  // namespace kemas::http
