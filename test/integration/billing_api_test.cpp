// Step 4's billing routes, api side, through the real kemas-api wiring (api_fixture: scratch
// database; a RabbitMQ vhost of the test's own, so the commands the api publishes reach no
// other test's worker): upgrade validation and the published command, 202 and the polled
// order (a stand-in plays the worker: it takes the command and writes what the worker's
// transaction writes), subscription and order history, the internal sweep route's token, and
// real-time enforcement of a past-due plan with no worker running at all; and the whole
// upgrade with a real kemas-worker (worker_fixture).
#include <doctest/doctest.h>

#include <soci/soci.h>
#include <boost/json.hpp>

#include <future>
#include <set>

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/crypto/tokens.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/support/random.hpp"
#include "app/composition/api_application.hpp"
#include "app/composition/api_backends.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "domain/rfc3339.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/relay_fixture.hpp"
#include "test/support/s3_fixture.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/worker_fixture.hpp"

using namespace kemas::test;
namespace json = boost::json;
namespace pg = kemas::postgres;

namespace {

// The api on the vhost; `wait` is upload.wait (how long an upgrade waits for its order).
std::function<void(kemas::config::settings&)> on_vhost(const kemas::test::scratch_vhost& vhost,
                                                       std::chrono::milliseconds wait) {
  return [name = vhost.name(), wait](kemas::config::settings& s) {
    s.amqp.vhost = name;
    s.upload.wait = wait;
    s.ratelimit.auth_limit = 1000;
  };
}

// The command of this type the api published, decoded (waits up to 5 s for it).
kemas::commands::envelope take_command(const kemas::test::scratch_vhost& vhost,
                                       const std::string& type) {
  auto taken = kemas::test::take_matching(
      vhost.amqp_settings(), "kemas.commands." + type, [](const auto&) { return true; }, 1,
      std::chrono::seconds(5));
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].type == type);
  auto envelope = kemas::commands::decode_envelope(taken[0].body);
  REQUIRE(envelope.has_value());
  return *envelope;
}

// The api on a vhost of the test's own; `wait` as on_vhost().
struct billing_env {
  kemas::test::scratch_vhost vhost;
  api_fixture api;
  explicit billing_env(const char* tag,
                       std::chrono::milliseconds wait = std::chrono::milliseconds(200))
      : vhost(tag), api(on_vhost(vhost, wait)) {}
};

void exec(const api_fixture& api, const std::string& statement) {
  pg::pg_pool pool(api.database().settings(), "kemas-test");
  pool.with_session([&](soci::session& sql) { sql << statement; });
}

}  // namespace

TEST_CASE("upgrade refuses what cannot be bought / with clear codes and publishes nothing") {
  billing_env env("upgrade-refusals");
  auto& [vhost, api] = env;
  const auto ana = sign_up(api, "refusedana");
  exec(api,
       "INSERT INTO plans (name, display_name, quota_bytes, max_file_bytes, duration_seconds, "
       "public) VALUES ('forever', 'Forever', 10, 10, NULL, true), "
       "('secret', 'Secret', 10, 10, 60, false)");

  auto gold = api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"gold"})", ana.auth);
  CHECK(gold.status == 404);
  CHECK(error_code(gold) == "unknown_plan");
  CHECK(parse(gold).at("error").at("field").as_string() == "package");
  auto secret =
      api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"secret"})", ana.auth);
  CHECK(secret.status == 404);
  CHECK(error_code(secret) == "unknown_plan");
  for (const char* package : {"free", "forever"}) {
    CAPTURE(package);
    auto r = api.call("POST", "/api/v1/auth/billing/upgrade",
                      json::serialize(json::object{{"package", package}}), ana.auth);
    CHECK(r.status == 400);
    CHECK(error_code(r) == "validation_failed");
    CHECK(parse(r).at("error").at("field").as_string() == "package");
  }
  auto missing = api.call("POST", "/api/v1/auth/billing/upgrade", R"({})", ana.auth);
  CHECK(missing.status == 400);
  CHECK(api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})").status == 401);

  // Buying takes a session: an API key (any scopes) is refused.
  auto key = api.call("POST", "/api/v1/auth/keys",
                      R"({"name":"k","scopes":["files:read","files:write"]})", ana.auth);
  REQUIRE(key.status == 201);
  const std::string with_key =
      "Authorization: ApiKey " + std::string(parse(key).at("key").as_string()) + "\r\n";
  CHECK(api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})", with_key)
            .status == 403);
  CHECK(api.call("GET", "/api/v1/auth/billing/subscription", {}, with_key).status == 403);

  REQUIRE(kemas::test::eventually(
      [&] { return api.application().backends().publisher().connected(); }));
  CHECK(kemas::test::queue_depth(vhost.amqp_settings(), "kemas.commands.upgrade") == 0);
}

