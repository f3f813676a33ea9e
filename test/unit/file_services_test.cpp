// The api's file services against in-memory ports (test/support/memory_api_ports.hpp): what
// upload_service, delete_service and file_service decide — early refusals, where a body goes,
// the command they publish, how a worker's decision comes back, cleanup when something fails,
// paging cursors, locked files — without PostgreSQL, RabbitMQ or S3. The adapters and the
// whole flow through the real servers are the integration tests' (files_*_test.cpp).

#include "adapters/crypto/tokens.hpp"
#include "adapters/metrics/registry.hpp"
#include "adapters/metrics/transfer_metrics.hpp"
#include "app/services/delete_service.hpp"
#include "app/services/file_service.hpp"
#include "app/services/upload_service.hpp"
#include "domain/commands/delete_file.hpp"
#include "domain/commands/upload.hpp"
#include "domain/model/object_key.hpp"
#include "test/support/ids.hpp"
#include "test/support/io_threads.hpp"
#include "test/support/memory_api_ports.hpp"

#include <doctest/doctest.h>

#include <boost/asio/steady_timer.hpp>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

using test::sequential_id;

// A body that arrives in the given chunks.
class chunks final : public ports::byte_source {
 public:
  explicit chunks(std::vector<std::string> parts) : parts_(std::move(parts)) {}
  ports::async<result<std::string_view>> next() override {
    if (at_ == parts_.size())
      co_return std::string_view{};
    co_return std::string_view(parts_[at_++]);
  }

 private:
  std::vector<std::string> parts_;
  std::size_t at_ = 0;
};

struct files_env {
  test::io_threads io{1};
  metrics::registry registry{"kemas-unit-files"};
  metrics::transfer_metrics transfers{registry};
  test::memory_file_store files;
  test::memory_upload_store uploads{files};
  test::memory_object_streams objects{16};  // bodies up to 16 bytes ride inline
  test::memory_command_bus bus;
  app::command_sender commands{bus};
  config::upload_settings settings{.inline_max = 16, .part_size = 8 * 1024 * 1024, .wait = 2s};
  test::memory_settle_signals signals;
  app::upload_service upload_service{uploads, objects, commands, signals, settings, transfers};
  app::delete_service delete_service{files, commands, signals, 2s};
  app::file_service file_service{files, objects, transfers};
  principal who;

  files_env() {
    who.user_id = sequential_id();
    uploads.accounts[who.user_id] = {0, 100, 50};  // used, quota, max file size
  }

  // Plays the worker: commits every upload it is handed (its file appears).
  void commit_uploads() {
    bus.on_publish = [this](const commands::envelope& e) {
      const auto u = commands::decode_as<commands::upload>(e).value();
      uploads.commit(u.upload_id, u.file_id);
      model::file f{u.file_id, u.owner, u.name, u.content_type, u.size, u.sha256, u.object_key};
      files.add(f);
      signals.signal(u.upload_id);
    };
  }

  app::upload_request request(std::string name, std::optional<std::uint64_t> size = std::nullopt) {
    app::upload_request r;
    r.name = std::move(name);
    r.content_type = "text/plain";
    r.declared_size = size;
    r.origin = {"req-1", who.user_id, "203.0.113.9"};
    return r;
  }

  result<app::upload_view> upload(const app::upload_request& r, std::vector<std::string> body) {
    auto admitted = io.run(upload_service.admit(who, r));
    if (!admitted)
      return admitted.error();
    chunks source(std::move(body));
    return io.run(upload_service.receive(who, r, *admitted, source));
  }

  model::file add_file(std::string name, std::int64_t created_us,
                       model::file_state state = model::file_state::active) {
    model::file f{sequential_id(),      who.user_id, std::move(name), "text/plain", 10,
                  std::string(64, 'a'), "",          state,           created_us};
    f.object_key = model::object_key_for(who.user_id, f.id);
    files.add(f);
    objects.objects[f.object_key] = "0123456789";
    return f;
  }
};

}  // namespace

