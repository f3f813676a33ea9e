// kemas-admin backup --to DIR: a PostgreSQL dump and the objects it references, consistent
// with each other (backup_snapshot.hpp says how), into a new folder (backup_layout.hpp).
// Runs beside a live service: the dump reads a snapshot, objects are copied one at a time
// through the S3 client (streamed to disk, SHA-256 checked against the row). Needs pg_dump
// of the server's major version or newer on PATH (Debian: postgresql-client).
#include "adapters/crypto/sha256_stream.hpp"
#include "adapters/postgres/backup_snapshot.hpp"
#include "adapters/s3/client.hpp"
#include "app/admin/backup_layout.hpp"
#include "app/admin/child_program.hpp"
#include "app/admin/command.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

namespace kemas::admin {
namespace {

namespace fs = std::filesystem;

struct backup_options {
  std::string to;
};

enum class copied { ok, missing, failed };

copied copy_object(s3::s3_client& s3, const postgres::backup_object& object, const fs::path& dir) {
  const fs::path target = backup_layout::objects(dir) / object.key;
  fs::create_directories(target.parent_path());
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  crypto::sha256_stream hash;
  std::uint64_t written = 0;
  const auto got = s3.get_object(object.key, std::nullopt, [&](std::string_view chunk) {
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    hash.update(chunk);
    written += chunk.size();
    return static_cast<bool>(out);
  });
  out.close();
  if (!got) {
    fs::remove(target);
    if (got.error().not_found())
      return copied::missing;
    std::cerr << "kemas-admin backup: " << object.key << ": " << got.error().describe() << "\n";
    return copied::failed;
  }
  if (!out || written != object.size || hash.finish_hex() != object.sha256) {
    std::cerr << "kemas-admin backup: " << object.key << ": the bytes differ from the file row ("
              << written << " of " << object.size << " bytes, or another SHA-256)\n";
    return copied::failed;
  }
  return copied::ok;
}

int run_backup(const global_options& options, const backup_options& flags) {
  const fs::path dir(flags.to);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    std::cerr << "kemas-admin backup: " << dir.string() << " is not empty; give a new folder\n";
    return exit_failure;
  }
  auto settings = load_admin_settings(options);
  if (!settings)
    return exit_failure;
  fs::create_directories(backup_layout::objects(dir));

  std::uint64_t listed = 0;
  try {
    postgres::backup_snapshot snapshot(settings->postgres);
    const int dumped = run_program(
        {"pg_dump", "--format=custom", "--no-owner", "--no-privileges",
         "--snapshot=" + snapshot.id(), "--file=" + backup_layout::dump(dir).string()},
        postgres::libpq_environment(settings->postgres, "kemas-admin backup"));
    if (dumped != 0) {
      std::cerr << "kemas-admin backup: pg_dump failed (exit " << dumped << ")\n";
      return exit_failure;
    }
    std::ofstream manifest(backup_layout::manifest(dir), std::ios::trunc);
    snapshot.for_each_live_object([&](const postgres::backup_object& object) {
      manifest << backup_layout::manifest_line(object);
      ++listed;
    });
    if (!manifest.flush()) {
      std::cerr << "kemas-admin backup: cannot write " << backup_layout::manifest(dir) << "\n";
      return exit_failure;
    }
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin backup: database: " << e.what() << "\n";
    return exit_failure;
  }

  // The snapshot is released: objects are copied without holding a transaction open.
  s3::s3_client s3(settings->s3);
  std::ifstream manifest(backup_layout::manifest(dir));
  std::ofstream missing(backup_layout::missing(dir), std::ios::trunc);
  std::uint64_t ok = 0, gone = 0, bytes = 0;
  std::string line;
  while (std::getline(manifest, line)) {
    const auto object = backup_layout::parse_manifest_line(line);
    if (!object) {
      std::cerr << "kemas-admin backup: unexpected file row: " << line << "\n";
      return exit_failure;
    }
    switch (copy_object(s3, *object, dir)) {
      case copied::ok:
        ++ok;
        bytes += object->size;
        break;
      case copied::missing:  // deleted after the snapshot: restore marks its row deleted
        missing << object->key << '\n';
        ++gone;
        break;
      case copied::failed:
        return exit_failure;
    }
  }
  std::cout << "backup in " << dir.string() << ": database dump, " << ok << " of " << listed
            << " objects (" << bytes << " bytes)";
  if (gone > 0)
    std::cout << "; " << gone << " deleted since the snapshot (see missing.tsv)";
  std::cout << "\n";
  return exit_ok;
}

}  // namespace

command add_backup_command(CLI::App& app) {
  auto flags = std::make_shared<backup_options>();
  auto* sub = app.add_subcommand(
      "backup", "dump the database and copy the objects it references into a new folder");
  sub->add_option("--to", flags->to, "the folder to create (must not exist or be empty)")
      ->required();
  return {sub, [flags](const global_options& options) { return run_backup(options, *flags); }};
}

}  // namespace kemas::admin
