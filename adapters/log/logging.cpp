#include "adapters/log/logging.hpp"
#include "adapters/log/repeat_gate.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <iterator>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "adapters/log/json_escape.hpp"
#include "domain/enum_names.hpp"

namespace kemas::log {
namespace {

// In JSON mode emit() renders the "msg" and field members itself and hands spdlog a payload
// starting with this byte; the JSON formatter copies such payloads verbatim and escapes
// every other payload (plain spdlog calls) into "msg". No text message starts with it.
constexpr char rendered_marker = '\x1e';
std::atomic<bool> json_mode{false};
std::atomic<std::int64_t> repeat_every_ms{30'000};

// The log thread and its bounded queue, while an asynchronous logger runs. The logger it
// replaced last is kept (not destroyed) so a thread still holding its raw pointer during
// stop_logging() cannot touch freed memory; such a late line is reported by spdlog instead.
struct log_thread_state {
  std::mutex mutex;
  std::shared_ptr<spdlog::details::thread_pool> pool;
  std::shared_ptr<spdlog::logger> retired;
  std::uint64_t dropped_by_stopped = 0;  // overruns of pools already stopped
};
log_thread_state& log_thread() {
  static log_thread_state state;
  return state;
}

template <class Buffer>
void put(Buffer& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

// Level names in the logs and in log.level; "warning" is also accepted on input.
constexpr enum_names<spdlog::level::level_enum, 7> level_names{
    {{spdlog::level::trace, "trace"},
     {spdlog::level::debug, "debug"},
     {spdlog::level::info, "info"},
     {spdlog::level::warn, "warn"},
     {spdlog::level::err, "error"},
     {spdlog::level::critical, "critical"},
     {spdlog::level::off, "off"}}};

spdlog::level::level_enum to_spdlog(level lvl) noexcept {
  constexpr spdlog::level::level_enum by_level[] = {spdlog::level::trace, spdlog::level::debug,
                                                    spdlog::level::info,  spdlog::level::warn,
                                                    spdlog::level::err,   spdlog::level::critical};
  static_assert(std::size(by_level) == static_cast<std::size_t>(level::critical) + 1);
  return by_level[static_cast<std::size_t>(lvl)];
}

// Unknown names mean info (the settings loader has refused them already).
spdlog::level::level_enum parse_level(std::string_view name) {
  return value_of(level_names, name == "warning" ? "warn" : name).value_or(spdlog::level::info);
}

std::string_view level_name(spdlog::level::level_enum lvl) {
  return name_of(level_names, lvl, "off");
}

void append_number(std::string& out, const value& v) {
  switch (v.kind()) {
    case value::type::int64:
      fmt::format_to(std::back_inserter(out), "{}", v.int64());
      break;
    case value::type::uint64:
      fmt::format_to(std::back_inserter(out), "{}", v.uint64());
      break;
    case value::type::real:
      if (std::isfinite(v.real())) {
        fmt::format_to(std::back_inserter(out), "{}", v.real());
      } else {
        put(out, "null");  // JSON has no NaN or infinity
      }
      break;
    case value::type::boolean:
      put(out, v.boolean() ? "true" : "false");
      break;
    case value::type::string:
      break;
  }
}

// logfmt-style: bare when unambiguous, else a JSON-quoted string.
void append_text_string(std::string& out, std::string_view text) {
  bool bare = !text.empty();
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bare = bare && u > 0x20 && u < 0x7F && c != '"' && c != '=' && c != '\\';
  }
  if (bare) {
    put(out, text);
  } else {
    append_json_string(out, text);
  }
}

class json_formatter final : public spdlog::formatter {
 public:
  explicit json_formatter(std::string process) : process_(std::move(process)) {}

  // Called with the sink's mutex held, so the timestamp cache needs no lock of its own.
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    put(dest, "{\"ts\":\"");
    append_timestamp(msg.time, dest);
    put(dest, "\",\"level\":\"");
    put(dest, level_name(msg.level));
    put(dest, "\",\"process\":");
    append_json_string(dest, process_);
    dest.push_back(',');
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!payload.empty() && payload.front() == rendered_marker) {
      put(dest, payload.substr(1));
    } else {
      put(dest, "\"msg\":");
      append_json_string(dest, payload);
    }
    put(dest, "}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(process_);
  }

 private:
  void append_timestamp(spdlog::log_clock::time_point time, spdlog::memory_buf_t& dest) {
    using namespace std::chrono;
    auto second = floor<seconds>(time);
    if (second != cached_second_ || cached_text_.empty()) {
      std::time_t t = system_clock::to_time_t(second);
      std::tm utc{};
      gmtime_r(&t, &utc);
      cached_text_ = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900,
                                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
      cached_second_ = second;
    }
    put(dest, cached_text_);
    auto millis = duration_cast<milliseconds>(time - second).count();
    fmt::format_to(std::back_inserter(dest), ".{:03}Z", millis);
  }

  std::string process_;
  std::chrono::time_point<spdlog::log_clock, std::chrono::seconds> cached_second_{};
  std::string cached_text_;
};

}  // namespace

void init_logging(const config::log_settings& settings, std::string_view process_name,
                  std::shared_ptr<spdlog::sinks::sink> sink, delivery how) {
  bool json = settings.format != "text";
  if (!sink) {
    if (json) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
  }
  if (json) {
    sink->set_formatter(std::make_unique<json_formatter>(std::string(process_name)));
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        fmt::format("%Y-%m-%dT%H:%M:%S.%eZ %^%-8l%$ {} %v", process_name),
        spdlog::pattern_time_type::utc));
  }
  stop_logging();
  std::shared_ptr<spdlog::logger> logger;
  if (how == delivery::direct) {
    logger = std::make_shared<spdlog::logger>(std::string(process_name), std::move(sink));
  } else {
    auto& state = log_thread();
    std::lock_guard lock(state.mutex);
    // One thread writes; overrun_oldest: a full queue drops its oldest line, never blocks.
    state.pool = std::make_shared<spdlog::details::thread_pool>(settings.queue_lines, 1);
    logger = std::make_shared<spdlog::async_logger>(std::string(process_name), std::move(sink),
                                                    state.pool,
                                                    spdlog::async_overflow_policy::overrun_oldest);
    // At exit, write what is queued. Registered after spdlog's registry exists, so it runs
    // before the registry is destroyed (exit runs these in reverse order of registration).
    spdlog::default_logger_raw();
    static const bool stop_at_exit = std::atexit(stop_logging) == 0;
    (void)stop_at_exit;
  }
  logger->set_level(parse_level(settings.level));
  json_mode.store(json, std::memory_order_relaxed);
  repeat_every_ms.store(settings.repeat_every.count(), std::memory_order_relaxed);
  spdlog::set_default_logger(std::move(logger));
}

