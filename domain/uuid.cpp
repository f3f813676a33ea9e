#include "domain/uuid.hpp"
#include "domain/hex.hpp"

namespace kemas {
namespace {
constexpr bool is_dash_position(std::size_t i) noexcept {
  return i == 8 || i == 13 || i == 18 || i == 23;
}
}  // namespace

std::optional<uuid> uuid::parse(std::string_view text) noexcept {
  if (text.size() != 36)
    return std::nullopt;
  bytes out{};
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (is_dash_position(i)) {
      if (text[i] != '-')
        return std::nullopt;
      ++i;
      continue;
    }
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return uuid(out);
}

uuid uuid::v4_from(bytes random) noexcept {
  random[6] = static_cast<std::uint8_t>((random[6] & 0x0F) | 0x40);
  random[8] = static_cast<std::uint8_t>((random[8] & 0x3F) | 0x80);
  return uuid(random);
}

std::string uuid::to_string() const {
  // Filled in place: ids are rendered for every listed file and every log line.
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23)
      ++at;
    out[at++] = digits[bytes_[i] >> 4];
    out[at++] = digits[bytes_[i] & 0x0f];
  }
  return out;
}

}  // namespace kemas
