#include "workers/reconciler.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <stdexcept>

namespace kemas::worker {
namespace {

void keep_sample(std::vector<std::string>& sample, const std::string& key, std::size_t limit) {
  if (sample.size() < limit)
    sample.push_back(key);
}

// Live files in (after, up_to] that `listed` lacks: their objects are missing.
void find_missing(ports::reconcile_store& store, const std::string& after,
                  const std::optional<std::string>& up_to, const std::set<std::string>& listed,
                  const reconcile_options& options, reconcile_report& report) {
  const std::size_t limit = std::max<std::size_t>(options.page_size, 1) * 2;
  std::string from = after;
  for (;;) {
    const std::vector<std::string> keys = store.live_keys(from, up_to, limit);
    for (const std::string& key : keys) {
      ++report.live_files;
      if (listed.count(key) == 0) {
        ++report.missing;
        keep_sample(report.missing_sample, key, options.sample_size);
      }
    }
    if (keys.size() < limit)
      return;
    from = keys.back();
  }
}

}  // namespace

reconcile_report reconcile(ports::object_store& bucket, ports::reconcile_store& store,
                           const reconcile_options& options) {
  reconcile_report report;
  const auto now = std::chrono::system_clock::now();
  std::string continuation;
  std::string last_listed = options.prefix;  // keys sort after their prefix
  for (;;) {
    auto page = bucket.list(options.prefix, continuation, options.page_size);
    if (!page)
      throw std::runtime_error("listing the bucket failed: " + page.error().detail);
    std::vector<std::string> keys;
    keys.reserve(page->objects.size());
    for (const auto& object : page->objects)
      keys.push_back(object.key);
    report.objects += keys.size();

    const std::set<std::string> accounted = store.accounted(keys);
    std::vector<std::string> orphans;
    for (const auto& object : page->objects) {
      if (accounted.count(object.key) != 0)
        continue;
      if (now - object.modified < options.grace) {
        ++report.young;
        continue;
      }
      ++report.orphans;
      keep_sample(report.orphan_sample, object.key, options.sample_size);
      orphans.push_back(object.key);
    }
    if (!options.dry_run && !orphans.empty())
      report.quarantined += store.quarantine(orphans, options.quarantine);

    const bool last_page = !page->next || page->next->empty();
    const std::set<std::string> listed(keys.begin(), keys.end());
    // The files this page covers: up to its last key, or all that remain after the last page.
    std::optional<std::string> up_to;
    if (!last_page && !keys.empty())
      up_to = keys.back();
    find_missing(store, last_listed, up_to, listed, options, report);
    if (last_page)
      return report;
    if (!keys.empty())
      last_listed = keys.back();
    continuation = *page->next;
  }
}

}  // namespace kemas::worker
