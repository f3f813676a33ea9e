// Migrations against the real PostgreSQL of scripts/services.sh, each case on a database of
// its own: applied twice they leave the same schema; the data model of DESIGN.md is there;
// tampering, broken files and bad numbering are refused by name; concurrent runs apply each
// file once; `kemas-admin migrate` does the same from the command line.
#include "adapters/postgres/migrator.hpp"
#include "adapters/postgres/pool.hpp"
#include "test/support/child_process.hpp"
#include "test/support/pg_fixture.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>

namespace {

namespace pg = kemas::postgres;
namespace fs = std::filesystem;

const fs::path source_migrations = fs::path(KEMAS_SOURCE_DIR) / "schemas" / "migrations";

std::vector<pg::migration> project_migrations() {
  auto loaded = pg::load_migrations(source_migrations);
  REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().message));
  return std::move(*loaded);
}

// A temporary folder with copies of the project's migrations plus extra files.
class migration_dir {
 public:
  explicit migration_dir(bool copy_project = true)
      : path_(fs::temp_directory_path() / ("kemas_migrations_" + std::to_string(::getpid()) + "_" +
                                           std::to_string(counter_++))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
    if (copy_project) {
      for (const auto& entry : fs::directory_iterator(source_migrations)) {
        fs::copy_file(entry.path(), path_ / entry.path().filename());
      }
    }
  }
  ~migration_dir() { fs::remove_all(path_); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

struct admin_run {
  std::optional<int> status;  // nullopt: still running after the deadline
  std::string out;
  std::string err;
};

// The number the next migration file would take ("0003" while the project has two).
int next_version() {
  return static_cast<int>(project_migrations().size()) + 1;
}
std::string next_label(const std::string& name) {
  std::string digits = std::to_string(next_version());
  return std::string(4 - digits.size(), '0') + digits + "_" + name;
}

std::string error_of(const pg::migration_result<pg::migration_report>& result) {
  return result ? std::string("<no error>") : result.error().message;
}

}  // namespace

TEST_CASE("migrations apply once and running them again changes nothing") {
  kemas::test::scratch_database db("migrate");
  pg::pg_pool pool(db.settings(), "kemas-it-migrations");
  const auto migrations = project_migrations();

  auto first = pool.with_session([&](soci::session& sql) { return pg::migrate(sql, migrations); });
  REQUIRE_MESSAGE(first.has_value(), error_of(first));
  CHECK(first->applied.size() == migrations.size());
  CHECK(first->current_version == migrations.back().version);
  const auto dump_after_first = pool.with_session(kemas::test::pg_schema_dump);

  auto second = pool.with_session([&](soci::session& sql) { return pg::migrate(sql, migrations); });
  REQUIRE_MESSAGE(second.has_value(), error_of(second));
  CHECK(second->applied.empty());
  CHECK(second->current_version == first->current_version);
  const auto dump_after_second = pool.with_session(kemas::test::pg_schema_dump);
  CHECK(dump_after_first == dump_after_second);
  CHECK(dump_after_first.find("files_owner_name_live_key") != std::string::npos);

  SUBCASE("every table of DESIGN.md exists") {
    for (const char* table : {"plans", "users", "files", "uploads", "orders", "api_keys",
                              "audit_log", "outbox", "processed_commands", "schema_migrations"}) {
      CAPTURE(table);
      const bool exists = pool.with_session([&](soci::session& sql) {
        soci::indicator ind = soci::i_null;
        std::string name;
        const std::string wanted = table;  // soci::use keeps a pointer: no temporaries
        sql << "SELECT to_regclass(:t)::text", soci::use(wanted), soci::into(name, ind);
        return ind == soci::i_ok;
      });
      CHECK(exists);
    }
  }

  SUBCASE("the seed plans are there") {
    struct plan_row {
      long long quota, max_file, price;
      std::string currency;
      bool expires;
    };
    auto read = [&](const std::string& name) {
      return pool.with_session([&](soci::session& sql) {
        plan_row row{};
        soci::indicator duration_ind = soci::i_null;
        long long duration = 0;
        sql << "SELECT quota_bytes, max_file_bytes, price_cents, currency, duration_seconds "
               "FROM plans WHERE name = :n",
            soci::use(name), soci::into(row.quota), soci::into(row.max_file), soci::into(row.price),
            soci::into(row.currency), soci::into(duration, duration_ind);
        row.expires = duration_ind == soci::i_ok && duration == 30LL * 24 * 3600;
        return row;
      });
    };
    const auto free = read("free");
    CHECK(free.quota == 1LL << 30);
    CHECK(free.max_file == 100LL << 20);
    CHECK(free.price == 0);
    CHECK_FALSE(free.expires);
    const auto premium = read("premium");
    CHECK(premium.quota == 100LL << 30);
    CHECK(premium.max_file == 5LL << 30);
    CHECK(premium.price == 500);
    CHECK(premium.currency == "USD");
    CHECK(premium.expires);
  }

  SUBCASE("a changed applied migration is refused by name") {
    pool.with_session([](soci::session& sql) {
      sql << "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1";
    });
    auto result =
        pool.with_session([&](soci::session& sql) { return pg::migrate(sql, migrations); });
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message.find("0001_initial") != std::string::npos);
    CHECK(result.error().message.find("changed after it was applied") != std::string::npos);
  }

