// kemas-admin create-admin and user disable|enable|set-role, run as the real binary against a
// migrated scratch database and the shared Redis: the first admin is created with an Argon2id
// hash of the password from the environment or stdin; running it again reports the admin;
// an existing account is promoted; disable/enable/set-role change the row with their event,
// end the user's sessions where the contract says so, and are no-ops the second time; bad
// input exits 2, a missing account or an unreachable database exits 1.
#include "adapters/crypto/password_hasher.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/user_repository.hpp"
#include "adapters/redis/auth/session_store.hpp"
#include "adapters/redis/client.hpp"
#include "test/support/child_process.hpp"
#include "test/support/io_threads.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/redis_fixture.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

namespace model = kemas::model;
namespace ports = kemas::ports;

namespace {

namespace pg = kemas::postgres;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct admin_run {
  std::optional<int> status;  // nullopt: still running after the deadline
  std::string out;
  std::string err;
};

using env_list = std::vector<std::pair<std::string, std::string>>;

struct admin_env {
  kemas::test::migrated_database db{"admin_accounts"};
  kemas::config::postgres_settings pg_settings = db.settings();
  kemas::config::redis_settings redis_settings = kemas::test::redis_settings_from_env();
  pg::pg_pool pool{pg_settings, "kemas-it-admin"};
  pg::user_repository users{pool};
  kemas::test::io_threads io{2};
  kemas::redis::redis_client redis{io.executor(), redis_settings};  // after io: destroyed first
  kemas::redis::session_store sessions{redis, kemas::config::auth_settings{}};
  std::string program = std::string(KEMAS_BINARY_DIR) + "/app/admin/kemas-admin";
  fs::path out_base = fs::temp_directory_path() / ("kemas_admin_" + db.name());

  ~admin_env() {
    fs::remove(out_base.string() + ".out");
    fs::remove(out_base.string() + ".err");
  }

  template <class T>
  T await(boost::asio::awaitable<T> work) {
    return io.run(std::move(work));
  }

  // Runs kemas-admin with `args` through sh, so `stdin_text` is its whole stdin (never the
  // test's). KEMAS_ADMIN_PASSWORD is empty unless `extra` sets it.
  admin_run run(std::vector<std::string> args, env_list extra = {}, std::string stdin_text = "") {
    REQUIRE_MESSAGE(fs::exists(program), "build the kemas-admin target first: " << program);
    kemas::test::child_process::options options;
    options.program = "/bin/sh";
    options.args = {"-c", R"(printf '%s' "$KEMAS_IT_STDIN" | "$0" "$@")", program, "--config",
                    std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml"};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.env = {{"KEMAS_POSTGRES_URL", pg_settings.url},
                   {"KEMAS_POSTGRES_PASSWORD", pg_settings.password},
                   {"KEMAS_REDIS_HOST", redis_settings.host},
                   {"KEMAS_REDIS_PORT", std::to_string(redis_settings.port)},
                   {"KEMAS_ENV", "development"},
                   {"KEMAS_LOG_FORMAT", "text"},
                   {"KEMAS_ADMIN_PASSWORD", ""},
                   {"KEMAS_IT_STDIN", std::move(stdin_text)}};
    for (auto& entry : extra)
      options.env.push_back(std::move(entry));
    options.stdout_path = out_base.string() + ".out";
    options.stderr_path = out_base.string() + ".err";
    kemas::test::child_process child(std::move(options));
    const auto status = child.wait_for(60s);
    std::ifstream stdout_file(out_base.string() + ".out");
    std::string printed((std::istreambuf_iterator<char>(stdout_file)), {});
    return admin_run{status, printed, child.stderr_text()};
  }

  model::user user(const std::string& email) {
    auto found = await(users.find_by_email(email));
    REQUIRE_MESSAGE(found.has_value(), "no user " << email);
    return *found;
  }

  model::user make_user(const std::string& email, const std::string& username) {
    model::event_draft event;
    event.type = "user.registered";
    auto created = await(users.create({email, username, "$argon2id$v=19$kept", kemas::role::user},
                                      std::move(event)));
    REQUIRE(created.has_value());
    return *created;
  }

