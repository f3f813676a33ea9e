#include "domain/multipart.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "domain/file_name.hpp"
#include "domain/text.hpp"

namespace kemas {
namespace {

constexpr std::size_t boundary_max = 70;  // RFC 2046 section 5.1.1
constexpr std::size_t padding_max = 256;  // transport-padding after a boundary

using params = std::vector<std::pair<std::string, std::string>>;

bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

std::string_view take_token(std::string_view& s) noexcept {
  std::size_t n = 0;
  while (n < s.size() && is_tchar(s[n])) ++n;
  const auto token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ), names lower-cased. Inside a
// quoted string only \" and \\ are escapes: a backslash before anything else is kept, so an
// unescaped Windows path sent by old browsers ("C:\Users\ana\cv.pdf") survives for
// client_file_name() to cut. Duplicate names are refused.
bool parse_params(std::string_view s, params& out) {
  while (true) {
    s = trim_ows(s);
    if (s.empty()) return true;
    if (s.front() != ';') return false;
    s.remove_prefix(1);
    s = trim_ows(s);
    if (s.empty() || s.front() == ';') continue;  // tolerate ";;" and a trailing ';'
    const auto name = take_token(s);
    if (name.empty() || s.empty() || s.front() != '=') return false;
    s.remove_prefix(1);
    std::string value;
    if (!s.empty() && s.front() == '"') {
      std::size_t i = 1;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) ++i;
        value += s[i];
      }
      if (i == s.size()) return false;  // unterminated
      s.remove_prefix(i + 1);
    } else {
      value = take_token(s);
      if (value.empty()) return false;
    }
    auto key = ascii_lower(name);
    for (const auto& [k, v] : out) {
      if (k == key) return false;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
}

const std::string* find_param(const params& ps, std::string_view name) {
  for (const auto& [k, v] : ps) {
    if (k == name) return &v;
  }
  return nullptr;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 8187 ext-value: charset "'" [ language ] "'" value-chars. nullopt when malformed or
// in a charset we do not read (only UTF-8 and ISO-8859-1 are defined there).
std::optional<std::string> decode_ext_value(std::string_view v) {
  const auto q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  const auto q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  const auto charset = ascii_lower(v.substr(0, q1));
  std::string bytes;
  for (std::size_t i = q2 + 1; i < v.size(); ++i) {
    if (v[i] != '%') {
      bytes += v[i];  // take_token already limited these to tchar
      continue;
    }
    if (i + 2 >= v.size()) return std::nullopt;
    const int hi = hex_value(v[i + 1]);
    const int lo = hex_value(v[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  if (charset == "utf-8") {
    if (!is_valid_utf8(bytes)) return std::nullopt;
    return bytes;
  }
  if (charset == "iso-8859-1") {
    std::string utf8;
    for (char ch : bytes) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x80) {
        utf8 += ch;
      } else {
        utf8 += static_cast<char>(0xC0 | (c >> 6));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    return utf8;
  }
  return std::nullopt;
}

bool valid_boundary(std::string_view b) noexcept {
  if (b.empty() || b.size() > boundary_max || b.back() == ' ') return false;
  for (char c : b) {
    if (c < 0x20 || c > 0x7E) return false;  // also keeps CR out: see scan_for_delimiter
  }
  return true;
}

// Header lines of one part (CRLF-separated, without the blank line) -> its headers.
result<part_headers> parse_part_headers(std::string_view block) {
  const auto bad = [](std::string message) { return make_error(errc::bad_request, std::move(message)); };
  std::vector<std::pair<std::string, std::string>> fields;
  while (!block.empty()) {
    const auto eol = block.find("\r\n");
    auto line = block.substr(0, eol);
    block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 2);
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7F) return bad("malformed multipart part header");
    }
    if (!line.empty() && is_ows(line.front())) {  // obsolete line folding: unfold
      if (fields.empty()) return bad("malformed multipart part header");
      fields.back().second += ' ';
      fields.back().second += trim_ows(line);
      continue;
    }
    auto rest = line;
    const auto name = take_token(rest);
    if (name.empty() || rest.empty() || rest.front() != ':') return bad("malformed multipart part header");
    fields.emplace_back(ascii_lower(name), std::string(trim_ows(rest.substr(1))));
  }

  part_headers part;
  const std::string* disposition = nullptr;
  const std::string* type = nullptr;
  for (const auto& [name, value] : fields) {
    const std::string** slot = name == "content-disposition" ? &disposition : name == "content-type" ? &type : nullptr;
    if (slot == nullptr) continue;
    if (*slot != nullptr) return bad("multipart part has more than one " + name + " header");
    *slot = &value;
  }
  if (disposition == nullptr) return bad("multipart part has no Content-Disposition");
  std::string_view d = trim_ows(*disposition);
  if (ascii_lower(take_token(d)) != "form-data") return bad("multipart part is not form-data");
  params ps;
  if (!parse_params(d, ps)) return bad("malformed multipart Content-Disposition");
  const auto* name = find_param(ps, "name");
  if (name == nullptr) return bad("multipart part has no name");
  part.name = *name;
  if (const auto* ext = find_param(ps, "filename*")) part.filename = decode_ext_value(*ext);
  if (!part.filename) {
    if (const auto* plain = find_param(ps, "filename")) part.filename = *plain;
  }
  if (type != nullptr) part.content_type = *type;
  return part;
}

}  // namespace

result<std::string> multipart_boundary(std::string_view content_type) {
  const auto semi = content_type.find(';');
  const auto media = ascii_lower(trim_ows(content_type.substr(0, semi)));
  if (media != "multipart/form-data") {
    return make_error(errc::unsupported_media_type, "expected Content-Type multipart/form-data");
  }
  params ps;
  if (semi != std::string_view::npos && !parse_params(content_type.substr(semi), ps)) {
    return make_error(errc::bad_request, "malformed Content-Type parameters");
  }
  const auto* boundary = find_param(ps, "boundary");
  if (boundary == nullptr) return make_error(errc::bad_request, "multipart boundary missing");
  if (!valid_boundary(*boundary)) return make_error(errc::bad_request, "invalid multipart boundary");
  return *boundary;
}

multipart_parser::multipart_parser(std::string_view boundary, multipart_limits limits)
    : limits_(limits), delimiter_("\r\n--") {
  delimiter_ += boundary;
  // The body may start with the boundary itself (no preamble): act as if a CRLF came first.
  carry_ = "\r\n";
  if (!valid_boundary(boundary)) fail("invalid multipart boundary");
}

void multipart_parser::feed(std::string_view chunk) {
  if (finished_) throw std::logic_error("multipart_parser::feed after finish");
  if (state_ == state::epilogue || state_ == state::failed) {  // nothing more to read: drop it
    input_ = {};
    pos_ = 0;
    return;
  }
  if (pos_ < input_.size()) throw std::logic_error("multipart_parser::feed before the last chunk was consumed");
  input_ = chunk;
  pos_ = 0;
  data_ = {};
}

void multipart_parser::finish() noexcept { finished_ = true; }

multipart_parser::event multipart_parser::fail(std::string message) {
  state_ = state::failed;
  failure_ = make_error(errc::bad_request, std::move(message));
  return event::failed;
}

multipart_parser::event multipart_parser::out_of_input() {
  return finished_ ? fail("multipart body truncated") : event::need_more;
}

multipart_parser::event multipart_parser::next() {
  data_ = {};
  while (true) {
    switch (state_) {
      case state::failed:
        return event::failed;
      case state::epilogue:
        pos_ = input_.size();
        return event::done;
      case state::preamble:
      case state::body: {
        // need_more here means: input used up, or the preamble's delimiter was found.
        const auto e = scan_for_delimiter();
        if (e != event::need_more) return e;
        if (state_ == state::after_delimiter) continue;
        return out_of_input();
      }
      case state::headers: {
        const auto e = read_headers();
        return e == event::need_more ? out_of_input() : e;
      }
      case state::after_delimiter:
      case state::close_dash:
      case state::padding:
      case state::expect_lf:
        break;
    }

    // The rest of a boundary line: "--" (close), or transport padding then CRLF.
    if (pos_ == input_.size()) return out_of_input();
    const char c = input_[pos_++];
    switch (state_) {
      case state::after_delimiter:
        if (c == '-') {
          state_ = state::close_dash;
        } else if (c == '\r') {
          state_ = state::expect_lf;
        } else if (is_ows(c)) {
          state_ = state::padding;
          padding_ = 1;
        } else {
          return fail("malformed multipart boundary line");
        }
        break;
      case state::close_dash:
        if (c != '-') return fail("malformed multipart boundary line");
        state_ = state::epilogue;
        return event::done;
      case state::padding:
        if (c == '\r') {
          state_ = state::expect_lf;
        } else if (!is_ows(c) || ++padding_ > padding_max) {
          return fail("malformed multipart boundary line");
        }
        break;
      case state::expect_lf:
        if (c != '\n') return fail("malformed multipart boundary line");
        if (parts_ == limits_.max_parts) return fail("too many multipart parts");
        // A leading CRLF lets one search for CRLF CRLF also find an empty header block.
        header_block_ = "\r\n";
        state_ = state::headers;
        break;
      default:
        break;
    }
  }
}

// In preamble or body: finds the next delimiter, returning the bytes before it as data
// (body) or dropping them (preamble). Returns need_more when it consumed input without an
// event to report (the caller loops or asks for input).
multipart_parser::event multipart_parser::scan_for_delimiter() {
  const bool in_body = state_ == state::body;
  const std::string_view delimiter = delimiter_;
  const auto found = [&] {
    state_ = state::after_delimiter;
    return in_body ? event::part_end : event::need_more;
  };

  if (!carry_.empty()) {
    if (pos_ == input_.size()) return event::need_more;
    const auto wanted = delimiter.substr(carry_.size());
    const auto got = input_.substr(pos_, wanted.size());
    if (wanted.starts_with(got)) {
      pos_ += got.size();
      if (got.size() < wanted.size()) {
        carry_ += got;
        return event::need_more;
      }
      carry_.clear();
      return found();
    }
    // Not a delimiter after all. No delimiter can start later inside the carried bytes:
    // they are a prefix of the delimiter, whose only CR is its first byte (the boundary has
    // no control characters), so the next candidate starts in the new input.
    held_ = std::move(carry_);
    carry_.clear();
    if (in_body) {
      data_ = held_;
      return event::data;
    }
  }

  const auto rest = input_.substr(pos_);
  const void* hit = ::memmem(rest.data(), rest.size(), delimiter.data(), delimiter.size());
  if (hit != nullptr) {
    const auto at = static_cast<std::size_t>(static_cast<const char*>(hit) - rest.data());
    if (at > 0 && in_body) {
      pos_ += at;  // the delimiter is found again, at once, by the next call
      data_ = rest.substr(0, at);
      return event::data;
    }
    pos_ += at + delimiter.size();
    return found();
  }

  // Hold back a tail that may be the start of a delimiter split across chunks: it can only
  // begin at the last CR within the final delimiter.size() - 1 bytes.
  std::size_t keep = 0;
  const auto window = std::min(rest.size(), delimiter.size() - 1);
  const auto cr = rest.substr(rest.size() - window).rfind('\r');
  if (cr != std::string_view::npos) {
    const auto tail = rest.substr(rest.size() - window + cr);
    if (delimiter.starts_with(tail)) keep = tail.size();
  }
  carry_.assign(rest.substr(rest.size() - keep));
  pos_ = input_.size();
  if (in_body && rest.size() > keep) {
    data_ = rest.substr(0, rest.size() - keep);
    return event::data;
  }
  return event::need_more;
}

// Collects one part's header block (bounded), then parses it.
multipart_parser::event multipart_parser::read_headers() {
  if (pos_ == input_.size()) return event::need_more;
  const auto before = header_block_.size();
  const auto room = limits_.header_block_max + 2 - before;  // + the leading CRLF
  const auto take = std::min(room, input_.size() - pos_);
  header_block_.append(input_.substr(pos_, take));
  const auto end = header_block_.find("\r\n\r\n", before < 3 ? 0 : before - 3);
  if (end == std::string::npos) {
    if (take == room) return fail("multipart part headers too large");
    pos_ += take;
    return event::need_more;
  }
  pos_ += end + 4 - before;
  auto parsed = parse_part_headers(end < 2 ? std::string_view{} : std::string_view(header_block_).substr(2, end - 2));
  if (!parsed) {
    state_ = state::failed;
    failure_ = parsed.error();
    return event::failed;
  }
  part_ = std::move(*parsed);
  ++parts_;
  state_ = state::body;
  return event::part_begin;
}

}  // namespace kemas
