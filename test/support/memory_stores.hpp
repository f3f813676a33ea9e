#pragma once
// In-memory stores for unit tests of the worker handlers: ports::file_command_store and
// ports::plan_command_store over plain containers, keeping the rules a handler relies on
// (idempotency by command id, the conditional quota update, owner scoping, the upload's
// pending state, expiry decided by decide_expiry) and letting a test script faults:
// fail_next(n) makes the next n calls throw kemas::backend_unavailable (transient), and
// break_next(n) a std::runtime_error (a fault retrying cannot mend).
//
// Threading: each is guarded by its own mutex.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/ports/file_command_store.hpp"
#include "domain/ports/plan_command_store.hpp"

namespace kemas::test {

// What both stores share: scripted faults, processed commands and emitted event types.
class memory_store_base {
 public:
  void fail_next(std::size_t calls);
  void break_next(std::size_t calls);
  std::vector<std::string> events() const;  // event types, in order
  bool was_processed(const std::string& command_id) const;
  // Calls that touch `id` (an upload, an account: each store says which) throw, alone or in a
  // group, as a row the database refuses would: kemas::backend_unavailable when `transient`,
  // else std::runtime_error.
  void poison(const uuid& id, bool transient);

 protected:
  // Called first by every port call, under the lock: throws a scripted fault.
  void enter();
  void mark_processed(const std::string& command_id) { processed_.insert(command_id); }
  void emit(std::string type) { events_.push_back(std::move(type)); }
  void throw_if_poisoned(const uuid& id) const;  // under the lock
  // The row stored under `key`, copied out under the lock.
  template <class Map>
  std::optional<typename Map::mapped_type> copy_of(const Map& rows,
                                                   const typename Map::key_type& key) const {
    std::lock_guard lock(mutex_);
    const auto found = rows.find(key);
    return found == rows.end() ? std::nullopt : std::optional(found->second);
  }

  mutable std::mutex mutex_;
  std::set<std::string> processed_;

 private:
  std::vector<std::string> events_;
  std::map<uuid, bool> poisoned_;  // id -> transient
  std::size_t transient_ = 0;
  std::size_t permanent_ = 0;
};

class memory_file_commands final : public ports::file_command_store, public memory_store_base {
 public:
  struct account {
    std::uint64_t used_bytes = 0;
    std::uint64_t quota_bytes = 1000;
    std::uint64_t max_file_bytes = 1000;
  };
  struct upload_row {
    uuid owner;
    model::upload_state state = model::upload_state::pending;
    std::optional<model::rejection_reason> reason{};
  };
  struct file_row {
    uuid owner;
    std::string name;
    std::uint64_t size = 0;
    std::string object_key;
    bool deleted = false;
  };

  void add_account(const uuid& id, account limits);
  void add_pending_upload(const uuid& upload_id, const uuid& owner);
  void add_file(const uuid& file_id, file_row row);
  std::optional<account> account_of(const uuid& id) const { return copy_of(accounts_, id); }
  std::optional<upload_row> upload(const uuid& id) const { return copy_of(uploads_, id); }
  std::optional<file_row> file(const uuid& id) const { return copy_of(files_, id); }

  // poison(upload id): its commit throws, alone or in a group.
  std::size_t groups_committed = 0;  // calls of commit_uploads that got past the faults
  std::size_t processed_queries = 0;  // calls of processed and processed_among

  bool processed(const std::string& command_id) override;
  std::vector<bool> processed_among(std::span<const std::string> command_ids) override;
  ports::upload_commit commit_upload(const commands::envelope& envelope,
                                     const commands::upload& upload) override;
  std::vector<ports::upload_commit> commit_uploads(
      std::span<const ports::upload_member> group) override;
  ports::rejection_record record_rejection(const commands::envelope& envelope,
                                           const commands::upload& upload,
                                           model::rejection_reason reason) override;
  bool release_object(const std::string& object_key) override;
  void removal_done(const std::string& object_key) override;

  // object_cleanup: removals scheduled and not yet done.
  std::set<std::string> scheduled_removals;
  ports::file_deletion delete_file(const commands::envelope& envelope,
                                   const commands::delete_file& request) override;

 private:
  bool key_in_use(const std::string& object_key) const;
  // commit_upload's rules; the caller holds the lock and has called enter().
  ports::upload_commit commit_locked(const commands::envelope& envelope,
                                     const commands::upload& upload);

  std::map<uuid, account> accounts_;
  std::map<uuid, upload_row> uploads_;
  std::map<uuid, file_row> files_;
};

class memory_plan_commands final : public ports::plan_command_store, public memory_store_base {
 public:
  struct account {
    std::string plan = "free";
    std::optional<timestamp> expires_at;
  };
  struct order_row {
    uuid buyer;
    std::string state;  // paid | failed
    std::string reason;
    std::optional<timestamp> bought_until;
  };

  // The database's clock (default: a fixed time; tests move it).
  timestamp now = *parse_rfc3339("2030-01-01T00:00:00Z");

  void add_plan(ports::plan_terms plan);
  void add_account(const uuid& id, account state);
  std::optional<account> account_of(const uuid& id) const { return copy_of(accounts_, id); }
  std::optional<order_row> order(const uuid& id) const { return copy_of(orders_, id); }
  // poison(user): expiries that touch the account throw, alone or in a group; the group's
  // other accounts apply when tried alone.

  ports::upgrade_start start_upgrade(const commands::envelope& envelope,
                                     const commands::upgrade& upgrade) override;
  ports::upgrade_commit pay_order(const commands::envelope& envelope,
                                  const commands::upgrade& upgrade, const ports::plan_terms& plan,
                                  const std::string& payment_reference) override;
  ports::upgrade_commit fail_order(const commands::envelope& envelope,
                                   const commands::upgrade& upgrade, const ports::plan_terms& plan,
                                   const std::string& reason) override;
  // Plan and end as given (no file locks: the in-memory store keeps no files).
  ports::assignment_commit assign_plan(const commands::envelope& envelope,
                                       const commands::assign_plan& assignment) override;
  // Member by member (the database's version is set-based; the outcome is the same).
  std::vector<ports::expiry_commit> apply_expiries(
      std::span<const ports::expiry_member> group) override;
  std::size_t groups_applied = 0;  // apply_expiries calls
  ports::expiry_commit apply_expiry(const commands::envelope& envelope,
                                    const commands::expire& expire) override;
  ports::sweep_start start_sweep(const std::string& command_id) override;
  std::vector<ports::due_account> due_accounts(std::int64_t cutoff_us,
                                               const std::optional<ports::due_account>& after,
                                               std::size_t limit) override;
  void record(const std::string& command_id, std::string_view outcome) override;

 private:
  std::optional<ports::upgrade_commit> settled_before(const commands::envelope& envelope,
                                                      const commands::upgrade& upgrade);

  std::map<std::string, ports::plan_terms> plans_;
  std::map<uuid, account> accounts_;
  std::map<uuid, order_row> orders_;

};

}  // namespace kemas::test
