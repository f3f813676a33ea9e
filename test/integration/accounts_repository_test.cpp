// user_repository, api_key_repository and the outbox against the real PostgreSQL, each case
// on a migrated database of its own: accounts and keys are stored and found as the contract
// says (case-insensitive e-mail and username, owner-scoped keys), every change writes its
// event in the same transaction (a refused change leaves none), the events conform to
// schemas/events/event.schema.json, and an unreachable server throws backend_unavailable.
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/api_key_repository.hpp"
#include "adapters/postgres/repositories/user_repository.hpp"
#include "adapters/support/random.hpp"
#include "test/support/io_threads.hpp"
#include "test/support/outbox_fixture.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>

namespace model = kemas::model;
namespace ports = kemas::ports;

namespace {

namespace pg = kemas::postgres;
using namespace std::chrono_literals;

kemas::timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

model::event_draft draft(std::string type, std::string subject_type = "user") {
  model::event_draft d;
  d.type = std::move(type);
  d.request_id = "it-req-" + kemas::support::random_hex(4);
  d.actor_ip = "203.0.113.7";
  d.subject_type = std::move(subject_type);
  return d;
}

// One migrated database, a pool on it, the repositories, and threads to await them on.
struct accounts_env {
  kemas::test::migrated_database db{"accounts"};
  pg::pg_pool pool{db.settings(), "kemas-it-accounts"};
  kemas::test::io_threads io{2};
  pg::user_repository users{pool};
  pg::api_key_repository keys{pool};

  template <class T>
  T await(boost::asio::awaitable<T> work) {
    return io.run(std::move(work));
  }

  model::user make_user(const std::string& email, const std::string& username) {
    ports::new_user user{email, username, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                      kemas::role::user};
    auto created = await(users.create(std::move(user), draft("user.registered")));
    REQUIRE_MESSAGE(created.has_value(), (created ? "" : created.error().message));
    return *created;
  }

  std::vector<boost::json::object> events() {
    return pool.with_session([](soci::session& sql) { return kemas::test::outbox_events(sql); });
  }

  int count(const std::string& query) {
    return pool.with_session([&](soci::session& sql) {
      int n = 0;
      sql << query, soci::into(n);
      return n;
    });
  }
};

void check_event(const boost::json::object& event, std::string_view type,
                 std::string_view subject_type, const std::string& subject_id) {
  CAPTURE(boost::json::serialize(event));
  CHECK(kemas::test::event_schema_problems(event) == "");
  CHECK(event.at("type").as_string() == type);
  CHECK(event.at("subject").at("type").as_string() == subject_type);
  CHECK(event.at("subject").at("id").as_string() == subject_id);
}

}  // namespace

TEST_CASE("create stores a Free account and its user.registered event") {
  accounts_env env;
  const auto before = now_ms();
  auto event = draft("user.registered");
  event.data["email"] = "Alice@Example.org";
  const std::string request_id = event.request_id;
  auto created = env.await(env.users.create(
      {"Alice@Example.org", "Alice", "$argon2id$hash", kemas::role::user}, std::move(event)));
  REQUIRE_MESSAGE(created.has_value(), (created ? "" : created.error().message));
  CHECK(created->email == "Alice@Example.org");  // stored as typed
  CHECK(created->username == "Alice");
  CHECK(created->password_hash == "$argon2id$hash");
  CHECK(created->role == kemas::role::user);
  CHECK(created->plan == "free");
  CHECK_FALSE(created->plan_expires_at.has_value());
  CHECK(created->used_bytes == 0);
  CHECK_FALSE(created->disabled);
  CHECK(created->created_at >= before - 5s);
  CHECK(created->created_at <= now_ms() + 5s);

  const auto events = env.events();
  REQUIRE(events.size() == 1);
  check_event(events[0], "user.registered", "user", created->id.to_string());
  CHECK(events[0].at("request_id").as_string() == request_id);
  CHECK(events[0].at("version") == 1);
  CHECK(events[0].at("actor").at("ip").as_string() == "203.0.113.7");
  CHECK(events[0].at("actor").at("user_id").is_null());
  CHECK(events[0].at("data").at("email").as_string() == "Alice@Example.org");
}

