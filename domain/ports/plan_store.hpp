#pragma once
// plan_store: the plan catalog — the public list, lookups by id and name, and the admins'
// create/update/delete with their plan.* events in the same transaction. Contract as
// user_store.hpp; the caller validates fields first, what the store still refuses comes back
// as validation_failed naming the field. 'free' (model::fallback_plan_name) cannot be
// deleted, renamed or given a duration; a plan in use (an account on it, or an order that
// bought it) cannot be deleted (conflict). Implemented by adapters/postgres (plan_repository).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/model/event.hpp"
#include "domain/model/plan.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

// Every field of a new plan (validated by the caller).
struct plan_fields {
  std::string name;
  std::string display_name;
  std::int64_t quota_bytes = 0;
  std::int64_t max_file_bytes = 0;
  std::int64_t price_cents = 0;
  std::string currency = "USD";
  std::optional<std::int64_t> duration_seconds;
  bool is_public = true;
  std::int64_t max_share_links = 20;
};

using model::plan_patch;

class plan_store {
 public:
  virtual ~plan_store() = default;

  // Cheapest first (price, then id). public_only: the catalog anyone may read.
  virtual async<std::vector<model::plan>> list(bool public_only) = 0;

  virtual async<result<model::plan>> find(std::int32_t id) = 0;
  virtual async<result<model::plan>> find_by_name(std::string name) = 0;

  // conflict (field "name") when the name is taken. Emits plan.created.
  virtual async<result<model::plan>> create(plan_fields fields, model::event_draft event) = 0;
  // not_found; validation_failed for 'free' with a duration. Emits plan.updated with what
  // changed; an update that changes nothing writes and emits nothing.
  virtual async<result<model::plan>> update(std::int32_t id, plan_patch patch,
                                            model::event_draft event) = 0;
  // not_found; conflict for 'free' and for a plan in use. Emits plan.deleted.
  virtual async<result<void>> remove(std::int32_t id, model::event_draft event) = 0;
};

}  // namespace kemas::ports
