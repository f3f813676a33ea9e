#pragma once
// sha256_stream: SHA-256 of bytes that arrive in pieces (an upload streamed to S3), so the
// digest is known when the last byte is through without ever holding the body.
// Not thread-safe; one per body. Movable, not copyable.

#include <memory>
#include <string>
#include <string_view>

namespace kemas::crypto {

class sha256_stream {
 public:
  sha256_stream();
  ~sha256_stream();
  sha256_stream(sha256_stream&&) noexcept;
  sha256_stream& operator=(sha256_stream&&) noexcept;

  void update(std::string_view bytes);
  // 64 lower-case hex digits of everything passed to update(). Ends the stream: call once.
  std::string finish_hex();

 private:
  struct context;
  std::unique_ptr<context> context_;
};

}  // namespace kemas::crypto
