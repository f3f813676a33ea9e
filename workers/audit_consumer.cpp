#include "workers/audit_consumer.hpp"

#include "adapters/amqp/backoff.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/pool.hpp"
#include "domain/rfc3339.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>
#include <thread>

namespace kemas::worker {
namespace json = boost::json;

namespace {

constexpr std::size_t max_event_bytes = 1024 * 1024;
constexpr std::size_t max_action_chars = 100;  // audit_log.action CHECK

// Keys whose values are credentials wherever they appear in an event's data.
constexpr std::array<std::string_view, 9> secret_keys{
    "token",        "password",      "password_hash", "secret",       "secret_hash",
    "access_token", "refresh_token", "api_key",       "token_sealed",
};

using verdict = std::variant<postgres::audit_record, std::string>;

std::string malformed(std::string_view what) {
  return "malformed event: " + std::string(what);
}

// The value under `key` unless it is absent or JSON null.
const json::value* present(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

// nullopt for absent/null; a problem text in `problem` when present but not a string.
std::optional<std::string> optional_string(const json::object& object, std::string_view key,
                                           std::string_view path, std::string& problem) {
  const json::value* value = present(object, key);
  if (value == nullptr)
    return std::nullopt;
  if (!value->is_string()) {
    problem = malformed("field '" + std::string(path) + "' is not a string");
    return std::nullopt;
  }
  return std::string(value->get_string());
}

bool is_inet_text(const std::string& text) {
  // PostgreSQL's inet takes no IPv6 zone ids ("fe80::1%eth0"); Asio would.
  if (text.find('%') != std::string::npos)
    return false;
  boost::system::error_code ec;
  boost::asio::ip::make_address(text, ec);
  return !ec;
}

void redact_value(json::value& value) {
  if (value.is_object()) {
    for (auto& entry : value.get_object()) {
      const bool secret =
          std::find(secret_keys.begin(), secret_keys.end(), entry.key()) != secret_keys.end();
      if (secret && !entry.value().is_null())
        entry.value() = redacted_value;
      else
        redact_value(entry.value());
    }
  } else if (value.is_array()) {
    for (auto& element : value.get_array())
      redact_value(element);
  }
}

// data.before -> before; data.after plus the other keys -> after (see the header).
void split_data(const json::object& data, postgres::audit_record& record) {
  json::object rest;
  std::optional<json::value> after;
  for (const auto& entry : data) {
    if (entry.key() == "before") {
      if (!entry.value().is_null())
        record.before = entry.value();
    } else if (entry.key() == "after") {
      if (!entry.value().is_null())
        after = entry.value();
    } else {
      rest.emplace(entry.key(), entry.value());
    }
  }
  if (after && after->is_object()) {
    for (const auto& entry : rest)
      after->get_object().emplace(entry.key(), entry.value());  // keeps after's own keys
  } else if (after && !rest.empty()) {
    rest["after"] = *after;
    after = json::value(std::move(rest));
  } else if (!after && !rest.empty()) {
    after = json::value(std::move(rest));
  }
  record.after = std::move(after);
}

verdict map_event(const json::object& event) {
  postgres::audit_record record;
  const json::value* id = present(event, "id");
  const auto event_id =
      id != nullptr && id->is_string() ? uuid::parse(id->get_string()) : std::nullopt;
  if (!event_id)
    return malformed("field 'id' missing or not a UUID");
  record.event_id = *event_id;

  const json::value* type = present(event, "type");
  if (type == nullptr || !type->is_string() || type->get_string().empty())
    return malformed("field 'type' missing or not a non-empty string");
  if (type->get_string().size() > max_action_chars)
    return malformed("field 'type' longer than 100 characters");
  record.action = std::string(type->get_string());

  if (const json::value* version = present(event, "version")) {
    if (!version->is_number() || version->to_number<double>() != 1.0)
      return "unsupported event version " + json::serialize(*version) + " (this worker reads 1)";
  }

  std::string problem;
  if (auto text = optional_string(event, "occurred_at", "occurred_at", problem)) {
    record.occurred_at = parse_rfc3339(*text);
    if (!record.occurred_at)
      return malformed("field 'occurred_at' is not an RFC 3339 time");
  }
  record.request_id = optional_string(event, "request_id", "request_id", problem);
  if (!problem.empty())
    return problem;

  if (const json::value* actor = present(event, "actor")) {
    if (!actor->is_object())
      return malformed("field 'actor' is not an object");
    if (auto user = optional_string(actor->get_object(), "user_id", "actor.user_id", problem)) {
      record.actor_id = uuid::parse(*user);
      if (!record.actor_id)
        return malformed("field 'actor.user_id' is not a UUID");
    }
    record.actor_ip = optional_string(actor->get_object(), "ip", "actor.ip", problem);
    if (!problem.empty())
      return problem;
    if (record.actor_ip && !is_inet_text(*record.actor_ip))
      return malformed("field 'actor.ip' is not an IP address");
  }

  if (const json::value* subject = present(event, "subject")) {
    if (!subject->is_object())
      return malformed("field 'subject' is not an object");
    record.target_type = optional_string(subject->get_object(), "type", "subject.type", problem);
    record.target_id = optional_string(subject->get_object(), "id", "subject.id", problem);
    if (!problem.empty())
      return problem;
  }

  if (const json::value* data = present(event, "data")) {
    if (!data->is_object())
      return malformed("field 'data' is not an object");
    split_data(redact_event_data(record.action, data->get_object()), record);
  }
  return record;
}

}  // namespace

boost::json::object redact_event_data(std::string_view type, boost::json::object data) {
  // Named explicitly, although the generic rule covers it: this event exists to carry the
  // reset token (sealed) to the mailer, and it must not survive into the audit trail.
  if (type == "auth.password_reset_requested") {
    for (std::string_view key : {"token", "token_sealed"}) {
      if (json::value* token = data.if_contains(key))
        *token = redacted_value;
    }
  }
  json::value wrapped(std::move(data));
  redact_value(wrapped);
  return std::move(wrapped.get_object());
}

std::variant<postgres::audit_record, std::string> audit_record_from_event(std::string_view body) {
  if (body.size() > max_event_bytes)
    return std::string("event larger than 1 MiB");
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  const json::value root = json::parse(body, ec, {}, options);
  if (ec)
    return malformed("not valid JSON: " + ec.message());
  if (!root.is_object())
    return malformed("not a JSON object");
  return map_event(root.get_object());
}

std::optional<std::string> check_audit_event(const std::string& body) {
  auto verdict = audit_record_from_event(body);
  if (auto* problem = std::get_if<std::string>(&verdict))
    return std::move(*problem);
  return std::nullopt;
}

// ---- audit_writer ----

// A delivery waiting for a writer thread, already mapped to its row.
struct waiting_event {
  postgres::audit_record record;
  amqp::delivery message;
  amqp::delivery_handle handle;
};

struct audit_writer::impl {
  explicit impl(const config::settings& settings)
      : threads_count(std::max(1u, settings.worker.handler_threads)),
        group_size(std::max(1u, settings.worker.group_size)),
        pool(pool_settings(settings.postgres, threads_count), "kemas-worker audit"),
        threads(threads_count) {}

