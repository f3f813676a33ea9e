// The upload and delete handlers against in-memory ports (test/support/memory_*): no
// database, no bucket, no broker. What the handler decides — body checks before the commit,
// refusals recorded before the object is freed, idempotency, faults turned into retry or
// reject — is visible in the stores and the bucket. The SQL itself is covered by the
// integration tests against PostgreSQL (file_commands_test, plan_upgrade_test).

#include "adapters/crypto/tokens.hpp"
#include "domain/commands/delete_file.hpp"
#include "domain/commands/upload.hpp"
#include "domain/model/object_key.hpp"
#include "test/support/ids.hpp"
#include "test/support/memory_ports.hpp"
#include "test/support/memory_stores.hpp"
#include "workers/handlers/delete_handler.hpp"
#include "workers/handlers/upload_handler.hpp"
#include "workers/object_cleaner.hpp"

#include <doctest/doctest.h>

using namespace kemas;
using outcome = worker::handler_result::outcome;

namespace {

using test::sequential_id;

struct file_env {
  std::shared_ptr<test::memory_file_commands> store =
      std::make_shared<test::memory_file_commands>();
  std::shared_ptr<test::memory_object_store> bucket = std::make_shared<test::memory_object_store>();
  worker::upload_handler uploads{{store, bucket}};
  worker::delete_handler deletes{{store, bucket}};
  uuid owner = sequential_id();

  file_env() { store->add_account(owner, {0, 1000, 600}); }

  // An upload command whose uploads row is pending; its body inline or already in the bucket.
  commands::envelope upload(const std::string& name, const std::string& bytes, bool inline_body) {
    const uuid upload_id = sequential_id();
    const uuid file_id = sequential_id();
    store->add_pending_upload(upload_id, owner);
    const commands::upload command{owner,
                                   upload_id,
                                   file_id,
                                   name,
                                   "text/plain",
                                   bytes.size(),
                                   crypto::sha256_hex(bytes),
                                   model::object_key_for(owner, file_id),
                                   inline_body ? std::optional(bytes) : std::nullopt};
    if (!inline_body)
      bucket->store(command.object_key, bytes);
    return commands::make_envelope(command, {sequential_id().to_string(), {}, "req", {}});
  }

  static commands::upload payload(const commands::envelope& e) {
    return commands::decode_as<commands::upload>(e).value();
  }
  std::optional<model::rejection_reason> reason_of(const commands::envelope& e) const {
    return store->upload(payload(e).upload_id)->reason;
  }
};

// object_cleanup over the memory store's scheduled removals: every one is due.
class scheduled_cleanup final : public ports::object_cleanup_store {
 public:
  explicit scheduled_cleanup(test::memory_file_commands& store) : store_(store) {}
  ports::cleanup_claim claim(const ports::cleanup_policy&) override {
    ports::cleanup_claim out;
    for (const auto& key : store_.scheduled_removals)
      out.due.push_back({key, multipart_ids[key], 0});
    return out;
  }
  void finish(const std::vector<std::string>& removed,
              const std::vector<std::pair<std::string, std::string>>& failed) override {
    for (const auto& key : removed)
      store_.scheduled_removals.erase(key);
    for (const auto& [key, error] : failed)
      errors[key] = error;
  }
  std::map<std::string, std::optional<std::string>> multipart_ids;
  std::map<std::string, std::string> errors;

 private:
  test::memory_file_commands& store_;
};

}  // namespace

