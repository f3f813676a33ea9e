// kemas-admin migrate: applies schemas/migrations/NNNN_*.sql that the database lacks, then
// the [plans] overrides of the settings (only values that differ are written, so a second
// run changes nothing).
#include "adapters/postgres/conninfo.hpp"
#include "adapters/postgres/migrator.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/plan_repository.hpp"
#include "app/admin/command.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace kemas::admin {
namespace {

int run_migrate(const global_options& options, const std::string& dir) {
  // Files first: a misnamed or missing file is reported without touching the database.
  auto migrations = postgres::load_migrations(dir);
  if (!migrations) {
    std::cerr << "kemas-admin migrate: " << migrations.error().message << "\n";
    return exit_failure;
  }
  auto settings = load_admin_settings(options);
  if (!settings)
    return exit_failure;

  auto pg = settings->postgres;
  pg.pool_size = 1;
  const auto target = postgres::describe_target(pg);
  try {
    postgres::pg_pool pool(pg, "kemas-admin");
    auto result =
        pool.with_session([&](soci::session& sql) { return postgres::migrate(sql, *migrations); });
    if (!result) {
      std::cerr << "kemas-admin migrate: " << result.error().message << "\n";
      return exit_failure;
    }
    for (const auto& applied : result->applied) {
      std::cout << "applied " << applied.label() << " (" << applied.duration.count() << " ms)\n";
    }
    std::cout << (result->applied.empty() ? "up to date" : "migrated") << ": " << target
              << " is at version " << result->current_version << "\n";
    const auto changes = pool.with_session([&](soci::session& sql) {
      return postgres::apply_plan_settings(sql, settings->plans);
    });
    for (const auto& change : changes)
      std::cout << "plan " << change << " (from [plans])\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin migrate: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace

command add_migrate_command(CLI::App& app) {
  auto* sub = app.add_subcommand("migrate", "apply the schema migrations the database lacks");
  auto dir = std::make_shared<std::string>("schemas/migrations");
  sub->add_option("--dir", *dir, "folder of NNNN_name.sql files")->capture_default_str();
  return {sub, [dir](const global_options& options) { return run_migrate(options, *dir); }};
}

}  // namespace kemas::admin
