// kemas-admin reconcile [--dry-run]: compares the bucket with the files table once, as the
// reconciler role of kemas-worker does every worker.reconcile_interval (workers/reconciler.hpp).
// Orphaned objects older than worker.reconcile_grace are quarantined (their removal scheduled
// worker.reconcile_quarantine later; --dry-run only counts them); live files without their
// object are listed. Exit 0 when the two agree, 3 when orphans or missing objects were found,
// 1 when the database or the bucket failed.
#include "adapters/postgres/commands/reconcile_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/s3/object_store.hpp"
#include "app/admin/command.hpp"
#include "workers/reconciler.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace kemas::admin {
namespace {

constexpr int exit_findings = 3;

struct reconcile_flags {
  bool dry_run = false;
};

int run_reconcile(const global_options& options, const reconcile_flags& flags) {
  auto settings = load_admin_settings(options);
  if (!settings)
    return exit_failure;
  auto pg = settings->postgres;
  pg.pool_size = 1;
  try {
    auto pool = std::make_shared<postgres::pg_pool>(pg, "kemas-admin reconcile");
    postgres::reconcile_store store(pool);
    s3::s3_object_store bucket(std::make_shared<s3::s3_client>(settings->s3));
    worker::reconcile_options how;
    how.dry_run = flags.dry_run;
    how.grace = settings->worker.reconcile_grace;
    how.quarantine = settings->worker.reconcile_quarantine;
    const worker::reconcile_report report = worker::reconcile(bucket, store, how);
    std::cout << "objects listed: " << report.objects << ", live files: " << report.live_files
              << "\n"
              << "orphans (older than the grace): " << report.orphans;
    if (flags.dry_run)
      std::cout << " (dry run: nothing changed)\n";
    else
      std::cout << ", newly quarantined: " << report.quarantined << "\n";
    for (const auto& key : report.orphan_sample)
      std::cout << "  orphan " << key << "\n";
    std::cout << "unaccounted but younger than the grace (left alone): " << report.young << "\n"
              << "live files without their object: " << report.missing << "\n";
    for (const auto& key : report.missing_sample)
      std::cout << "  missing " << key << "\n";
    return report.orphans + report.missing == 0 ? exit_ok : exit_findings;
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin reconcile: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace

command add_reconcile_command(CLI::App& app) {
  auto flags = std::make_shared<reconcile_flags>();
  auto* sub = app.add_subcommand(
      "reconcile", "compare the bucket with the files table: quarantine orphans, list missing");
  sub->add_flag("--dry-run", flags->dry_run, "count and list only; schedule no removal");
  return {sub, [flags](const global_options& options) { return run_reconcile(options, *flags); }};
}

}  // namespace kemas::admin
