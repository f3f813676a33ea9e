// Issue 4's upload and delete routes end to end: the api in-process (api_fixture), the real
// kemas-worker committing commands (worker_fixture), the shared S3 bucket. Byte-exact round
// trips of every size class (inline, single PUT, multipart), raw and multipart/form-data;
// ranges on an uploaded file; exact quota under 20 concurrent uploads; a worker SIGKILLed
// mid-batch; Prefer: respond-async; DELETE. Failure paths are in files_upload_faults_test.
#include <doctest/doctest.h>

#include <soci/soci.h>
#include <boost/json.hpp>

#include <future>
#include <mutex>
#include <set>

#include "test/support/eventually.hpp"
#include "test/support/s3_fixture.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/upload_env.hpp"

using namespace std::chrono_literals;
using namespace kemas::test;
namespace test = kemas::test;
namespace json = boost::json;

namespace {

std::string sha256_of(std::string_view bytes) {
  test::sha256_stream hash;
  hash.update(bytes);
  return hash.hex_digest();
}

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

// The file id of a 201 answer, after checking it against what was sent.
std::string check_committed(const raw_response& r, const std::string& name, std::size_t size,
                            const std::string& sha, const std::string& content_type) {
  REQUIRE_MESSAGE(r.status == 201, r.body);
  const auto file = parse(r);
  CHECK(str(file.at("name")) == name);
  CHECK(file.at("size").as_int64() == static_cast<std::int64_t>(size));
  CHECK(str(file.at("sha256")) == sha);
  CHECK(str(file.at("content_type")) == content_type);
  CHECK(str(file.at("state")) == "active");
  const std::string id = str(file.at("id"));
  CHECK(r.header("location") == "/api/v1/auth/files/" + id);
  return id;
}

long long outbox_count(test::storage_probe& store, const std::string& type) {
  return store.pool().with_session([&](soci::session& sql) {
    long long n = -1;
    sql << "SELECT count(*) FROM outbox WHERE event->>'type' = :t", soci::use(type), soci::into(n);
    return n;
  });
}

}  // namespace

TEST_CASE("uploads of every size class round-trip byte-exact raw and as a form") {
  upload_env env("upl-roundtrip");
  auto a = test::sign_up(env.api, "roundtrip");
  constexpr std::size_t kib = 1024;
  const std::size_t sizes[] = {0, 1, 256 * kib - 1, 256 * kib + 1, 40 * kib * kib};
  std::uint64_t seed = 1;
  std::string big_id;  // the 40 MiB raw upload, for ranges below
  std::string big;
  for (const std::size_t size : sizes) {
    for (const bool form : {false, true}) {
      const std::string bytes = test::random_bytes(size, seed++);
      const std::string sha = sha256_of(bytes);
      const std::string name = (form ? "form-" : "raw-") + std::to_string(size) + " é.bin";
      const std::string type = form ? "image/png" : "application/x-kemas-test";
      CAPTURE(name);
      const auto r = form ? test::upload_form(env.api, a.auth, name, bytes, type)
                          : test::upload_raw(env.api, a.auth, name, bytes, type);
      const std::string id = check_committed(r, name, size, sha, type);

      const auto got = env.api.call("GET", "/api/v1/auth/files/download/" + id, {}, a.auth);
      REQUIRE(got.status == 200);
      CHECK(got.body.size() == size);
      CHECK(got.body == bytes);
      CHECK(got.header("etag") == "\"" + sha + "\"");
      CHECK(got.header("content-type") == type);
      CHECK(got.header("content-length") == std::to_string(size));
      if (size == sizes[4] && !form) {
        big_id = id;
        big = bytes;
      }
    }
  }
  const long long total = [&] {
    long long sum = 0;
    for (const std::size_t size : sizes)
      sum += 2 * static_cast<long long>(size);
    return sum;
  }();
  CHECK(env.store.used_bytes(a.id) == total);
  CHECK(env.store.live_bytes(a.id) == total);
  CHECK(env.store.uploads(a.id, "committed") == 10);
  // Inline bodies were stored by the worker, the others by the api: all at their keys.
  CHECK(env.store.objects_match_files(a.id));

  // Ranges on the multipart-stored file, one crossing the 8 MiB part boundary.
  REQUIRE(!big_id.empty());
  const std::string path = "/api/v1/auth/files/download/" + big_id;
  const std::size_t size = big.size();
  test::check_ranges(env.api, a.auth, path, big,
                     {{"bytes=0-99", 0, 99},
                      {"bytes=8388000-8389999", 8388000, 8389999},
                      {"bytes=-1000", size - 1000, size - 1},
                      {"bytes=41943000-", 41943000, size - 1}});
}

