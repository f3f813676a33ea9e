#pragma once
// In-memory implementations of the api's asynchronous ports (domain/ports/) for unit tests of
// app/services: every call completes at once from plain containers, keeping the ports'
// contracts where a test can tell (owner scoping, keyset paging, conflicts) and exposing
// what a test needs to arrange the world or look at it. A command_bus stand-in can play the
// worker (`on_publish`) the way the real one settles uploads, deletes and orders.
//
// Threading: for tests that run their coroutines on one io_context thread; no locks.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/ports/billing_store.hpp"
#include "domain/ports/command_bus.hpp"
#include "domain/ports/file_store.hpp"
#include "domain/ports/object_streams.hpp"
#include "domain/ports/plan_store.hpp"
#include "domain/ports/settle_signals.hpp"
#include "domain/ports/upload_store.hpp"
#include "adapters/support/settle_registry.hpp"

namespace kemas::test {

class memory_command_bus final : public ports::command_bus {
 public:
  ports::async<result<void>> publish(commands::envelope command) override;
  // Recorded like publish(), its due time in scheduled_at() at the same index.
  ports::async<result<void>> publish_at(commands::envelope command, timestamp due_at) override;

  // Called with each command the bus accepted, before publish() returns: a test's worker.
  std::function<void(const commands::envelope&)> on_publish;
  void fail_next(std::size_t calls) { failures_ = calls; }
  const std::vector<commands::envelope>& published() const noexcept { return published_; }
  // Per published command: its due time, nullopt when published for now.
  const std::vector<std::optional<timestamp>>& scheduled_at() const noexcept { return due_; }

 private:
  std::vector<commands::envelope> published_;
  std::vector<std::optional<timestamp>> due_;
  std::size_t failures_ = 0;
};

class memory_file_store final : public ports::file_store {
 public:
  ports::async<ports::file_list> list(ports::file_list_query query) override;
  ports::async<result<model::file>> find(uuid owner, uuid file_id) override;
  ports::async<result<model::file>> rename(uuid owner, uuid file_id, std::string name) override;
  ports::async<std::optional<ports::past_due_storage>> past_due(uuid owner) override;

  void add(model::file file) { files_[file.id] = std::move(file); }
  void remove(const uuid& id) { files_.erase(id); }
  bool name_in_use(const uuid& owner, const std::string& name) const;
  // The owner's file `id` unless it is deleted (or someone else's).
  std::optional<model::file> live(const uuid& owner, const uuid& id) const;
  // The owner's plan is past due with this free quota (nullopt: in force).
  std::map<uuid, std::uint64_t> past_due_quota;
  // The next this many find() calls throw kemas::backend_unavailable (the database down).
  std::size_t failing_finds = 0;

 private:
  std::vector<model::file> owned(const uuid& owner) const;
  std::map<uuid, model::file> files_;
};

class memory_upload_store final : public ports::upload_store {
 public:
  explicit memory_upload_store(const memory_file_store& files) : files_(files) {}

  ports::async<result<ports::upload_limits>> limits(uuid owner, std::string name) override;
  ports::async<void> create_pending(uuid owner, uuid upload_id) override;
  ports::async<void> hold_object(uuid owner, uuid upload_id, std::string object_key,
                                 std::optional<std::string> multipart_upload_id,
                                 std::chrono::milliseconds abandon_after) override;
  ports::async<void> release_object(uuid owner, std::string object_key) override;
  ports::async<result<ports::upload_record>> find(uuid owner, uuid upload_id) override;
  ports::async<result<model::upload>> reject_if_pending(uuid owner, uuid upload_id,
                                                        model::rejection_reason reason) override;

  std::map<uuid, model::storage_limits> accounts;
  // What a worker does: settle a pending upload.
  void commit(const uuid& upload_id, const uuid& file_id);
  void reject(const uuid& upload_id, model::rejection_reason reason);
  std::optional<model::upload> upload(const uuid& id) const;
  // What object_cleanup would hold: key -> (upload, due now = released).
  struct held_object {
    uuid upload_id;
    bool released = false;
  };
  std::map<std::string, held_object> held;
  bool fail_holds = false;  // hold_object throws kemas::backend_unavailable
  std::size_t finds = 0;  // find() calls: what a waiting request read
  // The next this many find() calls throw kemas::backend_unavailable (the database down).
  std::size_t failing_finds = 0;

 private:
  const memory_file_store& files_;
  std::map<uuid, std::pair<uuid, model::upload>> uploads_;  // id -> (owner, upload)
};

class memory_plan_store final : public ports::plan_store {
 public:
  ports::async<std::vector<model::plan>> list(bool public_only) override;
  ports::async<result<model::plan>> find(std::int32_t id) override;
  ports::async<result<model::plan>> find_by_name(std::string name) override;
  ports::async<result<model::plan>> create(ports::plan_fields fields,
                                           model::event_draft event) override;
  ports::async<result<model::plan>> update(std::int32_t id, ports::plan_patch patch,
                                           model::event_draft event) override;
  ports::async<result<void>> remove(std::int32_t id, model::event_draft event) override;

  std::set<std::int32_t> in_use;           // plans an account or an order refers to
  std::vector<model::event_draft> events;  // what create/update/remove emitted

 private:
  std::vector<model::plan> plans_;
  std::int32_t next_id_ = 1;
};

class memory_billing_store final : public ports::billing_store {
 public:
  ports::async<result<model::subscription>> subscription(uuid user) override;
  ports::async<result<model::order>> find_order(uuid user, uuid order_id) override;
  ports::async<ports::order_page> list_orders(uuid user, unsigned limit,
                                              std::optional<ports::order_position> after) override;

  std::map<uuid, model::subscription> subscriptions;
  void add_order(const uuid& user, model::order order);

 private:
  std::map<uuid, std::pair<uuid, model::order>> orders_;  // id -> (user, order)
};

// Objects in a map. Uploads keep a body of at most inline_max bytes inline, as the real one.
class memory_object_streams final : public ports::object_streams {
 public:
  explicit memory_object_streams(std::size_t inline_max) : inline_max_(inline_max) {}

  std::unique_ptr<ports::object_upload> upload(std::string key, std::string content_type,
                                               std::optional<std::uint64_t> length,
                                               ports::before_store_hook before_store) override;
  ports::async<result<ports::object_body>> open(std::string key,
                                                std::optional<byte_range> range) override;

  std::map<std::string, std::string> objects;
  std::size_t abandoned = 0;  // uploads that ended with abandon()
  bool fail_writes = false;   // every write fails (backend_unavailable)

 private:
  std::size_t inline_max_;
};

// settle_signals a test drives: signal() as the worker's commit would; `is_live` false
// makes waiters poll, as while the real listener reconnects.
class memory_settle_signals final : public ports::settle_signals {
 public:
  std::unique_ptr<ports::settle_subscription> subscribe(const uuid& id) override {
    return waiting_.subscribe(id);
  }
  bool live() const noexcept override { return is_live; }
  void signal(const uuid& id) { waiting_.signal(id.to_string()); }

  bool is_live = true;

 private:
  support::settle_registry waiting_;
};

}  // namespace kemas::test