void stop_logging() {
  auto& state = log_thread();
  std::lock_guard lock(state.mutex);
  if (!state.pool)
    return;
  // Later lines go straight to the same sinks; the queued ones are written by the pool's
  // destructor (it posts a stop behind them and joins its thread).
  auto current = spdlog::default_logger();
  auto direct = std::make_shared<spdlog::logger>(current->name(), current->sinks().begin(),
                                                 current->sinks().end());
  direct->set_level(current->level());
  spdlog::set_default_logger(direct);
  state.retired = std::move(current);
  state.dropped_by_stopped += state.pool->overrun_counter();
  state.pool.reset();
}

std::chrono::milliseconds repeat_every() noexcept {
  return std::chrono::milliseconds(repeat_every_ms.load(std::memory_order_relaxed));
}

std::uint64_t lines_dropped() {
  auto& state = log_thread();
  std::lock_guard lock(state.mutex);
  return state.dropped_by_stopped + (state.pool ? state.pool->overrun_counter() : 0);
}

bool enabled(level lvl) noexcept {
  auto* logger = spdlog::default_logger_raw();
  return logger != nullptr && logger->should_log(to_spdlog(lvl));
}

void emit(level lvl, std::string_view message, std::span<const field> fields) {
  auto* logger = spdlog::default_logger_raw();
  auto spdlog_level = to_spdlog(lvl);
  if (logger == nullptr || !logger->should_log(spdlog_level))
    return;
  std::string payload;
  payload.reserve(message.size() + 24 * fields.size() + 16);
  // JSON: ,"key":"value" after the message; text: key=value separated by spaces.
  const bool json = json_mode.load(std::memory_order_relaxed);
  void (*const append_string)(std::string&, std::string_view) =
      json ? &append_json_string<std::string> : &append_text_string;
  if (json) {
    payload.push_back(rendered_marker);
    put(payload, "\"msg\":");
    append_json_string(payload, message);
  } else {
    put(payload, message);
  }
  for (const auto& f : fields) {
    payload.push_back(json ? ',' : ' ');
    append_string(payload, f.key);
    payload.push_back(json ? ':' : '=');
    if (f.val.kind() == value::type::string)
      append_string(payload, f.val.text());
    else
      append_number(payload, f.val);
  }
  logger->log(spdlog_level, spdlog::string_view_t(payload.data(), payload.size()));
}

std::string exception_text(const std::exception_ptr& thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

void log_failure::operator()(const std::exception_ptr& thrown) const {
  if (thrown)
    log::error(message, {{"error", exception_text(thrown)}});
}

}  // namespace kemas::log
