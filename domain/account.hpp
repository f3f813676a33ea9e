#pragma once
// Accounts: roles and the rules for what a client may choose (e-mail, username, password).
// Validation returns validation_failed naming the field, so the API can say which one.

#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace kemas {

enum class role { user, developer, admin };

std::string_view role_name(role r) noexcept;
std::optional<role> parse_role(std::string_view name) noexcept;

struct account_limits {
  static constexpr std::size_t email_max = 254;  // RFC 5321 path limit
  static constexpr std::size_t username_min = 3;
  static constexpr std::size_t username_max = 32;
  static constexpr std::size_t password_min = 8;
  static constexpr std::size_t password_max = 1024;  // bounds the hashing work per request
};

// local@domain with one '@', no spaces or control characters, a dot in the domain, at most
// 254 bytes. Deliverability is the mailer's business, not this check's.
result<void> validate_email(std::string_view email);
// 3–32 characters of [A-Za-z0-9_.-], starting with a letter or digit.
result<void> validate_username(std::string_view username);
// 8–1024 bytes; any characters.
result<void> validate_password(std::string_view password);

// E-mail addresses are unique case-insensitively: compare and look up this form.
std::string normalize_email(std::string_view email);

}  // namespace kemas
