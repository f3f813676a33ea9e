#include "resume_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

#include "adapters/crypto/tokens.hpp"
#include "credentials.hpp"

namespace kemas::cli {
namespace fs = std::filesystem;

resume_state::resume_state(const std::string& server, const fs::path& file,
                           const std::string& name) {
  std::error_code ec;
  const auto absolute = fs::absolute(file, ec);
  const auto size = fs::file_size(file, ec);
  const auto modified = fs::last_write_time(file, ec).time_since_epoch().count();
  const std::string identity = server + "\n" + absolute.string() + "\n" + std::to_string(size) +
                               "\n" + std::to_string(modified) + "\n" + name;
  path_ = credentials_path().parent_path() / "uploads" / crypto::sha256_hex(identity);
}

std::optional<std::string> resume_state::load() const {
  std::ifstream in(path_);
  std::string location;
  if (!in || !std::getline(in, location) || location.rfind("/api/v1/auth/uploads/tus/", 0) != 0)
    return std::nullopt;
  return location;
}

void resume_state::save(const std::string& location) const {
  std::error_code ec;
  fs::create_directories(path_.parent_path(), ec);
  fs::permissions(path_.parent_path().parent_path(), fs::perms::owner_all, ec);
  fs::permissions(path_.parent_path(), fs::perms::owner_all, ec);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  const std::string line = location + "\n";
  [[maybe_unused]] const auto written = ::write(fd, line.data(), line.size());
  ::close(fd);
}

void resume_state::forget() const {
  std::error_code ec;
  fs::remove(path_, ec);
}

}  // namespace kemas::cli