TEST_CASE("twenty concurrent uploads over the remaining quota keep usage exact") {
  // The race is the point: let all twenty run at once (upload.max_per_user is 4 by default).
  upload_env env("upl-quota", [](kemas::config::settings& s) { s.upload.max_per_user = 32; });
  auto a = test::sign_up(env.api, "crowded");
  // Sizes from 150 KB to 340 KB: inline and S3-stored bodies both race for the quota.
  constexpr int uploads = 20;
  constexpr long long quota = 2'000'000;
  env.store.set_plan_limits("free", quota, 104857600);
  std::vector<std::string> bodies;
  long long offered = 0;
  for (int i = 0; i < uploads; ++i) {
    bodies.push_back(test::random_bytes(150'000 + 10'000 * static_cast<std::size_t>(i), 200 + i));
    offered += static_cast<long long>(bodies.back().size());
  }
  REQUIRE(offered > 2 * quota);

  std::vector<std::future<raw_response>> answers;
  for (int i = 0; i < uploads; ++i) {
    const std::string name = "part-" + std::to_string(i);
    const std::string& bytes = bodies[static_cast<std::size_t>(i)];
    const bool form = i % 2 == 1;
    answers.push_back(std::async(std::launch::async, [&env, &a, name, &bytes, form] {
      return form ? test::upload_form(env.api, a.auth, name, bytes)
                  : test::upload_raw(env.api, a.auth, name, bytes);
    }));
  }
  long long committed_bytes = 0;
  int committed = 0;
  int refused = 0;
  for (int i = 0; i < uploads; ++i) {
    auto r = answers[static_cast<std::size_t>(i)].get();
    CAPTURE(i);
    INFO(r.body);
    if (r.status == 202)  // the wait ran out: ask where it ended
      r = test::settled_upload(env.api, a.auth, str(parse(r).at("id")));
    if (r.status == 201 || (r.status == 200 && str(parse(r).at("state")) == "committed")) {
      ++committed;
      committed_bytes += static_cast<long long>(bodies[static_cast<std::size_t>(i)].size());
    } else if (r.status == 200) {
      CHECK(str(parse(r).at("state")) == "rejected");
      CHECK(str(parse(r).at("reason")) == "quota_exceeded");
      ++refused;
    } else {
      CHECK(r.status == 507);
      CHECK(test::error_code(r) == "quota_exceeded");
      ++refused;
    }
  }
  MESSAGE(committed, " committed and ", refused, " refused of ", uploads);
  CHECK(committed > 0);
  CHECK(committed + refused == uploads);
  const long long used = env.store.used_bytes(a.id);
  CHECK(used <= quota);
  CHECK(used == committed_bytes);
  CHECK(env.store.live_bytes(a.id) == committed_bytes);
  CHECK(env.store.live_files(a.id) == committed);
  // Every rejection the worker recorded is for the quota.
  const long long for_quota = env.store.pool().with_session([&](soci::session& sql) {
    long long n = -1;
    sql << "SELECT count(*) FROM uploads WHERE owner_id = CAST(:o AS uuid) "
           "AND reason = 'quota_exceeded'",
        soci::use(a.id), soci::into(n);
    return n;
  });
  CHECK(env.store.uploads(a.id, "rejected") == for_quota);
  // The rest were refused by the api before they were submitted (no uploads row).
  MESSAGE(for_quota, " of the refusals came from the worker's check");
  CHECK(env.store.uploads(a.id) == committed + for_quota);
  CHECK(env.store.uploads(a.id, "pending") == 0);
  // No object without a committed row (rejected objects are deleted just after the
  // rejection commits, hence the wait).
  const auto committed_keys = env.store.live_keys(a.id);
  CHECK(test::eventually([&] { return env.store.objects_of(a.id) == committed_keys; }, 10s));
  CHECK(env.store.objects_of(a.id) == committed_keys);
}

