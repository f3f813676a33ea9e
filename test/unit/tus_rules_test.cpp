// Resumable uploads without servers: Upload-Metadata parsing, the SHA-256 whose midstate
// survives a save and a restore (a PATCH on another api instance continues the digest), and
// the expire-upload handler's decisions (re-delay before its due time; once removed, its
// multipart upload freed; a database fault retried; a malformed payload dead-lettered).

#include "adapters/crypto/resumable_sha256.hpp"
#include "adapters/crypto/tokens.hpp"
#include "domain/commands/envelope.hpp"
#include "domain/commands/expire_upload.hpp"
#include "domain/rfc3339.hpp"
#include "domain/tus_metadata.hpp"
#include "test/support/memory_ports.hpp"
#include "workers/handlers/expire_upload_handler.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

const uuid upload_id = *uuid::parse("6a1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e");

class scripted_tus_store final : public ports::tus_command_store {
 public:
  ports::tus_expiry answer;
  bool throw_unavailable = false;
  int calls = 0;

  ports::tus_expiry expire_upload(const commands::envelope&,
                                  const commands::expire_upload&) override {
    ++calls;
    if (throw_unavailable)
      throw backend_unavailable("postgres", "connection refused");
    return answer;
  }
};

struct handler_env {
  std::shared_ptr<scripted_tus_store> store = std::make_shared<scripted_tus_store>();
  std::shared_ptr<test::memory_object_store> objects =
      std::make_shared<test::memory_object_store>();
  std::shared_ptr<test::recording_scheduler> scheduler =
      std::make_shared<test::recording_scheduler>();
  timestamp now = at("2030-01-01T00:00:00.000Z");
  worker::expire_upload_handler handler{
      worker::tus_ports{store, objects, scheduler, [this] { return now; }}};

  commands::envelope command(timestamp due) const {
    commands::envelope_header header;
    header.id = "1b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b";
    header.issued_at = now;
    header.request_id = "req-1";
    return commands::make_envelope(commands::expire_upload{upload_id, due}, header);
  }
};

}  // namespace

TEST_CASE("Upload-Metadata pairs decode and a name is found under its usual keys") {
  auto parsed = parse_tus_metadata("filename cmVwb3J0LnBkZg==,filetype YXBwbGljYXRpb24vcGRm,is_secret");
  REQUIRE(parsed.has_value());
  CHECK(parsed->at("filename") == "report.pdf");
  CHECK(parsed->at("filetype") == "application/pdf");
  CHECK(parsed->at("is_secret").empty());
  CHECK(first_of(*parsed, {"name", "filename"}) == "report.pdf");
  CHECK(first_of(*parsed, {"type"}).empty());
  CHECK(parse_tus_metadata("")->empty());
}

TEST_CASE("malformed Upload-Metadata is refused") {
  CHECK_FALSE(parse_tus_metadata("filename not*base64").has_value());
  CHECK_FALSE(parse_tus_metadata("a YQ==,a Yg==").has_value());  // a key twice
  CHECK_FALSE(parse_tus_metadata(",a YQ==").has_value());         // an empty pair
  CHECK_FALSE(parse_tus_metadata(std::string(tus_metadata_max + 1, 'k')).has_value());
  CHECK(parse_tus_metadata("filename x").error().field == "Upload-Metadata");
}

TEST_CASE("a resumable SHA-256 saved and restored gives the one-shot digest") {
  std::string body(200'003, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>((i * 7919) % 251);
  // Cut anywhere, including mid-block: each piece goes through a save and a restore.
  crypto::resumable_sha256 first;
  first.update(std::string_view(body).substr(0, 65'537));
  auto second = crypto::resumable_sha256::restore(first.save());
  REQUIRE(second.has_value());
  second->update(std::string_view(body).substr(65'537, 100'000));
  auto third = crypto::resumable_sha256::restore(second->save());
  REQUIRE(third.has_value());
  third->update(std::string_view(body).substr(165'537));
  CHECK(third->hex() == crypto::sha256_hex(body));
  CHECK(crypto::resumable_sha256().hex() == crypto::sha256_hex(""));
}

TEST_CASE("a saved digest of another shape is refused") {
  crypto::resumable_sha256 hash;
  std::string saved = hash.save();
  CHECK(crypto::resumable_sha256::restore(saved).has_value());
  CHECK_FALSE(crypto::resumable_sha256::restore(saved.substr(1)).has_value());
  saved[0] = 9;  // another version
  CHECK_FALSE(crypto::resumable_sha256::restore(saved).has_value());
  CHECK_FALSE(crypto::resumable_sha256::restore("").has_value());
}

TEST_CASE("expire-upload before its due time is re-delayed without touching the database") {
  handler_env env;
  const auto due = env.now + 90s;
  CHECK(env.handler.handle(env.command(due)).what == worker::handler_result::outcome::done);
  CHECK(env.store->calls == 0);
  const auto taken = env.scheduler->taken();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].due_at == due);
}

TEST_CASE("expire-upload not due by the database is re-delayed for what is left") {
  handler_env env;
  env.store->answer.what = ports::tus_expiry::kind::not_due;
  env.store->answer.remaining = 2500ms;
  CHECK(env.handler.handle(env.command(env.now)).what == worker::handler_result::outcome::done);
  const auto taken = env.scheduler->taken();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].due_at == env.now + 2500ms);
}

TEST_CASE("an expired upload's multipart upload is freed once its row is removed") {
  handler_env env;
  env.store->answer.what = ports::tus_expiry::kind::removed;
  env.store->answer.object_key = "u/x/y";
  env.store->answer.multipart_upload_id = "mp-1";
  env.store->answer.parts = {{1, 8, "\"e1\""}};
  CHECK(env.handler.handle(env.command(env.now)).what == worker::handler_result::outcome::done);
  CHECK(env.objects->aborted() == std::vector<std::string>{"mp-1"});

  handler_env nothing;  // no multipart upload yet (only a tail in PostgreSQL): nothing on S3
  nothing.store->answer.what = ports::tus_expiry::kind::removed;
  CHECK(nothing.handler.handle(nothing.command(nothing.now)).what ==
        worker::handler_result::outcome::done);
  CHECK(nothing.objects->aborted().empty());
}

TEST_CASE("expire-upload retries a database fault and dead-letters a malformed payload") {
  handler_env env;
  env.store->throw_unavailable = true;
  CHECK(env.handler.handle(env.command(env.now)).what == worker::handler_result::outcome::retry);
  handler_env malformed;
  auto command = malformed.command(malformed.now);
  command.payload.erase("upload_id");
  CHECK(malformed.handler.handle(command).what == worker::handler_result::outcome::reject);
  CHECK(malformed.store->calls == 0);
}
