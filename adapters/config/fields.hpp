#pragma once
// The table of every setting (internal to adapters/config): its TOML section and key, whether
// it is a secret, and how to parse it from TOML or from environment text and print it.
// One table drives the file walk, the KEMAS_* overrides, the seed variables and describe(),
// so a setting cannot be known to one path and unknown to another.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "adapters/config/settings.hpp"

namespace kemas::config::detail {

struct field {
  std::string_view section;  // "" for top-level keys (only "env")
  std::string_view key;
  bool secret = false;  // never read from the file; redacted by describe()
  // Each setter validates and stores; it returns "" on success, else what is wrong. On
  // failure the settings are unchanged.
  std::function<std::string(settings&, const toml::node&)> set_from_toml;
  std::function<std::string(settings&, std::string_view)> set_from_text;
  std::function<std::string(const settings&)> show;

  std::string full_key() const;  // "http.port", "env"
  std::string env_name() const;  // "KEMAS_HTTP_PORT", "KEMAS_ENV"
};

const std::vector<field>& all_fields();
const field* find_field(std::string_view section, std::string_view key);  // nullptr if none
bool is_section(std::string_view name);
std::vector<std::string_view> section_names();
std::vector<std::string_view> keys_of(std::string_view section);

}  // namespace kemas::config::detail
