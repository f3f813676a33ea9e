// Share links without servers: what state a link is in at a given moment, and the
// expire-share handler's decisions (re-delay before the due time or when the database says
// not yet; commit once due; a malformed payload dead-lettered; a database fault retried).

#include "domain/commands/envelope.hpp"
#include "domain/commands/expire_share.hpp"
#include "domain/result.hpp"
#include "domain/model/share_link.hpp"
#include "domain/rfc3339.hpp"
#include "test/support/memory_ports.hpp"
#include "workers/handlers/expire_share_handler.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace kemas;
using namespace std::chrono_literals;

namespace {

timestamp at(std::string_view text) {
  return *parse_rfc3339(text);
}

const uuid link_id = *uuid::parse("5f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e");

// Answers what it is told, and counts the calls.
class scripted_share_store final : public ports::share_command_store {
 public:
  ports::share_expiry answer;
  bool throw_unavailable = false;
  int calls = 0;

  ports::share_expiry expire_share(const commands::envelope&,
                                   const commands::expire_share&) override {
    ++calls;
    if (throw_unavailable)
      throw backend_unavailable("postgres", "connection refused");
    return answer;
  }
};

struct handler_env {
  std::shared_ptr<scripted_share_store> store = std::make_shared<scripted_share_store>();
  std::shared_ptr<test::recording_scheduler> scheduler =
      std::make_shared<test::recording_scheduler>();
  timestamp now = at("2030-01-01T00:00:00.000Z");
  worker::expire_share_handler handler{
      worker::share_ports{store, scheduler, [this] { return now; }}};

  commands::envelope command(timestamp due) const {
    commands::envelope_header header;
    header.id = "0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b";
    header.issued_at = now;
    header.request_id = "req-1";
    return commands::make_envelope(commands::expire_share{link_id, due}, header);
  }
};

}  // namespace

TEST_CASE("a share link is revoked before expired before used up before active") {
  model::share_link link;
  link.expires_at = at("2030-01-01T00:00:10.000Z");
  const auto before = at("2030-01-01T00:00:09.999Z");
  CHECK(model::state_of(link, before) == model::share_state::active);
  CHECK(model::state_of(link, link.expires_at) == model::share_state::expired);
  link.max_downloads = 2;
  link.downloads = 1;
  CHECK(model::state_of(link, before) == model::share_state::active);
  link.downloads = 2;
  CHECK(model::state_of(link, before) == model::share_state::used_up);
  CHECK(model::to_string(model::state_of(link, before)) == "used_up");
  link.revoked_at = before;
  CHECK(model::state_of(link, link.expires_at) == model::share_state::revoked);
}

TEST_CASE("expire-share before its due time is re-delayed without touching the database") {
  handler_env env;
  const auto due = env.now + 90s;
  const auto result = env.handler.handle(env.command(due));
  CHECK(result.what == worker::handler_result::outcome::done);
  CHECK(env.store->calls == 0);
  const auto taken = env.scheduler->taken();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].due_at == due);
}

TEST_CASE("expire-share not yet due by the database's clock is re-delayed for what is left") {
  handler_env env;
  env.store->answer = {ports::share_expiry::kind::not_due, 1500ms};
  const auto result = env.handler.handle(env.command(env.now));
  CHECK(result.what == worker::handler_result::outcome::done);
  CHECK(env.store->calls == 1);
  const auto taken = env.scheduler->taken();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].due_at == env.now + 1500ms);
}

TEST_CASE("expire-share once due commits and is done whatever the store found") {
  for (auto found : {ports::share_expiry::kind::removed, ports::share_expiry::kind::missing,
                     ports::share_expiry::kind::already_processed}) {
    handler_env env;
    env.store->answer = {found, 0ms};
    CHECK(env.handler.handle(env.command(env.now - 1s)).what ==
          worker::handler_result::outcome::done);
    CHECK(env.store->calls == 1);
    CHECK(env.scheduler->taken().empty());
  }
}

TEST_CASE("expire-share retries a database fault and a failed re-delay") {
  handler_env env;
  env.store->throw_unavailable = true;
  CHECK(env.handler.handle(env.command(env.now)).what == worker::handler_result::outcome::retry);
  handler_env later;
  later.scheduler->answer({false, "timeout: no confirm within 5000 ms"});
  CHECK(later.handler.handle(later.command(later.now + 1h)).what ==
        worker::handler_result::outcome::retry);
}

TEST_CASE("expire-share with a malformed payload is dead-lettered") {
  handler_env env;
  auto command = env.command(env.now);
  command.payload.erase("share_id");
  CHECK(env.handler.handle(command).what == worker::handler_result::outcome::reject);
  CHECK(env.store->calls == 0);
}