TEST_CASE("a taken email or username is a conflict naming the field and leaves no event") {
  accounts_env env;
  const auto alice = env.make_user("alice@example.org", "alice");

  auto same_email =
      env.await(env.users.create({"ALICE@example.ORG", "someone", "$argon2id$x", kemas::role::user},
                                 draft("user.registered")));
  REQUIRE_FALSE(same_email.has_value());
  CHECK(same_email.error().code == kemas::errc::conflict);
  CHECK(same_email.error().field == "email");
  CHECK_FALSE(same_email.error().message.empty());

  auto same_username = env.await(env.users.create(
      {"other@example.org", "ALICE", "$argon2id$x", kemas::role::user}, draft("user.registered")));
  REQUIRE_FALSE(same_username.has_value());
  CHECK(same_username.error().code == kemas::errc::conflict);
  CHECK(same_username.error().field == "username");

  // The failed inserts rolled back with their events: one user, one event.
  CHECK(env.count("SELECT count(*) FROM users") == 1);
  const auto events = env.events();
  REQUIRE(events.size() == 1);
  check_event(events[0], "user.registered", "user", alice.id.to_string());
}

TEST_CASE("lookups by email and username ignore case and by id are exact") {
  accounts_env env;
  const auto bob = env.make_user("Bob@Example.org", "Bob");

  auto by_email = env.await(env.users.find_by_email("bob@EXAMPLE.org"));
  REQUIRE(by_email.has_value());
  CHECK(by_email->id == bob.id);
  CHECK(by_email->email == "Bob@Example.org");

  auto by_username = env.await(env.users.find_by_username("bOB"));
  REQUIRE(by_username.has_value());
  CHECK(by_username->id == bob.id);

  auto by_id = env.await(env.users.find_by_id(bob.id));
  REQUIRE(by_id.has_value());
  CHECK(by_id->username == "Bob");

  auto missing = env.await(env.users.find_by_email("nobody@example.org"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == kemas::errc::not_found);
  CHECK(env.await(env.users.find_by_username("nobody")).error().code == kemas::errc::not_found);
  CHECK(env.await(env.users.find_by_id(kemas::support::random_uuid())).error().code ==
        kemas::errc::not_found);
}

TEST_CASE("role and disabled changes write before and after once and report no-ops") {
  accounts_env env;
  const auto carol = env.make_user("carol@example.org", "carol");

  auto promoted =
      env.await(env.users.set_role(carol.id, kemas::role::admin, draft("user.role_changed")));
  REQUIRE(promoted.has_value());
  CHECK(promoted->changed);
  CHECK(promoted->user.role == kemas::role::admin);
  auto again =
      env.await(env.users.set_role(carol.id, kemas::role::admin, draft("user.role_changed")));
  REQUIRE(again.has_value());
  CHECK_FALSE(again->changed);

  auto disabled = env.await(env.users.set_disabled(carol.id, true, draft("user.disabled")));
  REQUIRE(disabled.has_value());
  CHECK(disabled->changed);
  CHECK(disabled->user.disabled);
  CHECK_FALSE(env.await(env.users.set_disabled(carol.id, true, draft("user.disabled")))->changed);
  CHECK(env.await(env.users.find_by_id(carol.id))->disabled);

  const auto events = env.events();
  REQUIRE(events.size() == 3);  // registered, role_changed, disabled: no-ops emit nothing
  check_event(events[1], "user.role_changed", "user", carol.id.to_string());
  CHECK(events[1].at("data").at("before").at("role") == "user");
  CHECK(events[1].at("data").at("after").at("role") == "admin");
  check_event(events[2], "user.disabled", "user", carol.id.to_string());
  CHECK(events[2].at("data").at("before").at("disabled") == false);
  CHECK(events[2].at("data").at("after").at("disabled") == true);

  const auto nobody = kemas::support::random_uuid();
  CHECK(env.await(env.users.set_role(nobody, kemas::role::admin, draft("user.role_changed")))
            .error()
            .code == kemas::errc::not_found);
  CHECK(env.await(env.users.set_disabled(nobody, true, draft("user.disabled"))).error().code ==
        kemas::errc::not_found);
  CHECK(env.events().size() == 3);
}

TEST_CASE("set_password replaces the hash with its event and append_event stands alone") {
  accounts_env env;
  const auto dave = env.make_user("dave@example.org", "dave");

  auto changed =
      env.await(env.users.set_password(dave.id, "$argon2id$new", draft("auth.password_changed")));
  REQUIRE(changed.has_value());
  CHECK(env.await(env.users.find_by_id(dave.id))->password_hash == "$argon2id$new");
  auto missing = env.await(env.users.set_password(kemas::support::random_uuid(), "$argon2id$x",
                                                  draft("auth.password_changed")));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == kemas::errc::not_found);

  auto login = draft("auth.login");
  login.actor_user = dave.id;
  login.subject_id = dave.id.to_string();
  login.data["session_id"] = "0123456789abcdef0123456789abcdef";
  env.await(env.users.append_event(std::move(login)));

  const auto events = env.events();
  REQUIRE(events.size() == 3);
  check_event(events[1], "auth.password_changed", "user", dave.id.to_string());
  check_event(events[2], "auth.login", "user", dave.id.to_string());
  CHECK(events[2].at("actor").at("user_id").as_string() == dave.id.to_string());
  for (const auto& event : events) {
    CHECK(boost::json::serialize(event).find("argon2") == std::string::npos);
  }
}

