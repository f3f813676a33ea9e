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

}  // namespace kemas::postgres
