#pragma once
// Where a small upload's time goes, read back from the JSON logs of the bench's kemas-api and
// kemas-worker (one line per event, request_id carried from the api into the worker):
//   received   api: request start -> "upload submitted" (auth, admission queries, body,
//              uploads row, publish + broker confirm)
//   worker     "upload submitted" -> worker's "upload committed" (queue delivery, the
//              handler: S3 PUT of the inline body, the PostgreSQL transaction)
//   handler    the worker's own "command done" duration_ms (part of `worker`)
//   answered   "upload committed" -> the api's "http request" line (the api checks the uploads
//              row at once, then 5, 15, 35, 75 ms ... after submitting: settle_wait.hpp)
// Log timestamps have millisecond resolution, so phases are good to about 1 ms. Counted are
// uploads of exactly `size` bytes that started within [from_ms, to_ms] (ms since the epoch,
// system clock). If the log messages change, the phases come back empty.

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace kemas::bench {

// ms since the epoch on the system clock, comparable with the logs' timestamps.
inline double wall_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct upload_phases {
  std::vector<double> received, worker, handler, answered, total;  // ms
};

namespace detail {

// "2026-11-21T11:44:56.781Z" -> ms since the epoch (0 when malformed).
inline double log_time_ms(std::string_view ts) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(std::string(ts).c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000 + ms;
}

struct request_times {
  double started = 0, submitted = 0, committed = 0, answered = 0, handler = 0;
  bool counted = false;  // an upload of the size asked for
};

// Calls fn(object) for every JSON object line of `path`.
template <class F>
void each_log_line(const std::string& path, F fn) {
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (!ec && value.is_object())
      fn(value.as_object());
  }
}

inline std::string text(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline double number(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_number() ? v->to_number<double>() : 0.0;
}

}  // namespace detail

inline upload_phases read_upload_phases(const std::string& api_log, const std::string& worker_log,
                                        std::uint64_t size, double from_ms, double to_ms) {
  std::map<std::string, detail::request_times> requests;
  detail::each_log_line(api_log, [&](const boost::json::object& o) {
    const std::string msg = detail::text(o, "msg");
    auto& r = requests[detail::text(o, "request_id")];
    const double at = detail::log_time_ms(detail::text(o, "ts"));
    if (msg == "upload submitted") {
      r.submitted = at;
      r.counted = detail::number(o, "size") == static_cast<double>(size);
    } else if (msg == "http request" && detail::text(o, "route") == "/api/v1/auth/files/upload") {
      r.answered = at;
      r.started = at - detail::number(o, "duration_ms");
    }
  });
  detail::each_log_line(worker_log, [&](const boost::json::object& o) {
    auto found = requests.find(detail::text(o, "request_id"));
    if (found == requests.end())
      return;
    const std::string msg = detail::text(o, "msg");
    if (msg == "upload committed")
      found->second.committed = detail::log_time_ms(detail::text(o, "ts"));
    else if (msg == "command done")
      found->second.handler = detail::number(o, "duration_ms");
  });
  upload_phases out;
  for (const auto& [id, r] : requests) {
    if (!r.counted || r.answered == 0 || r.committed == 0 || r.started < from_ms ||
        r.started > to_ms)
      continue;
    out.received.push_back(r.submitted - r.started);
    out.worker.push_back(r.committed - r.submitted);
    out.handler.push_back(r.handler);
    out.answered.push_back(r.answered - r.committed);
    out.total.push_back(r.answered - r.started);
  }
  return out;
}

}  // namespace kemas::bench
