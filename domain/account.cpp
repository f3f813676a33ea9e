#include "domain/account.hpp"

#include <algorithm>
#include <cctype>
#include "domain/enum_names.hpp"

namespace kemas {
namespace {
bool is_ascii_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_space_or_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7F;
}
}  // namespace

constexpr auto role_names = ordinal_table<role::admin>({"user", "developer", "admin"});

std::string_view role_name(role r) noexcept {
  return name_of(role_names, r, "user");
}

std::optional<role> parse_role(std::string_view name) noexcept {
  return value_of<role>(role_names, name);
}

result<void> validate_email(std::string_view email) {
  const auto bad = [](std::string message) {
    return make_error(errc::validation_failed, std::move(message), "email");
  };
  if (email.empty())
    return bad("email is required");
  if (email.size() > account_limits::email_max)
    return bad("email is longer than 254 characters");
  if (std::ranges::any_of(email, is_space_or_control))
    return bad("email must not contain spaces or control characters");
  const auto at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    return bad("email must contain exactly one @");
  }
  const auto local = email.substr(0, at);
  const auto domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64)
    return bad("email has an invalid local part");
  const auto dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return bad("email has an invalid domain");
  }
  return {};
}

result<void> validate_username(std::string_view username) {
  const auto bad = [](std::string message) {
    return make_error(errc::validation_failed, std::move(message), "username");
  };
  if (username.size() < account_limits::username_min ||
      username.size() > account_limits::username_max) {
    return bad("username must be 3 to 32 characters");
  }
  if (!is_ascii_alnum(username.front()))
    return bad("username must start with a letter or digit");
  const bool ok = std::ranges::all_of(
      username, [](char c) { return is_ascii_alnum(c) || c == '_' || c == '.' || c == '-'; });
  if (!ok)
    return bad("username may contain only letters, digits, '_', '.' and '-'");
  return {};
}

result<void> validate_password(std::string_view password) {
  if (password.size() < account_limits::password_min) {
    return make_error(errc::validation_failed, "password must be at least 8 characters",
                      "password");
  }
  if (password.size() > account_limits::password_max) {
    return make_error(errc::validation_failed, "password must be at most 1024 bytes", "password");
  }
  return {};
}

std::string normalize_email(std::string_view email) {
  std::string out(email);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace kemas
