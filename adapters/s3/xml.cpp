#include "adapters/s3/xml.hpp"

#include "domain/utf8.hpp"

#include <cstdint>

namespace kemas::s3::xml {
namespace {

struct tag {
  std::size_t begin = 0;      // index of '<'
  std::size_t end = 0;        // index just past '>'
  std::string_view name;      // local name (prefix stripped)
  bool closing = false;       // </name>
  bool self_closing = false;  // <name/>
};

bool is_name_end(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>';
}

// The next element tag at or after `from`; comments, processing instructions and
// declarations are skipped. nullopt at the end or on a truncated tag.
std::optional<tag> next_tag(std::string_view doc, std::size_t from) {
  while (true) {
    const std::size_t lt = doc.find('<', from);
    if (lt == std::string_view::npos || lt + 1 >= doc.size())
      return std::nullopt;
    if (doc.compare(lt, 4, "<!--") == 0) {
      const std::size_t close = doc.find("-->", lt + 4);
      if (close == std::string_view::npos)
        return std::nullopt;
      from = close + 3;
      continue;
    }
    const std::size_t gt = doc.find('>', lt);
    if (gt == std::string_view::npos)
      return std::nullopt;
    if (doc[lt + 1] == '?' || doc[lt + 1] == '!') {
      from = gt + 1;
      continue;
    }
    tag t;
    t.begin = lt;
    t.end = gt + 1;
    std::size_t pos = lt + 1;
    if (doc[pos] == '/') {
      t.closing = true;
      ++pos;
    }
    std::size_t name_end = pos;
    while (name_end < gt && !is_name_end(doc[name_end]))
      ++name_end;
    std::string_view qualified = doc.substr(pos, name_end - pos);
    const std::size_t colon = qualified.find(':');
    t.name = colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
    t.self_closing = !t.closing && doc[gt - 1] == '/';
    return t;
  }
}

std::optional<char> named_entity(std::string_view ref) {
  if (ref == "amp")
    return '&';
  if (ref == "lt")
    return '<';
  if (ref == "gt")
    return '>';
  if (ref == "quot")
    return '"';
  if (ref == "apos")
    return '\'';
  return std::nullopt;
}

// Decodes "#39" / "#x27"; false when it is not a valid character reference.
bool numeric_reference(std::string_view ref, std::uint32_t& cp) {
  if (ref.size() < 2 || ref[0] != '#')
    return false;
  const bool hex = ref[1] == 'x' || ref[1] == 'X';
  std::string_view digits = ref.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8)
    return false;
  std::uint32_t value = 0;
  for (char c : digits) {
    std::uint32_t d = 0;
    if (c >= '0' && c <= '9')
      d = static_cast<std::uint32_t>(c - '0');
    else if (hex && c >= 'a' && c <= 'f')
      d = static_cast<std::uint32_t>(c - 'a' + 10);
    else if (hex && c >= 'A' && c <= 'F')
      d = static_cast<std::uint32_t>(c - 'A' + 10);
    else
      return false;
    value = value * (hex ? 16 : 10) + d;
  }
  if (value > 0x10FFFF)
    return false;
  cp = value;
  return true;
}

}  // namespace

std::vector<std::string_view> elements(std::string_view document, std::string_view name) {
  std::vector<std::string_view> found;
  std::size_t pos = 0;
  while (auto open = next_tag(document, pos)) {
    pos = open->end;
    if (open->closing || open->name != name)
      continue;
    if (open->self_closing) {
      found.emplace_back();
      continue;
    }
    // Find the matching close, counting nested elements of the same name.
    int depth = 1;
    std::size_t scan = open->end;
    std::optional<tag> close;
    while (auto t = next_tag(document, scan)) {
      scan = t->end;
      if (t->name != name || t->self_closing)
        continue;
      depth += t->closing ? -1 : 1;
      if (depth == 0) {
        close = t;
        break;
      }
    }
    if (!close)
      break;  // truncated document: keep what was complete
    found.push_back(document.substr(open->end, close->begin - open->end));
    pos = close->end;
  }
  return found;
}

std::optional<std::string> first_text(std::string_view document, std::string_view name) {
  auto all = elements(document, name);
  if (all.empty())
    return std::nullopt;
  return unescape(all.front());
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += '&';
      continue;
    }
    const std::string_view ref = text.substr(i + 1, semi - i - 1);
    std::uint32_t cp = 0;
    if (auto named = named_entity(ref)) {
      out += *named;
    } else if (numeric_reference(ref, cp)) {
      append_utf8(out, cp);
    } else {
      out += '&';  // not an entity we know: keep the text as it was
      continue;
    }
    i = semi;
  }
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view root_name(std::string_view document) {
  auto t = next_tag(document, 0);
  if (!t || t->closing)
    return {};
  return t->name;
}

}  // namespace kemas::s3::xml
