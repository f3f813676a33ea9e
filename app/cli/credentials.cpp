#include "credentials.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kemas::cli {
namespace fs = std::filesystem;

fs::path credentials_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  fs::path base;
  if (xdg != nullptr && *xdg == '/') {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    base = fs::path(home != nullptr ? home : ".") / ".config";
  }
  return base / "kemas" / "credentials.json";
}

std::optional<stored_session> load_session() {
  std::ifstream in(credentials_path());
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(text.str(), ec);
  if (ec || !parsed.is_object())
    return std::nullopt;
  const auto& o = parsed.as_object();
  stored_session s;
  const auto str = [&o](const char* key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  s.server = str("server");
  s.refresh_token = str("refresh_token");
  s.access_token = str("access_token");
  if (const auto* v = o.if_contains("access_expires_at"); v != nullptr && v->is_int64())
    s.access_expires_at = v->as_int64();
  if (s.refresh_token.empty())
    return std::nullopt;
  return s;
}

void save_session(const stored_session& s) {
  const auto path = credentials_path();
  fs::create_directories(path.parent_path());
  ::chmod(path.parent_path().c_str(), 0700);
  const std::string body = boost::json::serialize(boost::json::object{
      {"server", s.server},
      {"refresh_token", s.refresh_token},
      {"access_token", s.access_token},
      {"access_expires_at", s.access_expires_at}});
  const auto temporary = path.string() + ".tmp";
  // Created 0600 from the start: the token is never readable by others, not even briefly.
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(errno));
  const bool written = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    throw std::runtime_error("cannot write " + path.string());
  }
}

void forget_session() {
  std::error_code ignored;
  fs::remove(credentials_path(), ignored);
}

}  // namespace kemas::cli
