#pragma once
// api_key_service: developers' API keys (seed 003). A key is shown once at creation
// ("kms_<prefix>_<secret>"); only the prefix and SHA-256 of the secret are stored. Keys act
// as their user limited to their scopes; they can never manage keys (the route's access rule).

#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.hpp"
#include "domain/ports/api_key_store.hpp"
#include "app/services/account_service.hpp"

namespace kemas::app {

struct created_api_key {
  model::api_key record;
  std::string key;  // the whole key: returned to the client once, never stored
};

class api_key_service {
 public:
  api_key_service(const config::auth_settings& auth, ports::api_key_store& keys);

  // name: 1..100 characters; scopes: non-empty subset of files:read, files:write;
  // expires_in_days: 1..auth.api_key_max_days (absent: the maximum).
  boost::asio::awaitable<result<created_api_key>> create(
      const principal& who, std::string name, std::vector<std::string> scopes,
      std::optional<std::int64_t> expires_in_days, request_meta meta);
  boost::asio::awaitable<std::vector<model::api_key>> list(const principal& who);
  boost::asio::awaitable<result<void>> revoke(const principal& who, std::string key_id,
                                              request_meta meta);

 private:
  config::auth_settings auth_;
  ports::api_key_store& keys_;
};

}  // namespace kemas::app
