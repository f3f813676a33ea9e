#pragma once
// Lets a repeating log line through once per period: the first at once, later ones at most
// once per `log.repeat_every`, each saying how many were held back since the last. For lines
// a retry loop would otherwise write every second while a backend is down ("cannot connect",
// "not published"); reset() when the backend is back, so the next outage is logged at once.
//
// Threading: one gate per loop; not for concurrent use.

#include <chrono>
#include <cstdint>
#include <optional>

namespace kemas::log {

// The period every gate uses (log.repeat_every, set by init_logging; 30 s before that).
std::chrono::milliseconds repeat_every() noexcept;

class repeat_gate {
 public:
  using clock = std::chrono::steady_clock;

  // nullopt: hold this line back. Otherwise write it, with the returned count of lines held
  // back since the last one written (0 the first time).
  std::optional<std::uint64_t> pass(clock::time_point now = clock::now()) {
    if (written_ && now - *written_ < repeat_every()) {
      ++held_;
      return std::nullopt;
    }
    written_ = now;
    const std::uint64_t held = held_;
    held_ = 0;
    return held;
  }

  void reset() noexcept {
    written_.reset();
    held_ = 0;
  }

 private:
  std::optional<clock::time_point> written_;
  std::uint64_t held_ = 0;
};

}  // namespace kemas::log
