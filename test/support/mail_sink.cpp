#include "test/support/mail_sink.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "domain/base64.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/child_process.hpp"
#include "test/support/eventually.hpp"

namespace kemas::test {
namespace {

namespace fs = std::filesystem;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    if (fd >= 0)
      ::close(fd);
    throw std::runtime_error("mail_sink: no free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool answers(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string header(std::string_view head, std::string_view name) {
  // Unfolds continuation lines (CRLF + space).
  std::string lower_head(head);
  for (auto& c : lower_head)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string key = "\n" + std::string(name) + ":";
  for (auto& c : key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto at = ("\n" + lower_head).find(key);
  if (at == std::string::npos)
    return {};
  at += key.size() - 1;  // position in head after "name:"
  std::string value;
  for (std::size_t i = at; i < head.size(); ++i) {
    if (head[i] == '\r')
      continue;
    if (head[i] == '\n') {
      if (i + 1 < head.size() && (head[i + 1] == ' ' || head[i + 1] == '\t'))
        continue;
      break;
    }
    value += head[i];
  }
  const auto first = value.find_first_not_of(" \t");
  return first == std::string::npos ? std::string{} : value.substr(first);
}

std::string decode_words(const std::string& value) {
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const auto open = value.find("=?UTF-8?B?", at);
    if (open == std::string::npos) {
      out += value.substr(at);
      return out;
    }
    const auto close = value.find("?=", open + 10);
    std::string between = value.substr(at, open - at);
    if (between.find_first_not_of(" \t") != std::string::npos)
      out += between;
    out += base64_decode(value.substr(open + 10, close - open - 10)).value_or("");
    at = close + 2;
  }
}

std::string decode_base64_lines(std::string_view body) {
  std::string compact;
  for (char c : body) {
    if (c != '\r' && c != '\n' && c != ' ')
      compact += c;
  }
  return base64_decode(compact).value_or("");
}

std::pair<std::string, std::string> split_head(std::string_view part) {
  auto end = part.find("\r\n\r\n");
  std::size_t skip = 4;
  if (end == std::string_view::npos) {
    end = part.find("\n\n");
    skip = 2;
  }
  if (end == std::string_view::npos)
    return {std::string(part), {}};
  return {std::string(part.substr(0, end)), std::string(part.substr(end + skip))};
}

}  // namespace

received_mail decode_mail(std::string raw) {
  received_mail mail;
  auto [head, body] = split_head(raw);
  mail.to = header(head, "To");
  mail.subject = decode_words(header(head, "Subject"));
  const std::string type = header(head, "Content-Type");
  const auto b = type.find("boundary=\"");
  if (b == std::string::npos) {
    mail.text = decode_base64_lines(body);
  } else {
    const std::string boundary = "--" + type.substr(b + 10, type.find('"', b + 10) - b - 10);
    std::size_t at = body.find(boundary);
    while (at != std::string::npos) {
      const auto next = body.find(boundary, at + boundary.size());
      if (next == std::string::npos)
        break;
      auto [part_head, part_body] =
          split_head(body.substr(at + boundary.size(), next - at - boundary.size()));
      const std::string part_type = header(part_head, "Content-Type");
      if (part_type.starts_with("text/plain"))
        mail.text = decode_base64_lines(part_body);
      else if (part_type.starts_with("text/html"))
        mail.html = decode_base64_lines(part_body);
      at = next;
    }
  }
  mail.raw = std::move(raw);
  return mail;
}

mail_sink::mail_sink(std::string_view tag, bool start_now)
    : dir_(std::string(KEMAS_BINARY_DIR) + "/test/" + unique_id(tag) + ".maildir"),
      port_(free_port()) {
  for (const char* sub : {"new", "cur", "tmp"})
    fs::create_directories(fs::path(dir_) / sub);
  if (start_now)
    start();
}

mail_sink::~mail_sink() {
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void mail_sink::start() {
  if (server_)
    return;
  child_process::options options;
  options.program = "/usr/bin/python3";
  options.args = {"-m",
                  "aiosmtpd",
                  "-n",
                  "-l",
                  "127.0.0.1:" + std::to_string(port_),
                  "-c",
                  "aiosmtpd.handlers.Mailbox",
                  dir_};
  options.stderr_path = dir_ + ".log";
  server_ = std::make_unique<child_process>(std::move(options));
  if (!eventually([this] { return answers(port_); }, std::chrono::seconds(15),
                  std::chrono::milliseconds(50)))
    throw std::runtime_error("mail_sink: aiosmtpd did not start on port " + std::to_string(port_));
}

void mail_sink::stop() {
  if (!server_)
    return;
  server_->signal(SIGTERM);
  if (!server_->wait_for(std::chrono::seconds(5)))
    server_->signal(SIGKILL);
  server_->wait_for(std::chrono::seconds(5));
  server_.reset();
}

std::string mail_sink::url() const {
  return "smtp://127.0.0.1:" + std::to_string(port_);
}

std::vector<received_mail> mail_sink::messages() const {
  std::vector<std::pair<fs::file_time_type, std::string>> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "new", ec))
    files.emplace_back(entry.last_write_time(), entry.path().string());
  std::sort(files.begin(), files.end());
  std::vector<received_mail> out;
  for (const auto& [time, path] : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    out.push_back(decode_mail(text.str()));
  }
  return out;
}

std::vector<received_mail> mail_sink::wait_for(
    const std::function<bool(const received_mail&)>& match, std::size_t count,
    std::chrono::milliseconds limit) const {
  std::vector<received_mail> found;
  eventually(
      [&] {
        found.clear();
        for (auto& m : messages()) {
          if (match(m))
            found.push_back(std::move(m));
        }
        return found.size() >= count;
      },
      limit, std::chrono::milliseconds(50));
  return found;
}

}  // namespace kemas::test
