#pragma once
// API key scopes: what a key may do on its user's behalf.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kemas {

enum class scope : std::uint8_t { files_read = 1, files_write = 2 };

std::string_view scope_name(scope s) noexcept;  // "files:read", "files:write"
std::optional<scope> parse_scope(std::string_view name) noexcept;

// A set of scopes as bits; small and cheap to copy.
class scope_set {
 public:
  constexpr scope_set() = default;
  void add(scope s) noexcept { bits_ |= static_cast<std::uint8_t>(s); }
  bool contains(scope s) const noexcept { return (bits_ & static_cast<std::uint8_t>(s)) != 0; }
  bool empty() const noexcept { return bits_ == 0; }
  std::vector<std::string> names() const;
  friend bool operator==(scope_set, scope_set) = default;

 private:
  std::uint8_t bits_ = 0;
};

}  // namespace kemas