  static config::postgres_settings pool_settings(config::postgres_settings s, unsigned size) {
    s.pool_size = size;  // one connection per writer thread: each blocks on its own
    return s;
  }

  // Waits `delay` or until stopping; true when stopping.
  bool pause(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex);
    return wake.wait_for(lock, delay, [this] { return stopping; });
  }

  bool is_stopping() {
    std::lock_guard lock(mutex);
    return stopping;
  }

  // Run by a writer thread once per delivery queued: takes every event waiting then, up to
  // group_size, and stores them together. A thread that finds none left (another took them
  // into its group) has nothing to do.
  void run_group() {
    std::vector<waiting_event> group;
    {
      std::lock_guard lock(mutex);
      const std::size_t take = std::min(waiting.size(), group_size);
      group.reserve(take);
      for (std::size_t i = 0; i < take; ++i) {
        group.push_back(std::move(waiting.front()));
        waiting.pop_front();
      }
    }
    if (group.empty())
      return;
    store(group);
    running.fetch_sub(group.size());
  }

  // Stores the group in one statement and acks each member after it committed. A database
  // that is unreachable or timing out: the whole group is retried in place with backoff (200
  // ms .. 5 s, so an outage does not use up the queue's delivery limit) until it succeeds or
  // the role stops (then every member is requeued). Another error fails the whole statement,
  // so each member is stored alone: the one PostgreSQL refuses is dead-lettered with the
  // error as the reason, and its neighbours are stored.
  void store(std::span<waiting_event> group) {
    std::vector<postgres::audit_record> records;
    records.reserve(group.size());
    for (const auto& member : group)
      records.push_back(member.record);
    amqp::backoff retry(std::chrono::milliseconds(200), std::chrono::milliseconds(5000));
    for (;;) {
      try {
        auto job = [&records](soci::session& sql) {
          return postgres::insert_audit_records(sql, records);
        };
        const std::vector<bool> inserted = pool.with_session(std::move(job));
        for (std::size_t i = 0; i < group.size(); ++i) {
          group[i].handle.ack();
          log::info(inserted[i] ? "event stored" : "event already stored",
                    {{"request_id", group[i].record.request_id.value_or("")},
                     {"event_id", group[i].record.event_id.to_string()},
                     {"type", group[i].record.action},
                     {"group", group.size()}});
        }
        return;
      } catch (const std::exception& e) {
        const auto kind = postgres::classify(e);
        if (!postgres::is_transient(kind)) {
          if (group.size() > 1) {
            log::warn("audit group failed; storing its events one by one",
                      {{"events", group.size()}, {"error", e.what()}});
            for (std::size_t i = 0; i < group.size(); ++i)
              store(group.subspan(i, 1));
            return;
          }
          const std::string reason =
              "audit store failed (" + std::string(postgres::to_string(kind)) + "): " + e.what();
          log::error("event dead-lettered",
                     {{"request_id", group.front().record.request_id.value_or("")},
                      {"event_id", group.front().record.event_id.to_string()},
                      {"message_id", group.front().message.message_id},
                      {"reason", reason}});
          group.front().handle.dead_letter(reason);
          return;
        }
        if (is_stopping()) {
          requeue(group);
          return;
        }
        const auto delay = retry.next();
        log::warn("audit store failed; retrying",
                  {{"events", group.size()},
                   {"first_event_id", group.front().record.event_id.to_string()},
                   {"error", e.what()},
                   {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
        if (pause(delay)) {
          requeue(group);
          return;
        }
      }
    }
  }

  static void requeue(std::span<waiting_event> group) {
    for (auto& member : group)
      member.handle.requeue();
  }

  unsigned threads_count;
  std::size_t group_size;
  postgres::pg_pool pool;  // before threads: outlives the tasks using it
  boost::asio::thread_pool threads;
  std::atomic<std::size_t> running{0};  // deliveries queued or being stored
  std::mutex mutex;                      // guards waiting and stopping
  std::deque<waiting_event> waiting;
  std::condition_variable wake;
  bool stopping = false;
};

audit_writer::audit_writer(const config::settings& settings)
    : impl_(std::make_unique<impl>(settings)) {}

audit_writer::~audit_writer() {
  begin_stop();
  impl_->threads.join();
}

void audit_writer::on_delivery(amqp::delivery message, amqp::delivery_handle handle) {
  auto verdict = audit_record_from_event(message.body);
  if (auto* problem = std::get_if<std::string>(&verdict)) {
    log::warn("event dead-lettered", {{"message_id", message.message_id},
                                      {"routing_key", message.routing_key},
                                      {"reason", *problem}});
    handle.dead_letter(std::move(*problem));
    return;
  }
  impl_->running.fetch_add(1);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->waiting.push_back({std::get<postgres::audit_record>(std::move(verdict)),
                              std::move(message), std::move(handle)});
  }
  boost::asio::post(impl_->threads, [state = impl_.get()] { state->run_group(); });
}

void audit_writer::begin_stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
}

bool audit_writer::wait_idle(std::chrono::steady_clock::time_point deadline) {
  while (impl_->running.load() != 0) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::size_t audit_writer::running() const noexcept {
  return impl_->running.load();
}

}  // namespace kemas::worker
