// Reading schemas/migrations/: file names, numbering and checksums. No database here.
#include "adapters/postgres/migrator.hpp"

#include "adapters/crypto/tokens.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace kemas::postgres {
namespace {


std::string pad4(int version) {
  std::string digits = std::to_string(version);
  return std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
}

}  // namespace

std::string migration::label() const {
  return pad4(version) + "_" + name;
}
std::string applied_migration::label() const {
  return pad4(version) + "_" + name;
}

migration_result<std::vector<migration>> load_migrations(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return migration_error{"migrations directory " + dir.string() +
                           " does not exist (pass --dir, or run from the source tree)"};
  }
  static const std::regex pattern(R"(^(\d{4})_([a-z0-9_]+)\.sql$)");
  std::map<int, migration> by_version;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || entry.path().extension() != ".sql")
      continue;
    std::smatch match;
    if (!std::regex_match(file, match, pattern)) {
      return migration_error{"migration file " + file +
                             " is misnamed: expected NNNN_name.sql (four digits, [a-z0-9_])"};
    }
    migration m;
    m.version = std::stoi(match[1].str());
    m.name = match[2].str();
    m.path = entry.path();
    if (m.version == 0)
      return migration_error{"migration file " + file + ": numbering starts at 0001"};
    if (auto it = by_version.find(m.version); it != by_version.end()) {
      return migration_error{"migrations " + it->second.path.filename().string() + " and " + file +
                             " share the number " + pad4(m.version)};
    }
    std::ifstream in(m.path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in)
      return migration_error{"cannot read migration file " + m.path.string()};
    m.sql = std::move(content).str();
    m.checksum = crypto::sha256_hex(m.sql);
    by_version.emplace(m.version, std::move(m));
  }
  if (ec)
    return migration_error{"cannot list " + dir.string() + ": " + ec.message()};
  if (by_version.empty())
    return migration_error{"no NNNN_name.sql files in " + dir.string()};

  std::vector<migration> ordered;
  int expected = 1;
  for (auto& [version, m] : by_version) {
    if (version != expected) {
      return migration_error{"migration " + pad4(expected) + " is missing: numbering jumps to " +
                             m.path.filename().string()};
    }
    ordered.push_back(std::move(m));
    ++expected;
  }
  return ordered;
}

}  // namespace kemas::postgres
