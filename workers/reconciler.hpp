#pragma once
// reconcile(): compares the bucket with the files table in one ordered pass (both sides in
// byte order of the object key, a merge join page by page) and finds
//   - orphans: objects under the key prefix that no live file, scheduled removal or upload
//     in flight accounts for. Older than `grace`, they are quarantined: their removal is
//     scheduled `quarantine` from now (object_cleanup), so an operator has that long to look
//     before the object cleaner deletes them; younger ones are left alone (an inline upload
//     between the worker's PUT and its commit looks the same for a moment);
//   - missing objects: live files whose object is not in the bucket (reported only: the
//     bytes are gone, only an operator can decide).
// A dry run changes nothing. Cost per page of `page_size` objects: one LIST, two statements.
// Run by the reconciler role of kemas-worker every worker.reconcile_interval and by
// `kemas-admin reconcile [--dry-run]`.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "domain/ports/object_store.hpp"
#include "domain/ports/reconcile_store.hpp"

namespace kemas::worker {

struct reconcile_options {
  bool dry_run = false;
  std::string prefix = "u/";                     // where kemas keeps objects
  std::chrono::milliseconds grace{86'400'000};    // worker.reconcile_grace
  std::chrono::milliseconds quarantine{86'400'000};  // worker.reconcile_quarantine
  unsigned page_size = 1000;
  std::size_t sample_size = 20;  // keys kept for the report, per kind
};

struct reconcile_report {
  std::size_t objects = 0;        // objects listed
  std::size_t live_files = 0;     // live files compared
  std::size_t orphans = 0;        // unaccounted objects older than grace
  std::size_t young = 0;          // unaccounted objects younger than grace: left alone
  std::size_t quarantined = 0;    // orphans newly scheduled for removal (0 in a dry run)
  std::size_t missing = 0;        // live files without their object
  std::vector<std::string> orphan_sample;
  std::vector<std::string> missing_sample;
};

// Throws kemas::backend_unavailable when the database fails, std::runtime_error when the
// bucket cannot be listed.
reconcile_report reconcile(ports::object_store& bucket, ports::reconcile_store& store,
                           const reconcile_options& options);

}  // namespace kemas::worker
