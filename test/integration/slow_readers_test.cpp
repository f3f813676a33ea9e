// Downloads do not hold threads: 200 clients that open a download and stop reading leave a
// normal download and /readyz (which asks S3 too) as fast as on an idle server, and a stalled
// download that reads again gets every byte. Before the transfer engine each download held one
// of s3.threads (4) blocking threads for its whole life, so the fifth one waited.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "adapters/crypto/tokens.hpp"
#include "test/support/eventually.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/upload_env.hpp"

using namespace kemas::test;
using namespace std::chrono_literals;

namespace {

// A download opened by a client that reads nothing: its receive buffer is made tiny before
// connecting, so the server's side fills quickly and the transfer has to pause.
class stalled_download {
 public:
  stalled_download(std::uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  }
  ~stalled_download() { ::close(fd_); }
  stalled_download(const stalled_download&) = delete;
  stalled_download& operator=(const stalled_download&) = delete;

  // Whether the response has begun to arrive (bytes wait unread in the socket).
  bool answered() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  // Reads until the peer closes or `limit` passes; everything received.
  std::string read_all(std::chrono::milliseconds limit) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buffer[64 * 1024];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0)
        continue;
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0)
        break;
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

 private:
  int fd_ = -1;
};

// CPU time this process has used so far, all threads.
std::chrono::microseconds process_cpu() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto total = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return total(usage.ru_utime) + total(usage.ru_stime);
}

}  // namespace

TEST_CASE("200 stalled downloads do not slow a normal download or readyz") {
  upload_env env("slow-readers", [](kemas::config::settings& s) {
    s.s3.threads = 4;  // the old bound on parallel downloads: stalls past it would show
  });
  const auto ana = sign_up(env.api, "ana");
  const std::string body = random_bytes(8 * 1024 * 1024, 7);
  auto uploaded = env.api.call("POST", "/api/v1/auth/files/upload?name=big.bin", body,
                               ana.auth + "Content-Type: application/octet-stream\r\n");
  REQUIRE(uploaded.status == 201);
  const std::string id(json_body(uploaded).at("id").as_string());
  const std::string target = "/api/v1/auth/files/download/" + id;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + ana.auth +
                              "X-Forwarded-For: " + env.api.client_address() +
                              "\r\nConnection: close\r\n\r\n";

  // The baseline, on the idle server.
  auto timed_download = [&] {
    const auto started = std::chrono::steady_clock::now();
    auto r = env.api.call("GET", target, {}, ana.auth);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(r.status == 200);
    CHECK(r.body.size() == body.size());
    CHECK(kemas::crypto::sha256_hex(r.body) == kemas::crypto::sha256_hex(body));
    return took;
  };
  const auto idle = timed_download();

  std::vector<std::unique_ptr<stalled_download>> stalled;
  for (int i = 0; i < 200; ++i)
    stalled.push_back(std::make_unique<stalled_download>(env.api.port(), request));
  // Every stalled transfer starts and fills the buffers on its way (S3 pushes a few MiB into
  // each socket before TCP flow control stops it). The normal download is timed once that
  // burst is over: every stalled client has the start of its answer, and the api (in this
  // process) has then used under a tenth of a core for a whole second. A fixed sleep was
  // too short on a loaded machine.
  int quiet_samples = 0;
  REQUIRE(eventually([&, previous = process_cpu()]() mutable {
    const auto now = process_cpu();
    const bool quiet = now - previous < 25ms;
    previous = now;
    const bool all_answered = std::ranges::all_of(stalled, [](const auto& s) { return s->answered(); });
    quiet_samples = all_answered && quiet ? quiet_samples + 1 : 0;
    return quiet_samples >= 4;
  }, 60s, 250ms));

  const auto loaded = timed_download();
  MESSAGE("download of 8 MiB: idle " << std::chrono::duration<double, std::milli>(idle).count()
                                     << " ms, beside 200 stalled ones "
                                     << std::chrono::duration<double, std::milli>(loaded).count()
                                     << " ms");
  CHECK(loaded < idle * 5 + 2s);
  const auto probe_started = std::chrono::steady_clock::now();
  auto ready = http_request(env.api.port(), "GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(std::chrono::steady_clock::now() - probe_started < 2s);

  // A stalled download that reads again gets the whole file, intact.
  const std::string raw = stalled.front()->read_all(30s);
  const auto head_end = raw.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  CHECK(raw.starts_with("HTTP/1.1 200"));
  const std::string received = raw.substr(head_end + 4);
  CHECK(received.size() == body.size());
  CHECK(kemas::crypto::sha256_hex(received) == kemas::crypto::sha256_hex(body));
}
