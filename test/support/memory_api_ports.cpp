#include "test/support/memory_api_ports.hpp"

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <tuple>

#include "adapters/crypto/tokens.hpp"

namespace kemas::test {
namespace {

error not_found(std::string what) {
  return make_error(errc::not_found, "no such " + what);
}

// Yields its bytes in one chunk, then the end.
class memory_source final : public ports::byte_source {
 public:
  explicit memory_source(std::string bytes) : bytes_(std::move(bytes)) {}
  ports::async<result<std::string_view>> next() override {
    if (done_)
      co_return std::string_view{};
    done_ = true;
    co_return std::string_view(bytes_);
  }

 private:
  std::string bytes_;
  bool done_ = false;
};

class memory_upload final : public ports::object_upload {
 public:
  memory_upload(memory_object_streams& owner, std::string key, std::size_t inline_max,
                ports::before_store_hook before_store)
      : owner_(owner),
        key_(std::move(key)),
        inline_max_(inline_max),
        before_store_(std::move(before_store)) {}

  ports::async<result<void>> write(std::string_view bytes) override {
    if (owner_.fail_writes)
      co_return make_error(errc::backend_unavailable, "the file store is unavailable");
    body_.append(bytes);
    co_return result<void>{};
  }
  ports::async<result<ports::stored_body>> finish() override {
    ports::stored_body out{body_.size(), crypto::sha256_hex(body_), std::nullopt};
    if (body_.size() <= inline_max_) {
      out.inline_bytes = body_;
      co_return out;
    }
    if (before_store_) {
      auto recorded = co_await before_store_(std::nullopt);
      if (!recorded)
        co_return recorded.error();
    }
    owner_.objects[key_] = body_;
    co_return out;
  }
  ports::async<void> abandon() override {
    owner_.objects.erase(key_);
    ++owner_.abandoned;
    co_return;
  }
  std::uint64_t size() const noexcept override { return body_.size(); }

