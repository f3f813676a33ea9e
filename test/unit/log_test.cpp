// Structured logging: JSON lines that parse, typed fields, escaping, text format, levels.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <optional>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "adapters/log/json_escape.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/log/repeat_gate.hpp"
#include "domain/non_copyable.hpp"

namespace {

namespace json = boost::json;

// Routes the default logger into a string for one test; restores stderr text logging after,
// so a failing test cannot leave a dangling stream behind.
class captured_log : kemas::non_copyable {
 public:
  explicit captured_log(std::string format, std::string level = "info") {
    kemas::config::log_settings settings;
    settings.format = std::move(format);
    settings.level = std::move(level);
    kemas::log::init_logging(settings, "kemas-test",
                             std::make_shared<spdlog::sinks::ostream_sink_mt>(out_),
                             kemas::log::delivery::direct);
  }
  ~captured_log() {
    kemas::config::log_settings settings;
    settings.format = "text";
    kemas::log::init_logging(settings, "kemas_unit_tests", nullptr, kemas::log::delivery::direct);
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);)
      result.push_back(line);
    return result;
  }

 private:
  std::ostringstream out_;
};

std::string escaped(std::string_view text) {
  std::string out;
  kemas::log::append_json_string(out, text);
  return out;
}

}  // namespace

TEST_CASE("json lines carry ts / level / process / msg and typed fields") {
  captured_log log("json");
  std::string id = "req-42";
  kemas::log::info("request done", {{"request_id", id},
                                    {"status", 200},
                                    {"bytes", std::size_t{1} << 40},
                                    {"duration_ms", 1.5},
                                    {"cached", false},
                                    {"delta", -3}});
  auto lines = log.lines();
  REQUIRE(lines.size() == 1);
  auto object = json::parse(lines[0]).as_object();
  auto ts = json::value_to<std::string>(object.at("ts"));
  CHECK(ts.size() == 24);  // 2026-11-21T08:50:01.123Z
  CHECK(ts[10] == 'T');
  CHECK(ts.back() == 'Z');
  CHECK(object.at("level") == "info");
  CHECK(object.at("process") == "kemas-test");
  CHECK(object.at("msg") == "request done");
  CHECK(object.at("request_id") == "req-42");
  CHECK(object.at("status").as_int64() == 200);
  CHECK(object.at("bytes").to_number<std::uint64_t>() == (std::uint64_t{1} << 40));
  CHECK(object.at("duration_ms").as_double() == 1.5);
  CHECK(object.at("cached").as_bool() == false);
  CHECK(object.at("delta").as_int64() == -3);
}

TEST_CASE("json lines stay valid with quotes / control characters and invalid UTF-8") {
  captured_log log("json");
  std::string nasty = "a \"quoted\" \\ path\nnext\tline \x01 caf\xc3\xa9 bad\xff\xfe end";
  kemas::log::warn(nasty, {{"name", nasty}, {"nan", std::numeric_limits<double>::quiet_NaN()}});
  spdlog::error("plain spdlog {} with \"quotes\"", 7);
  auto lines = log.lines();
  REQUIRE(lines.size() == 2);
  auto first = json::parse(lines[0]).as_object();
  CHECK(first.at("level") == "warn");
  auto msg = json::value_to<std::string>(first.at("msg"));
  CHECK(msg.starts_with("a \"quoted\" \\ path\nnext\tline \x01 caf\xc3\xa9 bad"));
  CHECK(msg.find("\xef\xbf\xbd\xef\xbf\xbd") != std::string::npos);  // two U+FFFD
  CHECK(first.at("name") == first.at("msg"));
  CHECK(first.at("nan").is_null());
  auto second = json::parse(lines[1]).as_object();
  CHECK(second.at("level") == "error");
  CHECK(second.at("msg") == "plain spdlog 7 with \"quotes\"");
}

TEST_CASE("levels below the configured one are not written") {
  captured_log log("json", "warn");
  CHECK_FALSE(kemas::log::enabled(kemas::log::level::info));
  CHECK(kemas::log::enabled(kemas::log::level::error));
  kemas::log::info("hidden");
  kemas::log::debug("hidden");
  kemas::log::error("shown");
  auto lines = log.lines();
  REQUIRE(lines.size() == 1);
  CHECK(json::parse(lines[0]).at("msg") == "shown");
}

TEST_CASE("text format is readable key=value") {
  captured_log log("text");
  kemas::log::info("request done",
                   {{"request_id", "abc"}, {"status", 200}, {"route", "GET /a b"}, {"ok", true}});
  auto lines = log.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("kemas-test request done request_id=abc status=200 "
                      "route=\"GET /a b\" ok=true") != std::string::npos);
  CHECK(lines[0].find("info") != std::string::npos);
  CHECK(lines[0].find('{') == std::string::npos);
}

