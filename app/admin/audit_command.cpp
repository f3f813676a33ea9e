// kemas-admin audit verify: recomputes the hash chain of audit_log
// (adapters/postgres/repositories/audit_chain.hpp) and names the first broken link.
// Exit 0 when every link holds, 1 when one does not (or the database is unreachable).
// Prints the head (last chain_seq and its hash): keep it somewhere else (a scheduled run's
// log) to notice later rows cut off the end of the chain, which no link can show.
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/audit_chain.hpp"
#include "app/admin/command.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace kemas::admin {
namespace {

int run_verify(const global_options& options) {
  auto settings = load_admin_settings(options);
  if (!settings)
    return exit_failure;
  auto pg = settings->postgres;
  pg.pool_size = 1;
  pg.statement_timeout = std::chrono::milliseconds(0);  // a long chain takes its time
  try {
    postgres::pg_pool pool(pg, "kemas-admin audit");
    const auto report =
        pool.with_session([](soci::session& sql) { return postgres::verify_audit_chain(sql); });
    if (report.broken) {
      const auto& b = *report.broken;
      std::cout << "audit chain BROKEN at chain_seq " << b.chain_seq << " (audit_log id " << b.id
                << ", event " << b.event_id << "): " << b.problem << "\n";
      std::cout << "rows checked: " << report.rows << "\n";
      return exit_failure;
    }
    std::cout << "audit chain ok: " << report.rows << " rows";
    if (report.rows > 0)
      std::cout << ", head chain_seq " << report.head_seq << " hash " << report.head_hash;
    std::cout << "\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin audit verify: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace

command add_audit_command(CLI::App& app) {
  auto* sub = app.add_subcommand("audit", "the audit trail");
  sub->require_subcommand(1);
  auto* verify = sub->add_subcommand(
      "verify",
      "check the audit_log hash chain; names the first changed, removed or reordered row");
  return {sub, [verify](const global_options& options) {
            if (verify->parsed())
              return run_verify(options);
            return exit_usage;
          }};
}

}  // namespace kemas::admin
