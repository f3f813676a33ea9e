// kemas get: downloads a file into OUT.part, resuming a part left by an interrupted run
// (Range from its size, If-Range on the file's ETag), checks the SHA-256 and only then
// renames it to OUT. A part that does not verify is deleted, so the next run starts clean.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <variant>

#include "api_client.hpp"
#include "cli_command.hpp"
#include "file_lookup.hpp"
#include "output.hpp"

namespace kemas::cli {
namespace {
namespace fs = std::filesystem;

struct get_options {
  std::string file;  // id or name
  std::string out;   // default: the file's name, here
};


int get(const global_options& options, const get_options& get) {
  api_client api(options);
  auto found = find_file(api, get.file);
  if (auto* failed = std::get_if<api_response>(&found)) {
    print_error(get.file + ": " + describe_failure(*failed));
    return exit_code_for(*failed);
  }
  const auto& file = std::get<boost::json::object>(found);
  const std::string id(file.at("id").as_string());
  const std::string name(file.at("name").as_string());
  const std::string sha256(file.at("sha256").as_string());
  const auto size = file.at("size").to_number<std::uint64_t>();
  const fs::path out = get.out.empty() ? fs::path(name).filename() : fs::path(get.out);
  const fs::path part = out.string() + ".part";

  std::error_code ec;
  std::uint64_t from = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
  if (from > size) {  // not a part of this file
    fs::remove(part, ec);
    from = 0;
  }
  const std::uint64_t resumed_from = from;
  std::uint64_t received = 0;
  unsigned tries = 0;
  const std::string path = "/api/v1/auth/files/download/" + id;
  // Each try goes on from what the part holds: a dropped connection costs only what was
  // in flight, as a later run would.
  for (unsigned attempt = 0; from < size; ++attempt) {
    std::FILE* sink = std::fopen(part.c_str(), "ab");
    if (sink == nullptr) {
      print_error("cannot write " + part.string());
      return exit_failed;
    }
    ++tries;
    progress_bar bar(name, !options.json);
    const auto progress = [&bar](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
    auto answer = api.download(path, sink, from, "\"" + sha256 + "\"", progress);
    const bool closed = std::fclose(sink) == 0;
    bar.finish();
    received += answer.bytes_received;
    if (answer.status == 200 && from > 0) {
      // The whole file came instead of the rest: the part is the old bytes and then all of
      // it. Start the part over.
      fs::resize_file(part, 0, ec);
      from = 0;
      continue;
    }
    if (!closed) {
      print_error("cannot write " + part.string());
      return exit_failed;
    }
    from = fs::file_size(part, ec);
    if (answer.ok())
      break;
    if (!is_transient(answer) || attempt >= options.retries) {
      print_error(name + ": " + describe_failure(answer) +
                  (fs::exists(part, ec) ? "; run again to resume" : ""));
      return exit_code_for(answer);
    }
    const auto wait = retry_delay(answer, attempt + 1);
    if (!options.json)
      print_error(name + ": " + describe_failure(answer) + "; trying again in " +
                  std::to_string(wait.count()) + " ms (at " + human_size(from) + ")");
    std::this_thread::sleep_for(wait);
  }
  if (fs::file_size(part, ec) != size || sha256_of_file(part) != sha256) {
    fs::remove(part, ec);
    print_error(name + ": the downloaded bytes do not match the file's SHA-256; the part was "
                       "deleted, run again to download it whole");
    return exit_corrupt;
  }
  fs::rename(part, out, ec);
  if (ec) {
    print_error("cannot rename " + part.string() + " to " + out.string() + ": " + ec.message());
    return exit_failed;
  }
  if (options.json) {
    print_json(boost::json::object{{"file_id", id},      {"path", out.string()},
                                   {"size", size},        {"sha256", sha256},
                                   {"resumed_from", resumed_from}, {"bytes_received", received},
                                   {"tries", tries}});
  } else {
    std::cout << "downloaded " << name << " (" << human_size(size) << ") to " << out.string()
              << (resumed_from > 0 ? " (resumed at " + human_size(resumed_from) + ")" : "")
              << ", SHA-256 verified\n";
  }
  return exit_ok;
}

}  // namespace

command add_get_command(CLI::App& app) {
  auto* sub = app.add_subcommand("get", "download a file (resumes, verifies SHA-256)");
  auto o = std::make_shared<get_options>();
  sub->add_option("file", o->file, "the file's id or name")->required();
  sub->add_option("--output,-o", o->out, "where to write it (default: its name, here)");
  return {sub, [o](const global_options& g) { return get(g, *o); }};
}

}  // namespace kemas::cli