TEST_CASE("object cleaner: aborts the multipart upload then deletes and keeps what failed") {
  file_env env;
  scheduled_cleanup cleanup{*env.store};
  log::repeat_gate gate;
  env.store->scheduled_removals = {"u/a/1", "u/a/2"};
  cleanup.multipart_ids["u/a/1"] = "mp-1";
  env.bucket->store("u/a/1", "partial");
  env.bucket->store("u/a/2", "whole");

  env.bucket->fail_next(1);  // the abort of mp-1 fails transiently: neither abort nor delete
  auto round = worker::clean_once(cleanup, *env.bucket, {}, gate);
  CHECK(round.removed == 1);
  CHECK(round.failed == 1);
  CHECK(cleanup.errors.at("u/a/1").find("abort multipart upload") == 0);
  CHECK(env.bucket->object("u/a/1"));
  CHECK_FALSE(env.bucket->object("u/a/2"));
  CHECK(env.store->scheduled_removals == std::set<std::string>{"u/a/1"});

  round = worker::clean_once(cleanup, *env.bucket, {}, gate);  // the retry
  CHECK(round.removed == 1);
  CHECK(env.bucket->aborted() == std::vector<std::string>{"mp-1"});
  CHECK_FALSE(env.bucket->object("u/a/1"));
  CHECK(env.store->scheduled_removals.empty());

  // A store that cannot abort (s3rver: 405) still loses the object.
  env.store->scheduled_removals = {"u/a/3"};
  cleanup.multipart_ids["u/a/3"] = "mp-3";
  env.bucket->store("u/a/3", "x");
  env.bucket->fail_next(1, ports::object_fault::kind::permanent);
  round = worker::clean_once(cleanup, *env.bucket, {}, gate);
  CHECK(round.removed == 1);
  CHECK_FALSE(env.bucket->object("u/a/3"));
}

TEST_CASE("an inline upload is stored and committed once") {
  file_env env;
  const auto command = env.upload("a.txt", "hello", true);
  const auto u = file_env::payload(command);
  REQUIRE(env.uploads.handle(command).what == outcome::done);
  CHECK(env.bucket->object(u.object_key) == std::optional<std::string>("hello"));
  CHECK(env.store->upload(u.upload_id)->state == model::upload_state::committed);
  CHECK(env.store->account_of(env.owner)->used_bytes == 5);
  CHECK(env.store->was_processed(command.id));

  // The same command again: nothing happens twice.
  REQUIRE(env.uploads.handle(command).what == outcome::done);
  CHECK(env.store->account_of(env.owner)->used_bytes == 5);
  CHECK(env.store->events() == std::vector<std::string>{"file.uploaded"});
}

TEST_CASE("a streamed upload is checked against the object the api stored") {
  file_env env;
  const auto ok = env.upload("b.bin", std::string(300, 'x'), false);
  REQUIRE(env.uploads.handle(ok).what == outcome::done);
  CHECK(env.store->upload(file_env::payload(ok).upload_id)->state ==
        model::upload_state::committed);

  SUBCASE("missing: rejected as object_missing") {
    const auto lost = env.upload("c.bin", "data", false);
    env.bucket->remove(file_env::payload(lost).object_key);
    REQUIRE(env.uploads.handle(lost).what == outcome::done);
    CHECK(env.reason_of(lost) == model::rejection_reason::object_missing);
  }
  SUBCASE("another size: rejected as object_missing and the object freed") {
    const auto short_one = env.upload("d.bin", "data", false);
    env.bucket->store(file_env::payload(short_one).object_key, "dat");
    REQUIRE(env.uploads.handle(short_one).what == outcome::done);
    CHECK(env.reason_of(short_one) == model::rejection_reason::object_missing);
    CHECK_FALSE(env.bucket->object(file_env::payload(short_one).object_key));
  }
}

TEST_CASE("refusals are recorded with their reason and the object is freed") {
  file_env env;
  SUBCASE("inline bytes that are not what the command says") {
    auto command = env.upload("a.txt", "hello", true);
    command.payload["sha256"] = crypto::sha256_hex("other");
    REQUIRE(env.uploads.handle(command).what == outcome::done);
    CHECK(env.reason_of(command) == model::rejection_reason::checksum_mismatch);
    CHECK(env.bucket->size() == 0);
  }
  SUBCASE("over the plan's max file size") {
    const auto big = env.upload("big.bin", std::string(700, 'x'), false);
    REQUIRE(env.uploads.handle(big).what == outcome::done);
    CHECK(env.reason_of(big) == model::rejection_reason::too_large);
    CHECK(env.bucket->size() == 0);
  }
  SUBCASE("over the quota, and a taken name") {
    REQUIRE(env.uploads.handle(env.upload("1.bin", std::string(600, 'x'), false)).what ==
            outcome::done);
    const auto over = env.upload("2.bin", std::string(500, 'x'), false);
    REQUIRE(env.uploads.handle(over).what == outcome::done);
    CHECK(env.reason_of(over) == model::rejection_reason::quota_exceeded);
    const auto same = env.upload("1.bin", "y", false);
    REQUIRE(env.uploads.handle(same).what == outcome::done);
    CHECK(env.reason_of(same) == model::rejection_reason::name_taken);
    CHECK(env.bucket->size() == 1);  // only the committed file's object
    CHECK(env.store->account_of(env.owner)->used_bytes == 600);
  }
}

