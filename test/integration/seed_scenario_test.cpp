// The seed's "Testing Package Expiry" scenario (seeds/000, issue 5's first CI test) end to end
// through the HTTP API only: the api in-process, a real kemas-worker (role commands) on a
// vhost of this test's own, the shared S3 bucket (upload_env). No scheduler runs: the
// `expire` each upgrade schedules through the delay queues is what downgrades the account.
//
// Premium lasts a few seconds, Free holds 1 MiB. Two accounts share the expiry window:
//   - ana follows the seed: upgrade, upload beyond the free quota, premium runs out -> free,
//     newest files locked (403 file_locked), oldest still downloadable, uploads refused;
//     deleting files unlocks the locked ones oldest first as they fit; upgrading again
//     restores premium; both orders are listed.
//   - ben upgrades again while files are still locked: the upgrade itself unlocks them all.
// ("Delete until usage fits" leaves nothing locked by definition, so ana alone could not show
// the upgrade unlocking anything.)
#include <doctest/doctest.h>

#include <soci/soci.h>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/rfc3339.hpp"
#include "test/support/eventually.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/upload_env.hpp"

using namespace std::chrono_literals;
using namespace kemas::test;
namespace test = kemas::test;
namespace json = boost::json;

namespace {

constexpr long long kib = 1024;
constexpr long long free_quota = 1024 * kib;
constexpr long long file_size = 400 * kib;  // two fit in Free, the third does not
// Long enough for one account's uploads (a few hundred ms) on a loaded 2-core machine.
constexpr long long premium_seconds = 4;

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

struct stored {
  std::string id;
  std::string bytes;
};

class scenario {
 public:
  scenario()
      : env_("seed-scenario", [](kemas::config::settings& s) {
          s.upload.wait = 8s;  // below api_fixture::call's 10 s read timeout
          s.ratelimit.auth_limit = 1000;
        }) {
    env_.store.set_plan_limits("free", free_quota, free_quota);
    set_premium_duration(premium_seconds);
  }

  test::api_fixture& api() { return env_.api; }
  std::string worker_log() const { return env_.worker.log(); }

  void set_premium_duration(long long seconds) {
    env_.store.pool().with_session([&](soci::session& sql) {
      sql << "UPDATE plans SET duration_seconds = :s WHERE name = 'premium'", soci::use(seconds);
    });
  }

  // POST billing/upgrade, answered after the worker's commit; returns the new expiry.
  kemas::timestamp upgrade(const account& who) {
    const auto r =
        api().call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})", who.auth);
    INFO(worker_log());
    REQUIRE(r.status == 200);
    const auto body = parse(r);
    CHECK(str(body.at("order").at("state")) == "paid");
    CHECK(str(body.at("subscription").at("plan")) == "premium");
    const auto end = kemas::parse_rfc3339(body.at("subscription").at("expires_at").as_string());
    REQUIRE(end.has_value());
    return *end;
  }

  // Uploads `count` files of file_size, oldest first; each must commit (201) before `due`.
  std::vector<stored> upload_files(const account& who, const std::string& prefix, int count,
                                   kemas::timestamp due) {
    std::vector<stored> out;
    for (int i = 0; i < count; ++i) {
      const std::string name = prefix + std::to_string(i) + ".bin";
      INFO("uploading " << name
                        << ": a 507 here means premium ran out first; raise "
                           "premium_seconds");
      out.push_back(upload(who, name));
      CHECK(std::chrono::system_clock::now() < due);
    }
    MESSAGE(prefix, "'s uploads done ",
            std::chrono::duration_cast<std::chrono::milliseconds>(due -
                                                                  std::chrono::system_clock::now())
                .count(),
            " ms before premium runs out");
    return out;
  }

  // One file of file_size (distinct bytes per call); must commit (201).
  stored upload(const account& who, const std::string& name) {
    std::string bytes = test::random_bytes(static_cast<std::size_t>(file_size), ++seed_);
    const auto r = test::upload_raw(api(), who.auth, name, bytes);
    REQUIRE(r.status == 201);
    return {str(parse(r).at("id")), std::move(bytes)};
  }

  json::object subscription(const account& who) {
    return parse(api().call("GET", "/api/v1/auth/billing/subscription", {}, who.auth));
  }

  // file id -> state ("active" / "locked") as the listing shows what the worker committed.
  std::map<std::string, std::string> states(const account& who) {
    const auto listing = parse(api().call("GET", "/api/v1/auth/files/list", {}, who.auth));
    std::map<std::string, std::string> out;
    for (const auto& f : listing.at("files").as_array())
      out[str(f.at("id"))] = str(f.at("state"));
    return out;
  }

  // Checks every file of `files` against `locked` (by index): the listing's state, and the
  // download (200 byte-exact, or 403 file_locked).
  void expect(const account& who, const std::vector<stored>& files,
              const std::vector<bool>& locked) {
    REQUIRE(files.size() == locked.size());
    const auto listed = states(who);
    CHECK(listed.size() == files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      CAPTURE(i);
      const auto at = listed.find(files[i].id);
      REQUIRE(at != listed.end());
      CHECK(at->second == (locked[i] ? "locked" : "active"));
      const auto r = api().call("GET", "/api/v1/auth/files/download/" + files[i].id, {}, who.auth);
      if (locked[i]) {
        CHECK(r.status == 403);
        CHECK(test::error_code(r) == "file_locked");
      } else {
        CHECK(r.status == 200);
        CHECK(r.body == files[i].bytes);  // byte-exact (and not a diff of 400 KiB on failure)
      }
    }
  }

  // DELETE answers 204 once the worker committed the deletion and the unlocks it allows.
  void remove(const account& who, const stored& file) {
    const auto r = api().call("DELETE", "/api/v1/auth/files/" + file.id, {}, who.auth);
    INFO(r.body);
    REQUIRE(r.status == 204);
  }

  // Waits for the worker's delayed expire (the subscription reads `free` with no expiry left
  // to report: an account only past due reads `expired: true` with its old expiry). Returns
  // how long after `due` that was seen.
  std::chrono::milliseconds wait_for_downgrade(const account& who, kemas::timestamp due) {
    const auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(
        due - std::chrono::system_clock::now() + 10s);
    json::object last;
    const bool done = test::eventually(
        [&] {
          last = subscription(who);
          return last.at("plan").as_string() == "free" && last.at("expires_at").is_null();
        },
        limit, 50ms);
    INFO(json::serialize(last) << "\n" << worker_log());
    REQUIRE(done);
    CHECK(last.at("expired").as_bool() == false);
    CHECK(last.at("quota_bytes").as_int64() == free_quota);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() -
                                                                 due);
  }

  void expect_two_paid_orders(const account& who) {
    const auto orders = parse(api().call("GET", "/api/v1/auth/billing/orders", {}, who.auth));
    const auto& list = orders.at("orders").as_array();
    REQUIRE(list.size() == 2);
    for (const auto& o : list) {
      CHECK(str(o.at("state")) == "paid");
      CHECK(str(o.at("plan")) == "premium");
    }
  }

 private:
  test::upload_env env_;
  std::uint64_t seed_ = 0;
};

}  // namespace

