#pragma once
// Small text helpers of the config loader (internal to adapters/config).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/text.hpp"

namespace kemas::config::detail {

// The ASCII helpers of domain/text.hpp, under the names the loader uses.
inline std::string_view trim(std::string_view text) { return trim_space(text); }
inline std::string to_lower(std::string_view text) { return ascii_lower(text); }
inline std::string to_upper(std::string_view text) { return ascii_upper(text); }

// The candidate closest to `word` (optimal string alignment distance, so "prot" → "port"),
// or "" when none is within 2 edits (1 for words shorter than 4 characters).
std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

// " (did you mean \"port\"?)" or "" — for unknown-key messages.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

struct url_without_password {
  std::string url;                      // the URL with ":password" removed from its userinfo
  std::optional<std::string> password;  // percent-decoded; nullopt when absent or empty
};
// "postgresql://u:p%40ss@h:5432/db" → {"postgresql://u@h:5432/db", "p@ss"}.
url_without_password split_url_password(std::string_view url);

// The URL with a userinfo password replaced by "***" (for logs and error messages).
std::string redact_url(std::string_view url);

}  // namespace kemas::config::detail
