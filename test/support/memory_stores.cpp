#include "test/support/memory_stores.hpp"

#include <stdexcept>

#include "domain/quota.hpp"
#include "domain/result.hpp"

namespace kemas::test {
void memory_store_base::fail_next(std::size_t calls) {
  std::lock_guard lock(mutex_);
  transient_ = calls;
}

void memory_store_base::break_next(std::size_t calls) {
  std::lock_guard lock(mutex_);
  permanent_ = calls;
}

std::vector<std::string> memory_store_base::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

bool memory_store_base::was_processed(const std::string& command_id) const {
  std::lock_guard lock(mutex_);
  return processed_.count(command_id) > 0;
}

void memory_store_base::poison(const uuid& id, bool transient) {
  std::lock_guard lock(mutex_);
  poisoned_[id] = transient;
}

void memory_store_base::throw_if_poisoned(const uuid& id) const {
  const auto found = poisoned_.find(id);
  if (found == poisoned_.end())
    return;
  if (found->second)
    throw backend_unavailable("postgres", "injected fault on one row (test)");
  throw std::runtime_error("injected constraint violation on one row (test)");
}

void memory_store_base::enter() {
  if (transient_ > 0) {
    --transient_;
    throw backend_unavailable("postgres", "injected outage (test)");
  }
  if (permanent_ > 0) {
    --permanent_;
    throw std::runtime_error("injected constraint violation (test)");
  }
}

// --- files -----------------------------------------------------------------------------

void memory_file_commands::add_account(const uuid& id, account limits) {
  std::lock_guard lock(mutex_);
  accounts_[id] = limits;
}

void memory_file_commands::add_pending_upload(const uuid& upload_id, const uuid& owner) {
  std::lock_guard lock(mutex_);
  uploads_[upload_id] = upload_row{.owner = owner};
}

void memory_file_commands::add_file(const uuid& file_id, file_row row) {
  std::lock_guard lock(mutex_);
  accounts_[row.owner].used_bytes += row.size;
  files_[file_id] = std::move(row);
}

bool memory_file_commands::key_in_use(const std::string& object_key) const {
  for (const auto& [id, row] : files_) {
    if (row.object_key == object_key && !row.deleted)
      return true;
  }
  return false;
}

bool memory_file_commands::processed(const std::string& command_id) {
  std::lock_guard lock(mutex_);
  enter();
  ++processed_queries;
  return processed_.count(command_id) > 0;
}

std::vector<bool> memory_file_commands::processed_among(std::span<const std::string> command_ids) {
  std::lock_guard lock(mutex_);
  enter();
  ++processed_queries;
  std::vector<bool> out;
  for (const auto& id : command_ids)
    out.push_back(processed_.count(id) > 0);
  return out;
}

ports::upload_commit memory_file_commands::commit_upload(const commands::envelope& envelope,
                                                         const commands::upload& upload) {
  std::lock_guard lock(mutex_);
  enter();
  throw_if_poisoned(upload.upload_id);
  return commit_locked(envelope, upload);
}

std::vector<ports::upload_commit> memory_file_commands::commit_uploads(
    std::span<const ports::upload_member> group) {
  std::lock_guard lock(mutex_);
  enter();  // a scripted fault fails the whole group before anything is applied
  for (const auto& member : group)
    throw_if_poisoned(member.upload->upload_id);
  ++groups_committed;
  std::vector<ports::upload_commit> out;
  for (const auto& member : group)
    out.push_back(commit_locked(*member.envelope, *member.upload));
  return out;
}

ports::upload_commit memory_file_commands::commit_locked(const commands::envelope& envelope,
                                                         const commands::upload& upload) {
  using kind = ports::upload_commit::kind;
  using model::rejection_reason;
  const auto row = uploads_.find(upload.upload_id);
  const auto owner = accounts_.find(upload.owner);
  if (row == uploads_.end() || row->second.owner != upload.owner || owner == accounts_.end())
    return {.what = kind::no_upload};
  if (row->second.state != model::upload_state::pending)
    return {.what = kind::already_settled};
  account& limits = owner->second;
  if (upload.size > limits.max_file_bytes)
    return {kind::refused, rejection_reason::too_large};
  for (const auto& [id, file] : files_) {
    if (file.owner == upload.owner && !file.deleted && file.name == upload.name)
      return {kind::refused, rejection_reason::name_taken};
  }
  if (limits.used_bytes + upload.size > limits.quota_bytes)
    return {kind::refused, rejection_reason::quota_exceeded};
  limits.used_bytes += upload.size;
  files_[upload.file_id] = file_row{upload.owner, upload.name, upload.size, upload.object_key};
  row->second.state = model::upload_state::committed;
  mark_processed(envelope.id);
  emit("file.uploaded");
  if (!upload.inline_body)
    scheduled_removals.erase(upload.object_key);  // the api's claim: the file owns it now
  return {.what = kind::committed};
}

ports::rejection_record memory_file_commands::record_rejection(const commands::envelope& envelope,
                                                               const commands::upload& upload,
                                                               model::rejection_reason reason) {
  std::lock_guard lock(mutex_);
  enter();
  ports::rejection_record out{false, key_in_use(upload.object_key)};
  if (!out.object_in_use)
    scheduled_removals.insert(upload.object_key);
  const auto row = uploads_.find(upload.upload_id);
  if (row == uploads_.end() || row->second.owner != upload.owner ||
      row->second.state != model::upload_state::pending)
    return out;
  row->second.state = model::upload_state::rejected;
  row->second.reason = reason;
  mark_processed(envelope.id);
  emit("upload.rejected");
  out.recorded = true;
  return out;
}

bool memory_file_commands::release_object(const std::string& object_key) {
  std::lock_guard lock(mutex_);
  enter();
  if (key_in_use(object_key))
    return false;
  scheduled_removals.insert(object_key);
  return true;
}

void memory_file_commands::removal_done(const std::string& object_key) {
  std::lock_guard lock(mutex_);
  enter();
  scheduled_removals.erase(object_key);
}

ports::file_deletion memory_file_commands::delete_file(const commands::envelope& envelope,
                                                       const commands::delete_file& request) {
  std::lock_guard lock(mutex_);
  enter();
  ports::file_deletion out;
  if (processed_.count(envelope.id) > 0)
    return out;
  mark_processed(envelope.id);
  const auto found = files_.find(request.file_id);
  if (found == files_.end() || found->second.owner != request.owner || found->second.deleted)
    return out;
  found->second.deleted = true;
  accounts_[request.owner].used_bytes -= found->second.size;
  emit("file.deleted");
  scheduled_removals.insert(found->second.object_key);
  out.deleted = true;
  out.object_key = found->second.object_key;
  out.name = found->second.name;
  out.size = static_cast<std::int64_t>(found->second.size);
  return out;
}

// --- plans -----------------------------------------------------------------------------

void memory_plan_commands::add_plan(ports::plan_terms plan) {
  std::lock_guard lock(mutex_);
  plans_[plan.name] = std::move(plan);
}

void memory_plan_commands::add_account(const uuid& id, account state) {
  std::lock_guard lock(mutex_);
  accounts_[id] = std::move(state);
}

ports::upgrade_start memory_plan_commands::start_upgrade(const commands::envelope& envelope,
                                                         const commands::upgrade& upgrade) {
  using kind = ports::upgrade_start::kind;
  std::lock_guard lock(mutex_);
  enter();
  if (accounts_.count(upgrade.buyer) == 0)
    return {.what = kind::no_user};
  if (const auto order = orders_.find(upgrade.order_id); order != orders_.end())
    return {.what = kind::already_processed, .bought_until = order->second.bought_until};
  if (processed_.count(envelope.id) > 0)
    return {.what = kind::already_processed};
  const auto plan = plans_.find(upgrade.plan);
  if (plan == plans_.end())
    return {.what = kind::no_plan};
  return {kind::ready, std::nullopt, plan->second};
}

std::optional<ports::upgrade_commit> memory_plan_commands::settled_before(
    const commands::envelope& envelope, const commands::upgrade& upgrade) {
  using kind = ports::upgrade_commit::kind;
  if (accounts_.count(upgrade.buyer) == 0)
    return ports::upgrade_commit{.what = kind::no_user};
  if (const auto order = orders_.find(upgrade.order_id); order != orders_.end())
    return ports::upgrade_commit{.what = kind::already_processed,
                                 .expires_at = order->second.bought_until};
  if (processed_.count(envelope.id) > 0)
    return ports::upgrade_commit{.what = kind::already_processed};
  return std::nullopt;
}

ports::upgrade_commit memory_plan_commands::pay_order(const commands::envelope& envelope,
                                                      const commands::upgrade& upgrade,
                                                      const ports::plan_terms& plan,
                                                      const std::string&) {
  std::lock_guard lock(mutex_);
  enter();
  if (auto before = settled_before(envelope, upgrade))
    return *before;
  account& buyer = accounts_[upgrade.buyer];
  const bool extends = buyer.plan == plan.name && buyer.expires_at && *buyer.expires_at > now;
  const timestamp from = extends ? *buyer.expires_at : now;
  ports::upgrade_commit out{ports::upgrade_commit::kind::paid};
  out.from_plan = buyer.plan;
  buyer.plan = plan.name;
  buyer.expires_at = from + std::chrono::seconds(plan.duration_seconds.value_or(0));
  out.expires_at = buyer.expires_at;
  orders_[upgrade.order_id] = order_row{upgrade.buyer, "paid", {}, buyer.expires_at};
  mark_processed(envelope.id);
  emit("plan.upgraded");
  return out;
}

ports::assignment_commit memory_plan_commands::assign_plan(
    const commands::envelope& envelope, const commands::assign_plan& assignment) {
  using kind = ports::assignment_commit::kind;
  std::lock_guard lock(mutex_);
  enter();
  const auto found = accounts_.find(assignment.user_id);
  ports::assignment_commit out;
  if (found == accounts_.end()) {
    out.what = kind::no_user;
    return out;
  }
  out.from_plan = found->second.plan;
  if (processed_.count(envelope.id) > 0) {
    out.what = kind::already_processed;
    return out;
  }
  if (plans_.count(assignment.plan) == 0) {
    out.what = kind::no_plan;
    return out;
  }
  found->second.plan = assignment.plan;
  found->second.expires_at = assignment.expires_at;
  out.expires_at = assignment.expires_at;
  mark_processed(envelope.id);
  emit("user.plan_changed");
  return out;
}

ports::upgrade_commit memory_plan_commands::fail_order(const commands::envelope& envelope,
                                                       const commands::upgrade& upgrade,
                                                       const ports::plan_terms&,
                                                       const std::string& reason) {
  std::lock_guard lock(mutex_);
  enter();
  if (auto before = settled_before(envelope, upgrade))
    return *before;
  orders_[upgrade.order_id] = order_row{upgrade.buyer, "failed", reason, std::nullopt};
  mark_processed(envelope.id);
  emit("order.failed");
  ports::upgrade_commit out{ports::upgrade_commit::kind::failed};
  out.from_plan = accounts_[upgrade.buyer].plan;
  return out;
}

std::vector<ports::expiry_commit> memory_plan_commands::apply_expiries(
    std::span<const ports::expiry_member> group) {
  {
    std::lock_guard lock(mutex_);
    enter();  // a scripted fault fails the whole group before anything is applied
    for (const auto& member : group)
      throw_if_poisoned(member.expire->user_id);
    ++groups_applied;
  }
  std::vector<ports::expiry_commit> out;
  for (const auto& member : group)
    out.push_back(apply_expiry(*member.envelope, *member.expire));
  return out;
}

ports::expiry_commit memory_plan_commands::apply_expiry(const commands::envelope& envelope,
                                                        const commands::expire& expire) {
  using kind = ports::expiry_commit::kind;
  std::lock_guard lock(mutex_);
  enter();
  throw_if_poisoned(expire.user_id);
  ports::expiry_commit out;
  const auto found = accounts_.find(expire.user_id);
  if (found == accounts_.end()) {
    out.what = kind::no_user;
    return out;
  }
  account& user = found->second;
  out.from_plan = user.plan;
  if (processed_.count(envelope.id) > 0) {
    out.what = kind::already_processed;
    return out;
  }
  const bool due = user.expires_at && *user.expires_at <= now;
  out.decision = decide_expiry(user.expires_at, due, expire.due_at, now);
  if (out.decision.action == expiry_action::not_yet)
    return out;
  if (out.decision.action == expiry_action::downgrade) {
    user.plan = "free";
    user.expires_at.reset();
    emit("plan.expired");
  }
  mark_processed(envelope.id);
  return out;
}

ports::sweep_start memory_plan_commands::start_sweep(const std::string& command_id) {
  std::lock_guard lock(mutex_);
  enter();
  const auto now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  return {processed_.count(command_id) > 0, now_us};
}

std::vector<ports::due_account> memory_plan_commands::due_accounts(
    std::int64_t cutoff_us, const std::optional<ports::due_account>& after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  enter();
  std::vector<ports::due_account> all;
  for (const auto& [id, user] : accounts_) {
    if (!user.expires_at)
      continue;
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(user.expires_at->time_since_epoch())
            .count();
    if (us <= cutoff_us)
      all.push_back({id, *user.expires_at, us});
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(a.expires_us, a.user_id) < std::tie(b.expires_us, b.user_id);
  });
  std::vector<ports::due_account> page;
  for (const auto& due : all) {
    if (after &&
        std::tie(due.expires_us, due.user_id) <= std::tie(after->expires_us, after->user_id))
      continue;
    if (page.size() == limit)
      break;
    page.push_back(due);
  }
  return page;
}

void memory_plan_commands::record(const std::string& command_id, std::string_view) {
  std::lock_guard lock(mutex_);
  enter();
  mark_processed(command_id);
}

}  // namespace kemas::test