TEST_CASE("upgrade publishes the command and answers 202 / then 200 once the order is paid") {
  // Below the test client's 10 s read timeout: a lost order shows as 202, not as a hang.
  billing_env env("upgrade-flow", std::chrono::seconds(6));
  auto& [vhost, api] = env;
  const auto ana = sign_up(api, "buyerana");
  // The queues exist once the api's publisher has connected (it declares the topology).
  REQUIRE(kemas::test::eventually(
      [&] { return api.application().backends().publisher().connected(); }));

  SUBCASE("Prefer: respond-async answers 202 at once with the pending order") {
    auto r = api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})",
                      ana.auth + "Prefer: respond-async\r\n");
    REQUIRE(r.status == 202);
    CHECK(r.header("preference-applied") == "respond-async");
    const auto order = parse(r).at("order").as_object();
    const std::string order_id(order.at("id").as_string());
    CHECK(order.at("state").as_string() == "pending");
    CHECK(r.header("location") == "/api/v1/auth/billing/orders/" + order_id);

    const auto command = take_command(vhost, "upgrade");
    CHECK(command.actor.user_id == ana.id);
    CHECK(command.actor.ip == api.client_address());
    const auto& payload = command.payload;
    CHECK(payload.at("order_id").as_string() == order_id);
    CHECK(payload.at("plan").as_string() == "premium");
    CHECK(payload.size() == 2);
    // No worker wrote it: the order is not known yet.
    CHECK(api.call("GET", "/api/v1/auth/billing/orders/" + order_id, {}, ana.auth).status == 404);
  }

  SUBCASE("the request waits for the worker's commit and answers 200 with the subscription") {
    // A stand-in for the worker's upgrade transaction: order paid, plan and expiry set.
    auto worker = std::async(std::launch::async, [&] {
      const auto command = take_command(vhost, "upgrade");
      const auto& payload = command.payload;
      const std::string order_id(payload.at("order_id").as_string());
      // One transaction, as the worker's: the api must never see the order without the plan.
      exec(api,
           "WITH bought AS (INSERT INTO orders (id, user_id, plan_id, amount_cents, "
           "currency, state, expires_at) SELECT '" +
               order_id + "', '" + *command.actor.user_id +
               "', id, price_cents, currency, 'paid', now() + interval '30 days' "
               "FROM plans WHERE name = 'premium' RETURNING plan_id, expires_at) "
               "UPDATE users SET plan_id = bought.plan_id, plan_expires_at = "
               "bought.expires_at FROM bought WHERE id = '" +
               *command.actor.user_id + "'");
      return order_id;
    });
    auto r = api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})", ana.auth);
    const auto order_id = worker.get();
    REQUIRE(r.status == 200);
    const auto body = parse(r);
    CHECK(body.at("order").at("id").as_string() == order_id);
    CHECK(body.at("order").at("state").as_string() == "paid");
    CHECK(body.at("order").at("amount_cents").as_int64() == 500);
    CHECK(body.at("order").at("plan").as_string() == "premium");
    CHECK(body.at("order").at("expires_at").is_string());
    const auto& subscription = body.at("subscription").as_object();
    CHECK(subscription.at("plan").as_string() == "premium");
    CHECK(subscription.at("expired").as_bool() == false);
    CHECK(subscription.at("expires_at").is_string());

    auto one = api.call("GET", "/api/v1/auth/billing/orders/" + order_id, {}, ana.auth);
    REQUIRE(one.status == 200);
    CHECK(parse(one).at("state").as_string() == "paid");
    auto list = api.call("GET", "/api/v1/auth/billing/orders", {}, ana.auth);
    REQUIRE(list.status == 200);
    CHECK(parse(list).at("orders").as_array().size() == 1);
    // Another user sees none of it.
    const auto bob = sign_up(api, "otherbob");
    CHECK(api.call("GET", "/api/v1/auth/billing/orders/" + order_id, {}, bob.auth).status == 404);
    CHECK(parse(api.call("GET", "/api/v1/auth/billing/orders", {}, bob.auth))
              .at("orders")
              .as_array()
              .empty());
  }

  SUBCASE("a failed order is 402 order_failed with its reason") {
    auto worker = std::async(std::launch::async, [&] {
      const auto command = take_command(vhost, "upgrade");
      const auto& payload = command.payload;
      exec(api,
           "INSERT INTO orders (id, user_id, plan_id, amount_cents, currency, state, reason) "
           "SELECT '" +
               std::string(payload.at("order_id").as_string()) + "', '" + *command.actor.user_id +
               "', id, price_cents, currency, 'failed', "
               "'payment_declined' FROM plans WHERE name = 'premium'");
    });
    auto r = api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})", ana.auth);
    worker.get();
    CHECK(r.status == 402);
    CHECK(error_code(r) == "order_failed");
    CHECK(parse(r).at("order").at("reason").as_string() == "payment_declined");
  }
}

