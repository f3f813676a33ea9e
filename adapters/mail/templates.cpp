#include "adapters/mail/templates.hpp"

#include <fstream>
#include <sstream>

namespace kemas::mail {
namespace {

constexpr std::string_view subject_prefix = "Subject:";

void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
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
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos)
    return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

result<std::string> fill(std::string_view text, const template_values& values, bool html) {
  std::string out;
  out.reserve(text.size() + 256);
  std::size_t at = 0;
  for (;;) {
    const auto open = text.find("{{", at);
    if (open == std::string_view::npos) {
      out.append(text.substr(at));
      return out;
    }
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(at));
      return out;
    }
    out.append(text.substr(at, open - at));
    const std::string name = trim(text.substr(open + 2, close - open - 2));
    auto value = values.find(name);
    if (value == values.end())
      return make_error(errc::validation_failed, "template value missing: {{" + name + "}}", name);
    if (html)
      append_escaped(out, value->second);
    else
      out.append(value->second);
    at = close + 2;
  }
}

template_set template_set::built_in() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : built_in_template_files())
    files.emplace_back(std::string(f.name), std::string(f.content));
  auto set = from_files(files);
  return set ? std::move(*set) : template_set{};
}

result<template_set> template_set::from_directory(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".txt" && ext != ".html"))
      continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in)
      return make_error(errc::validation_failed, "cannot read " + entry.path().string());
    files.emplace_back(entry.path().filename().string(), content.str());
  }
  if (ec)
    return make_error(errc::validation_failed,
                      "cannot list mail templates in " + dir.string() + ": " + ec.message());
  return from_files(files);
}

result<template_set> template_set::from_files(
    const std::vector<std::pair<std::string, std::string>>& files) {
  template_set set;
  for (const auto& [name, content] : files) {
    const auto dot = name.rfind('.');
    const std::string kind = name.substr(0, dot);
    auto& source = set.sources_[kind];
    if (name.ends_with(".txt"))
      source.text = content;
    else
      source.html = content;
  }
  for (const auto& [kind, source] : set.sources_) {
    if (!std::string_view(source.text).starts_with(subject_prefix))
      return make_error(errc::validation_failed,
                        "mail template " + kind + ".txt must start with a \"Subject:\" line");
  }
  return set;
}

bool template_set::has(std::string_view kind) const {
  return sources_.contains(kind);
}

result<rendered_mail> template_set::render(std::string_view kind,
                                           const template_values& values) const {
  auto found = sources_.find(kind);
  if (found == sources_.end())
    return make_error(errc::not_found, "no mail template for " + std::string(kind));
  std::string_view text = found->second.text;
  const auto line_end = text.find('\n');
  std::string_view subject_line =
      text.substr(subject_prefix.size(), line_end - subject_prefix.size());
  std::string_view body =
      line_end == std::string_view::npos ? std::string_view{} : text.substr(line_end + 1);
  if (body.starts_with("\r\n"))
    body.remove_prefix(2);
  else if (body.starts_with("\n"))
    body.remove_prefix(1);

  rendered_mail mail;
  auto subject = fill(trim(subject_line), values, false);
  if (!subject)
    return subject.error();
  for (char c : *subject) {
    if (c != '\r' && c != '\n')
      mail.subject += c;
  }
  auto plain = fill(body, values, false);
  if (!plain)
    return plain.error();
  mail.text = std::move(*plain);
  if (!found->second.html.empty()) {
    auto html = fill(found->second.html, values, true);
    if (!html)
      return html.error();
    mail.html = std::move(*html);
  }
  return mail;
}

}  // namespace kemas::mail
