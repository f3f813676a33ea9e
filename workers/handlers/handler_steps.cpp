#include "workers/handlers/handler_steps.hpp"

#include "adapters/log/logging.hpp"
#include "domain/result.hpp"

#include <chrono>
#include <thread>

namespace kemas::worker {

std::optional<handler_result> guarded(const std::function<void()>& step, std::string_view what) {
  try {
    step();
    return std::nullopt;
  } catch (const backend_unavailable& e) {
    return handler_result::retry(std::string(what) + ": " + e.what());
  } catch (const std::exception& e) {
    return handler_result::reject(std::string(what) + ": " + e.what());
  }
}

void remove_object_after_commit(ports::object_store& objects, const std::string& key,
                                std::string_view request_id, std::string_view command_id) {
  // A handler thread may wait a little; a longer outage leaves the object for a sweep.
  constexpr int attempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto removed = objects.remove(key);
    if (removed)
      return;
    if (!removed.error().transient() || attempt == attempts) {
      log::error("object not deleted after commit; it is an orphan now",
                 {{"request_id", request_id},
                  {"command_id", command_id},
                  {"object_key", key},
                  {"error", removed.error().detail}});
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
  }
}

}  // namespace kemas::worker