TEST_CASE("order history pages newest first / and the subscription reads the plan in force") {
  billing_env env("orders");
  auto& [vhost, api] = env;
  const auto ana = sign_up(api, "historyana");
  exec(api,
       "INSERT INTO orders (user_id, plan_id, amount_cents, currency, state, created_at) "
       "SELECT '" +
           ana.id +
           "', p.id, 500, 'USD', 'paid', "
           "timestamptz '2024-01-01' + g * interval '1 day' "
           "FROM plans p, generate_series(1, 5) g WHERE p.name = 'premium'");

  std::set<std::string> seen;
  std::vector<std::string> created;
  std::string cursor;
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto r = api.call("GET",
                      "/api/v1/auth/billing/orders?limit=2" +
                          (cursor.empty() ? std::string() : "&cursor=" + cursor),
                      {}, ana.auth);
    REQUIRE(r.status == 200);
    const auto body = parse(r);
    for (const auto& o : body.at("orders").as_array()) {
      CHECK(seen.insert(std::string(o.at("id").as_string())).second);
      created.emplace_back(o.at("created_at").as_string());
    }
    if (body.at("next_cursor").is_null())
      break;
    cursor = std::string(body.at("next_cursor").as_string());
  }
  CHECK(pages == 2);  // 2 + 2 + 1
  CHECK(seen.size() == 5);
  CHECK(std::is_sorted(created.rbegin(), created.rend()));
  CHECK(api.call("GET", "/api/v1/auth/billing/orders?cursor=bogus", {}, ana.auth).status == 400);
  CHECK(api.call("GET", "/api/v1/auth/billing/orders?limit=0", {}, ana.auth).status == 400);

  auto free = parse(api.call("GET", "/api/v1/auth/billing/subscription", {}, ana.auth));
  CHECK(free.at("plan").as_string() == "free");
  CHECK(free.at("expires_at").is_null());
  CHECK(free.at("expired").as_bool() == false);
  exec(api,
       "UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'premium'), "
       "plan_expires_at = now() - interval '1 second' WHERE id = '" +
           ana.id + "'");
  auto lapsed = parse(api.call("GET", "/api/v1/auth/billing/subscription", {}, ana.auth));
  CHECK(lapsed.at("plan").as_string() == "free");
  CHECK(lapsed.at("expired").as_bool() == true);
  CHECK(lapsed.at("expires_at").is_string());
  CHECK(lapsed.at("quota_bytes").as_int64() == free.at("quota_bytes").as_int64());
}