 private:
  memory_object_streams& owner_;
  std::string key_;
  std::size_t inline_max_;
  ports::before_store_hook before_store_;
  std::string body_;
};

}  // namespace

// --- command bus ---------------------------------------------------------------------------

ports::async<result<void>> memory_command_bus::publish(commands::envelope command) {
  if (failures_ > 0) {
    --failures_;
    co_return make_error(errc::backend_unavailable, "the command queue is unavailable");
  }
  published_.push_back(command);
  due_.emplace_back();
  if (on_publish)
    on_publish(published_.back());
  co_return result<void>{};
}

ports::async<result<void>> memory_command_bus::publish_at(commands::envelope command,
                                                          timestamp due_at) {
  auto published = co_await publish(std::move(command));
  if (published)
    due_.back() = due_at;
  co_return published;
}

// --- files ---------------------------------------------------------------------------------

std::vector<model::file> memory_file_store::owned(const uuid& owner) const {
  std::vector<model::file> out;
  for (const auto& [id, file] : files_) {
    if (file.owner_id == owner && file.state != model::file_state::deleted)
      out.push_back(file);
  }
  return out;
}

bool memory_file_store::name_in_use(const uuid& owner, const std::string& name) const {
  const auto mine = owned(owner);
  return std::any_of(mine.begin(), mine.end(), [&](const auto& f) { return f.name == name; });
}

ports::async<ports::file_list> memory_file_store::list(ports::file_list_query query) {
  auto mine = owned(query.owner);
  ports::file_list out;
  out.total = static_cast<std::int64_t>(mine.size());
  for (const auto& f : mine)
    out.used_bytes += static_cast<std::int64_t>(f.size);
  const bool by_name = query.sort == ports::file_sort::name_asc;
  std::sort(mine.begin(), mine.end(), [&](const model::file& a, const model::file& b) {
    return by_name ? std::tie(a.name, a.id) < std::tie(b.name, b.id)
                   : std::tie(b.created_us, b.id) < std::tie(a.created_us, a.id);
  });
  for (const auto& f : mine) {
    if (!f.name.starts_with(query.prefix))
      continue;
    if (query.after) {
      const auto& at = *query.after;
      const bool past = by_name ? std::tie(f.name, f.id) > std::tie(at.name, at.id)
                                : std::tie(f.created_us, f.id) < std::tie(at.created_us, at.id);
      if (!past)
        continue;
    }
    if (out.files.size() == query.limit) {
      out.more = true;
      break;
    }
    out.files.push_back(f);
  }
  co_return out;
}

ports::async<result<model::file>> memory_file_store::find(uuid owner, uuid file_id) {
  if (failing_finds > 0) {
    --failing_finds;
    throw backend_unavailable("postgres", "injected outage (test)");
  }
  auto file = live(owner, file_id);
  if (!file)
    co_return not_found("file");
  co_return std::move(*file);
}

std::optional<model::file> memory_file_store::live(const uuid& owner, const uuid& id) const {
  const auto found = files_.find(id);
  if (found == files_.end() || found->second.owner_id != owner ||
      found->second.state == model::file_state::deleted)
    return std::nullopt;
  return found->second;
}

ports::async<result<model::file>> memory_file_store::rename(uuid owner, uuid file_id,
                                                            std::string name) {
  const auto found = files_.find(file_id);
  if (found == files_.end() || found->second.owner_id != owner)
    co_return not_found("file");
  if (name_in_use(owner, name))
    co_return make_error(errc::conflict, "a file with this name exists", "name");
  found->second.name = std::move(name);
  co_return found->second;
}

ports::async<std::optional<ports::past_due_storage>> memory_file_store::past_due(uuid owner) {
  const auto quota = past_due_quota.find(owner);
  if (quota == past_due_quota.end())
    co_return std::nullopt;
  ports::past_due_storage out{quota->second, {}};
  for (const auto& f : owned(owner)) {
    out.files.push_back({f.id, f.size, timestamp(std::chrono::milliseconds(f.created_us / 1000)),
                         f.state == model::file_state::locked});
  }
  co_return out;
}

// --- uploads -------------------------------------------------------------------------------

ports::async<result<ports::upload_limits>> memory_upload_store::limits(uuid owner,
                                                                       std::string name) {
  const auto found = accounts.find(owner);
  if (found == accounts.end())
    co_return not_found("user");
  co_return ports::upload_limits{found->second, files_.name_in_use(owner, name)};
}

ports::async<void> memory_upload_store::create_pending(uuid owner, uuid upload_id) {
  model::upload u;
  u.id = upload_id;
  uploads_[upload_id] = {owner, u};
  co_return;
}

ports::async<void> memory_upload_store::hold_object(uuid, uuid upload_id, std::string object_key,
                                                    std::optional<std::string>,
                                                    std::chrono::milliseconds) {
  if (fail_holds)
    throw backend_unavailable("postgres", "injected outage (test)");
  held.try_emplace(std::move(object_key), held_object{upload_id, false});
  co_return;
}

ports::async<void> memory_upload_store::release_object(uuid, std::string object_key) {
  if (auto found = held.find(object_key); found != held.end())
    found->second.released = true;
  co_return;
}

ports::async<result<ports::upload_record>> memory_upload_store::find(uuid owner, uuid upload_id) {
  ++finds;
  if (failing_finds > 0) {
    --failing_finds;
    throw backend_unavailable("postgres", "injected outage (test)");
  }
  const auto found = uploads_.find(upload_id);
  if (found == uploads_.end() || found->second.first != owner)
    co_return not_found("upload");
  ports::upload_record record{found->second.second, std::nullopt};
  if (record.upload.file_id)
    record.file = files_.live(owner, *record.upload.file_id);
  co_return record;
}

ports::async<result<model::upload>> memory_upload_store::reject_if_pending(
    uuid owner, uuid upload_id, model::rejection_reason reason) {
  const auto found = uploads_.find(upload_id);
  if (found == uploads_.end() || found->second.first != owner)
    co_return not_found("upload");
  if (found->second.second.state == model::upload_state::pending)
    reject(upload_id, reason);
  co_return found->second.second;
}

void memory_upload_store::commit(const uuid& upload_id, const uuid& file_id) {
  auto& u = uploads_.at(upload_id).second;
  u.state = model::upload_state::committed;
  u.file_id = file_id;
}

void memory_upload_store::reject(const uuid& upload_id, model::rejection_reason reason) {
  auto& u = uploads_.at(upload_id).second;
  u.state = model::upload_state::rejected;
  u.reason = reason;
}

std::optional<model::upload> memory_upload_store::upload(const uuid& id) const {
  const auto found = uploads_.find(id);
  if (found == uploads_.end())
    return std::nullopt;
  return found->second.second;
}

// --- plans ---------------------------------------------------------------------------------

ports::async<std::vector<model::plan>> memory_plan_store::list(bool public_only) {
  std::vector<model::plan> out;
  for (const auto& p : plans_) {
    if (!public_only || p.is_public)
      out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.price_cents, a.id) < std::tie(b.price_cents, b.id);
  });
  co_return out;
}