  SUBCASE("a failing migration is rolled back and named with its line") {
    migration_dir dir;
    dir.write(next_label("broken") + ".sql", "CREATE TABLE it_half_done (x int);\n\nSELEC 1;\n");
    auto result =
        pool.with_session([&](soci::session& sql) { return pg::migrate(sql, dir.path()); });
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message.find(next_label("broken")) != std::string::npos);
    CHECK(result.error().message.find("line 3") != std::string::npos);
    const int version = next_version();
    const auto leftovers = pool.with_session([&](soci::session& sql) {
      int tables = 0, rows = 0;
      sql << "SELECT count(*) FROM pg_tables WHERE tablename = 'it_half_done'", soci::into(tables);
      sql << "SELECT count(*) FROM schema_migrations WHERE version = :v", soci::use(version),
          soci::into(rows);
      return tables + rows;
    });
    CHECK(leftovers == 0);
  }

  SUBCASE("a new migration is applied on top, alone") {
    migration_dir dir;
    dir.write(next_label("more") + ".sql",
              "CREATE TABLE it_more (x int);\nCREATE INDEX ON it_more (x);\n");
    auto result =
        pool.with_session([&](soci::session& sql) { return pg::migrate(sql, dir.path()); });
    REQUIRE_MESSAGE(result.has_value(), error_of(result));
    REQUIRE(result->applied.size() == 1);
    CHECK(result->applied[0].label() == next_label("more"));
    CHECK(result->current_version == next_version());
  }
}

// Why load_migrations refuses a folder holding `files` (each "SELECT 1;"); "" when it loads.
std::string refusal_of(std::initializer_list<const char*> files) {
  migration_dir dir(false);
  for (const char* name : files)
    dir.write(name, "SELECT 1;");
  auto loaded = pg::load_migrations(dir.path());
  return loaded ? std::string{} : loaded.error().message;
}

TEST_CASE("bad migration folders are refused before touching a database") {
  SUBCASE("gap") {
    CHECK(refusal_of({"0001_a.sql", "0003_c.sql"}).find("0002") != std::string::npos);
  }
  SUBCASE("duplicate number") {
    const auto refusal = refusal_of({"0001_a.sql", "0001_b.sql"});
    CHECK(refusal.find("0001_a.sql") != std::string::npos);
    CHECK(refusal.find("0001_b.sql") != std::string::npos);
  }
  SUBCASE("misnamed file") {
    CHECK(refusal_of({"0001_a.sql", "2_b.sql"}).find("2_b.sql") != std::string::npos);
  }
  SUBCASE("a well-formed folder loads") {
    CHECK(refusal_of({"0001_a.sql", "0002_b.sql"}).empty());
  }
  SUBCASE("missing folder") {
    auto loaded = pg::load_migrations("/nonexistent/kemas/migrations");
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().message.find("/nonexistent/kemas/migrations") != std::string::npos);
  }
}

