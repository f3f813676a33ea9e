#include "test/support/upload_client.hpp"

#include <soci/soci.h>

#include "adapters/postgres/pool.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "test/support/eventually.hpp"
#include "test/support/management_api.hpp"
#include "test/support/s3_fixture.hpp"

namespace kemas::test {
namespace json = boost::json;

account sign_up(const api_fixture& api, const std::string& name, const std::string& role) {
  const std::string email = name + "@example.com";
  auto reg = api.call("POST", "/api/v1/user/register",
                      json::serialize(json::object{
                          {"email", email}, {"username", name}, {"password", "correct horse 1"}}));
  if (reg.status != 201)
    throw std::runtime_error("register " + name + ": " + std::to_string(reg.status) + " " +
                             reg.body);
  if (role != "user") {
    postgres::pg_pool pool(api.database().settings(), "kemas-test");
    pool.with_session([&](soci::session& sql) {
      sql << "UPDATE users SET role = :role WHERE lower(email) = :email", soci::use(role, "role"),
          soci::use(email, "email");
    });
  }
  auto login =
      api.call("POST", "/api/v1/user/login",
               json::serialize(json::object{{"email", email}, {"password", "correct horse 1"}}));
  if (login.status != 200)
    throw std::runtime_error("login " + name + ": " + std::to_string(login.status) + " " +
                             login.body);
  const auto body = json_body(login);
  return {std::string(body.at("user").at("id").as_string()),
          bearer(std::string(body.at("access_token").as_string())),
          std::string(body.at("refresh_token").as_string())};
}

std::string api_key_header(const api_fixture& api, const account& owner,
                           std::string_view scopes_json) {
  const std::string request = R"({"name":"test key","scopes":)" + std::string(scopes_json) + "}";
  auto created = api.call("POST", "/api/v1/auth/keys", request, owner.auth);
  if (created.status != 201)
    throw std::runtime_error("create key: " + std::to_string(created.status) + " " + created.body);
  return "Authorization: ApiKey " + std::string(json_body(created).at("key").as_string()) + "\r\n";
}

std::string random_bytes(std::size_t count, std::uint64_t seed) {
  std::string bytes(count, '\0');
  byte_stream(seed).fill(bytes.data(), count);
  return bytes;
}

std::string upload_head(const api_fixture& api, std::string_view target, std::string_view auth,
                        std::string_view content_type, std::uint64_t content_length,
                        std::string_view extra_headers) {
  std::string head = "POST " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
  head += auth;
  head += "X-Forwarded-For: " + api.client_address() + "\r\n";
  if (!content_type.empty())
    head += "Content-Type: " + std::string(content_type) + "\r\n";
  head += "Content-Length: " + std::to_string(content_length) + "\r\n";
  head += extra_headers;
  head += "Connection: close\r\n\r\n";
  return head;
}

std::string raw_upload_target(std::string_view name) {
  return "/api/v1/auth/files/upload?name=" + percent_encode(name);
}

std::string form_body(std::string_view boundary, std::string_view filename,
                      std::string_view content_type, std::string_view bytes) {
  const std::string dash = "--" + std::string(boundary);
  std::string body;
  body.reserve(bytes.size() + 512);
  // A field before the file: the route must skip it.
  body += dash + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n";
  body += dash + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
          std::string(filename) + "\"\r\n";
  body += "Content-Type: " + std::string(content_type) + "\r\n\r\n";
  body += bytes;
  body += "\r\n" + dash + "--\r\n";
  return body;
}

std::string form_content_type() {
  return "multipart/form-data; boundary=" + std::string(form_boundary);
}

raw_response exchange(std::uint16_t port, std::string_view request,
                      std::chrono::milliseconds timeout) {
  raw_connection c("127.0.0.1", port);
  c.send(request);
  return c.read_response(timeout);
}

namespace {

// Parses a whole answer received up to the server's close (HTTP/1.1, Content-Length framing).
raw_response parse_closed_answer(const std::string& bytes) {
  const auto header_end = bytes.find("\r\n\r\n");
  if (bytes.size() < 12 || header_end == std::string::npos)
    throw std::runtime_error("no complete answer before the server closed: \"" + bytes + "\"");
  raw_response r;
  r.status = static_cast<unsigned>(std::stoul(bytes.substr(9, 3)));
  std::size_t line_start = bytes.find("\r\n") + 2;
  while (line_start < header_end) {
    const auto line_end = bytes.find("\r\n", line_start);
    const std::string line = bytes.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    const auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::string name = line.substr(0, colon);
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[name] = value;
  }
  r.body = bytes.substr(header_end + 4);
  if (auto length = r.header("content-length"))
    r.body.resize(std::min<std::size_t>(r.body.size(), std::stoul(*length)));
  return r;
}

}  // namespace

raw_response send_then_half_close(std::uint16_t port, std::string_view request,
                                  std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket failed");
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_on_exit{fd};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect failed");
  while (!request.empty()) {
    const auto n = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error("send failed before the write side was shut down");
    request.remove_prefix(static_cast<std::size_t>(n));
  }
  ::shutdown(fd, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string received;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      throw std::runtime_error("the server neither answered nor closed in time: \"" + received +
                               "\"");
    char buffer[16384];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0)
      break;  // closed (or reset after its answer)
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return parse_closed_answer(received);
}

raw_response upload_raw(const api_fixture& api, std::string_view auth, std::string_view name,
                        std::string_view bytes, std::string_view content_type,
                        std::string_view extra_headers) {
  std::string request =
      upload_head(api, raw_upload_target(name), auth, content_type, bytes.size(), extra_headers);
  request += bytes;
  return exchange(api.port(), request);
}

raw_response upload_form(const api_fixture& api, std::string_view auth, std::string_view filename,
                         std::string_view bytes, std::string_view content_type,
                         std::string_view extra_headers) {
  const std::string body = form_body(form_boundary, filename, content_type, bytes);
  std::string request = upload_head(api, "/api/v1/auth/files/upload", auth, form_content_type(),
                                    body.size(), extra_headers);
  request += body;
  return exchange(api.port(), request);
}

raw_response settled_upload(const api_fixture& api, std::string_view auth,
                            std::string_view upload_id, std::chrono::milliseconds limit) {
  raw_response last;
  const std::string path = "/api/v1/auth/uploads/" + std::string(upload_id);
  eventually(
      [&] {
        last = api.call("GET", path, {}, auth);
        if (last.status != 200)
          return true;  // not a state: the caller looks at it
        return json_body(last).at("state").as_string() != "pending";
      },
      limit, std::chrono::milliseconds(50));
  return last;
}

void check_ranges(const api_fixture& api, const std::string& auth, const std::string& path,
                  const std::string& content, const std::vector<range_case>& cases) {
  const std::string size = std::to_string(content.size());
  for (const auto& c : cases) {
    INFO(c.header);
    auto r = api.call("GET", path, {}, auth + "Range: " + c.header + "\r\n");
    REQUIRE(r.status == 206);
    CHECK(r.body == content.substr(c.first, c.last - c.first + 1));
    CHECK(r.header("content-range") ==
          "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" + size);
    CHECK(r.header("content-length") == std::to_string(c.last - c.first + 1));
  }
  auto unsatisfiable = api.call("GET", path, {}, auth + "Range: bytes=" + size + "-\r\n");
  CHECK(unsatisfiable.status == 416);
  CHECK(unsatisfiable.header("content-range") == "bytes */" + size);
}

}  // namespace kemas::test