TEST_CASE("an event of an unknown type is refused before anything is written") {
  accounts_env env;
  auto bad = draft("user.exploded");
  bad.subject_id = "x";
  CHECK_THROWS_AS(env.await(env.users.append_event(bad)), std::invalid_argument);
  auto no_subject = draft("auth.login");
  CHECK_THROWS_AS(env.await(env.users.append_event(no_subject)), std::invalid_argument);
  // Inside a create it rolls the account back too.
  auto created = env.users.create({"eve@example.org", "eve", "$argon2id$x", kemas::role::user},
                                  draft("no.such.type"));
  CHECK_THROWS_AS(env.await(std::move(created)), std::invalid_argument);
  CHECK(env.count("SELECT count(*) FROM users") == 0);
  CHECK(env.events().empty());
}

TEST_CASE("an unreachable server throws backend_unavailable") {
  auto settings = kemas::test::pg_settings_from_env();
  settings.url = "postgresql://kemas@127.0.0.1:1/kemas";  // nothing listens on port 1
  settings.connect_timeout = 2s;
  pg::pg_pool pool(settings, "kemas-it-down");
  kemas::test::io_threads io(1);
  pg::user_repository users(pool);
  pg::api_key_repository keys(pool);
  CHECK_THROWS_AS(io.run(users.find_by_email("x@example.org")), kemas::backend_unavailable);
  CHECK_THROWS_AS(io.run(keys.find_by_prefix("0123456789ab")), kemas::backend_unavailable);
  // touch_last_used never throws: callers fire and forget it.
  CHECK_FALSE(io.run(keys.touch_last_used(kemas::support::random_uuid())));
}