  std::string open_session(const model::user& user) {
    auto session = await(sessions.create(user.id, user.role, "127.0.0.1"));
    REQUIRE(session.has_value());
    return session->session_id;
  }

  bool session_alive(const std::string& sid) {
    auto alive = await(sessions.exists(sid));
    REQUIRE(alive.has_value());
    return *alive;
  }

  std::vector<boost::json::object> events() {
    return pool.with_session([](soci::session& sql) { return kemas::test::outbox_events(sql); });
  }
};

void check_exit(const admin_run& run, int expected) {
  CAPTURE(run.out);
  CAPTURE(run.err);
  REQUIRE(run.status.has_value());
  CHECK(*run.status == expected);
}

void check_admin_event(const boost::json::object& event, std::string_view type,
                       const model::user& subject) {
  CAPTURE(boost::json::serialize(event));
  CHECK(kemas::test::event_schema_problems(event) == "");
  CHECK(event.at("type").as_string() == type);
  CHECK(event.at("subject").at("id").as_string() == subject.id.to_string());
  CHECK(event.at("actor").at("user_id").is_null());
  CHECK(event.at("data").at("via").as_string() == "kemas-admin");
  CHECK(event.at("request_id").as_string().starts_with("kemas-admin-"));
}

}  // namespace

TEST_CASE("create-admin creates the first admin once and then reports it") {
  admin_env env;
  const env_list password = {{"KEMAS_ADMIN_PASSWORD", "correct horse battery"}};
  const auto first =
      env.run({"create-admin", "--email", "Root@Example.org", "--username", "root"}, password);
  check_exit(first, 0);
  CHECK(first.out.find("created admin Root@Example.org") != std::string::npos);
  const auto root = env.user("root@example.org");
  CHECK(root.role == kemas::role::admin);
  CHECK(root.plan == "free");
  CHECK(kemas::crypto::verify_password("correct horse battery", root.password_hash));

  const auto second =
      env.run({"create-admin", "--email", "root@example.org", "--username", "root"}, password);
  check_exit(second, 0);
  CHECK(second.out.find("already an admin") != std::string::npos);

  const auto events = env.events();
  REQUIRE(events.size() == 1);
  check_admin_event(events[0], "user.registered", root);
  CHECK(events[0].at("data").at("role").as_string() == "admin");

  SUBCASE("the password may come from stdin") {
    const auto piped = env.run({"create-admin", "--email", "ops@example.org", "--username", "ops"},
                               {}, "piped password 123\n");
    check_exit(piped, 0);
    CHECK(kemas::crypto::verify_password("piped password 123",
                                         env.user("ops@example.org").password_hash));
  }
  SUBCASE("bad input exits 2 and creates nothing") {
    check_exit(env.run({"create-admin", "--email", "not-an-email", "--username", "x1"}, password),
               2);
    check_exit(env.run({"create-admin", "--email", "a@example.org", "--username", "a"}, password),
               2);
    check_exit(env.run({"create-admin", "--email", "a@example.org", "--username", "abc"},
                       {{"KEMAS_ADMIN_PASSWORD", "short"}}),
               2);
    const auto no_password =
        env.run({"create-admin", "--email", "a@example.org", "--username", "abc"});
    check_exit(no_password, 2);
    CHECK(no_password.err.find("KEMAS_ADMIN_PASSWORD") != std::string::npos);
    check_exit(env.run({"create-admin", "--email", "a@example.org"}, password), 2);
    CHECK(env.events().size() == 1);
  }
  SUBCASE("a username taken by another account exits 1") {
    const auto taken =
        env.run({"create-admin", "--email", "new@example.org", "--username", "ROOT"}, password);
    check_exit(taken, 1);
    CHECK(taken.err.find("username") != std::string::npos);
  }
}

