#pragma once
// uuid: a 16-byte identifier in its canonical lower-case text form. Pure value type: the
// random generator lives in adapters/support/random.hpp (it needs the OS's entropy).

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kemas {

class uuid {
 public:
  using bytes = std::array<std::uint8_t, 16>;

  constexpr uuid() = default;
  explicit constexpr uuid(const bytes& b) : bytes_(b) {}

  // Accepts exactly "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, any case).
  static std::optional<uuid> parse(std::string_view text) noexcept;

  // Version 4 (random) from 16 random bytes: sets the version and variant bits.
  static uuid v4_from(bytes random) noexcept;

  std::string to_string() const;
  const bytes& data() const noexcept { return bytes_; }
  bool is_nil() const noexcept { return bytes_ == bytes{}; }

  friend auto operator<=>(const uuid&, const uuid&) = default;

 private:
  bytes bytes_{};
};

}  // namespace kemas
