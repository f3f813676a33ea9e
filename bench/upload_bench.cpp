// kemas_upload_bench: what an upload through kemas costs against writing to S3 directly.
//
// The real kemas-api and kemas-worker (--role commands) binaries run as child processes
// (bench/upload_stack.hpp: scratch database, own vhost, shared Redis and S3), and in the same
// run, against the same S3 server:
//   1. one large file (--size-mib, default 1024) as a raw body streamed from a 1 MiB pattern
//      (never held whole), timed until the api answers 201 with the worker's commit, beside
//      a streamed S3 PUT of the same size before and after it; plus the api's peak RSS growth
//      (/proc/<pid>/status) and, to show where the time goes, SHA-256 alone and an S3
//      multipart upload of the same bytes with the api's part size, one part at a time;
//      The same file through tus (POST, then one PATCH with the whole body, until its 204
//      names the committed file) beside another streamed S3 PUT (bench/upload_tus.hpp);
//   2. small files (--small-kib, default 4) uploaded back to back by N clients (--clients,
//      default 1,4,16), each waiting for its 201, against raw S3 PUTs of the same size by the
//      same number of threads before and after it (the mean), and as tus creation-with-upload
//      requests (one each).
// Absolute figures move with the machine's load; the ratios are the result. See README.md.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/null_sink.h>

#include "adapters/amqp/publisher.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/s3/client.hpp"
#include "bench/upload_client.hpp"
#include "bench/upload_large.hpp"
#include "bench/upload_phases.hpp"
#include "bench/upload_stack.hpp"
#include "bench/upload_tus.hpp"
#include "test/support/s3_fixture.hpp"
#include "test/support/test_settings.hpp"

namespace {

using namespace kemas::bench;
using kemas::test::raw_connection;

struct options {
  std::uint64_t size_mib = 1024;
  std::size_t small_kib = 4;
  std::vector<unsigned> clients{1, 4, 16};
  double seconds = 8;
  double warmup = 3;  // seconds of each kind of small upload before part 2 measures
};

// Confirmed publishes, one at a time, to a quorum queue like kemas.commands.upload (declared
// in the run's vhost, gone with it): the broker's share of every upload's latency.
std::vector<double> confirm_latency(const upload_stack& stack, int count) {
  const auto settings = stack.amqp_settings();
  kemas::amqp::topology probe;
  probe.exchanges.push_back({"bench.probe", "direct"});
  probe.queues.push_back({"bench.probe", {{"x-queue-type", std::string("quorum")}}});
  probe.bindings.push_back({"bench.probe", "bench.probe", "probe"});
  kemas::amqp::amqp_publisher publisher(settings, {"kemas upload bench probe", probe});
  std::vector<double> ms;
  for (int i = 0; i < count; ++i) {
    kemas::amqp::outgoing_message m;
    m.exchange = "bench.probe";
    m.routing_key = "probe";
    m.body = std::string(5600, 'x');  // about a 4 KiB upload command (base64 body + envelope)
    const auto t = clock_type::now();
    if (publisher.publish_sync(std::move(m)).ok() && i > 0)  // the first one connects
      ms.push_back(seconds_since(t) * 1000);
  }
  return ms;
}

// Each client on one keep-alive connection, as a sync tool uploading a folder would.
load_result api_small(upload_stack& stack, const std::vector<bench_user>& users, unsigned clients,
                      double seconds, std::string_view body, int run) {
  std::vector<std::unique_ptr<raw_connection>> connections(clients);
  return run_load(clients, seconds, [&](unsigned c, unsigned i) {
    const std::string name = "s" + std::to_string(run) + "-" + std::to_string(i) + ".bin";
    try {
      if (!connections[c])
        connections[c] = std::make_unique<raw_connection>("127.0.0.1", stack.port());
      return !upload(*connections[c], stack.port(), users[c], name, body.size(), body).empty();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "upload %s: %s\n", name.c_str(), e.what());
      connections[c].reset();
      return false;
    }
  });
}