TEST_CASE("append_json_string escapes exactly what JSON requires") {
  CHECK(escaped("") == "\"\"");
  CHECK(escaped("plain") == "\"plain\"");
  CHECK(escaped("q\"b\\") == "\"q\\\"b\\\\\"");
  CHECK(escaped("\n\r\t\b\f") == "\"\\n\\r\\t\\b\\f\"");
  CHECK(escaped(std::string_view("\x00\x1f", 2)) == "\"\\u0000\\u001f\"");
  CHECK(escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  CHECK(escaped("\xc0\xaf") == "\"\\ufffd\\ufffd\"");                        // overlong '/'
  CHECK(escaped("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");             // surrogate
  CHECK(escaped("\xe2\x82") == "\"\\ufffd\\ufffd\"");                        // truncated
  CHECK(escaped("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
}

namespace {

// A sink that has fallen behind, like a stuck terminal or log shipper: it takes no line until
// the test opens it (a gate, not a delay: how far behind it is does not depend on timing).
class held_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void open() {
    {
      std::lock_guard lock(gate_mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  // Only once open: a held sink_it_ keeps base_sink's mutex.
  std::size_t written() {
    std::lock_guard lock(mutex_);
    return written_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg&) override {
    std::unique_lock lock(gate_mutex_);
    opened_.wait(lock, [this] { return open_; });
    ++written_;
  }
  void flush_() override {}

 private:
  std::mutex gate_mutex_;
  std::condition_variable opened_;
  bool open_ = false;
  std::size_t written_ = 0;
};

}  // namespace

TEST_CASE("queued logging: a sink that falls behind drops the oldest lines and counts them") {
  kemas::config::log_settings settings;
  settings.queue_lines = 16;
  auto sink = std::make_shared<held_sink>();
  const auto dropped_before = kemas::log::lines_dropped();
  kemas::log::init_logging(settings, "kemas-test", sink);  // queued: the default delivery
  constexpr std::size_t lines = 400;
  for (std::size_t i = 0; i < lines; ++i)
    kemas::log::info("burst", {{"i", static_cast<std::int64_t>(i)}});
  const auto dropped = kemas::log::lines_dropped() - dropped_before;
  CHECK(dropped > 0);  // the callers went on; the queue made room by dropping
  // At most the queue and the one line the held sink took are kept.
  CHECK(dropped >= lines - settings.queue_lines - 1);
  sink->open();
  kemas::log::stop_logging();  // writes what is still queued
  CHECK(sink->written() + dropped == lines);  // every line either written or counted
  CHECK(kemas::log::lines_dropped() - dropped_before == dropped);  // kept after the stop

  kemas::config::log_settings text;
  text.format = "text";
  kemas::log::init_logging(text, "kemas_unit_tests", nullptr, kemas::log::delivery::direct);
}

TEST_CASE("repeat_gate: a repeating line is written once per period with the count held back") {
  using kemas::log::repeat_gate;
  const auto period = kemas::log::repeat_every();
  REQUIRE(period > std::chrono::milliseconds(2));
  repeat_gate gate;
  const auto t0 = repeat_gate::clock::now();
  CHECK(gate.pass(t0) == std::optional<std::uint64_t>(0));  // the first one at once
  CHECK_FALSE(gate.pass(t0 + period / 2).has_value());
  CHECK_FALSE(gate.pass(t0 + period - std::chrono::milliseconds(1)).has_value());
  CHECK(gate.pass(t0 + period) == std::optional<std::uint64_t>(2));  // says what it held
  CHECK_FALSE(gate.pass(t0 + period + std::chrono::milliseconds(1)).has_value());
  gate.reset();  // the backend came back: the next outage is logged at once
  CHECK(gate.pass(t0 + period + std::chrono::milliseconds(2)) == std::optional<std::uint64_t>(0));
}

TEST_CASE("repeat_gate: its period is log.repeat_every") {
  kemas::config::log_settings settings;
  settings.repeat_every = std::chrono::milliseconds(5'000);
  kemas::log::init_logging(settings, "kemas_unit_tests", nullptr, kemas::log::delivery::direct);
  CHECK(kemas::log::repeat_every() == std::chrono::milliseconds(5'000));
  kemas::config::log_settings text;
  text.format = "text";
  kemas::log::init_logging(text, "kemas_unit_tests", nullptr, kemas::log::delivery::direct);
  CHECK(kemas::log::repeat_every() == std::chrono::milliseconds(30'000));
}
