#pragma once
// plan_service: the plan catalog — the public list anyone may read, and the admins' changes
// (create, update, delete). Input is validated here, field by field, so a bad request is a
// 400 naming the field before the database sees it; the repository maps what a CHECK still
// refuses. Admin changes emit plan.created / plan.updated / plan.deleted (actor = the admin).
//
// Authorization is the router's (access_rule at_least(admin), no API keys): this service
// trusts its caller. Threading: awaitables on the request's executor; PostgreSQL unreachable
// throws backend_unavailable (503).

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/support/snapshot_cache.hpp"
#include "app/services/account_service.hpp"
#include "domain/ports/plan_store.hpp"
#include "domain/principal.hpp"
#include "domain/result.hpp"

namespace kemas::app {

// A plan as sent by an admin: the name and the other fields as a patch, so one type serves
// create (where the service requires name, display_name, quota_bytes and max_file_bytes)
// and PATCH.
struct plan_input {
  std::optional<std::string> name;
  model::plan_patch fields;
};

class plan_service {
 public:
  explicit plan_service(ports::plan_store& plans) : plans_(plans) {}

  // The public catalog, which anyone may ask for: read from PostgreSQL at most once a second
  // (changes made through this service show at once; other api processes' within a second).
  boost::asio::awaitable<std::vector<model::plan>> catalog();
  boost::asio::awaitable<std::vector<model::plan>> all();
  // Ids are the catalog's integers; anything else is not_found.
  boost::asio::awaitable<result<model::plan>> get(std::string_view id);

  boost::asio::awaitable<result<model::plan>> create(const principal& admin, plan_input input,
                                                     request_meta meta);
  // validation_failed (field "name") when the body tries to rename: names are immutable.
  boost::asio::awaitable<result<model::plan>> update(const principal& admin, std::string_view id,
                                                     plan_input input, request_meta meta);
  // conflict (409) for 'free' and for a plan in use.
  boost::asio::awaitable<result<void>> remove(const principal& admin, std::string_view id,
                                              request_meta meta);

 private:
  ports::plan_store& plans_;
  support::snapshot_cache<std::vector<model::plan>> catalog_cache_{std::chrono::seconds(1)};
};

// Field rules shared by create and update (the same as the plans table's CHECKs):
// name ^[a-z][a-z0-9_-]{0,31}$; display_name 1-100 characters; quota_bytes >= 0;
// max_file_bytes > 0; price_cents >= 0; currency three letters A-Z; duration_seconds null or
// 1..10 years. validation_failed naming the first bad field.
result<void> validate_plan_input(const plan_input& input);

}  // namespace kemas::app
