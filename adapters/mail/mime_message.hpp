#pragma once
// mime_message: an RFC 5322 message ready for SMTP DATA — headers (From, To, Subject,
// Date, Message-ID, MIME-Version) and a multipart/alternative body (text/plain and
// text/html, UTF-8, base64 in 76-character lines), CRLF line endings throughout.
// Non-ASCII subjects are RFC 2047 encoded; header values never carry CR or LF.
// Pure functions, thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::mail {

struct mime_message {
  std::string from;        // "kemas <no-reply@example.com>" or a bare address
  std::string to;          // a bare address
  std::string subject;     // UTF-8
  std::string text;        // plain-text body, UTF-8
  std::string html;        // HTML body, UTF-8; empty: text/plain only
  std::string message_id;  // without angle brackets: "<id>@<domain>" is built from it
  std::chrono::system_clock::time_point date = std::chrono::system_clock::now();
};

// The address inside "Name <address>", or the whole text when there are no brackets.
std::string address_of(std::string_view mailbox);

// The message as bytes for SMTP DATA. `boundary` separates the parts (random in practice;
// fixed in tests).
std::string render(const mime_message& message, std::string_view boundary);

}  // namespace kemas::mail