// The same as api_small through tus: one creation-with-upload each.
load_result tus_small(upload_stack& stack, const std::vector<bench_user>& users, unsigned clients,
                      double seconds, std::string_view body, int run) {
  std::vector<std::unique_ptr<raw_connection>> connections(clients);
  return run_load(clients, seconds, [&](unsigned c, unsigned i) {
    const std::string name = "t" + std::to_string(run) + "-" + std::to_string(i) + ".bin";
    try {
      if (!connections[c])
        connections[c] = std::make_unique<raw_connection>("127.0.0.1", stack.port());
      return !tus_small_upload(*connections[c], users[c], name, body).empty();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tus upload %s: %s\n", name.c_str(), e.what());
      connections[c].reset();
      return false;
    }
  });
}

// One streamed S3 PUT of `size` pattern bytes: seconds.
double streamed_put_seconds(kemas::s3::s3_client& s3, const std::string& key, std::uint64_t size,
                            const std::string& pattern, unsigned& errors) {
  std::uint64_t offset = 0;
  const auto start = clock_type::now();
  auto done = s3.put_object(key, "application/octet-stream", size, pattern_reader(pattern, offset));
  const double s = seconds_since(start);
  if (!done)
    ++errors;
  s3.delete_object(key);
  return s;
}

load_result s3_small(kemas::s3::s3_client& s3, const std::string& prefix, unsigned clients,
                     double seconds, std::string_view body) {
  return run_load(clients, seconds, [&](unsigned c, unsigned i) {
    const std::string key = prefix + "small/" + std::to_string(c) + "/" + std::to_string(i);
    return s3.put_object(key, body).has_value();
  });
}

void row(const std::string& what, const load_result& r, const std::string& note) {
  std::printf("%-30s %6u %8.2f %8.2f %8.2f %8.2f %9.1f/s  errors %u%s\n", what.c_str(), r.ok,
              percentile(r.ms, 50), percentile(r.ms, 90), percentile(r.ms, 99),
              r.ms.empty() ? 0.0 : *std::ranges::max_element(r.ms), r.per_second(), r.errors,
              note.c_str());
}

void read_arguments(int argc, char** argv, options& o, const std::invalid_argument& usage);

// Throws std::invalid_argument with the usage on anything it does not understand.
options parse(int argc, char** argv) {
  const std::invalid_argument usage(
      "usage: kemas_upload_bench [--size-mib N (1024; 0 skips part 1)] [--small-kib K (4, at "
      "most 1024)] [--clients 1,4,16 (\"\" skips part 2)] [--seconds S (8, per row)] "
      "[--warmup S (3, per kind before part 2)]");
  options o;
  try {
    read_arguments(argc, argv, o, usage);
  } catch (const std::logic_error&) {  // a number that is not one (std::stoul and friends)
    throw usage;
  }
  if (o.small_kib == 0 || o.small_kib > mib / 1024 || o.seconds <= 0 || o.warmup <= 0 ||
      std::ranges::count(o.clients, 0u) > 0)
    throw usage;
  return o;
}

void read_arguments(int argc, char** argv, options& o, const std::invalid_argument& usage) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc)
      throw usage;
    const std::string value = argv[++i];
    if (arg == "--size-mib") {
      o.size_mib = std::stoull(value);
    } else if (arg == "--small-kib") {
      o.small_kib = std::stoul(value);
    } else if (arg == "--seconds") {
      o.seconds = std::stod(value);
    } else if (arg == "--warmup") {
      o.warmup = std::stod(value);
    } else if (arg == "--clients") {
      o.clients.clear();
      for (std::size_t at = 0; !value.empty() && at <= value.size();) {
        const auto comma = std::min(value.find(',', at), value.size());
        o.clients.push_back(static_cast<unsigned>(std::stoul(value.substr(at, comma - at))));
        at = comma + 1;
      }
    } else {
      throw usage;
    }
  }
}

