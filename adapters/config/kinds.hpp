#pragma once
// Value kinds of the settings table (internal to adapters/config). Each kind parses one
// shape of value from a TOML node or from environment text, checks its range, and prints
// it back for describe(). Parsing never throws: failures are messages for the caller to
// prefix with the key.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "adapters/config/settings.hpp"

namespace kemas::config::detail {

template <class T>
struct parsed {
  std::optional<T> value;
  std::string error;  // set when value is empty
};

// Optional extra check of a string (or list element): may normalise it in place and returns
// "" when fine, else what is wrong.
using string_check = std::string (*)(std::string&);

struct integer_kind {
  std::int64_t min;
  std::int64_t max;
  parsed<std::int64_t> from_toml(const toml::node& node) const;
  parsed<std::int64_t> from_text(std::string_view text) const;
  std::string show(std::int64_t value) const;
};

struct size_kind {  // integer bytes, or a string with a unit ("8MiB")
  std::uint64_t min;
  std::uint64_t max;
  parsed<std::uint64_t> from_toml(const toml::node& node) const;
  parsed<std::uint64_t> from_text(std::string_view text) const;
  std::string show(std::uint64_t value) const;
};

struct duration_kind {  // a string with units ("250ms", "10s", "5m")
  std::chrono::milliseconds min;
  std::chrono::milliseconds max;
  parsed<std::chrono::milliseconds> from_toml(const toml::node& node) const;
  parsed<std::chrono::milliseconds> from_text(std::string_view text) const;
  std::string show(std::chrono::milliseconds value) const;
};

struct seconds_kind {  // a duration that must be a whole number of seconds
  std::chrono::seconds min;
  std::chrono::seconds max;
  parsed<std::chrono::seconds> from_toml(const toml::node& node) const;
  parsed<std::chrono::seconds> from_text(std::string_view text) const;
  std::string show(std::chrono::seconds value) const;
};

struct bool_kind {  // TOML boolean; text true/false, 1/0, yes/no, on/off
  parsed<bool> from_toml(const toml::node& node) const;
  parsed<bool> from_text(std::string_view text) const;
  std::string show(bool value) const;
};

struct string_kind {  // text is taken verbatim (not trimmed): secrets may contain anything
  bool allow_empty = false;
  string_check check = nullptr;
  parsed<std::string> from_toml(const toml::node& node) const;
  parsed<std::string> from_text(std::string_view text) const;
  std::string show(const std::string& value) const;
};

struct list_kind {  // TOML array of strings; text is comma-separated, trimmed, empties dropped
  string_check check = nullptr;
  parsed<std::vector<std::string>> from_toml(const toml::node& node) const;
  parsed<std::vector<std::string>> from_text(std::string_view text) const;
  std::string show(const std::vector<std::string>& value) const;
};

struct choice_kind {  // one of a fixed set of words, case-insensitive, stored lower case
  std::vector<std::string_view> allowed;
  std::vector<std::pair<std::string_view, std::string_view>> aliases;  // {alias, canonical}
  parsed<std::string> from_toml(const toml::node& node) const;
  parsed<std::string> from_text(std::string_view text) const;
  std::string show(const std::string& value) const;
};

struct environment_kind {  // development | production
  parsed<environment> from_toml(const toml::node& node) const;
  parsed<environment> from_text(std::string_view text) const;
  std::string show(environment value) const;
};

// "a string", "an integer", ... for "expected X, got Y" messages.
std::string type_name(const toml::node& node);

// Quotes a value for messages and describe() when it is empty or has spaces, quotes or '='.
std::string quote_if_needed(std::string_view text);

}  // namespace kemas::config::detail
