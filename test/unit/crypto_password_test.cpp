// Argon2id password hashing: PHC encoding, verification, rehash decisions, the dummy hash.
// Small parameters (64 KiB, t=1) keep these fast; the cost itself is measured, not tested.
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/password_hasher.hpp"

using namespace kemas::crypto;

namespace {

constexpr argon2_params small{64, 1, 1};

// "$argon2id$v=19$m=64,t=1,p=1$<salt>$<hash>" split on '$' (the first field is empty).
std::vector<std::string> fields(const std::string& encoded) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto end = encoded.find('$', start);
    out.push_back(encoded.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

}  // namespace

TEST_CASE("hash_password writes a PHC argon2id string with a 16-byte salt and a 32-byte hash") {
  const auto encoded = hash_password("correct horse battery staple", small);
  CHECK(encoded.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
  const auto parts = fields(encoded);
  REQUIRE(parts.size() == 6);
  CHECK(parts[4].size() == 22);  // 16 bytes, unpadded base64
  CHECK(parts[5].size() == 43);  // 32 bytes, unpadded base64
}

TEST_CASE("verify_password accepts the right password and refuses a wrong one") {
  const auto encoded = hash_password("correct horse battery staple", small);
  CHECK(verify_password("correct horse battery staple", encoded));
  CHECK_FALSE(verify_password("correct horse battery stapl", encoded));
  CHECK_FALSE(verify_password("Correct horse battery staple", encoded));
  CHECK_FALSE(verify_password("", encoded));
}

TEST_CASE("passwords are bytes: embedded NULs and non-ASCII count") {
  const std::string with_nul("pass\0word", 9);
  const auto encoded = hash_password(with_nul, small);
  CHECK(verify_password(with_nul, encoded));
  CHECK_FALSE(verify_password("pass", encoded));
  const auto unicode = hash_password("pässwörd-密码", small);
  CHECK(verify_password("pässwörd-密码", unicode));
  CHECK_FALSE(verify_password("passwörd-密码", unicode));
}

TEST_CASE("two hashes of one password use different salts and both verify") {
  const auto a = hash_password("same password", small);
  const auto b = hash_password("same password", small);
  CHECK(a != b);
  CHECK(fields(a)[4] != fields(b)[4]);
  CHECK(verify_password("same password", a));
  CHECK(verify_password("same password", b));
}

TEST_CASE("verify_password is false and does not throw for malformed encodings") {
  const auto good = hash_password("secret123", small);
  const auto parts = fields(good);
  std::string flipped_hash = good;
  flipped_hash.back() = flipped_hash.back() == 'A' ? 'Q' : 'A';  // a data bit, not padding
  std::string flipped_salt = good;
  const auto salt_at = good.find(parts[4]);
  flipped_salt[salt_at] = flipped_salt[salt_at] == 'A' ? 'B' : 'A';

  const std::vector<std::string> bad = {
      "",
      "garbage",
      "secret123",
      "$argon2id$",
      "$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],   // another variant
      "$argon2d$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
      "$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],  // old version
      "$argon2id$v=19$m=64,t=1,p=1$" + parts[4],                   // no hash
      "$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
      "$argon2id$v=19$m=64,t=1,p=1$$" + parts[5],
      "$argon2id$v=19$m=64,t=1$" + parts[4] + "$" + parts[5],
      "$argon2id$v=19$m=064,t=1,p=1$" + parts[4] + "$" + parts[5],  // leading zero
      "$argon2id$v=19$m=-64,t=1,p=1$" + parts[4] + "$" + parts[5],
      "$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5] + "=",
      "$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5] + "$x",
      // absurd cost: refused before libargon2 would try to allocate 4 TiB
      "$argon2id$v=19$m=4294967295,t=1,p=1$" + parts[4] + "$" + parts[5],
      "$argon2id$v=19$m=64,t=4294967295,p=1$" + parts[4] + "$" + parts[5],
      "$argon2id$v=19$m=64,t=1,p=0$" + parts[4] + "$" + parts[5],
      "$argon2id$v=19$m=99999999999,t=1,p=1$" + parts[4] + "$" + parts[5],  // overflows uint32
      good.substr(0, good.size() - 1),
      good + std::string(600, 'A'),
      flipped_hash,
      flipped_salt,
      std::string("$argon2id$v=19$m=64,t=1,p=1$") + '\0' + parts[4] + "$" + parts[5],
  };
  for (const auto& encoded : bad) {
    CAPTURE(encoded);
    bool verified = true;
    CHECK_NOTHROW(verified = verify_password("secret123", encoded));
    CHECK_FALSE(verified);
  }
}

TEST_CASE("parse_encoded_params reads the cost of an encoding") {
  const auto encoded = hash_password("x", argon2_params{128, 2, 2});
  const auto params = parse_encoded_params(encoded);
  REQUIRE(params.has_value());
  CHECK(*params == argon2_params{128, 2, 2});
  CHECK_FALSE(parse_encoded_params("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g").has_value());
}

TEST_CASE("needs_rehash is true exactly when the cost differs or the encoding is not ours") {
  const auto encoded = hash_password("password1", small);
  CHECK_FALSE(needs_rehash(encoded, small));
  CHECK(needs_rehash(encoded, argon2_params{128, 1, 1}));
  CHECK(needs_rehash(encoded, argon2_params{64, 2, 1}));
  CHECK(needs_rehash(encoded, argon2_params{64, 1, 2}));
  CHECK(needs_rehash("", small));
  CHECK(needs_rehash("$2b$12$abcdefghijklmnopqrstuv", small));  // bcrypt from elsewhere
}

TEST_CASE("hash_password refuses parameters libargon2 cannot use") {
  CHECK_THROWS_AS(hash_password("password1", argon2_params{1, 1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(hash_password("password1", argon2_params{64, 0, 1}), std::invalid_argument);
  CHECK_THROWS_AS(hash_password("password1", argon2_params{64, 1, 0}), std::invalid_argument);
}

TEST_CASE("dummy_hash is one valid hash per parameter set") {
  const std::string& first = dummy_hash(small);
  CHECK(&dummy_hash(small) == &first);
  CHECK(first.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
  CHECK_FALSE(needs_rehash(first, small));
  CHECK_FALSE(verify_password("", first));
  CHECK_FALSE(verify_password("password", first));

  const argon2_params other{72, 1, 1};
  const std::string& second = dummy_hash(other);
  CHECK(second != first);
  CHECK_FALSE(needs_rehash(second, other));
  CHECK(&dummy_hash(small) == &first);  // adding a set does not move the first
}

TEST_CASE("dummy_hash computes once when many threads ask at the same time") {
  const argon2_params fresh{80, 1, 1};  // not used by any other test
  std::vector<const std::string*> seen(4, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&seen, i, fresh] { seen[i] = &dummy_hash(fresh); });
  }
  for (auto& t : threads) t.join();
  CHECK(std::set<const std::string*>(seen.begin(), seen.end()).size() == 1);
}
