#pragma once
// mail_sink: a real SMTP server on loopback for one test — Debian's aiosmtpd (the same mail
// sink scripts/services.sh runs for development), storing each message in a maildir of the
// test's own — and a reader that decodes what arrived (the messages kemas composes: plain
// or multipart/alternative, base64 parts, RFC 2047 subjects).
//
// The port is chosen at construction and kept across stop()/start(), so a mailer pointed at
// url() sees the server go away and come back.
// Threading: one test thread owns an instance. Failures throw std::runtime_error.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/non_copyable.hpp"

namespace kemas::test {

class child_process;

struct received_mail {
  std::string raw;
  std::string to;       // the To header
  std::string subject;  // decoded
  std::string text;     // the text/plain part, decoded
  std::string html;     // the text/html part, decoded ("" when none)
};

// Decodes a message as kemas writes it (exposed for the reader's own unit test).
received_mail decode_mail(std::string raw);

class mail_sink : kemas::non_copyable {
 public:
  // Picks a free loopback port; `start_now` false leaves the server down until start().
  explicit mail_sink(std::string_view tag, bool start_now = true);
  ~mail_sink();

  void start();  // returns once the server answers
  void stop();
  std::string url() const;  // smtp://127.0.0.1:<port>
  std::uint16_t port() const noexcept { return port_; }

  std::vector<received_mail> messages() const;
  // Waits until `count` messages match; returns the matching ones (fewer when time ran out).
  std::vector<received_mail> wait_for(const std::function<bool(const received_mail&)>& match,
                                      std::size_t count, std::chrono::milliseconds limit) const;

 private:
  std::string dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> server_;
};

}  // namespace kemas::test
