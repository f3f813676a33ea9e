#pragma once
// Where the terminal client keeps its session: $XDG_CONFIG_HOME/kemas/credentials.json
// (~/.config/kemas/ without XDG_CONFIG_HOME), the folder mode 0700 and the file 0600, written
// through a temporary file and a rename so a crash never leaves half a token. It holds the
// server, the refresh token (7 days, rotated at each use) and the current access token with
// its expiry, so commands within 15 minutes of each other do not refresh at all.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace kemas::cli {

struct stored_session {
  std::string server;
  std::string refresh_token;
  std::string access_token;
  std::int64_t access_expires_at = 0;  // Unix seconds
};

std::filesystem::path credentials_path();
std::optional<stored_session> load_session();
// Throws std::runtime_error when the file cannot be written.
void save_session(const stored_session& session);
void forget_session();

}  // namespace kemas::cli
