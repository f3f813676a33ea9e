#include "adapters/postgres/array_literal.hpp"

namespace kemas::postgres {

std::string text_array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1)
      out += ',';
    out += '"';
    for (const char c : item) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + '}';
}

std::string integer_array_literal(std::span<const std::int64_t> items) {
  std::string out = "{";
  for (const std::int64_t item : items) {
    if (out.size() > 1)
      out += ',';
    out += std::to_string(item);
  }
  return out + '}';
}

std::string uuid_array_literal(std::span<const uuid> items) {
  std::string out = "{";
  for (const uuid& item : items) {
    if (out.size() > 1)
      out += ',';
    out += item.to_string();
  }
  return out + '}';
}

}  // namespace kemas::postgres
