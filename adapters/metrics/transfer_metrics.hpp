#pragma once
// File transfer metrics of the api (issue 4): uploads and downloads by outcome, and the
// bytes that went in and out. Thread-safe (prometheus-cpp counters are atomic).
//
//   kemas_uploads_total{outcome}      committed (201) | accepted (202, not committed yet) |
//                                     rejected (the worker refused it) | refused (the api
//                                     refused it: name, size, quota, malformed body) |
//                                     failed (a backend fault)
//   kemas_upload_bytes_total          bytes of uploads handed to the workers
//   kemas_downloads_total{outcome}    completed | aborted (the client or S3 stopped early)
//   kemas_download_bytes_total        bytes sent to clients
//   kemas_uploads_running             uploads receiving their body now (gauge)
//   kemas_upload_buffer_leased_bytes  their leased buffer memory, out of upload.buffer_budget
//
// It also keeps a tally of the downloads since the last take_download_tally(), which the api
// adds to PostgreSQL's usage_daily now and then (the admins' usage statistics): two atomic
// additions per download, one statement per flush.

#include <cstdint>
#include <memory>
#include <string_view>

#include "domain/non_copyable.hpp"

namespace kemas::metrics {

class registry;

enum class upload_outcome { committed, accepted, rejected, refused, failed };
enum class download_outcome { completed, aborted };

class transfer_metrics : kemas::non_copyable {
 public:
  explicit transfer_metrics(registry& r);
  ~transfer_metrics();

  // `bytes`: what reached storage (0 for uploads refused before the command).
  void upload_finished(upload_outcome outcome, std::uint64_t bytes);
  void download_finished(download_outcome outcome, std::uint64_t bytes);
  // An upload took its lease (upload_slots) / gave it back.
  void upload_started(std::uint64_t leased_bytes);
  void upload_ended(std::uint64_t leased_bytes);

  struct download_tally {
    std::uint64_t downloads = 0;  // every download that ended, completed or not
    std::uint64_t bytes = 0;
  };
  // What was counted since the last call, and starts over.
  download_tally take_download_tally() noexcept;
  // Puts a tally back (its flush failed), so nothing counted is lost.
  void return_download_tally(download_tally tally) noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::metrics
