#pragma once
// Values the Redis client hands back. Two kinds of "failure" are kept apart on purpose:
//  - redis_result has an error (redis_errc): Redis could not be asked or did not answer —
//    connect failed, connection lost, timed out, client closed. The backend is unavailable;
//    the API answers 503. Whether the command ran on the server is unknown.
//  - redis_result holds a redis_reply of type `error` (WRONGTYPE, NOSCRIPT, ERR ...): Redis
//    answered and refused this one command; the connection is fine.
// redis_reply owns all its data (deep-copied out of hiredis), so it may be moved to any
// thread and kept as long as wanted.

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kemas::redis {

enum class redis_errc {
  connect_failed = 1,  // resolve/connect/AUTH/SELECT failed, or connect timed out
  connection_lost,     // the connection broke (or was reset) before the reply came
  timeout,             // no reply within the command timeout; the connection is reset
  closed,              // redis_client::close() was called
  invalid_command,     // empty argument list, or (P|S)SUBSCRIBE/UNSUBSCRIBE/MONITOR: not sent
};

const std::error_category& redis_category() noexcept;

inline std::error_code make_error_code(redis_errc e) noexcept {
  return {static_cast<int>(e), redis_category()};
}

class redis_reply {
 public:
  enum class kind { nil, integer, string, status, error, array };

  redis_reply() = default;  // nil
  static redis_reply make_nil() { return {}; }
  static redis_reply make_integer(long long value);
  static redis_reply make_string(std::string value);  // bulk string, binary-safe
  static redis_reply make_status(std::string value);  // simple string: "OK", "PONG"
  static redis_reply make_error(std::string message); // "WRONGTYPE Operation against ..."
  static redis_reply make_array(std::vector<redis_reply> elements);

  kind type() const noexcept { return kind_; }
  bool is_nil() const noexcept { return kind_ == kind::nil; }
  bool is_integer() const noexcept { return kind_ == kind::integer; }
  bool is_string() const noexcept { return kind_ == kind::string; }
  bool is_status() const noexcept { return kind_ == kind::status; }
  bool is_error() const noexcept { return kind_ == kind::error; }
  bool is_array() const noexcept { return kind_ == kind::array; }

  // Preconditions below are checked: a wrong kind throws std::logic_error (a caller bug).
  long long integer() const;                     // kind integer
  const std::string& str() const;                // kind string, status or error
  const std::vector<redis_reply>& elements() const;  // kind array

  // First word of an error reply ("WRONGTYPE", "NOSCRIPT", "ERR"); "" for other kinds.
  std::string_view error_code() const noexcept;

  // Short human-readable rendering for logs and test failure messages.
  std::string describe() const;

  friend bool operator==(const redis_reply&, const redis_reply&) = default;

 private:
  static redis_reply text_reply(kind k, std::string text);  // string, status or error

  kind kind_ = kind::nil;
  long long integer_ = 0;
  std::string str_;
  std::vector<redis_reply> elements_;
};

using redis_result = boost::system::result<redis_reply, std::error_code>;

std::string_view to_string(redis_reply::kind k) noexcept;

}  // namespace kemas::redis

template <>
struct std::is_error_code_enum<kemas::redis::redis_errc> : std::true_type {};
