// reconcile() over in-memory ports: the merge of a paged bucket listing with the files table
// finds orphans (quarantined unless young or a dry run) and live files without objects, across
// page boundaries and after the last page.

#include "test/support/memory_ports.hpp"
#include "workers/reconciler.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

// The database side: live files' keys and object_cleanup's keys (with their due delay).
class memory_reconcile_store final : public ports::reconcile_store {
 public:
  std::set<std::string> live;
  std::map<std::string, std::chrono::milliseconds> cleanup;
  std::size_t statements = 0;

  std::set<std::string> accounted(const std::vector<std::string>& keys) override {
    ++statements;
    std::set<std::string> out;
    for (const auto& key : keys)
      if (live.count(key) != 0 || cleanup.count(key) != 0)
        out.insert(key);
    return out;
  }
  std::vector<std::string> live_keys(const std::string& after,
                                     const std::optional<std::string>& up_to,
                                     std::size_t limit) override {
    ++statements;
    std::vector<std::string> out;
    for (auto at = live.upper_bound(after); at != live.end() && out.size() < limit; ++at) {
      if (up_to && *at > *up_to)
        break;
      out.push_back(*at);
    }
    return out;
  }
  std::size_t quarantine(const std::vector<std::string>& keys,
                         std::chrono::milliseconds delay) override {
    ++statements;
    std::size_t added = 0;
    for (const auto& key : keys)
      added += cleanup.emplace(key, delay).second ? 1 : 0;
    return added;
  }
};

struct reconcile_env {
  test::memory_object_store bucket;
  memory_reconcile_store store;
  worker::reconcile_options options;

  reconcile_env() {
    options.page_size = 2;  // several pages out of a handful of keys
    options.grace = 1h;
    options.quarantine = 24h;
  }
  void object(const std::string& key, bool young = false) {
    bucket.store(key, "x");
    if (young)
      bucket.modified[key] = std::chrono::system_clock::now();
  }
};

}  // namespace

TEST_CASE("reconcile: orphans are quarantined and files without objects reported across pages") {
  reconcile_env env;
  env.object("u/a/1");
  env.store.live.insert("u/a/1");            // a file and its object
  env.object("u/a/2");                       // an old orphan
  env.object("u/a/3", true);                 // a young unaccounted object: left alone
  env.object("u/b/1");
  env.store.cleanup["u/b/1"] = 0ms;          // a removal already scheduled: accounted
  env.store.live.insert("u/b/2");            // a file whose object is missing (mid-listing)
  env.object("u/c/1");
  env.store.live.insert("u/c/1");
  env.store.live.insert("u/d/9");            // missing after the last listed key
  env.object("other/x");                     // outside the prefix: never looked at

  const auto report = worker::reconcile(env.bucket, env.store, env.options);
  CHECK(report.objects == 5);
  CHECK(report.live_files == 4);
  CHECK(report.orphans == 1);
  CHECK(report.orphan_sample == std::vector<std::string>{"u/a/2"});
  CHECK(report.young == 1);
  CHECK(report.quarantined == 1);
  CHECK(env.store.cleanup.at("u/a/2") == 24h);  // deleted by the cleaner a day from now
  CHECK(env.store.cleanup.count("u/a/3") == 0);
  CHECK(report.missing == 2);
  CHECK(report.missing_sample == std::vector<std::string>{"u/b/2", "u/d/9"});
  CHECK(env.bucket.object("u/a/2"));  // the reconciler itself never deletes

  // Again: the orphan is accounted for now (its removal is scheduled), nothing new.
  const auto again = worker::reconcile(env.bucket, env.store, env.options);
  CHECK(again.orphans == 0);
  CHECK(again.quarantined == 0);
  CHECK(again.missing == 2);
}

TEST_CASE("reconcile: a dry run changes nothing and an empty bucket reports every file") {
  reconcile_env env;
  env.options.dry_run = true;
  env.object("u/a/1");
  auto report = worker::reconcile(env.bucket, env.store, env.options);
  CHECK(report.orphans == 1);
  CHECK(report.quarantined == 0);
  CHECK(env.store.cleanup.empty());

  reconcile_env empty;
  empty.store.live = {"u/a/1", "u/a/2", "u/a/3", "u/a/4", "u/a/5"};
  report = worker::reconcile(empty.bucket, empty.store, empty.options);
  CHECK(report.objects == 0);
  CHECK(report.missing == 5);  // paged through live_keys in steps of 2 x page size
}

TEST_CASE("reconcile: a bucket that cannot be listed is an error and quarantines nothing") {
  reconcile_env env;
  env.object("u/a/1");
  env.bucket.fail_next(1);
  CHECK_THROWS_AS(worker::reconcile(env.bucket, env.store, env.options), std::runtime_error);
  CHECK(env.store.cleanup.empty());
}