TEST_CASE("faults: transient ones retry and others reject with nothing half done") {
  file_env env;
  const auto command = env.upload("a.txt", "hello", true);
  const auto u = file_env::payload(command);

  env.store->fail_next(1);
  auto result = env.uploads.handle(command);
  CHECK(result.what == outcome::retry);
  CHECK(result.reason.find("upload: idempotency check") == 0);

  env.bucket->fail_next(1);
  result = env.uploads.handle(command);
  CHECK(result.what == outcome::retry);
  CHECK(result.reason.find("s3 put") == 0);
  CHECK(env.store->upload(u.upload_id)->state == model::upload_state::pending);

  env.store->break_next(1);
  result = env.uploads.handle(command);
  CHECK(result.what == outcome::reject);
  CHECK(result.reason.find("injected constraint violation") != std::string::npos);

  REQUIRE(env.uploads.handle(command).what == outcome::done);
  CHECK(env.store->upload(u.upload_id)->state == model::upload_state::committed);
}

TEST_CASE("an upload that is not the actor's or a malformed one is rejected") {
  file_env env;
  auto command = env.upload("a.txt", "hello", true);
  const auto original = file_env::payload(command);
  // A well-formed command of another user naming this upload: its row is not theirs.
  const uuid stranger = sequential_id();
  command.actor.user_id = stranger.to_string();
  command.payload["object_key"] = model::object_key_for(stranger, original.file_id);
  CHECK(env.uploads.handle(command).what == outcome::reject);
  CHECK(env.store->upload(original.upload_id)->state == model::upload_state::pending);

  command.payload.erase("sha256");
  const auto malformed = env.uploads.handle(command);
  CHECK(malformed.what == outcome::reject);
  CHECK(malformed.reason == "upload payload: field 'sha256' is missing");
}

TEST_CASE("delete: the row first and the object after the commit and once") {
  file_env env;
  const uuid file_id = sequential_id();
  const std::string key = model::object_key_for(env.owner, file_id);
  env.store->add_file(file_id, {env.owner, "a.txt", 100, key});
  env.bucket->store(key, std::string(100, 'x'));
  const auto command = commands::make_envelope(commands::delete_file{env.owner, file_id},
                                               {sequential_id().to_string(), {}, "req", {}});
  // S3 fails the removal (finding 1 of issue 14: the object became an orphan): the handler
  // does not wait, the removal stays scheduled, and the object cleaner removes it later.
  env.bucket->fail_next(1);
  REQUIRE(env.deletes.handle(command).what == outcome::done);
  CHECK(env.store->file(file_id)->deleted);
  CHECK(env.store->account_of(env.owner)->used_bytes == 0);
  CHECK(env.bucket->object(key));
  CHECK(env.store->scheduled_removals.count(key) == 1);
  scheduled_cleanup cleanup{*env.store};
  log::repeat_gate gate;
  const auto round = worker::clean_once(cleanup, *env.bucket, {}, gate);
  CHECK(round.removed == 1);
  CHECK_FALSE(env.bucket->object(key));
  CHECK(env.store->scheduled_removals.empty());
  REQUIRE(env.deletes.handle(command).what == outcome::done);
  CHECK(env.store->events() == std::vector<std::string>{"file.deleted"});

  SUBCASE("S3 answering at once: removed and the schedule forgotten") {
    const uuid other = sequential_id();
    const std::string other_key = model::object_key_for(env.owner, other);
    env.store->add_file(other, {env.owner, "b.txt", 1, other_key});
    env.bucket->store(other_key, "x");
    REQUIRE(env.deletes.handle(commands::make_envelope(
                                   commands::delete_file{env.owner, other},
                                   {sequential_id().to_string(), {}, "req", {}}))
                .what == outcome::done);
    CHECK_FALSE(env.bucket->object(other_key));
    CHECK(env.store->scheduled_removals.empty());
  }
  SUBCASE("someone else's file: nothing") {
    const uuid theirs = sequential_id();
    const uuid stranger = sequential_id();
    env.store->add_file(theirs, {stranger, "t.txt", 5, model::object_key_for(stranger, theirs)});
    const auto foreign = commands::make_envelope(commands::delete_file{env.owner, theirs},
                                                 {sequential_id().to_string(), {}, "req", {}});
    REQUIRE(env.deletes.handle(foreign).what == outcome::done);
    CHECK_FALSE(env.store->file(theirs)->deleted);
  }
  SUBCASE("the database away: retried") {
    env.store->fail_next(1);
    const auto later = commands::make_envelope(commands::delete_file{env.owner, sequential_id()},
                                               {sequential_id().to_string(), {}, "req", {}});
    CHECK(env.deletes.handle(later).what == outcome::retry);
  }
}