// Everything the run shares: settings as the children load them, the direct S3 client, the
// processes, the byte pattern, and what the sections report.
struct bench_run {
  kemas::config::settings settings = kemas::test::test_settings();
  kemas::s3::s3_client s3 = kemas::s3::s3_client(kemas::test::s3_settings_from_env())
                                .with_timeout(std::chrono::minutes(30));
  std::string prefix = kemas::test::unique_s3_prefix("bench-upload");  // direct S3 keys
  std::string pattern = make_pattern(mib);
  upload_stack& stack;
  unsigned errors = 0;
};

// Part 1: prints its table, returns its summary.
std::string large_section(bench_run& b, std::uint64_t size_mib) {
  const std::uint64_t size = size_mib * mib;
  const std::size_t part_size = b.settings.upload.part_size;
  const auto user = b.stack.premium_user("big");
  const auto f = measure_large(b.stack, user, b.s3, b.prefix, b.pattern, size, part_size);
  b.errors += f.errors;
  const double put = (f.put_before + f.put_after) / 2;
  std::printf("1. one %llu MiB file, one client (MB = 10^6 bytes)    seconds     MB/s\n",
              static_cast<unsigned long long>(size_mib));
  std::printf("   S3 PUT streamed, before                    %10.2f %8.1f\n", f.put_before,
              mb_per_s(size, f.put_before));
  std::printf(
      "   api upload, until 201 committed            %10.2f %8.1f  = %.2fx S3 PUT "
      "(mean of before/after)\n",
      f.api, mb_per_s(size, f.api), put / f.api);
  std::printf("   S3 PUT streamed, after                     %10.2f %8.1f\n", f.put_after,
              mb_per_s(size, f.put_after));
  std::printf("   where the api's time goes:\n");
  std::printf("     body sent (until the last byte left)     %10.2f %8.1f\n", f.api_sent,
              mb_per_s(size, f.api_sent));
  std::printf("     after the last byte until 201            %10.2f\n", f.api - f.api_sent);
  std::printf("     SHA-256 alone (in-process, one core)     %10.2f %8.1f\n", f.sha,
              mb_per_s(size, f.sha));
  std::printf(
      "     S3 multipart, parts one at a time        %10.2f %8.1f  (in-process, %zu KiB "
      "parts)\n",
      f.parts, mb_per_s(size, f.parts), part_size / 1024);
  std::printf("     S3 complete multipart                    %10.2f\n", f.complete);
  std::printf("     api vs that multipart (parts + complete)  = %.2fx its throughput\n",
              (f.parts + f.complete) / f.api);
  const double growth_mib =
      (static_cast<double>(f.hwm_after) - static_cast<double>(f.rss_before)) / 1024;
  // The buffer that bounds the api's memory depends on the path the body took.
  const bool streamed_put = size <= b.settings.upload.single_put_max;
  const std::size_t bound = streamed_put ? b.settings.upload.put_buffer : part_size;
  std::printf(
      "   api memory: VmRSS before %.1f MiB (VmHWM %.1f), VmHWM after %.1f MiB, highest "
      "VmRSS sampled %.1f MiB\n"
      "   peak RSS growth %.1f MiB = %.2f x upload.%s (the body went as %s)\n\n",
      f.rss_before / 1024.0, f.hwm_before / 1024.0, f.hwm_after / 1024.0,
      f.rss_peak_sampled / 1024.0, growth_mib, growth_mib * mib / static_cast<double>(bound),
      streamed_put ? "put_buffer" : "part_size",
      streamed_put ? "one streamed PUT" : "a multipart upload");
  // tus: the same bytes as POST + one PATCH, beside another PUT right after it.
  const auto tus_user = b.stack.premium_user("tus");
  raw_connection c("127.0.0.1", b.stack.port());
  auto t = clock_type::now();
  const std::string tus_file = tus_upload(c, tus_user, "large-tus.bin", size, b.pattern);
  const double tus = seconds_since(t);
  if (tus_file.empty())
    ++b.errors;
  kemas::test::delete_s3_prefix(b.s3, "u/" + tus_user.id + "/");
  const double put_after_tus =
      streamed_put_seconds(b.s3, b.prefix + "large-after-tus", size, b.pattern, b.errors);
  const double tus_put = (f.put_after + put_after_tus) / 2;
  std::printf(
      "   tus: POST + one PATCH, until 204 committed %8.2f %8.1f  = %.2fx S3 PUT (mean of the "
      "PUTs before and after it: %.2f s)\n"
      "     = %.2fx the same bytes as the in-process multipart upload above (parts + complete):\n"
      "     resumable means multipart, whose complete this S3 server pays by copying every byte\n\n",
      tus, mb_per_s(size, tus), tus_put / tus, tus_put, (f.parts + f.complete) / tus);
  char line[320];
  std::snprintf(line, sizeof line,
                "%llu MiB: api %.1f MB/s vs S3 PUT %.1f MB/s = %.2fx, api RSS +%.1f MiB; tus "
                "%.1f MB/s = %.2fx S3 PUT, %.2fx in-process multipart",
                static_cast<unsigned long long>(size_mib), mb_per_s(size, f.api),
                mb_per_s(size, put), put / f.api, growth_mib, mb_per_s(size, tus),
                tus_put / tus, (f.parts + f.complete) / tus);
  return line;
}

