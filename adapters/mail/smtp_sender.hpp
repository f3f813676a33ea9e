#pragma once
// smtp_sender: delivers one message to one recipient through the SMTP server of
// mail.smtp_url, with libcurl. smtp:// upgrades to TLS when the server offers STARTTLS
// (required with mail.smtp_require_tls); smtps:// is TLS from the start. Logs in with
// mail.smtp_user / smtp_password when a user is set. The whole session is bounded by
// mail.timeout.
//
// Blocking: call it from the mailer's own threads, never an I/O thread. Thread-safe (each
// call uses an easy handle of its own).
// Errors are values: `transient` (connection refused, timeout, 4xx answers, TLS or login
// trouble: worth retrying later) or `permanent` (a 5xx answer to the recipient or the data:
// retrying will not help). The detail never contains the password.

#include <string>
#include <string_view>

#include "adapters/config/settings.hpp"

namespace kemas::mail {

enum class send_status { sent, transient, permanent };

struct send_result {
  send_status status = send_status::sent;
  long smtp_code = 0;  // the server's last reply code, 0 when none came
  std::string detail;  // for logs
};

class smtp_sender {
 public:
  explicit smtp_sender(const config::mail_settings& settings);

  // `message` is the complete RFC 5322 text (mime_message.hpp render()).
  send_result send(std::string_view recipient, std::string_view message) const;

 private:
  config::mail_settings settings_;
  std::string envelope_from_;
};

}  // namespace kemas::mail