TEST_CASE("upload group: one processed check and one commit for every member") {
  file_env env;
  worker::upload_handler grouped{{env.store, env.bucket}, 8};
  CHECK(grouped.group_limit() == 8);
  const std::vector<commands::envelope> group = {env.upload("a.txt", "aa", true),
                                                 env.upload("b.bin", "bbb", false),
                                                 env.upload("c.txt", "cccc", true)};
  const auto results = grouped.handle_group(group);
  REQUIRE(results.size() == 3);
  for (const auto& result : results)
    CHECK(result.what == outcome::done);
  CHECK(env.store->processed_queries == 1);
  CHECK(env.store->groups_committed == 1);
  CHECK(env.store->account_of(env.owner)->used_bytes == 9);
  for (const auto& command : group) {
    const auto u = file_env::payload(command);
    CHECK(env.store->upload(u.upload_id)->state == model::upload_state::committed);
    CHECK(env.bucket->object(u.object_key).has_value());
  }
  CHECK(env.bucket->object(file_env::payload(group[0]).object_key) ==
        std::optional<std::string>("aa"));
  CHECK(env.bucket->object(file_env::payload(group[2]).object_key) ==
        std::optional<std::string>("cccc"));

  // The group again (a redelivery): nothing twice, and no second commit.
  for (const auto& result : grouped.handle_group(group))
    CHECK(result.what == outcome::done);
  CHECK(env.store->processed_queries == 2);
  CHECK(env.store->groups_committed == 1);
  CHECK(env.store->events().size() == 3);
}

TEST_CASE("upload: first deliveries skip the processed check and a duplicate still changes nothing") {
  file_env env;
  worker::upload_handler grouped{{env.store, env.bucket}, 8};
  const worker::delivery_facts first{.first = true};
  const worker::delivery_facts seen{.first = false};
  const std::vector<commands::envelope> group = {env.upload("a.txt", "aa", true),
                                                 env.upload("b.txt", "bbb", true)};
  const std::vector<worker::delivery_facts> firsts = {first, first};
  for (const auto& result : grouped.handle_deliveries(group, firsts))
    CHECK(result.what == outcome::done);
  CHECK(env.store->processed_queries == 0);
  CHECK(env.store->groups_committed == 1);
  CHECK(env.store->account_of(env.owner)->used_bytes == 5);

  // The same commands published twice by their producer, first deliveries again: the
  // commit finds the uploads settled; usage, events and the stored objects stay as they are.
  for (const auto& result : grouped.handle_deliveries(group, firsts))
    CHECK(result.what == outcome::done);
  CHECK(env.store->processed_queries == 0);
  CHECK(env.store->account_of(env.owner)->used_bytes == 5);
  CHECK(env.store->events().size() == 2);
  for (const auto& command : group)
    CHECK(env.bucket->object(file_env::payload(command).object_key).has_value());

  // A mix: only the member that may have been seen is checked (one query for the group).
  const std::vector<commands::envelope> mixed = {env.upload("c.txt", "c", true),
                                                 env.upload("d.txt", "d", true)};
  const std::vector<worker::delivery_facts> mixed_facts = {seen, first};
  for (const auto& result : grouped.handle_deliveries(mixed, mixed_facts))
    CHECK(result.what == outcome::done);
  CHECK(env.store->processed_queries == 1);
  CHECK(env.store->account_of(env.owner)->used_bytes == 7);

  // One at a time: a first delivery is not checked, a redelivery is (and does nothing twice).
  const auto lone = env.upload("e.txt", "eeee", true);
  CHECK(grouped.handle_delivery(lone, first).what == outcome::done);
  CHECK(env.store->processed_queries == 1);
  CHECK(grouped.handle_delivery(lone, seen).what == outcome::done);
  CHECK(env.store->processed_queries == 2);
  CHECK(env.store->account_of(env.owner)->used_bytes == 11);
  CHECK(env.store->events().size() == 5);
}

