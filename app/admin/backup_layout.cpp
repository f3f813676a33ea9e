#include "app/admin/backup_layout.hpp"

#include <charconv>
#include <vector>

namespace kemas::admin::backup_layout {

bool safe_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > 1024)
    return false;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto end = std::min(key.find('/', start), key.size());
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..")
      return false;
    for (char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok)
        return false;
    }
    start = end + 1;
  }
  return true;
}

std::string manifest_line(const postgres::backup_object& object) {
  return object.key + '\t' + std::to_string(object.size) + '\t' + object.sha256 + '\t' +
         object.content_type + '\n';
}

std::optional<postgres::backup_object> parse_manifest_line(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() < 4) {
    const auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? line.npos : tab - start));
    if (tab == std::string_view::npos)
      break;
    start = tab + 1;
  }
  if (fields.size() != 4 || !safe_key(fields[0]) || fields[2].size() != 64 ||
      fields[3].find('\t') != std::string_view::npos)
    return std::nullopt;
  postgres::backup_object object;
  const auto [ptr, ec] =
      std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), object.size);
  if (ec != std::errc() || ptr != fields[1].data() + fields[1].size())
    return std::nullopt;
  object.key = std::string(fields[0]);
  object.sha256 = std::string(fields[2]);
  object.content_type = std::string(fields[3]);
  return object;
}

}  // namespace kemas::admin::backup_layout
