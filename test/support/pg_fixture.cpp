#include "test/support/pg_fixture.hpp"

#include "test/support/test_settings.hpp"

#include "adapters/postgres/pool.hpp"
#include "adapters/support/random.hpp"

#include <soci/soci.h>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <sstream>

namespace kemas::test {
namespace {

// Every row of a one-text-column query, in order.
void append_rows(soci::session& sql, const std::string& query, std::ostringstream& out) {
  soci::rowset<std::string> rows = sql.prepare << query;
  for (const auto& row : rows)
    out << row << '\n';
}

}  // namespace

config::postgres_settings pg_settings_from_env() {
  auto settings = test_settings().postgres;
  settings.pool_size = 2;
  settings.connect_timeout = std::chrono::seconds(3);
  settings.statement_timeout = std::chrono::seconds(30);
  return settings;
}

std::string pg_url_for_database(const std::string& url, const std::string& dbname) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed)
      throw std::runtime_error("not a URI: " + url);
    boost::urls::url rewritten(*parsed);
    rewritten.set_path("/" + dbname);
    return std::string(rewritten.buffer());
  }
  return url + " dbname=" + dbname;  // keyword/value: the last occurrence wins
}

void pg_exec_admin(const std::string& statement) {
  auto settings = pg_settings_from_env();
  settings.pool_size = 1;
  postgres::pg_pool pool(settings, "kemas-it-admin");
  pool.with_session([&](soci::session& sql) { sql << statement; });
}

scratch_database::scratch_database(std::string_view tag)
    : base_(pg_settings_from_env()), name_("kemas_it_" + std::string(tag) + "_" + support::random_hex(6)) {
  pg_exec_admin("CREATE DATABASE " + name_);
}

scratch_database::~scratch_database() {
  try {
    pg_exec_admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // A test already failing on a dead server must not terminate here; the name is unique.
  }
}

config::postgres_settings scratch_database::settings() const {
  auto settings = base_;
  settings.url = pg_url_for_database(base_.url, name_);
  return settings;
}

std::string pg_schema_dump(soci::session& sql) {
  std::ostringstream out;
  append_rows(sql, R"(
    SELECT concat_ws(' | ', 'column', table_name, column_name, data_type, udt_name,
                     is_nullable, coalesce(column_default, ''), ordinal_position::text)
    FROM information_schema.columns WHERE table_schema = 'public'
    ORDER BY table_name, ordinal_position)",
              out);
  append_rows(sql, R"(
    SELECT concat_ws(' | ', 'constraint', conrelid::regclass::text, conname, contype::text,
                     pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    ORDER BY conrelid::regclass::text, conname)",
              out);
  append_rows(sql, R"(
    SELECT concat_ws(' | ', 'index', tablename, indexname, indexdef)
    FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname)",
              out);
  append_rows(sql, R"(
    SELECT concat_ws(' | ', 'trigger', tgrelid::regclass::text, tgname, pg_get_triggerdef(oid))
    FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgrelid::regclass::text, tgname)",
              out);
  append_rows(sql, R"(
    SELECT concat_ws(' | ', 'function', p.oid::regprocedure::text, md5(p.prosrc))
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    ORDER BY p.oid::regprocedure::text)",
              out);
  return out.str();
}

}  // namespace kemas::test