void print_phases(const upload_phases& p) {
  std::printf(
      "     phases p50/p90 ms (api+worker logs, n=%zu): received %.0f/%.0f, worker "
      "%.0f/%.0f (handler %.1f/%.1f), answered %.0f/%.0f\n",
      p.total.size(), percentile(p.received, 50), percentile(p.received, 90),
      percentile(p.worker, 50), percentile(p.worker, 90), percentile(p.handler, 50),
      percentile(p.handler, 90), percentile(p.answered, 50), percentile(p.answered, 90));
}

// Part 2: prints its table, returns its summary.
std::string small_section(bench_run& b, const options& o) {
  const std::string body = b.pattern.substr(0, o.small_kib * 1024);
  std::vector<bench_user> users;
  for (unsigned c = 0; c < *std::ranges::max_element(o.clients); ++c)
    users.push_back(b.stack.premium_user("small" + std::to_string(c)));
  // Warm-up at full load, unmeasured: pools, connections, caches, and the S3 server's
  // JIT. With 1 s at one client, the first measured phase of a run was the slowest: the
  // baseline after the api measured 1.2-1.35x the one before it, and whichever of the plain
  // and tus routes ran second 1.1-1.45x the first (2026-12-06, 14 runs).
  const unsigned most = *std::ranges::max_element(o.clients);
  s3_small(b.s3, b.prefix + "warm/", most, o.warmup, body);
  api_small(b.stack, users, most, o.warmup, body, 0);
  tus_small(b.stack, users, most, o.warmup, body, 0);
  const auto before = b.stack.committed_files();
  std::printf("2. %zu KiB files, back to back      n   p50 ms   p90 ms   p99 ms   max ms\n",
              o.small_kib);
  unsigned committed = 0;
  std::string summary = std::to_string(o.small_kib) + " KiB files:";
  int run = 0;
  for (unsigned n : o.clients) {
    // The baseline runs before and after the api and the ratio is against their mean, as in
    // part 1: the S3 server's rate drifts within a run (869-1006 PUTs/s, 2026-12-06).
    const auto put = s3_small(b.s3, b.prefix + "before/", n, o.seconds, body);
    const double from = wall_ms();
    const auto api = api_small(b.stack, users, n, o.seconds, body, ++run);
    const auto phases = read_upload_phases(upload_stack::api_log(), upload_stack::worker_log(),
                                           body.size(), from, wall_ms());
    const auto put_after = s3_small(b.s3, b.prefix + "after/", n, o.seconds, body);
    b.errors += put.errors + put_after.errors + api.errors;
    committed += api.ok;
    const double put_rate = (put.per_second() + put_after.per_second()) / 2;
    const double ratio = api.per_second() / put_rate;
    row("   S3 PUT, " + std::to_string(n) + " clients, before", put, "");
    row("   S3 PUT, " + std::to_string(n) + " clients, after", put_after, "");
    char note[80];
    std::snprintf(note, sizeof note, "  = %.3fx S3 PUTs/s (mean of both)", ratio);
    row("   api 201, " + std::to_string(n) + " clients", api, note);
    print_phases(phases);
    const auto tus = tus_small(b.stack, users, n, o.seconds, body, run);
    b.errors += tus.errors;
    committed += tus.ok;
    const double tus_ratio = tus.per_second() / api.per_second();
    std::snprintf(note, sizeof note, "  = %.3fx the plain route's uploads/s", tus_ratio);
    row("   tus 201, " + std::to_string(n) + " clients", tus, note);
    char line[200];
    std::snprintf(line, sizeof line,
                  "%s %u clients %.1f uploads/s vs %.1f PUTs/s = %.3fx (tus %.1f/s = %.2fx plain)",
                  run == 1 ? "" : ",", n, api.per_second(), put_rate, ratio,
                  tus.per_second(), tus_ratio);
    summary += line;
  }
  const auto confirms = confirm_latency(b.stack, 51);
  std::printf(
      "   a confirmed publish to a quorum queue alone (in-process, %zu in a row): p50 "
      "%.2f ms, p90 %.2f ms\n",
      confirms.size(), percentile(confirms, 50), percentile(confirms, 90));
  const auto after = b.stack.committed_files();
  std::printf("   files committed in the database: %lld (201 answers: %u)\n",
              after.first - before.first, committed);
  if (after.first - before.first != static_cast<long long>(committed))
    ++b.errors;
  for (const auto& u : users)
    kemas::test::delete_s3_prefix(b.s3, "u/" + u.id + "/");
  return summary;
}