TEST_CASE("upload: a small body rides inline in the command and comes back as the file") {
  files_env env;
  env.commit_uploads();
  const auto view = env.upload(env.request("note.txt"), {"hello ", "world"});
  REQUIRE(view.has_value());
  REQUIRE(view->file.has_value());
  CHECK(view->file->name == "note.txt");
  CHECK(view->upload.state == model::upload_state::committed);
  CHECK(env.objects.objects.empty());  // the worker stores it, not the api
  REQUIRE(env.bus.published().size() == 1);
  const auto& sent = env.bus.published()[0];
  CHECK(sent.request_id == "req-1");
  CHECK(sent.actor.ip == std::optional<std::string>("203.0.113.9"));
  const auto command = commands::decode_as<commands::upload>(sent).value();
  CHECK(command.owner == env.who.user_id);
  CHECK(command.inline_body == std::optional<std::string>("hello world"));
  CHECK(command.sha256 == crypto::sha256_hex("hello world"));
  CHECK(command.object_key == model::object_key_for(env.who.user_id, command.file_id));
}

TEST_CASE("upload: a larger body goes to its generated key and the command names it") {
  files_env env;
  env.commit_uploads();
  const std::string body(40, 'x');
  const auto view =
      env.upload(env.request("big.bin", body.size()), {body.substr(0, 25), body.substr(25)});
  REQUIRE(view.has_value());
  const auto command = commands::decode_as<commands::upload>(env.bus.published().at(0)).value();
  CHECK_FALSE(command.inline_body);
  CHECK(command.size == 40);
  CHECK(env.objects.objects.at(command.object_key) == body);
  // The api claimed the object before storing it (due at upload.abandon_after unless the
  // upload commits); the claim names the upload.
  REQUIRE(env.uploads.held.count(command.object_key) == 1);
  CHECK(env.uploads.held.at(command.object_key).upload_id == command.upload_id);
  CHECK_FALSE(env.uploads.held.at(command.object_key).released);
}

TEST_CASE("upload: a claim the database cannot record stops the body before the store gets it") {
  files_env env;
  env.uploads.fail_holds = true;
  const auto failed = env.upload(env.request("big.bin", 40), {std::string(40, 'x')});
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == errc::backend_unavailable);
  CHECK(env.objects.objects.empty());
  CHECK(env.bus.published().empty());
  // A small body needs no claim: it rides in the command.
  env.commit_uploads();
  CHECK(env.upload(env.request("small.txt"), {"abc"}).has_value());
}

TEST_CASE("upload: what cannot fit is refused before the body is read") {
  files_env env;
  env.add_file("taken.txt", 1);
  auto code_of = [&](const app::upload_request& r) {
    auto admitted = env.io.run(env.upload_service.admit(env.who, r));
    return admitted ? std::string("admitted") : std::string(code_name(admitted.error().code));
  };
  CHECK(code_of(env.request("a/b")) == "validation_failed");
  CHECK(code_of(env.request("taken.txt")) == "conflict");
  CHECK(code_of(env.request("huge.bin", 51)) == "payload_too_large");
  env.uploads.accounts[env.who.user_id].used_bytes = 80;
  CHECK(code_of(env.request("fits.bin", 20)) == "admitted");
  CHECK(code_of(env.request("over.bin", 21)) == "quota_exceeded");
  CHECK(env.bus.published().empty());
}

TEST_CASE("upload: a body that grows past the limits is cut and leaves nothing behind") {
  files_env env;
  const auto too_big =
      env.upload(env.request("grows.bin"), {std::string(30, 'x'), std::string(30, 'x')});
  REQUIRE_FALSE(too_big.has_value());
  CHECK(too_big.error().code == errc::payload_too_large);
  CHECK(env.objects.abandoned == 1);
  CHECK(env.objects.objects.empty());
  CHECK(env.bus.published().empty());

  env.uploads.accounts[env.who.user_id].used_bytes = 90;
  const auto over = env.upload(env.request("over.bin"), {std::string(11, 'y')});
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code == errc::quota_exceeded);
}

TEST_CASE(
    "upload: when the command cannot be queued the upload is rejected and its object removed") {
  files_env env;
  env.bus.fail_next(1);
  const auto failed = env.upload(env.request("late.bin"), {std::string(40, 'z')});
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == errc::backend_unavailable);
  CHECK(env.objects.objects.empty());
  CHECK(env.objects.abandoned == 1);
  // The claim is released: the object cleaner removes whatever abandon() could not.
  REQUIRE(env.uploads.held.size() == 1);
  CHECK(env.uploads.held.begin()->second.released);
}

