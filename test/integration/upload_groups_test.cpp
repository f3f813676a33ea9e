// Uploads that reach a worker together commit as a group (worker.group_size; issue 11
// "Workers commit in groups"): the real kemas-worker against a scratch database, a vhost of
// the test's own and the shared S3 server. Every rule of a single commit holds inside a group,
// and the group costs one processed check and one commit call. The same rules one upload at
// a time: file_commands_test.

#include "test/support/file_commands_fixture.hpp"
#include "test/support/pg_statements.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace kemas;
using namespace std::chrono_literals;
using test::file_env;
using test::free_quota;
using test::planned_upload;
using test::random_bytes;

TEST_CASE("uploads that wait together commit in one transaction and keep every rule") {
  // One handler thread, and the worker stopped while the commands are published: they reach
  // it together, so the dispatcher hands them over as groups (worker.group_size, 64).
  file_env env(std::vector<std::pair<std::string, std::string>>{
      {"KEMAS_WORKER_HANDLER_THREADS", "1"}});
  constexpr std::size_t size = 5'000;
  const std::string roomy = env.make_user();
  const std::string tight = env.make_user(free_quota - 2 * static_cast<long long>(size));
  std::vector<planned_upload> fits;
  for (int i = 0; i < 4; ++i)
    fits.push_back(env.plan_upload(roomy, "r-" + std::to_string(i), random_bytes(size, 300 + i),
                                   i % 2 == 0));
  for (const auto& u : fits) {
    if (!u.command.payload.contains("inline_base64"))
      env.put_object(u);
  }
  // Two of three fit the tight owner's quota; the same name twice; a body that is not what
  // its command says.
  std::vector<planned_upload> tight_ones;
  for (int i = 0; i < 3; ++i)
    tight_ones.push_back(
        env.plan_upload(tight, "t-" + std::to_string(i), random_bytes(size, 400 + i), true));
  std::vector<planned_upload> same_name = {
      env.plan_upload(roomy, "same", random_bytes(100, 500), true),
      env.plan_upload(roomy, "same", random_bytes(200, 501), true)};
  auto forged = env.plan_upload(roomy, "forged", random_bytes(300, 502), true);
  forged.command.payload["sha256"] = crypto::sha256_hex("something else");

  std::vector<const planned_upload*> all;
  for (const auto* list : {&fits, &tight_ones, &same_name})
    for (const auto& u : *list)
      all.push_back(&u);
  all.push_back(&forged);

  test::pg_statement_meter meter(env.db.name(), env.db.settings());
  const std::string patterns[] = {"SELECT commit_upload(%", "SELECT commit_uploads(%",
                                  "SELECT count(*) FROM processed_commands%",
                                  "SELECT c.command_id::text FROM unnest(%"};
  std::map<std::string, long long> before;
  for (const auto& pattern : patterns)
    before[pattern] = meter.statements_like(pattern);
  env.worker.signal(SIGSTOP);
  for (const auto* u : all)
    env.publish(u->command);
  env.worker.signal(SIGCONT);

  std::map<std::string, std::string> outcome;  // upload id -> committed | the reason
  for (const auto* u : all) {
    const auto [state, reason] = env.settled(u->upload_id);
    REQUIRE_MESSAGE(!state.empty(), env.worker.stderr_text());
    outcome[u->upload_id] = state == "committed" ? state : reason;
  }
  for (const auto& u : fits) {
    CHECK(outcome[u.upload_id] == "committed");
    CHECK(env.get_object(u.key) == u.bytes);
  }
  std::map<std::string, int> tight_outcomes;
  for (const auto& u : tight_ones)
    ++tight_outcomes[outcome[u.upload_id]];
  CHECK(tight_outcomes == std::map<std::string, int>{{"committed", 2}, {"quota_exceeded", 1}});
  CHECK(env.used_bytes(tight) == free_quota);
  std::multiset<std::string> name_outcomes = {outcome[same_name[0].upload_id],
                                              outcome[same_name[1].upload_id]};
  CHECK(name_outcomes == std::multiset<std::string>{"committed", "name_taken"});
  CHECK(outcome[forged.upload_id] == "checksum_mismatch");
  CHECK_FALSE(env.object_exists(forged.key));
  const long long same_bytes =
      static_cast<long long>(outcome[same_name[0].upload_id] == "committed"
                                 ? same_name[0].bytes.size()
                                 : same_name[1].bytes.size());
  CHECK(env.used_bytes(roomy) == 4 * static_cast<long long>(size) + same_bytes);
  for (const auto& u : same_name) {
    if (outcome[u.upload_id] == "name_taken")
      CHECK_FALSE(env.object_exists(u.key));
  }
  CHECK(env.events_of_type("file.uploaded").size() == 7);
  CHECK(env.events_of_type("upload.rejected").size() == 3);

  // Fewer commit calls than commits: at least one group went to commit_uploads. Every
  // command is a first delivery, so no processed check ran, for a group or alone.
  const auto ran = [&](const std::string& pattern) {
    return meter.statements_like(pattern) - before[pattern];
  };
  MESSAGE("commit_upload ", ran(patterns[0]), ", commit_uploads ", ran(patterns[1]),
          ", single checks ", ran(patterns[2]), ", group checks ", ran(patterns[3]));
  CHECK(ran("SELECT commit_uploads(%") >= 1);
  CHECK(ran("SELECT commit_upload(%") + ran("SELECT commit_uploads(%") < 9);
  CHECK(ran("SELECT c.command_id::text FROM unnest(%") == 0);
  CHECK(ran("SELECT count(*) FROM processed_commands%") == 0);
}
