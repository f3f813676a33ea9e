#pragma once
// Structured logs for every kemas process, on top of spdlog's default logger.
//
// After init_logging() the default logger writes to stderr, with format "json", one object
// per line (for Promtail/Loki and jq):
//   {"ts":"2026-11-21T08:50:01.123Z","level":"info","process":"kemas-api","msg":"...",<fields>}
// or, with format "text", readable lines:
//   2026-11-21T08:50:01.123Z info     kemas-api request done request_id=ab12 status=200
// Plain spdlog calls (spdlog::warn("x {}", y)) keep working and give the same line with
// only "msg".
//
// Fields are typed key/value pairs, rendered as JSON values (strings escaped, invalid UTF-8
// replaced), e.g.
//   kemas::log::info("request done", {{"request_id", id}, {"status", 200}, {"duration_ms", 1.5}});
// Keys "ts", "level", "process" and "msg" are taken by the line itself; do not use them.
//
// Threading: the log functions may be called from any thread. They render the line and hand
// it to a log thread through a bounded queue (log.queue_lines); when the queue is full the
// oldest waiting line is dropped and counted (lines_dropped()), so no caller ever waits for
// stderr. init_logging() swaps the default logger: call it once at start, before other
// threads log; stop_logging() at the end writes what is still queued.
// Lifetime: a field holds views of the caller's strings; they are read before the call
// returns and never kept.
// Errors: logging does not throw (spdlog reports its own I/O failures on stderr), except
// std::bad_alloc.

#include <concepts>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "adapters/config/settings.hpp"

namespace spdlog::sinks {
class sink;
}

namespace kemas::log {

enum class level { trace, debug, info, warn, error, critical };

// One field value: a string (viewed, not copied), a signed or unsigned integer, a double
// (NaN and infinities are written as null) or a boolean.
class value {
 public:
  enum class type { string, int64, uint64, real, boolean };

  value(std::string_view v) noexcept : type_(type::string), text_(v) {}
  value(const char* v) noexcept : type_(type::string), text_(v != nullptr ? v : "") {}
  value(const std::string& v) noexcept : type_(type::string), text_(v) {}
  template <std::signed_integral T>
  requires(!std::same_as<T, char>) value(T v)
  noexcept : type_(type::int64), int_(v) {}
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) value(T v)
  noexcept : type_(type::uint64), uint_(v) {}
  value(double v) noexcept : type_(type::real), real_(v) {}
  value(bool v) noexcept : type_(type::boolean), bool_(v) {}

  type kind() const noexcept { return type_; }
  std::string_view text() const noexcept { return text_; }
  std::int64_t int64() const noexcept { return int_; }
  std::uint64_t uint64() const noexcept { return uint_; }
  double real() const noexcept { return real_; }
  bool boolean() const noexcept { return bool_; }

 private:
  type type_;
  std::string_view text_;
  std::int64_t int_ = 0;
  std::uint64_t uint_ = 0;
  double real_ = 0;
  bool bool_ = false;
};

struct field {
  std::string_view key;
  value val;
};

// How lines reach the sink: through the log thread's bounded queue (every process), or
// written by the caller (tests that read their lines right after logging them).
enum class delivery { queued, direct };

// Configures spdlog's default logger (level and format from `settings`, process name on every
// line). `sink` replaces stderr (tests pass an ostream sink; its formatter is replaced).
// Unknown level names fall back to "info", unknown formats to "json" (the loader has already
// refused both).
void init_logging(const config::log_settings& settings, std::string_view process_name,
                  std::shared_ptr<spdlog::sinks::sink> sink = nullptr,
                  delivery how = delivery::queued);

// Writes the lines still queued and joins the log thread; later lines go to stderr directly.
// Call before main() returns.
void stop_logging();

// Lines dropped because the queue was full, since start (kemas_log_lines_dropped_total).
std::uint64_t lines_dropped();

// Whether a line at `lvl` would be written (to skip building expensive fields).
bool enabled(level lvl) noexcept;

// Writes one line; fields in the order given.
void emit(level lvl, std::string_view message, std::span<const field> fields);
inline void emit(level lvl, std::string_view message, std::initializer_list<field> fields = {}) {
  emit(lvl, message, std::span<const field>(fields.begin(), fields.size()));
}

// log::info("upload committed", {{"request_id", id}, {"size", n}}) and its siblings: one
// callable per level.
struct level_logger {
  level at;
  void operator()(std::string_view message, std::initializer_list<field> fields = {}) const {
    emit(at, message, fields);
  }
};
inline constexpr level_logger trace{level::trace}, debug{level::debug}, info{level::info},
    warn{level::warn}, error{level::error}, critical{level::critical};

// what() of a stored exception; "unknown exception" when it is not a std::exception.
std::string exception_text(const std::exception_ptr& thrown);

// A completion handler for co_spawn of work whose failure nobody awaits: logs the exception
// at error level as {"msg": message, "error": what()}. `message` must outlive the work (a
// string literal).
struct log_failure {
  const char* message;
  void operator()(const std::exception_ptr& thrown) const;
};

}  // namespace kemas::log
