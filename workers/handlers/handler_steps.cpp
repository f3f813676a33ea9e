#include "workers/handlers/handler_steps.hpp"

#include "adapters/log/logging.hpp"
#include "domain/result.hpp"


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

void remove_object_after_commit(ports::object_store& objects, ports::file_command_store& store,
                                const std::string& key, std::string_view request_id,
                                std::string_view command_id) {
  auto removed = objects.remove(key);
  if (!removed) {
    log::warn("object not deleted after commit; the object cleaner retries",
              {{"request_id", request_id},
               {"command_id", command_id},
               {"object_key", key},
               {"error", removed.error().detail}});
    return;
  }
  try {
    store.removal_done(key);
  } catch (const std::exception& e) {
    // The cleaner will find the object gone (removing a missing key succeeds).
    log::info("object deleted; its scheduled removal stays for the cleaner",
              {{"request_id", request_id}, {"object_key", key}, {"error", e.what()}});
  }
}

}  // namespace kemas::worker
