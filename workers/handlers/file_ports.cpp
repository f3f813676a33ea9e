#include "workers/handlers/file_ports.hpp"

#include "adapters/log/logging.hpp"
#include "adapters/postgres/errors.hpp"

#include <chrono>
#include <thread>

namespace kemas::worker {

std::optional<handler_result> run_transaction(postgres::pg_pool& db,
                                              const std::function<void(soci::session&)>& work,
                                              std::string_view what) {
  try {
    db.with_session([&work](soci::session& sql) {
      work(sql);
      return true;
    });
    return std::nullopt;
  } catch (const std::exception& e) {
    const auto kind = postgres::classify(e);
    std::string reason = std::string(what) + ": postgres " +
                         std::string(postgres::to_string(kind)) + ": " + e.what();
    if (postgres::is_transient(kind))
      return handler_result::retry(std::move(reason));
    return handler_result::reject(std::move(reason));
  }
}

void remove_object_after_commit(s3::s3_client& objects, const std::string& key,
                                std::string_view request_id, std::string_view command_id) {
  // A handler thread may wait a little; a longer outage leaves the object for a sweep.
  constexpr int attempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto removed = objects.delete_object(key);
    if (removed)
      return;
    if (!removed.error().transient() || attempt == attempts) {
      log::error("object not deleted after commit; it is an orphan now",
                 {{"request_id", request_id},
                  {"command_id", command_id},
                  {"object_key", key},
                  {"error", removed.error().describe()}});
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
  }
}

}  // namespace kemas::worker
