// kemas put: uploads files, several at a time, each streamed from disk with a progress bar;
// files above 1 MiB resumably (tus), so running it again after an interruption sends only
// what the server does not hold yet.
#include <CLI/CLI.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <fstream>
#include <variant>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "file_lookup.hpp"
#include "output.hpp"
#include "tus_upload.hpp"

namespace kemas::cli {
namespace {

struct put_options {
  std::vector<std::string> files;
  std::string name;       // only with one file
  unsigned parallel = 3;  // files in flight
  std::uint64_t limit_rate = 0;  // bytes per second per file; 0: no limit
};

// Files above this go through tus (tus_upload.hpp) and resume where a run before stopped;
// smaller ones are one plain upload request, which costs less and is over before it matters.
constexpr std::uint64_t resumable_above = 1024 * 1024;

std::string content_type_of(const std::filesystem::path& file) {
  static const std::pair<const char*, const char*> types[] = {
      {".txt", "text/plain"}, {".md", "text/markdown"}, {".csv", "text/csv"},
      {".html", "text/html"}, {".json", "application/json"}, {".pdf", "application/pdf"},
      {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
      {".gif", "image/gif"}, {".svg", "image/svg+xml"}, {".zip", "application/zip"},
      {".gz", "application/gzip"}, {".tar", "application/x-tar"}, {".mp4", "video/mp4"},
      {".mp3", "audio/mpeg"}};
  const auto ext = file.extension().string();
  for (const auto& [suffix, type] : types) {
    if (ext == suffix)
      return type;
  }
  return "application/octet-stream";
}

// An accepted upload the worker had not committed yet: wait for its outcome.
api_response wait_committed(api_client& api, const std::string& upload_id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  auto delay = std::chrono::milliseconds(200);
  while (true) {
    auto answer = api.call("GET", "/api/v1/auth/uploads/" + upload_id);
    if (!answer.ok())
      return answer;
    const auto upload = answer.json().as_object();
    const auto state = upload.at("state").as_string();
    if (state == "committed") {
      answer.body = boost::json::serialize(upload.at("file"));
      return answer;
    }
    if (state == "rejected") {
      answer.status = 409;
      answer.body = R"({"error":{"code":"rejected","message":"the upload was refused: )" +
                    std::string(upload.at("reason").as_string()) + R"("}})";
      return answer;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      answer.status = 503;
      answer.body = R"({"error":{"message":"the upload was accepted but is not stored yet"}})";
      return answer;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

// After a retry meets name_taken: the file under that name, answered as a 201, when it is this
// one (same SHA-256), stored by an earlier try whose answer never arrived; nullopt otherwise.
std::optional<api_response> stored_already(api_client& api, const std::string& name,
                                           const std::filesystem::path& file) {
  auto found = find_file(api, name);
  const auto* stored = std::get_if<boost::json::object>(&found);
  if (stored == nullptr || stored->at("sha256").as_string() != sha256_of_file(file))
    return std::nullopt;
  api_response r;
  r.status = 201;
  r.body = boost::json::serialize(*stored);
  return r;
}

int put(const global_options& options, const put_options& put) {
  if (!put.name.empty() && put.files.size() != 1) {
    print_error("--name needs exactly one file");
    return exit_usage;
  }
  {
    api_client first(options);
    if (!first.prepare_credentials()) {
      print_error("not logged in: run kemas login, or set KEMAS_API_KEY");
      return exit_unauthenticated;
    }
  }
  std::mutex lock;
  // One bar for the whole run: the bytes of every file, whichever thread sends them.
  std::vector<std::uint64_t> sent(put.files.size(), 0);
  std::uint64_t total = 0;
  for (const auto& f : put.files)
    total += std::filesystem::file_size(f);
  progress_bar bar(put.files.size() == 1 ? std::filesystem::path(put.files[0]).filename().string()
                                         : std::to_string(put.files.size()) + " files",
                   !options.json);
  boost::json::array uploaded;
  boost::json::array failed;
  int exit_code = exit_ok;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    api_client api(options);
    api.limit_send_rate(put.limit_rate);
    for (std::size_t i = next++; i < put.files.size(); i = next++) {
      const std::filesystem::path file = put.files[i];
      const std::string name = put.name.empty() ? file.filename().string() : put.name;
      const progress_callback on_progress = [&, i](std::uint64_t done, std::uint64_t) {
        std::lock_guard guard(lock);
        sent[i] = done;
        std::uint64_t all = 0;
        for (auto n : sent)
          all += n;
        bar.update(all, total);
      };
      const auto send = [&] {
        return api.upload("/api/v1/auth/files/upload?name=" + url_encode(name), file.string(),
                          content_type_of(file), on_progress);
      };
      api_response answer;
      std::optional<std::uint64_t> resumed_from;
      if (std::filesystem::file_size(file) > resumable_above) {
        auto resumable = tus_put(api, options.retries, file, name, content_type_of(file),
                                 on_progress);
        answer = std::move(resumable.answer);
        resumed_from = resumable.resumed_from;
        if (answer.status == 202)
          answer = wait_committed(api, std::string(answer.json().as_object().at("id").as_string()));
      }
      for (unsigned attempt = 0; !resumed_from; ++attempt) {
        answer = send();
        if (answer.status == 202)
          answer = wait_committed(api, std::string(answer.json().as_object().at("id").as_string()));
        // A try whose answer was lost may have been stored: its own name is then taken.
        if (attempt > 0 && answer.status == 409) {
          if (auto stored = stored_already(api, name, file))
            answer = std::move(*stored);
        }
        if (answer.ok() || !is_transient(answer) || attempt >= options.retries)
          break;
        const auto wait = retry_delay(answer, attempt + 1);
        if (!options.json)
          print_error(name + ": " + describe_failure(answer) + "; sending it again in " +
                      std::to_string(wait.count()) + " ms");
        std::this_thread::sleep_for(wait);
      }
      std::lock_guard guard(lock);
      bar.finish();  // a result line starts on a line of its own; the bar redraws below it
      if (answer.ok()) {
        auto stored = answer.json().as_object();
        if (!options.json) {
          std::cout << "uploaded " << name << " ("
                    << human_size(stored.at("size").to_number<std::uint64_t>()) << ") "
                    << stored.at("id").as_string().c_str() << "\n";
        }
        if (resumed_from)
          stored["resumed_from"] = *resumed_from;
        uploaded.push_back(stored);
      } else {
        const auto why = answer.status == 0 && answer.transport_error.rfind("cannot read", 0) == 0
                             ? answer.transport_error : describe_failure(answer);
        if (!options.json)
          print_error(name + ": " + why);
        failed.push_back(boost::json::object{{"file", file.string()}, {"error", why}});
        if (exit_code == exit_ok)
          exit_code = answer.transport_error.rfind("cannot read", 0) == 0 ? exit_failed
                                                                         : exit_code_for(answer);
      }
    }
  };
  std::vector<std::thread> threads;
  const auto count = std::min<std::size_t>(put.parallel, put.files.size());
  for (std::size_t t = 0; t < count; ++t)
    threads.emplace_back(worker);
  for (auto& t : threads)
    t.join();
  if (options.json)
    print_json(boost::json::object{{"uploaded", uploaded}, {"failed", failed}});
  return exit_code;
}

}  // namespace

command add_put_command(CLI::App& app) {
  auto* sub = app.add_subcommand("put", "upload files");
  auto o = std::make_shared<put_options>();
  sub->add_option("files", o->files, "files to upload")->required()->check(CLI::ExistingFile);
  sub->add_option("--name,-n", o->name, "the name to store it under (one file only)");
  sub->add_option("--parallel,-j", o->parallel, "files uploaded at the same time (1-16)")
      ->check(CLI::Range(1, 16));
  sub->add_option("--limit-rate", o->limit_rate,
                  "send at most this many bytes per second per file (e.g. 500k, 20M)")
      ->transform(CLI::AsSizeValue(false));
  return {sub, [o](const global_options& g) { return put(g, *o); }};
}

}  // namespace kemas::cli