TEST_CASE(
    "upload: the worker's refusal comes back as the client's error or the wait ends pending") {
  files_env env;
  env.bus.on_publish = [&](const commands::envelope& e) {
    const auto id = commands::decode_as<commands::upload>(e)->upload_id;
    env.uploads.reject(id, model::rejection_reason::quota_exceeded);
    env.signals.signal(id);
  };
  const auto refused = env.upload(env.request("a.bin"), {"abc"});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == errc::quota_exceeded);

  env.bus.on_publish = nullptr;  // no worker: the client asked not to wait
  auto request = env.request("b.bin");
  request.respond_async = true;
  const auto pending = env.upload(request, {"abc"});
  REQUIRE(pending.has_value());
  CHECK_FALSE(pending->file);
  CHECK(pending->upload.state == model::upload_state::pending);
  // The upload can be read back by its owner only.
  const auto mine = env.io.run(env.upload_service.status(env.who, pending->upload.id.to_string()));
  CHECK(mine.has_value());
  principal stranger;
  stranger.user_id = sequential_id();
  const auto theirs =
      env.io.run(env.upload_service.status(stranger, pending->upload.id.to_string()));
  REQUIRE_FALSE(theirs.has_value());
  CHECK(theirs.error().code == errc::not_found);
}

TEST_CASE("upload: the wait reads the row once when signalled and polls only without signals") {
  files_env env;
  env.commit_uploads();
  const auto signalled = env.upload(env.request("one.txt"), {"abc"});
  REQUIRE(signalled.has_value());
  CHECK(signalled->file.has_value());
  CHECK(env.uploads.finds == 1);

  // A worker that settles later, without a signal (the listener is down): the wait polls
  // and still sees the commit.
  env.signals.is_live = false;
  env.bus.on_publish = nullptr;
  env.bus.on_publish = [&](const commands::envelope& e) {
    const auto u = commands::decode_as<commands::upload>(e).value();
    // On the io thread, 30 ms later: the memory stores are single-threaded.
    auto timer = std::make_shared<boost::asio::steady_timer>(env.io.executor(), 30ms);
    timer->async_wait([&env, u, timer](boost::system::error_code) {
      env.uploads.commit(u.upload_id, u.file_id);
      env.files.add({u.file_id, u.owner, u.name, u.content_type, u.size, u.sha256, u.object_key});
    });
  };
  env.uploads.finds = 0;
  const auto polled = env.upload(env.request("two.txt"), {"abc"});
  REQUIRE(polled.has_value());
  CHECK(polled->file.has_value());
  CHECK(env.uploads.finds > 1);

  // Live signals that never come: one read, at the deadline, and the upload is pending.
  env.signals.is_live = true;
  env.bus.on_publish = nullptr;
  env.settings.wait = 50ms;
  env.uploads.finds = 0;
  const auto unsettled = env.upload(env.request("three.txt"), {"abc"});
  REQUIRE(unsettled.has_value());
  CHECK_FALSE(unsettled->file);
  CHECK(unsettled->upload.state == model::upload_state::pending);
  CHECK(env.uploads.finds == 1);
}

TEST_CASE("upload and delete: once the command is queued a failing database read means pending and never 503") {
  files_env env;
  env.settings.wait = 50ms;
  // The worker commits and signals, but every read after the command fails: the command is
  // accepted, so the answer is the pending upload (202), not backend_unavailable (503).
  env.commit_uploads();
  auto commit = env.bus.on_publish;
  env.bus.on_publish = [&](const commands::envelope& e) {
    commit(e);
    env.uploads.failing_finds = 1000;
  };
  const auto upload = env.upload(env.request("queued.txt"), {"abc"});
  REQUIRE(upload.has_value());
  CHECK(upload->upload.state == model::upload_state::pending);
  CHECK_FALSE(upload->file);
  CHECK(env.bus.published().size() == 1);

  // Committed, and the file deleted before the answer was read: the upload's state, no file.
  env.uploads.failing_finds = 0;
  env.uploads.finds = 0;
  env.bus.on_publish = [&](const commands::envelope& e) {
    commit(e);
    env.files.remove(commands::decode_as<commands::upload>(e)->file_id);
  };
  const auto committed = env.upload(env.request("committed.txt"), {"abc"});
  REQUIRE(committed.has_value());
  CHECK(committed->upload.state == model::upload_state::committed);
  CHECK(committed->upload.file_id.has_value());
  CHECK_FALSE(committed->file);
  CHECK(env.uploads.finds == 1);  // the file came with the upload: no second read

  // A delete whose command went out while the database went away: pending (202).
  const auto file = env.add_file("old.txt", 1);
  env.bus.on_publish = [&](const commands::envelope&) { env.files.failing_finds = 1000; };
  const auto deleted = env.io.run(
      env.delete_service.remove(env.who, file.id.to_string(), false, {"req-d", env.who.user_id, ""}));
  REQUIRE(deleted.has_value());
  CHECK(*deleted == app::deletion::pending);
}

