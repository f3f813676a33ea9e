#include "adapters/mail/mime_message.hpp"

#include <ctime>

#include "domain/base64.hpp"

namespace kemas::mail {
namespace {

constexpr std::string_view crlf = "\r\n";

std::string one_line(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != '\r' && c != '\n')
      out += c;
  }
  return out;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80)
      return false;
  }
  return true;
}

// RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters, split between UTF-8 sequences.
std::string encoded_words(std::string_view text) {
  constexpr std::size_t max_bytes = 45;  // base64 of 45 bytes = 60 characters + 12 of framing
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = std::min(text.size(), at + max_bytes);
    while (end < text.size() && end > at && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;  // never cut a multi-byte character
    if (!out.empty())
      out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

std::string header_text(std::string_view value) {
  std::string line = one_line(value);
  return is_ascii(line) ? line : encoded_words(line);
}

std::string base64_lines(std::string_view bytes) {
  const std::string encoded = base64(bytes);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / 76 * 2 + 2);
  for (std::size_t at = 0; at < encoded.size(); at += 76) {
    out.append(encoded, at, 76);
    out += crlf;
  }
  return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return buffer;
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string("kemas.localhost")
                                      : std::string(address.substr(at + 1));
}

void add_part(std::string& out, std::string_view boundary, std::string_view type,
              std::string_view body) {
  out += "--";
  out += boundary;
  out += crlf;
  out += "Content-Type: ";
  out += type;
  out += "; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(body);
}

}  // namespace

std::string address_of(std::string_view mailbox) {
  const auto open = mailbox.rfind('<');
  const auto close = mailbox.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    return one_line(mailbox.substr(open + 1, close - open - 1));
  const auto first = mailbox.find_first_not_of(' ');
  const auto last = mailbox.find_last_not_of(' ');
  return first == std::string_view::npos ? std::string{}
                                         : one_line(mailbox.substr(first, last - first + 1));
}

std::string render(const mime_message& message, std::string_view boundary) {
  const std::string from_address = address_of(message.from);
  std::string out;
  out.reserve(message.text.size() * 2 + message.html.size() * 2 + 1024);
  out += "From: " + header_text(message.from) + "\r\n";
  out += "To: " + one_line(message.to) + "\r\n";
  out += "Subject: " + header_text(message.subject) + "\r\n";
  out += "Date: " + rfc5322_date(message.date) + "\r\n";
  out += "Message-ID: <" + one_line(message.message_id) + "@" + domain_of(from_address) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  if (message.html.empty()) {
    out += "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    out += base64_lines(message.text);
    return out;
  }
  out += "Content-Type: multipart/alternative; boundary=\"";
  out += boundary;
  out += "\"\r\n\r\n";
  add_part(out, boundary, "text/plain", message.text);
  add_part(out, boundary, "text/html", message.html);
  out += "--";
  out += boundary;
  out += "--\r\n";
  return out;
}

}  // namespace kemas::mail
