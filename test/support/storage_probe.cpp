#include "test/support/storage_probe.hpp"

#include <soci/soci.h>

#include <stdexcept>
#include <vector>

#include "test/support/s3_fixture.hpp"

namespace kemas::test {

storage_probe::storage_probe(const api_fixture& api)
    : pool_(api.database().settings(), "kemas-it-probe"), s3_(api.settings().s3) {}

storage_probe::~storage_probe() {
  try {
    delete_objects_of_users(pool_, s3_);
  } catch (const std::exception&) {
    // A test already failing on a dead backend must not terminate here.
  }
  pool_.stop();
}

long long storage_probe::scalar(const std::string& query, const std::string& param,
                                const std::string& param2) {
  return pool_.with_session([&](soci::session& sql) {
    long long n = -1;
    if (param2.empty())
      sql << query, soci::use(param, "p"), soci::into(n);
    else
      sql << query, soci::use(param, "p"), soci::use(param2, "q"), soci::into(n);
    return n;
  });
}

long long storage_probe::used_bytes(const std::string& user_id) {
  return scalar("SELECT used_bytes FROM users WHERE id = CAST(:p AS uuid)", user_id);
}

long long storage_probe::live_files(const std::string& user_id) {
  return scalar(
      "SELECT count(*) FROM files WHERE owner_id = CAST(:p AS uuid) AND state <> 'deleted'",
      user_id);
}

long long storage_probe::live_bytes(const std::string& user_id) {
  return scalar(
      "SELECT coalesce(sum(size_bytes), 0)::bigint FROM files "
      "WHERE owner_id = CAST(:p AS uuid) AND state <> 'deleted'",
      user_id);
}

storage_probe::totals storage_probe::totals_of(const std::string& user_id) {
  return {.live_files = live_files(user_id),
          .uploads = uploads(user_id),
          .used_bytes = used_bytes(user_id)};
}

bool storage_probe::objects_match_files(const std::string& user_id) {
  return objects_of(user_id) == live_keys(user_id);
}

std::ostream& operator<<(std::ostream& out, const storage_probe::totals& t) {
  return out << "{live_files " << t.live_files << ", uploads " << t.uploads << ", used_bytes "
             << t.used_bytes << "}";
}

long long storage_probe::uploads(const std::string& user_id, const std::string& state) {
  if (state.empty())
    return scalar("SELECT count(*) FROM uploads WHERE owner_id = CAST(:p AS uuid)", user_id);
  return scalar("SELECT count(*) FROM uploads WHERE owner_id = CAST(:p AS uuid) AND state = :q",
                user_id, state);
}

std::set<std::string> storage_probe::objects_of(const std::string& user_id) {
  std::set<std::string> keys;
  std::string token;
  do {
    auto page = s3_.list_objects("u/" + user_id + "/", token);
    if (!page)
      throw std::runtime_error("listing the bucket: " + page.error().describe());
    for (const auto& entry : page->objects)
      keys.insert(entry.key);
    token = page->next_continuation.value_or("");
  } while (!token.empty());
  return keys;
}

std::set<std::string> storage_probe::live_keys(const std::string& user_id) {
  return pool_.with_session([&](soci::session& sql) {
    std::set<std::string> keys;
    soci::rowset<std::string> rows =
        (sql.prepare << "SELECT object_key FROM files WHERE owner_id = CAST(:p AS uuid) "
                        "AND state <> 'deleted'",
         soci::use(user_id, "p"));
    for (const auto& key : rows)
      keys.insert(key);
    return keys;
  });
}

void storage_probe::set_plan_limits(const std::string& plan, long long quota_bytes,
                                    long long max_file_bytes) {
  pool_.with_session([&](soci::session& sql) {
    sql << "UPDATE plans SET quota_bytes = :quota, max_file_bytes = :max WHERE name = :name",
        soci::use(quota_bytes, "quota"), soci::use(max_file_bytes, "max"), soci::use(plan, "name");
  });
}

void storage_probe::set_used_bytes(const std::string& user_id, long long used) {
  pool_.with_session([&](soci::session& sql) {
    sql << "UPDATE users SET used_bytes = :used WHERE id = CAST(:id AS uuid)",
        soci::use(used, "used"), soci::use(user_id, "id");
  });
}

}  // namespace kemas::test