TEST_CASE("a worker killed mid-batch loses no accepted upload and commits none twice") {
  upload_env env("upl-sigkill");
  auto a = test::sign_up(env.api, "survivor");
  // 24 uploads from 3 senders, accepted at once (respond-async); a mix of inline bodies
  // (the worker PUTs them) and 300 KB bodies (already in S3).
  constexpr int senders = 3;
  constexpr int per_sender = 8;
  constexpr int batch = senders * per_sender;
  std::vector<std::string> bodies;
  for (int i = 0; i < batch; ++i)
    bodies.push_back(test::random_bytes(i % 3 == 0 ? 300'000 : 60'000 + 1000 * i, 500 + i));

  std::mutex mutex;
  std::vector<std::pair<int, raw_response>> accepted;
  auto send = [&](int sender) {
    for (int k = 0; k < per_sender; ++k) {
      const int i = sender * per_sender + k;
      auto r = test::upload_raw(env.api, a.auth, "batch-" + std::to_string(i),
                                bodies[static_cast<std::size_t>(i)], "application/octet-stream",
                                "Prefer: respond-async\r\n");
      std::lock_guard lock(mutex);
      accepted.emplace_back(i, std::move(r));
    }
  };
  std::vector<std::future<void>> threads;
  for (int s = 0; s < senders; ++s)
    threads.push_back(std::async(std::launch::async, send, s));

  // SIGKILL as soon as the worker has committed a few: the rest are queued, being handled,
  // or not sent yet.
  const bool some_committed =
      test::eventually([&] { return env.store.uploads(a.id, "committed") >= 3; }, 30s);
  env.worker.kill();
  const long long committed_at_kill = env.store.uploads(a.id, "committed");
  for (auto& t : threads)
    t.get();  // rethrows a sender's failure
  REQUIRE_MESSAGE(some_committed, env.worker.log());
  MESSAGE(committed_at_kill, " of ", batch, " committed when the worker was killed");

  // Accepted while no worker runs: these wait in the queue.
  for (int i = batch; i < batch + 2; ++i) {
    bodies.push_back(test::random_bytes(20'000, 500 + i));
    accepted.emplace_back(
        i, test::upload_raw(env.api, a.auth, "batch-" + std::to_string(i), bodies.back(),
                            "application/octet-stream", "Prefer: respond-async\r\n"));
  }
  REQUIRE(accepted.size() == batch + 2);
  CHECK(committed_at_kill < static_cast<long long>(accepted.size()));

  env.worker.start(env.api.database().settings());
  std::set<std::string> file_ids;
  long long expected_bytes = 0;
  for (const auto& entry : accepted) {
    const int i = entry.first;
    const raw_response& r = entry.second;
    CAPTURE(i);
    INFO(r.body);
    REQUIRE((r.status == 202 || r.status == 201));
    auto body = parse(r);
    if (r.status == 202) {
      CHECK(r.header("location") == "/api/v1/auth/uploads/" + str(body.at("id")));
      const auto settled = test::settled_upload(env.api, a.auth, str(body.at("id")), 30s);
      REQUIRE(settled.status == 200);
      body = parse(settled);
      REQUIRE_MESSAGE(str(body.at("state")) == "committed", env.worker.log());
      body = body.at("file").as_object();
    }
    file_ids.insert(str(body.at("id")));
    CHECK(str(body.at("sha256")) == sha256_of(bodies[static_cast<std::size_t>(i)]));
    expected_bytes += static_cast<long long>(bodies[static_cast<std::size_t>(i)].size());
  }
  CHECK(file_ids.size() == accepted.size());
  CHECK(env.store.live_files(a.id) == static_cast<long long>(accepted.size()));
  CHECK(env.store.used_bytes(a.id) == expected_bytes);
  CHECK(env.store.live_bytes(a.id) == expected_bytes);
  CHECK(env.store.uploads(a.id, "committed") == static_cast<long long>(accepted.size()));
  CHECK(env.store.uploads(a.id) == static_cast<long long>(accepted.size()));
  CHECK(outbox_count(env.store, "file.uploaded") == static_cast<long long>(accepted.size()));
  CHECK(env.store.objects_match_files(a.id));
  const auto listed = parse(env.api.call("GET", "/api/v1/auth/files/list", {}, a.auth));
  CHECK(listed.at("total").as_int64() == static_cast<std::int64_t>(accepted.size()));
  CHECK(listed.at("used_bytes").as_int64() == expected_bytes);
}

TEST_CASE("respond-async uploads answer 202 and their upload ends committed") {
  upload_env env("upl-async");
  auto a = test::sign_up(env.api, "patient");
  for (const std::size_t size : {std::size_t{5'000}, std::size_t{1'500'000}}) {
    CAPTURE(size);
    const std::string bytes = test::random_bytes(size, size);
    const std::string name = "later-" + std::to_string(size);
    auto r =
        test::upload_raw(env.api, a.auth, name, bytes, "text/plain", "Prefer: respond-async\r\n");
    REQUIRE_MESSAGE(r.status == 202, r.body);
    const auto accepted = parse(r);
    const std::string upload_id = str(accepted.at("id"));
    CHECK(r.header("location") == "/api/v1/auth/uploads/" + upload_id);
    CHECK(r.header("preference-applied") == "respond-async");
    CHECK(str(accepted.at("state")) == "pending");

    const auto settled = test::settled_upload(env.api, a.auth, upload_id);
    REQUIRE(settled.status == 200);
    const auto done = parse(settled);
    REQUIRE_MESSAGE(str(done.at("state")) == "committed", env.worker.log());
    const auto& file = done.at("file").as_object();
    CHECK(str(file.at("name")) == name);
    CHECK(file.at("size").as_int64() == static_cast<std::int64_t>(size));
    CHECK(str(file.at("sha256")) == sha256_of(bytes));
    CHECK(str(done.at("file_id")) == str(file.at("id")));
    const auto got =
        env.api.call("GET", "/api/v1/auth/files/download/" + str(file.at("id")), {}, a.auth);
    CHECK(got.body == bytes);
  }
  CHECK(env.store.used_bytes(a.id) == 1'505'000);
}

TEST_CASE("delete answers 204 or 202 then the file and its usage are gone") {
  upload_env env("upl-delete");
  auto a = test::sign_up(env.api, "tidy");
  const std::string small = test::random_bytes(12'345, 1);
  const std::string large = test::random_bytes(700'000, 2);
  const auto first = parse(test::upload_raw(env.api, a.auth, "small.bin", small));
  const auto second = parse(test::upload_form(env.api, a.auth, "large.bin", large));
  const std::string first_id = str(first.at("id"));
  const std::string second_id = str(second.at("id"));
  REQUIRE(env.store.used_bytes(a.id) == 712'345);
  REQUIRE(env.store.objects_of(a.id).size() == 2);

  // Waits for the commit: 204.
  auto gone = env.api.call("DELETE", "/api/v1/auth/files/" + first_id, {}, a.auth);
  CHECK(gone.status == 204);
  CHECK(env.store.used_bytes(a.id) == 700'000);
  CHECK(env.api.call("GET", "/api/v1/auth/files/" + first_id, {}, a.auth).status == 404);
  CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + first_id, {}, a.auth).status == 404);
  CHECK(env.api.call("DELETE", "/api/v1/auth/files/" + first_id, {}, a.auth).status == 404);

  // Does not wait: 202, then eventually gone.
  auto later = env.api.call("DELETE", "/api/v1/auth/files/" + second_id, {},
                            a.auth + "Prefer: respond-async\r\n");
  CHECK(later.status == 202);
  CHECK(later.header("preference-applied") == "respond-async");
  CHECK(str(parse(later).at("state")) == "deleting");
  CHECK(test::eventually(
      [&] {
        return env.api.call("GET", "/api/v1/auth/files/" + second_id, {}, a.auth).status == 404;
      },
      10s));
  CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + second_id, {}, a.auth).status == 404);
  CHECK(env.store.used_bytes(a.id) == 0);
  const auto listed = parse(env.api.call("GET", "/api/v1/auth/files/list", {}, a.auth));
  CHECK(listed.at("total").as_int64() == 0);
  CHECK(listed.at("used_bytes").as_int64() == 0);
  // The objects go after the commits.
  CHECK(test::eventually([&] { return env.store.objects_of(a.id).empty(); }, 10s));

  // The name is free again.
  CHECK(test::upload_raw(env.api, a.auth, "small.bin", small).status == 201);
  CHECK(env.store.used_bytes(a.id) == 12'345);
}