TEST_CASE("api keys are created and listed newest first and revoked only by their owner") {
  accounts_env env;
  const auto owner = env.make_user("owner@example.org", "owner");
  const auto other = env.make_user("other@example.org", "other");
  kemas::scope_set read_only;
  read_only.add(kemas::scope::files_read);
  kemas::scope_set read_write = read_only;
  read_write.add(kemas::scope::files_write);

  const auto expires = now_ms() + std::chrono::hours(24);
  auto first = env.await(env.keys.create(owner.id, "ci", "aaaaaaaaaaa1", "hash-1", read_only,
                                         expires, draft("apikey.created", "api_key")));
  REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.error().message));
  CHECK(first->user_id == owner.id);
  CHECK(first->name == "ci");
  CHECK(first->prefix == "aaaaaaaaaaa1");
  CHECK(first->secret_hash == "hash-1");
  CHECK(first->scopes == read_only);
  REQUIRE(first->expires_at.has_value());
  CHECK(*first->expires_at == expires);  // exact to the millisecond
  CHECK_FALSE(first->last_used_at.has_value());
  CHECK_FALSE(first->revoked_at.has_value());

  auto second = env.await(env.keys.create(owner.id, "laptop", "aaaaaaaaaaa2", "hash-2", read_write,
                                          std::nullopt, draft("apikey.created", "api_key")));
  REQUIRE(second.has_value());
  CHECK(second->scopes == read_write);
  CHECK_FALSE(second->expires_at.has_value());

  const auto listed = env.await(env.keys.list_for_user(owner.id));
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].id == second->id);
  CHECK(listed[1].id == first->id);
  CHECK(env.await(env.keys.list_for_user(other.id)).empty());

  SUBCASE("someone else's key is not found and stays usable") {
    auto stolen =
        env.await(env.keys.revoke(other.id, first->id, draft("apikey.revoked", "api_key")));
    REQUIRE_FALSE(stolen.has_value());
    CHECK(stolen.error().code == kemas::errc::not_found);
    CHECK_FALSE(env.await(env.keys.find_by_prefix("aaaaaaaaaaa1"))->key.revoked_at.has_value());
  }
  SUBCASE("the owner revokes once and the event says which key") {
    auto revoked =
        env.await(env.keys.revoke(owner.id, first->id, draft("apikey.revoked", "api_key")));
    REQUIRE(revoked.has_value());
    CHECK(revoked->revoked_at.has_value());
    auto twice =
        env.await(env.keys.revoke(owner.id, first->id, draft("apikey.revoked", "api_key")));
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().code == kemas::errc::not_found);
    const auto events = env.events();
    REQUIRE(events.size() == 5);  // 2 registered, 2 created, 1 revoked
    check_event(events[2], "apikey.created", "api_key", first->id.to_string());
    check_event(events[3], "apikey.created", "api_key", second->id.to_string());
    check_event(events[4], "apikey.revoked", "api_key", first->id.to_string());
  }
  SUBCASE("an unknown key id is not found") {
    auto unknown = env.await(env.keys.revoke(owner.id, kemas::support::random_uuid(),
                                             draft("apikey.revoked", "api_key")));
    CHECK(unknown.error().code == kemas::errc::not_found);
  }
}

TEST_CASE("find_by_prefix brings the owner's role and disabled flag") {
  accounts_env env;
  const auto owner = env.make_user("dev@example.org", "dev");
  kemas::scope_set scopes;
  scopes.add(kemas::scope::files_write);
  REQUIRE(env.await(env.keys.create(owner.id, "k", "bbbbbbbbbbbb", "hash", scopes, std::nullopt,
                                    draft("apikey.created", "api_key")))
              .has_value());

  auto found = env.await(env.keys.find_by_prefix("bbbbbbbbbbbb"));
  REQUIRE(found.has_value());
  CHECK(found->key.user_id == owner.id);
  CHECK(found->key.secret_hash == "hash");
  CHECK(found->key.scopes == scopes);
  CHECK(found->owner_role == kemas::role::user);
  CHECK_FALSE(found->owner_disabled);

  REQUIRE(
      env.await(env.users.set_role(owner.id, kemas::role::developer, draft("user.role_changed")))
          .has_value());
  REQUIRE(env.await(env.users.set_disabled(owner.id, true, draft("user.disabled"))).has_value());
  found = env.await(env.keys.find_by_prefix("bbbbbbbbbbbb"));
  REQUIRE(found.has_value());
  CHECK(found->owner_role == kemas::role::developer);
  CHECK(found->owner_disabled);

  CHECK(env.await(env.keys.find_by_prefix("cccccccccccc")).error().code == kemas::errc::not_found);
}