int run(const options& o) {
  // The bench's own log lines (the scratch database's migrations) would break up the table.
  kemas::log::init_logging({}, "kemas-upload-bench",
                           std::make_shared<spdlog::sinks::null_sink_mt>());
  print_machine_line("upload");
  upload_stack stack;
  bench_run b{.stack = stack};
  kemas::test::ensure_s3_bucket(b.s3);
  const auto& s = b.settings;
  std::printf(
      "kemas-api + kemas-worker --role commands as child processes; database %s, vhost "
      "%s\nupload.single_put_max %llu MiB, put_buffer %zu KiB, part_size %zu KiB, "
      "parts_in_flight %u, inline_max %zu KiB, wait %lld ms; s3.threads %u; "
      "worker.handler_threads %u; http.io_threads %u\n\n",
      stack.database().c_str(), stack.vhost().c_str(),
      static_cast<unsigned long long>(s.upload.single_put_max / mib), s.upload.put_buffer / 1024,
      s.upload.part_size / 1024, s.upload.parts_in_flight,
      s.upload.inline_max / 1024, static_cast<long long>(s.upload.wait.count()), s.s3.threads,
      s.worker.handler_threads, s.http.io_threads);

  std::string summary;
  if (o.size_mib > 0)
    summary = large_section(b, o.size_mib);
  if (!o.clients.empty())
    summary += (summary.empty() ? "" : "; ") + small_section(b, o);
  kemas::test::delete_s3_prefix(b.s3, b.prefix);
  std::printf("load average at the end: %s\n\n%s\n", load_average().c_str(), summary.c_str());
  return b.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return exit_code_of("kemas_upload_bench", [&] { return run(parse(argc, argv)); });
}
