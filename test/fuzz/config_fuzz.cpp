// The config loader (adapters/config) on arbitrary TOML, in development and in production.
// Invariant: it answers with settings or with errors, never both, never neither, and never
// echoes a secret it was given in the environment.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const bool production = (data[0] & 1) != 0;
  const std::string_view toml(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string secret = "fuzz-secret-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e";
  kemas::config::environment_view::map_type vars{
      {"KEMAS_ENV", production ? "production" : "development"},
      {"KEMAS_POSTGRES_PASSWORD", secret}};
  const auto result = kemas::config::load_settings_from_string(
      toml, kemas::config::environment_view{std::move(vars)}, "fuzz.toml");
  if (result.ok() == !result.errors.empty())
    std::abort();
  // Only a secret from the environment must stay unseen: the file's own text (a key named
  // like the secret, found by this target) may be quoted back in an error.
  if (toml.find(secret) == std::string_view::npos &&
      result.error_text().find(secret) != std::string::npos)
    std::abort();
  return 0;
}
