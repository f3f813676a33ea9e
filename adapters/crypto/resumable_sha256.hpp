#pragma once
// resumable_sha256: a SHA-256 whose state can be saved between requests and resumed by
// another process (a tus upload's PATCHes arrive at any api instance), so the file's digest
// is known when its last byte is in without reading the object back from S3.
//
// The saved state is OpenSSL's SHA256_CTX as bytes, with a version byte. Every api process of
// one deployment must run the same kemas build family on the same byte order (x86-64 and
// arm64 are both little-endian, 64-bit); restore() refuses a state of another size or shape.
// Not thread-safe; one per body.

#include <optional>
#include <string>
#include <string_view>

namespace kemas::crypto {

class resumable_sha256 {
 public:
  resumable_sha256();
  // nullopt when `saved` is not a state save() wrote.
  static std::optional<resumable_sha256> restore(std::string_view saved);

  void update(std::string_view bytes);
  std::string save() const;
  // 64 lower-case hex digits of every byte passed to update(), before and after restores.
  // Does not end the stream (works on a copy).
  std::string hex() const;

 private:
  std::string state_;  // the SHA256_CTX's bytes
};

}  // namespace kemas::crypto
