#pragma once
// redis_script: a Lua script and its SHA-1, computed once. redis_client::eval() sends
// EVALSHA with the digest and falls back to EVAL (which also loads the script into the
// server's cache) when the server answers NOSCRIPT — after a restart or SCRIPT FLUSH.
// Immutable after construction; safe to share between threads.

#include <string>

namespace kemas::redis {

class redis_script {
 public:
  explicit redis_script(std::string source);

  const std::string& source() const noexcept { return source_; }
  const std::string& sha1() const noexcept { return sha1_; }  // 40 lowercase hex digits

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace kemas::redis
