// kemas-admin restore --from DIR --yes: puts a backup (backup_layout.hpp) back. The database
// is replaced by the dump (pg_restore --clean, one transaction), every object present in the
// backup is written to the bucket (created if missing), and files whose object the backup
// lacks (deleted after its snapshot) are marked deleted with their owners' usage recounted,
// so no live row points at nothing. Stop kemas-api and the workers first; run
// `kemas-admin migrate` afterwards when the backup is older than the running version.
#include "adapters/postgres/backup_snapshot.hpp"
#include "adapters/s3/client.hpp"
#include "app/admin/backup_layout.hpp"
#include "app/admin/child_program.hpp"
#include "app/admin/command.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <vector>

namespace kemas::admin {
namespace {

namespace fs = std::filesystem;

struct restore_options {
  std::string from;
  bool yes = false;
};

bool put_object(s3::s3_client& s3, const postgres::backup_object& object, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const auto put = s3.put_object(object.key, object.content_type, object.size,
                                 [&in](char* buffer, std::size_t max) -> std::size_t {
                                   in.read(buffer, static_cast<std::streamsize>(max));
                                   return static_cast<std::size_t>(in.gcount());
                                 });
  if (!put) {
    std::cerr << "kemas-admin restore: " << object.key << ": " << put.error().describe() << "\n";
    return false;
  }
  return true;
}

int run_restore(const global_options& options, const restore_options& flags) {
  const fs::path dir(flags.from);
  if (!fs::is_regular_file(backup_layout::dump(dir)) ||
      !fs::is_regular_file(backup_layout::manifest(dir))) {
    std::cerr << "kemas-admin restore: " << dir.string()
              << " is not a kemas backup (no database.dump and objects.tsv)\n";
    return exit_failure;
  }
  if (!flags.yes) {
    std::cerr << "kemas-admin restore: this replaces the database and writes the bucket; "
                 "add --yes to go on\n";
    return exit_usage;
  }
  auto settings = load_admin_settings(options);
  if (!settings)
    return exit_failure;

  std::string dbname;
  std::vector<std::pair<std::string, std::string>> pg_env;
  try {
    pg_env = postgres::libpq_environment(settings->postgres, "kemas-admin restore");
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin restore: " << e.what() << "\n";
    return exit_failure;
  }
  for (const auto& [name, value] : pg_env)
    if (name == "PGDATABASE")
      dbname = value;
  const int restored = run_program({"pg_restore", "--clean", "--if-exists", "--no-owner",
                                    "--no-privileges", "--single-transaction", "--exit-on-error",
                                    "--dbname=" + dbname, backup_layout::dump(dir).string()},
                                   pg_env);
  if (restored != 0) {
    std::cerr << "kemas-admin restore: pg_restore failed (exit " << restored
              << "); the database is unchanged\n";
    return exit_failure;
  }

  s3::s3_client s3(settings->s3);
  if (const auto made = s3.create_bucket(); !made && made.error().kind != s3::s3_errc::conflict) {
    std::cerr << "kemas-admin restore: bucket: " << made.error().describe() << "\n";
    return exit_failure;
  }
  std::ifstream manifest(backup_layout::manifest(dir));
  std::vector<std::string> without_object;
  std::uint64_t written = 0, bytes = 0;
  std::string line;
  while (std::getline(manifest, line)) {
    const auto object = backup_layout::parse_manifest_line(line);
    if (!object) {
      std::cerr << "kemas-admin restore: objects.tsv: unreadable line: " << line << "\n";
      return exit_failure;
    }
    const fs::path file = backup_layout::objects(dir) / object->key;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) != object->size) {
      without_object.push_back(object->key);
      continue;
    }
    if (!put_object(s3, *object, file))
      return exit_failure;
    ++written;
    bytes += object->size;
  }
  std::uint64_t marked = 0;
  try {
    marked = postgres::restore_fixups(settings->postgres, without_object);
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin restore: marking files without objects: " << e.what() << "\n";
    return exit_failure;
  }
  std::cout << "restored from " << dir.string() << ": database, " << written << " objects ("
            << bytes << " bytes)";
  if (marked > 0)
    std::cout << "; " << marked << " files without an object in the backup marked deleted";
  std::cout << "\n";
  return exit_ok;
}

}  // namespace

command add_restore_command(CLI::App& app) {
  auto flags = std::make_shared<restore_options>();
  auto* sub = app.add_subcommand(
      "restore", "replace the database by a backup's dump and put its objects back");
  sub->add_option("--from", flags->from, "a folder written by kemas-admin backup")->required();
  sub->add_flag("--yes", flags->yes, "really replace the database");
  return {sub, [flags](const global_options& options) { return run_restore(options, *flags); }};
}

}  // namespace kemas::admin