TEST_CASE("the internal sweep route takes only the internal token") {
  billing_env env("internal");
  auto& [vhost, api] = env;
  const std::string route = "/api/v1/internal/scheduler/check-expired-packages";
  const std::string token = api.settings().internal.token;
  REQUIRE_FALSE(token.empty());

  auto none = api.call("POST", route);
  CHECK(none.status == 401);
  CHECK(error_code(none) == "unauthenticated");
  CHECK(api.call("POST", route, {}, "X-Internal-Token: " + token + "x\r\n").status == 401);
  CHECK(api.call("POST", route, {}, "X-Internal-Token: \r\n").status == 401);
  CHECK(api.call("POST", route, {}, "Authorization: Bearer wrong\r\n").status == 401);
  // A user's session is not the internal token either.
  const auto ana = sign_up(api, "internalana");
  CHECK(api.call("POST", route, {}, ana.auth).status == 401);
  // The api declares the topology when its publisher connects (in the background).
  REQUIRE(kemas::test::eventually(
      [&] { return api.application().backends().publisher().connected(); }));
  CHECK(kemas::test::queue_depth(vhost.amqp_settings(), "kemas.commands.expire-sweep") == 0);

  auto accepted = api.call("POST", route, {}, "X-Internal-Token: " + token + "\r\n");
  REQUIRE(accepted.status == 202);
  const auto command = take_command(vhost, "expire-sweep");
  CHECK(command.id == parse(accepted).at("command_id").as_string());
  CHECK_FALSE(command.actor.user_id.has_value());
  CHECK(command.payload.empty());
  CHECK(api.call("POST", route, {}, "Authorization: Bearer " + token + "\r\n").status == 202);
  take_command(vhost, "expire-sweep");
}

TEST_CASE("the internal route is closed when no token is configured") {
  kemas::test::scratch_vhost vhost("internal-off");
  api_fixture api([&](kemas::config::settings& s) {
    on_vhost(vhost, std::chrono::milliseconds(200))(s);
    s.internal.token.clear();
  });
  auto r = api.call("POST", "/api/v1/internal/scheduler/check-expired-packages", {},
                    "X-Internal-Token: \r\n");
  CHECK(r.status == 503);
}

