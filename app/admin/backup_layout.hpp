#pragma once
// The folder `kemas-admin backup --to DIR` writes and `restore --from DIR` reads:
//   DIR/database.dump   pg_dump --format=custom, taken at the snapshot
//   DIR/objects.tsv     one line per live file at that snapshot: key, size, sha256, type
//   DIR/objects/<key>   the object's bytes (keys are generated: u/<owner>/<file id>)
//   DIR/missing.tsv     keys whose object was gone when copied (deleted after the snapshot)
// Plain files, so any tool (rsync, restic, tar) can move or encrypt a backup.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/postgres/backup_snapshot.hpp"

namespace kemas::admin::backup_layout {

inline std::filesystem::path dump(const std::filesystem::path& dir) { return dir / "database.dump"; }
inline std::filesystem::path manifest(const std::filesystem::path& dir) { return dir / "objects.tsv"; }
inline std::filesystem::path missing(const std::filesystem::path& dir) { return dir / "missing.tsv"; }
inline std::filesystem::path objects(const std::filesystem::path& dir) { return dir / "objects"; }

// True for the keys kemas generates: segments of [A-Za-z0-9._-], no empty, "." or ".."
// segment. Any other key in a manifest is refused (it could name a path outside DIR).
bool safe_key(std::string_view key) noexcept;

std::string manifest_line(const postgres::backup_object& object);
std::optional<postgres::backup_object> parse_manifest_line(std::string_view line);

}  // namespace kemas::admin::backup_layout