TEST_CASE("create-admin promotes an existing account and ends its sessions") {
  admin_env env;
  const auto bob = env.make_user("bob@example.org", "bob");
  const auto sid = env.open_session(bob);
  REQUIRE(env.session_alive(sid));

  const auto promoted = env.run({"create-admin", "--email", "BOB@example.org", "--username", "bob"},
                                {{"KEMAS_ADMIN_PASSWORD", "ignored for existing accounts"}});
  check_exit(promoted, 0);
  CHECK(promoted.out.find("promoted bob@example.org") != std::string::npos);
  CHECK(promoted.out.find("ended 1 session") != std::string::npos);
  const auto after = env.user("bob@example.org");
  CHECK(after.role == kemas::role::admin);
  CHECK(after.password_hash == bob.password_hash);
  CHECK_FALSE(env.session_alive(sid));

  const auto events = env.events();
  REQUIRE(events.size() == 2);
  check_admin_event(events[1], "user.role_changed", bob);
  CHECK(events[1].at("data").at("before").at("role") == "user");
  CHECK(events[1].at("data").at("after").at("role") == "admin");
}

TEST_CASE("user disable and enable and set-role change the account once each and end-sessions") {
  admin_env env;
  const auto carol = env.make_user("carol@example.org", "carol");
  const auto other = env.make_user("other@example.org", "other");
  const auto sid1 = env.open_session(carol);
  const auto sid2 = env.open_session(carol);
  const auto bystander = env.open_session(other);

  const auto disabled = env.run({"user", "disable", "--email", "Carol@Example.org"});
  check_exit(disabled, 0);
  CHECK(disabled.out.find("disabled carol@example.org") != std::string::npos);
  CHECK(disabled.out.find("ended 2 sessions") != std::string::npos);
  CHECK(env.user("carol@example.org").disabled);
  CHECK_FALSE(env.session_alive(sid1));
  CHECK_FALSE(env.session_alive(sid2));
  CHECK(env.session_alive(bystander));

  const auto again = env.run({"user", "disable", "--email", "carol@example.org"});
  check_exit(again, 0);
  CHECK(again.out.find("already disabled") != std::string::npos);

  check_exit(env.run({"user", "enable", "--email", "carol@example.org"}), 0);
  CHECK_FALSE(env.user("carol@example.org").disabled);

  const auto role =
      env.run({"user", "set-role", "--email", "carol@example.org", "--role", "developer"});
  check_exit(role, 0);
  CHECK(role.out.find("user -> developer") != std::string::npos);
  CHECK(env.user("carol@example.org").role == kemas::role::developer);
  const auto same_role =
      env.run({"user", "set-role", "--email", "carol@example.org", "--role", "developer"});
  check_exit(same_role, 0);
  CHECK(same_role.out.find("already has role developer") != std::string::npos);

  const auto events = env.events();
  REQUIRE(events.size() == 5);  // 2 registered, disabled, enabled, role_changed
  check_admin_event(events[2], "user.disabled", carol);
  CHECK(events[2].at("data").at("after").at("disabled") == true);
  check_admin_event(events[3], "user.enabled", carol);
  CHECK(events[3].at("data").at("after").at("disabled") == false);
  check_admin_event(events[4], "user.role_changed", carol);
  CHECK(events[4].at("data").at("after").at("role") == "developer");

  CHECK(env.session_alive(bystander));
  const auto logout = env.run({"user", "end-sessions", "--email", "other@example.org"});
  check_exit(logout, 0);
  CHECK(logout.out.find("ended 1 session of other@example.org") != std::string::npos);
  CHECK_FALSE(env.session_alive(bystander));
  CHECK(env.events().size() == 5);  // ending sessions changes no account: no event
}

TEST_CASE("user commands exit 2 on bad input and 1 on a missing account or database") {
  admin_env env;
  check_exit(env.run({"user", "set-role", "--email", "x@example.org", "--role", "king"}), 2);
  check_exit(env.run({"user", "disable"}), 2);
  check_exit(env.run({"user"}), 2);

  const auto missing = env.run({"user", "disable", "--email", "nobody@example.org"});
  check_exit(missing, 1);
  CHECK(missing.err.find("no user with email nobody@example.org") != std::string::npos);

  const auto down = env.run({"user", "enable", "--email", "x@example.org"},
                            {{"KEMAS_POSTGRES_URL", "postgresql://kemas@127.0.0.1:1/kemas"}});
  check_exit(down, 1);
  CHECK(down.err.find("postgres") != std::string::npos);
}
