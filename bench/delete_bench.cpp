// kemas_delete_bench: how a delete's cost grows with its owner's files (issue 11: every flow
// has a budget; the list's growth is row 4, this is the same question for the delete).
//
// A scratch database gets two accounts on the Free plan, one with 10 files and one with N
// (100,000; --files), inserted by one INSERT ... SELECT generate_series each, usage set to
// match; nothing is locked and both fit their quota, as for nearly every account. The delete
// transaction the worker runs for a `delete` command (file_command_store::delete_file, in
// process, one after another) removes --deletes files (200) of each account, and the bench
// prints p50/p99 per delete and the ratio of the large account's p99 to the small one's.
// Before 3dc4e6f every delete read all of its owner's live files to decide plan locks
// (plan_locks, domain/quota.hpp); the bench times that read and decision on the large account
// as a third row (command_tx::apply_plan_locks asked for a quota just below usage, which
// takes that path, in a transaction rolled back), so the old cost is measured in the same run.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <soci/soci.h>
#include <spdlog/sinks/null_sink.h>

#include "adapters/log/logging.hpp"
#include "adapters/postgres/commands/command_tx.hpp"
#include "adapters/postgres/commands/file_command_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/support/random.hpp"
#include "bench/bench_common.hpp"
#include "domain/commands/delete_file.hpp"
#include "domain/commands/envelope.hpp"
#include "test/support/outbox_fixture.hpp"

namespace {

using namespace kemas::bench;
namespace pg = kemas::postgres;

struct options {
  long long files = 100'000;
  int deletes = 200;
};

// A Free account with `files` files of 4 KiB; returns its id.
std::string make_account(pg::pg_pool& db, const std::string& name, long long files) {
  return db.with_session([&](soci::session& s) {
    std::string id;
    const std::string email = name + "@bench.test";  // SOCI binds by reference: no temporaries
    s << "INSERT INTO users (email, username, password_hash, role, plan_id) "
         "SELECT :email, :name, 'x', 'user', id FROM plans WHERE name = 'free' "
         "RETURNING id::text",
        soci::use(email, "email"), soci::use(name, "name"), soci::into(id);
    s << "INSERT INTO files (owner_id, name, size_bytes, sha256, object_key, created_at) "
         "SELECT CAST(:owner AS uuid), 'file-' || g || '.bin', 4096, repeat('ab', 32), "
         "'u/' || :owner || '/' || g, now() - (:files - g) * interval '1 second' "
         "FROM generate_series(1, :files) g",
        soci::use(id, "owner"), soci::use(files, "files");
    s << "UPDATE users SET file_count = :files, used_bytes = 4096 * :files "
         "WHERE id = CAST(:owner AS uuid)",
        soci::use(files, "files"), soci::use(id, "owner");
    s << "ANALYZE files";
    return id;
  });
}

// The newest `count` files of the account.
std::vector<std::string> newest_files(pg::pg_pool& db, const std::string& owner, int count) {
  return db.with_session([&](soci::session& s) {
    std::vector<std::string> ids(static_cast<std::size_t>(count));
    s << "SELECT id::text FROM files WHERE owner_id = CAST(:owner AS uuid) "
         "ORDER BY created_at DESC LIMIT :n",
        soci::use(owner, "owner"), soci::use(count, "n"), soci::into(ids);
    return ids;
  });
}

// ms per delete transaction, one after another.
std::vector<double> delete_all(const std::shared_ptr<pg::pg_pool>& db, const std::string& owner,
                               const std::vector<std::string>& files) {
  pg::file_command_store store(db);
  const auto owner_id = *kemas::uuid::parse(owner);
  std::vector<double> ms;
  for (const std::string& file : files) {
    const kemas::commands::delete_file request{owner_id, *kemas::uuid::parse(file)};
    const auto command = kemas::commands::make_envelope(
        request, {kemas::support::random_uuid().to_string(), {}, "bench-delete", {}});
    const auto start = clock_type::now();
    if (!store.delete_file(command, request).deleted)
      throw std::runtime_error("a delete found nothing to delete");
    ms.push_back(ms_since(start));
  }
  return ms;
}

// What each delete on the account cost before 3dc4e6f for its plan locks: every live file
// read and plan_locks run over them. apply_plan_locks does exactly that when usage is over
// the quota, so it is asked for one byte less than the account uses (the newest file is then
// locked too: one small UPDATE more than before; rolled back).
std::vector<double> old_lock_refresh(pg::pg_pool& db, const std::string& owner, int runs) {
  const auto owner_id = *kemas::uuid::parse(owner);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    db.with_session([&](soci::session& s) {
      soci::transaction tx(s);
      long long used = 0;
      s << "SELECT used_bytes FROM users WHERE id = CAST(:owner AS uuid)",
          soci::use(owner, "owner"), soci::into(used);
      const auto start = clock_type::now();
      const auto applied = pg::command_tx::apply_plan_locks(
          s, owner_id, static_cast<std::uint64_t>(std::max(0LL, used - 1)));
      ms.push_back(ms_since(start));
      tx.rollback();
      if (applied.locked == 0)
        throw std::runtime_error("the old path did not run: nothing was locked");
    });
  }
  return ms;
}

void print_row(const char* label, const std::vector<double>& ms) {
  std::printf("%-58s n %4zu  p50 %8.2f ms  p99 %8.2f ms\n", label, ms.size(), percentile(ms, 50),
              percentile(ms, 99));
}

options parse(int argc, char** argv) {
  options o;
  read_options(argc, argv, "usage: kemas_delete_bench [--files N (100000)] [--deletes K (200)]",
               [&](const std::string& name, const std::string& value) {
                 if (name == "--files")
                   o.files = std::stoll(value);
                 else if (name == "--deletes")
                   o.deletes = std::stoi(value);
                 else
                   return false;
                 return true;
               });
  if (o.files < 10 + o.deletes || o.deletes < 1)
    throw std::invalid_argument("--deletes must be at least 1 and --files at least 10 + it");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  return exit_code_of("kemas_delete_bench", [&] {
    const options o = parse(argc, argv);
    kemas::log::init_logging({}, "kemas-delete-bench",
                             std::make_shared<spdlog::sinks::null_sink_mt>());
    print_machine_line("delete");
    kemas::test::migrated_database database("delete_bench");
    const auto db = std::make_shared<pg::pg_pool>(database.settings(), "kemas delete bench");
    const long long few_files = 10 + o.deletes;  // 10 left at the end
    const std::string few = make_account(*db, "bench_few", few_files);
    const std::string many = make_account(*db, "bench_many", o.files);
    std::printf("delete transactions one after another; accounts of %lld and %lld files, "
                "nothing locked\n",
                few_files, o.files);

    const auto few_ms = delete_all(db, few, newest_files(*db, few, o.deletes));
    const auto many_ms = delete_all(db, many, newest_files(*db, many, o.deletes));
    const auto old_ms = old_lock_refresh(*db, many, std::max(1, o.deletes / 10));
    print_row(("delete, account of " + std::to_string(few_files) + " files").c_str(), few_ms);
    print_row(("delete, account of " + std::to_string(o.files) + " files").c_str(), many_ms);
    print_row("  before 3dc4e6f, the plan-lock read alone, same account", old_ms);
    std::printf("\ndelete p99, %lld files vs %lld: %.2fx; the old plan-lock read alone was "
                "%.0fx a whole delete now (p50)\nload average at the end: %s\n",
                o.files, few_files, percentile(many_ms, 99) / percentile(few_ms, 99),
                percentile(old_ms, 50) / percentile(many_ms, 50), load_average().c_str());
    return 0;
  });
}
