#include "app/auth/rate_classes.hpp"

namespace kemas::app {

ports::limit_spec limit_for(std::string_view cls, std::string id,
                            const config::ratelimit_settings& settings) {
  ports::limit_spec spec{std::string(cls), std::move(id), 0, std::chrono::milliseconds{0}};
  if (cls == "auth") {
    spec.limit = settings.auth_limit;
    spec.window = settings.auth_window;
  } else if (cls == "general") {
    spec.limit = settings.general_limit;
    spec.window = settings.general_window;
  } else if (cls == "apikey") {
    spec.limit = settings.apikey_limit;
    spec.window = settings.apikey_window;
  } else if (cls == "apikey_failure") {
    spec.limit = settings.apikey_failure_limit;
    spec.window = settings.apikey_failure_window;
  }
  return spec;
}

}  // namespace kemas::app