TEST_CASE("api key creation refuses what the data model forbids") {
  accounts_env env;
  const auto owner = env.make_user("keys@example.org", "keys");
  kemas::scope_set none;
  REQUIRE(env.await(env.keys.create(owner.id, "a", "dddddddddddd", "h", none, std::nullopt,
                                    draft("apikey.created", "api_key")))
              .has_value());

  auto taken = env.await(env.keys.create(owner.id, "b", "dddddddddddd", "h", none, std::nullopt,
                                         draft("apikey.created", "api_key")));
  CHECK(taken.error().code == kemas::errc::conflict);
  CHECK(taken.error().field == "prefix");

  auto past = env.await(env.keys.create(owner.id, "c", "eeeeeeeeeeee", "h", none,
                                        now_ms() - std::chrono::hours(1),
                                        draft("apikey.created", "api_key")));
  CHECK(past.error().code == kemas::errc::validation_failed);
  CHECK(past.error().field == "expires_at");

  auto unnamed = env.await(env.keys.create(owner.id, "", "ffffffffffff", "h", none, std::nullopt,
                                           draft("apikey.created", "api_key")));
  CHECK(unnamed.error().code == kemas::errc::validation_failed);
  CHECK(unnamed.error().field == "name");

  auto orphan = env.await(env.keys.create(kemas::support::random_uuid(), "d", "abababababab", "h",
                                          none, std::nullopt, draft("apikey.created", "api_key")));
  CHECK(orphan.error().code == kemas::errc::not_found);

  CHECK(env.count("SELECT count(*) FROM api_keys") == 1);
  CHECK(env.events().size() == 2);  // registered + the one key
  CHECK(env.await(env.keys.list_for_user(owner.id)).front().scopes.empty());
}

TEST_CASE("touch_last_used stamps a key at most once a minute") {
  accounts_env env;
  const auto owner = env.make_user("touch@example.org", "touch");
  auto key = env.await(env.keys.create(owner.id, "t", "121212121212", "h", kemas::scope_set{},
                                       std::nullopt, draft("apikey.created", "api_key")));
  REQUIRE(key.has_value());
  CHECK(env.await(env.keys.touch_last_used(key->id)));
  CHECK_FALSE(env.await(env.keys.touch_last_used(key->id)));
  const auto found = env.await(env.keys.find_by_prefix("121212121212"));
  REQUIRE(found->key.last_used_at.has_value());
  CHECK(*found->key.last_used_at >= now_ms() - 60s);
  CHECK_FALSE(env.await(env.keys.touch_last_used(kemas::support::random_uuid())));
}

TEST_CASE("the event schema lists exactly the types and subjects the code knows") {
  const auto schema = kemas::test::load_source_json("schemas/events/event.schema.json");
  const auto& properties = schema.at("properties").as_object();
  std::set<std::string> schema_types, code_types, schema_subjects, code_subjects;
  for (const auto& t : properties.at("type").at("enum").as_array())
    schema_types.emplace(t.as_string());
  for (const auto t : pg::known_event_types())
    code_types.emplace(t);
  for (const auto& s : properties.at("subject").at("properties").at("type").at("enum").as_array())
    schema_subjects.emplace(s.as_string());
  for (const auto s : pg::known_subject_types())
    code_subjects.emplace(s);
  CHECK(schema_types == code_types);
  CHECK(schema_subjects == code_subjects);

  // build_event output conforms, and the checker does catch a broken document.
  auto d = draft("auth.lockout");
  d.subject_id = "u:someone";
  auto event = pg::build_event(d, kemas::support::random_uuid(), now_ms());
  CHECK(kemas::test::event_schema_problems(event) == "");
  CHECK(event.at("occurred_at").as_string().size() == 24);
  event.erase("actor");
  event["version"] = 2;
  event["extra"] = true;
  const auto problems = kemas::test::event_schema_problems(event);
  CHECK(problems.find("actor is missing") != std::string::npos);
  CHECK(problems.find("$.version") != std::string::npos);
  CHECK(problems.find("$.extra") != std::string::npos);
}