TEST_CASE("upload group: members decide in order and refusals are recorded on their own") {
  file_env env;  // quota 1000, max file 600
  worker::upload_handler grouped{{env.store, env.bucket}, 8};
  auto bad_sum = env.upload("bad.txt", "hello", true);
  bad_sum.payload["sha256"] = crypto::sha256_hex("other");
  const std::vector<commands::envelope> group = {
      env.upload("1.bin", std::string(600, 'x'), true),
      env.upload("2.bin", std::string(500, 'y'), true),  // over the quota after 1.bin
      env.upload("1.bin", "z", true),                    // the name 1.bin took
      bad_sum};
  for (const auto& result : grouped.handle_group(group))
    CHECK(result.what == outcome::done);
  CHECK(env.store->upload(file_env::payload(group[0]).upload_id)->state ==
        model::upload_state::committed);
  CHECK(env.reason_of(group[1]) == model::rejection_reason::quota_exceeded);
  CHECK(env.reason_of(group[2]) == model::rejection_reason::name_taken);
  CHECK(env.reason_of(group[3]) == model::rejection_reason::checksum_mismatch);
  CHECK(env.store->account_of(env.owner)->used_bytes == 600);
  CHECK(env.bucket->size() == 1);  // refused members' objects are freed
  CHECK(env.store->groups_committed == 1);
}

TEST_CASE("upload group: a poisoned member fails alone and a group fault retries no one twice") {
  file_env env;
  worker::upload_handler grouped{{env.store, env.bucket}, 8};
  const std::vector<commands::envelope> group = {env.upload("a.txt", "aa", true),
                                                 env.upload("b.txt", "bb", true),
                                                 env.upload("c.txt", "cc", true)};
  SUBCASE("a constraint the member violates: rejected, the others committed") {
    env.store->poison(file_env::payload(group[1]).upload_id, false);
    const auto results = grouped.handle_group(group);
    CHECK(results[0].what == outcome::done);
    CHECK(results[1].what == outcome::reject);
    CHECK(results[2].what == outcome::done);
    CHECK(env.store->groups_committed == 0);
    CHECK(env.store->upload(file_env::payload(group[1]).upload_id)->state ==
          model::upload_state::pending);
    CHECK(env.store->account_of(env.owner)->used_bytes == 4);
  }
  SUBCASE("a transient fault on one member: it retries, the others committed") {
    env.store->poison(file_env::payload(group[2]).upload_id, true);
    const auto results = grouped.handle_group(group);
    CHECK(results[0].what == outcome::done);
    CHECK(results[1].what == outcome::done);
    CHECK(results[2].what == outcome::retry);
    CHECK(results[2].reason.find("upload: commit") == 0);
  }
  SUBCASE("the database away for the check: every member retries, nothing stored") {
    env.store->fail_next(4);  // the group's check, then each member's own
    const auto results = grouped.handle_group(group);
    for (const auto& result : results)
      CHECK(result.what == outcome::retry);
    CHECK(env.bucket->size() == 0);
  }
  SUBCASE("the bucket refuses one put: that member retries") {
    env.bucket->fail_next(1);
    const auto results = grouped.handle_group(group);
    CHECK(results[0].what == outcome::retry);
    CHECK(results[0].reason.find("s3 put") == 0);
    CHECK(results[1].what == outcome::done);
    CHECK(results[2].what == outcome::done);
    CHECK(env.store->groups_committed == 1);
  }
}