TEST_CASE("concurrent migrate runs apply each migration once") {
  kemas::test::scratch_database db("concurrent");
  const auto migrations = project_migrations();
  constexpr int runners = 3;
  std::vector<pg::migration_result<pg::migration_report>> results(
      runners, pg::migration_error{"did not run"});
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < runners; ++i) {
      threads.emplace_back([&, i] {
        auto settings = db.settings();
        settings.pool_size = 1;
        pg::pg_pool pool(settings, "kemas-it-migrations");
        results[static_cast<std::size_t>(i)] =
            pool.with_session([&](soci::session& sql) { return pg::migrate(sql, migrations); });
      });
    }
    for (auto& t : threads)
      t.join();
  }
  std::size_t applied = 0;
  for (const auto& result : results) {
    REQUIRE_MESSAGE(result.has_value(), error_of(result));
    applied += result->applied.size();
    CHECK(result->current_version == migrations.back().version);
  }
  CHECK(applied == migrations.size());
}

TEST_CASE("kemas-admin migrate applies / then finds nothing to do / and fails by name") {
  kemas::test::scratch_database db("admin");
  const std::string program = std::string(KEMAS_BINARY_DIR) + "/app/admin/kemas-admin";
  REQUIRE_MESSAGE(fs::exists(program), "build the kemas-admin target first: " << program);
  const auto settings = db.settings();
  const auto out = fs::temp_directory_path() / ("kemas_admin_" + db.name());

  auto run_admin = [&](std::vector<std::string> args) {
    kemas::test::child_process::options options;
    options.program = program;
    options.args = std::move(args);
    options.env = {{"KEMAS_POSTGRES_URL", settings.url},
                   {"KEMAS_POSTGRES_PASSWORD", settings.password},
                   {"KEMAS_ENV", "development"},
                   {"KEMAS_LOG_FORMAT", "text"}};
    options.stdout_path = out.string() + ".out";
    options.stderr_path = out.string() + ".err";
    kemas::test::child_process child(std::move(options));
    const auto status = child.wait_for(std::chrono::seconds(60));
    std::ifstream stdout_file(out.string() + ".out");
    std::string printed((std::istreambuf_iterator<char>(stdout_file)), {});
    return admin_run{status, printed, child.stderr_text()};
  };
  const std::string config = std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml";
  const std::vector<std::string> migrate_args = {"--config", config, "migrate", "--dir",
                                                 source_migrations.string()};

  const auto first = run_admin(migrate_args);
  CAPTURE(first.err);
  REQUIRE(first.status.has_value());
  CHECK(*first.status == 0);
  CHECK(first.out.find("applied 0001_initial") != std::string::npos);

  const auto second = run_admin(migrate_args);
  CAPTURE(second.err);
  REQUIRE(second.status.has_value());
  CHECK(*second.status == 0);
  CHECK(second.out.find("up to date") != std::string::npos);

  {
    pg::pg_pool pool(settings, "kemas-it-migrations");
    pool.with_session([](soci::session& sql) {
      sql << "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1";
    });
  }
  const auto tampered = run_admin(migrate_args);
  REQUIRE(tampered.status.has_value());
  CHECK(*tampered.status == 1);
  CHECK(tampered.err.find("0001_initial") != std::string::npos);

  const auto usage = run_admin({"migrate", "--no-such-flag"});
  REQUIRE(usage.status.has_value());
  CHECK(*usage.status == 2);

  fs::remove(out.string() + ".out");
  fs::remove(out.string() + ".err");
}