TEST_CASE("delete: the owner's file goes through a delete command and others' ids are 404") {
  files_env env;
  const auto file = env.add_file("old.txt", 1);
  env.bus.on_publish = [&](const commands::envelope& e) {
    const auto id = commands::decode_as<commands::delete_file>(e)->file_id;
    env.files.remove(id);
    env.signals.signal(id);
  };
  const app::command_origin origin{"req-del", env.who.user_id, "203.0.113.9"};
  const auto done =
      env.io.run(env.delete_service.remove(env.who, file.id.to_string(), false, origin));
  REQUIRE(done.has_value());
  CHECK(*done == app::deletion::committed);
  const auto command =
      commands::decode_as<commands::delete_file>(env.bus.published().at(0)).value();
  CHECK(command.owner == env.who.user_id);
  CHECK(command.file_id == file.id);

  principal stranger;
  stranger.user_id = sequential_id();
  const auto mine_to_them = env.add_file("keep.txt", 2);
  for (const auto& [who, id] : {std::pair{stranger, mine_to_them.id.to_string()},
                                std::pair{env.who, std::string("not-a-uuid")}}) {
    const auto refused = env.io.run(env.delete_service.remove(who, id, false, origin));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == errc::not_found);
  }
  CHECK(env.bus.published().size() == 1);

  env.bus.on_publish = nullptr;
  const auto later =
      env.io.run(env.delete_service.remove(env.who, mine_to_them.id.to_string(), true, origin));
  REQUIRE(later.has_value());
  CHECK(*later == app::deletion::pending);
}

TEST_CASE("list: pages follow their cursors and a cursor is bound to its sort") {
  files_env env;
  for (int i = 0; i < 5; ++i)
    env.add_file("f" + std::to_string(i), 1000 + i);
  app::file_list_request first{std::string("2"), std::nullopt, std::nullopt, std::nullopt};
  const auto page1 = env.io.run(env.file_service.list(env.who, first));
  REQUIRE(page1.has_value());
  REQUIRE(page1->next_cursor);
  CHECK(page1->list.files.at(0).name == "f4");  // newest first
  std::vector<std::string> seen;
  std::optional<std::string> cursor = page1->next_cursor;
  for (const auto& f : page1->list.files)
    seen.push_back(f.name);
  while (cursor) {
    const auto page = env.io.run(
        env.file_service.list(env.who, {std::string("2"), cursor, std::nullopt, std::nullopt}));
    REQUIRE(page.has_value());
    for (const auto& f : page->list.files)
      seen.push_back(f.name);
    cursor = page->next_cursor;
  }
  CHECK(seen == std::vector<std::string>{"f4", "f3", "f2", "f1", "f0"});

  const auto wrong_sort = env.io.run(env.file_service.list(
      env.who, {std::nullopt, page1->next_cursor, std::nullopt, std::string("name")}));
  REQUIRE_FALSE(wrong_sort.has_value());
  CHECK(wrong_sort.error().field == "cursor");
  const auto bad_limit = env.io.run(
      env.file_service.list(env.who, {std::string("0"), std::nullopt, std::nullopt, std::nullopt}));
  REQUIRE_FALSE(bad_limit.has_value());
  CHECK(bad_limit.error().field == "limit");
}

TEST_CASE("download: locked files and the ones expiry will lock are refused and others stream") {
  files_env env;
  const auto locked = env.add_file("locked.bin", 1, model::file_state::locked);
  const auto older = env.add_file("older.bin", 2);
  const auto newer = env.add_file("newer.bin", 3);
  auto code_of = [&](const model::file& f) {
    auto found = env.io.run(env.file_service.find_downloadable(env.who, f.id.to_string()));
    return found ? std::string("ok") : std::string(code_name(found.error().code));
  };
  CHECK(code_of(locked) == "file_locked");
  CHECK(code_of(newer) == "ok");
  // Past due with a free quota that holds the two oldest 10-byte files: the newest will be
  // locked (domain/quota.hpp: oldest first while they fit).
  env.files.past_due_quota[env.who.user_id] = 25;
  CHECK(code_of(newer) == "file_locked");
  CHECK(code_of(older) == "ok");

  const auto source = env.io.run(env.file_service.open_object(older, byte_range{2, 5}));
  REQUIRE(source.has_value());
  const auto chunk = env.io.run((*source)->next());
  REQUIRE(chunk.has_value());
  CHECK(std::string(*chunk) == "2345");
}