TEST_CASE("seed scenario: premium expires through the delayed expire and locks the newest files") {
  const auto started = std::chrono::steady_clock::now();
  scenario s;
  const account ana = test::sign_up(s.api(), "seedana");
  const account ben = test::sign_up(s.api(), "seedben");

  // Premium for a few seconds; upload beyond the free quota (5 x 400 KiB and 3 x 400 KiB).
  const auto ana_due = s.upgrade(ana);
  const auto ana_files = s.upload_files(ana, "ana", 5, ana_due);
  const auto ben_due = s.upgrade(ben);
  const auto ben_files = s.upload_files(ben, "ben", 3, ben_due);
  // (Downloads are not checked here: ana's premium may already be running out.)
  CHECK(s.subscription(ana).at("used_bytes").as_int64() == 5 * file_size);

  // Premium runs out: free, the newest files locked until the rest fit in 1 MiB.
  const auto ana_late = s.wait_for_downgrade(ana, ana_due);
  const auto ben_late = s.wait_for_downgrade(ben, ben_due);
  MESSAGE("downgrade seen ", ana_late.count(), " ms (ana) and ", ben_late.count(),
          " ms (ben) after the due time");
  s.expect(ana, ana_files, {false, false, true, true, true});
  s.expect(ben, ben_files, {false, false, true});
  const auto refused = test::upload_raw(s.api(), ana.auth, "more.bin", "ten bytes!");
  CHECK(refused.status == 507);
  CHECK(test::error_code(refused) == "quota_exceeded");

  // Further upgrades last long enough not to run out during the checks below.
  s.set_premium_duration(3600);

  // ben renews while locked: the upgrade's commit unlocks everything.
  s.upgrade(ben);
  s.expect(ben, ben_files, {false, false, false});
  s.expect_two_paid_orders(ben);

  // ana deletes until her files fit: each deletion unlocks the oldest locked file that fits.
  s.remove(ana, ana_files[1]);  // the newest unlocked: 0 + 2 fit
  s.expect(ana, {ana_files[0], ana_files[2], ana_files[3], ana_files[4]},
           {false, false, true, true});
  s.remove(ana, ana_files[0]);  // the oldest: 2 + 3 fit
  s.expect(ana, {ana_files[2], ana_files[3], ana_files[4]}, {false, false, true});
  CHECK(s.subscription(ana).at("used_bytes").as_int64() == 3 * file_size);  // still over
  s.remove(ana, ana_files[2]);  // 800 KiB left: everything fits
  s.expect(ana, {ana_files[3], ana_files[4]}, {false, false});
  CHECK(s.subscription(ana).at("used_bytes").as_int64() == 2 * file_size);

  // ana upgrades again: premium, so a file beyond the free quota is accepted again.
  s.upgrade(ana);
  const auto again = s.upload(ana, "again.bin");
  s.expect(ana, {ana_files[3], ana_files[4], again}, {false, false, false});
  CHECK(s.subscription(ana).at("used_bytes").as_int64() == 3 * file_size);
  s.expect_two_paid_orders(ana);

  MESSAGE("scenario took ",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                started)
              .count(),
          " ms");
}
