#include <doctest/doctest.h>

#include "domain/account.hpp"
#include "domain/authorization.hpp"
#include "domain/credentials.hpp"
#include "domain/model/api_key.hpp"

using namespace kemas;

TEST_CASE("e-mail addresses are checked for shape and named in errors") {
  CHECK(validate_email("ana@example.com"));
  CHECK(validate_email("a.b+tag@sub.example.co.id"));
  for (const char* bad :
       {"", "ana", "ana@", "@example.com", "ana@example", "a@@example.com", "ana @example.com",
        "ana@example..com", "ana@.example.com", "ana@example.com."}) {
    auto r = validate_email(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::validation_failed);
    CHECK(r.error().field == "email");
  }
  CHECK_FALSE(validate_email(std::string(250, 'a') + "@x.io"));
  CHECK(normalize_email("Ana@Example.COM") == "ana@example.com");
}

TEST_CASE("usernames are 3 to 32 safe characters") {
  CHECK(validate_username("ana"));
  CHECK(validate_username("ana_b.c-9"));
  CHECK(validate_username(std::string(32, 'a')));
  for (const char* bad : {"", "ab", "_ana", ".ana", "ana b", "ana/b", "ana@b", "änä"}) {
    INFO(bad);
    auto r = validate_username(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "username");
  }
  CHECK_FALSE(validate_username(std::string(33, 'a')));
}

TEST_CASE("passwords are 8 to 1024 bytes") {
  CHECK_FALSE(validate_password("1234567"));
  CHECK(validate_password("12345678"));
  CHECK(validate_password(std::string(1024, 'x')));
  auto r = validate_password(std::string(1025, 'x'));
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "password");
}

TEST_CASE("roles have stable names") {
  CHECK(parse_role("admin") == role::admin);
  CHECK(parse_role("developer") == role::developer);
  CHECK(parse_role("user") == role::user);
  CHECK_FALSE(parse_role("root"));
  CHECK(role_name(role::developer) == "developer");
}

TEST_CASE("authorization decides by role and by API key scope") {
  principal user;
  principal admin;
  admin.role = role::admin;
  principal reader;
  reader.role = role::admin;
  reader.credential = principal::via::api_key;
  reader.scopes.add(scope::files_read);

  CHECK(authorize(user, access_rule::signed_in()));
  CHECK(authorize(user, access_rule::anyone()));
  CHECK_FALSE(authorize(user, access_rule::at_least(role::admin)));
  CHECK(authorize(admin, access_rule::at_least(role::admin)));
  CHECK(authorize(admin, access_rule::at_least(role::developer)));

  CHECK(authorize(reader, access_rule::with_scope(scope::files_read)));
  auto write = authorize(reader, access_rule::with_scope(scope::files_write));
  REQUIRE_FALSE(write);
  CHECK(write.error().code == errc::forbidden);
  // A key never reaches routes that do not take keys, whatever its owner's role.
  CHECK_FALSE(authorize(reader, access_rule::signed_in()));
  CHECK_FALSE(authorize(reader, access_rule::at_least(role::admin)));
}

TEST_CASE("credential formats parse strictly") {
  const std::string secret(43, 'A');
  const auto token = format_refresh_token(std::string(32, 'a'), secret);
  auto parts = parse_refresh_token(token);
  REQUIRE(parts);
  CHECK(parts->session_id == std::string(32, 'a'));
  CHECK(parts->secret == secret);
  CHECK_FALSE(parse_refresh_token(token.substr(1)));
  CHECK_FALSE(parse_refresh_token(std::string(32, 'A') + "." + secret));  // upper-case hex
  CHECK_FALSE(parse_refresh_token(std::string(32, 'a') + "." + std::string(42, 'A') + "="));

  const auto key = format_api_key("0123456789ab", secret);
  CHECK(key.starts_with("kms_0123456789ab_"));
  auto k = parse_api_key(key);
  REQUIRE(k);
  CHECK(k->prefix == "0123456789ab");
  CHECK_FALSE(parse_api_key("kms_0123456789ab-" + secret));
  CHECK_FALSE(parse_api_key("kmx_0123456789ab_" + secret));
  CHECK_FALSE(parse_api_key("kms_0123456789ab_" + secret + "x"));
  CHECK_FALSE(parse_api_key("kms_0123456789ab_" + std::string(42, 'A') + "/"));
}

TEST_CASE("a key's use is recorded when it was never used or a minute or more ago") {
  using namespace std::chrono_literals;
  const timestamp now{std::chrono::milliseconds(1'800'000'000'000)};
  model::api_key key;
  CHECK(model::key_use_worth_recording(key, now));
  key.last_used_at = now - 59'999ms;
  CHECK_FALSE(model::key_use_worth_recording(key, now));
  key.last_used_at = now;
  CHECK_FALSE(model::key_use_worth_recording(key, now));
  key.last_used_at = now - 60s;
  CHECK(model::key_use_worth_recording(key, now));
  key.last_used_at = now + 5s;  // a clock behind the database's: still fresh
  CHECK_FALSE(model::key_use_worth_recording(key, now));
}