ports::async<result<model::plan>> memory_plan_store::find(std::int32_t id) {
  for (const auto& p : plans_) {
    if (p.id == id)
      co_return p;
  }
  co_return not_found("plan");
}

ports::async<result<model::plan>> memory_plan_store::find_by_name(std::string name) {
  for (const auto& p : plans_) {
    if (p.name == name)
      co_return p;
  }
  co_return not_found("plan");
}

ports::async<result<model::plan>> memory_plan_store::create(ports::plan_fields fields,
                                                            model::event_draft event) {
  for (const auto& p : plans_) {
    if (p.name == fields.name)
      co_return make_error(errc::conflict, "a plan with this name exists", "name");
  }
  model::plan plan{next_id_++,
                   fields.name,
                   fields.display_name,
                   fields.quota_bytes,
                   fields.max_file_bytes,
                   fields.price_cents,
                   fields.currency,
                   fields.duration_seconds,
                   fields.is_public};
  plans_.push_back(plan);
  events.push_back(std::move(event));
  co_return plan;
}

ports::async<result<model::plan>> memory_plan_store::update(std::int32_t id,
                                                            ports::plan_patch patch,
                                                            model::event_draft event) {
  for (auto& p : plans_) {
    if (p.id != id)
      continue;
    p = model::apply_patch(p, patch).next;
    events.push_back(std::move(event));
    co_return p;
  }
  co_return not_found("plan");
}

ports::async<result<void>> memory_plan_store::remove(std::int32_t id, model::event_draft event) {
  const auto found =
      std::find_if(plans_.begin(), plans_.end(), [&](const auto& p) { return p.id == id; });
  if (found == plans_.end())
    co_return not_found("plan");
  if (found->name == model::fallback_plan_name || in_use.count(id) > 0)
    co_return make_error(errc::conflict, "the plan is in use");
  plans_.erase(found);
  events.push_back(std::move(event));
  co_return result<void>{};
}

// --- billing -------------------------------------------------------------------------------

ports::async<result<model::subscription>> memory_billing_store::subscription(uuid user) {
  const auto found = subscriptions.find(user);
  if (found == subscriptions.end())
    co_return not_found("user");
  co_return found->second;
}

ports::async<result<model::order>> memory_billing_store::find_order(uuid user, uuid order_id) {
  const auto found = orders_.find(order_id);
  if (found == orders_.end() || found->second.first != user)
    co_return not_found("order");
  co_return found->second.second;
}

ports::async<ports::order_page> memory_billing_store::list_orders(
    uuid user, unsigned limit, std::optional<ports::order_position> after) {
  std::vector<model::order> mine;
  for (const auto& [id, entry] : orders_) {
    if (entry.first == user)
      mine.push_back(entry.second);
  }
  std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) {
    return std::tie(b.created_us, b.id) < std::tie(a.created_us, a.id);
  });
  ports::order_page page;
  for (const auto& o : mine) {
    if (after && !(std::tie(o.created_us, o.id) < std::tie(after->created_us, after->id)))
      continue;
    if (page.orders.size() == limit) {
      page.more = true;
      break;
    }
    page.orders.push_back(o);
  }
  co_return page;
}

void memory_billing_store::add_order(const uuid& user, model::order order) {
  const uuid id = order.id;
  orders_[id] = {user, std::move(order)};
}

// --- objects -------------------------------------------------------------------------------

std::unique_ptr<ports::object_upload> memory_object_streams::upload(
    std::string key, std::string, std::optional<std::uint64_t>,
    ports::before_store_hook before_store) {
  return std::make_unique<memory_upload>(*this, std::move(key), inline_max_,
                                         std::move(before_store));
}

ports::async<result<ports::object_body>> memory_object_streams::open(
    std::string key, std::optional<byte_range> range) {
  const auto found = objects.find(key);
  if (found == objects.end())
    co_return make_error(errc::backend_unavailable, "the file's content is unavailable");
  std::string bytes = found->second;
  if (range)
    bytes = bytes.substr(range->first, range->length());
  const std::uint64_t length = bytes.size();
  co_return ports::object_body{std::make_shared<memory_source>(std::move(bytes)), length};
}

}  // namespace kemas::test