TEST_CASE("a past-due plan is enforced as free at once / with no worker running") {
  billing_env env("enforcement");
  auto& [vhost, api] = env;
  const auto ana = sign_up(api, "lapsedana");
  kemas::s3::s3_client s3(api.settings().s3);
  // Free: 1000 bytes. Ana holds premium with three 400-byte files, oldest first: 1200 bytes.
  exec(api, "UPDATE plans SET quota_bytes = 1000 WHERE name = 'free'");
  exec(api,
       "UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'premium'), "
       "plan_expires_at = now() + interval '1 hour', used_bytes = 1200 WHERE id = '" +
           ana.id + "'");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const std::string id = kemas::support::random_uuid().to_string();
    const std::string key = "u/" + ana.id + "/" + id;
    const std::string bytes(400, static_cast<char>('a' + i));
    REQUIRE(s3.put_object(key, bytes, "text/plain").has_value());
    exec(api,
         "INSERT INTO files (id, owner_id, name, size_bytes, sha256, object_key, created_at) "
         "VALUES ('" +
             id + "', '" + ana.id + "', 'f" + std::to_string(i) + "', 400, '" +
             kemas::crypto::sha256_hex(bytes) + "', '" + key + "', now() - interval '1 hour' + " +
             std::to_string(i) + " * interval '1 minute')");
    exec(api, "UPDATE users SET file_count = file_count + 1 WHERE id = '" + ana.id + "'");
    ids.push_back(id);
  }
  const auto download = [&](int i) {
    return api.call("GET", "/api/v1/auth/files/download/" + ids[static_cast<std::size_t>(i)], {},
                    ana.auth);
  };
  const auto upload = [&](std::size_t size) {
    return api.call("POST", "/api/v1/auth/files/upload?name=new" + std::to_string(size),
                    std::string(size, 'n'), ana.auth + "Content-Type: text/plain\r\n");
  };

  // While premium is in force, everything is downloadable.
  for (int i = 0; i < 3; ++i)
    CHECK(download(i).status == 200);

  // Past due: nothing swept it (no worker, no scheduler), yet it is free now.
  exec(api, "UPDATE users SET plan_expires_at = now() - interval '1 second' WHERE id = '" + ana.id +
                "'");
  auto oldest = download(0);
  CHECK(oldest.status == 200);
  CHECK(oldest.body == std::string(400, 'a'));
  CHECK(download(1).status == 200);  // 800 bytes still fit in 1000
  auto newest = download(2);
  CHECK(newest.status == 403);
  CHECK(error_code(newest) == "file_locked");
  // The metadata still answers (locked files are listed, renamed, deleted).
  CHECK(api.call("GET", "/api/v1/auth/files/" + ids[2], {}, ana.auth).status == 200);

  auto refused = upload(10);
  CHECK(refused.status == 507);
  CHECK(error_code(refused) == "quota_exceeded");
  auto listing = parse(api.call("GET", "/api/v1/auth/files/list", {}, ana.auth));
  CHECK(listing.at("quota_bytes").as_int64() == 1000);
  REQUIRE(kemas::test::eventually(
      [&] { return api.application().backends().publisher().connected(); }));
  CHECK(kemas::test::queue_depth(vhost.amqp_settings(), "kemas.commands.upload") == 0);

  // A renewal (what the worker's upgrade writes) lifts it at once.
  exec(api,
       "UPDATE users SET plan_expires_at = now() + interval '1 hour' WHERE id = '" + ana.id + "'");
  CHECK(download(2).status == 200);
  kemas::test::delete_s3_prefix(s3, "u/" + ana.id + "/");
}

TEST_CASE("upgrade end to end with a real worker / and a renewal extends from the current expiry") {
  kemas::test::worker_fixture worker("billing-e2e");
  api_fixture api(worker.api_tweak([](kemas::config::settings& s) {
    s.upload.wait = std::chrono::seconds(15);
    s.ratelimit.auth_limit = 1000;
  }));
  worker.start(api.database().settings());
  const auto ana = sign_up(api, "e2eana");

  auto first =
      api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})", ana.auth);
  INFO(worker.log());
  REQUIRE(first.status == 200);
  const auto bought = parse(first);
  CHECK(bought.at("order").at("state").as_string() == "paid");
  CHECK(bought.at("subscription").at("plan").as_string() == "premium");
  const auto first_end =
      kemas::parse_rfc3339(bought.at("subscription").at("expires_at").as_string());
  REQUIRE(first_end.has_value());
  const auto month = std::chrono::hours(24 * 30);
  const auto now = std::chrono::system_clock::now();
  CHECK(*first_end > now + month - std::chrono::minutes(1));
  CHECK(*first_end < now + month + std::chrono::minutes(1));

  auto second =
      api.call("POST", "/api/v1/auth/billing/upgrade", R"({"package":"premium"})", ana.auth);
  REQUIRE(second.status == 200);
  const auto second_end =
      kemas::parse_rfc3339(parse(second).at("subscription").at("expires_at").as_string());
  REQUIRE(second_end.has_value());
  CHECK(*second_end - *first_end == std::chrono::duration_cast<std::chrono::milliseconds>(month));

  auto orders = parse(api.call("GET", "/api/v1/auth/billing/orders", {}, ana.auth));
  REQUIRE(orders.at("orders").as_array().size() == 2);
  CHECK(orders.at("orders").as_array()[0].at("id") == parse(second).at("order").at("id"));
}
