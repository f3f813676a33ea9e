#include "workers/mailer.hpp"

#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "adapters/config/settings.hpp"
#include "adapters/crypto/sealed_box.hpp"
#include "adapters/log/logging.hpp"
#include "adapters/mail/mime_message.hpp"
#include "adapters/mail/smtp_sender.hpp"
#include "adapters/mail/templates.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/postgres/repositories/mail_store.hpp"
#include "adapters/support/random.hpp"
#include "domain/rfc3339.hpp"
#include "workers/mail_notices.hpp"
#include "workers/worker_metrics.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <unistd.h>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace kemas::worker {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kind_header = "x-kemas-mail-kind";
constexpr std::string_view attempt_header = "x-kemas-mail-attempt";

enum class notice_outcome { sent, skipped, duplicate, transient, permanent };

struct outcome_detail {
  notice_outcome outcome;
  std::string detail;  // why, for logs and the dead-letter reason
};

mail::template_set load_templates(const config::mail_settings& settings) {
  mail::template_set set = mail::template_set::built_in();
  if (!settings.templates_dir.empty()) {
    auto loaded = mail::template_set::from_directory(settings.templates_dir);
    if (!loaded)
      throw std::runtime_error("mail.templates_dir: " + loaded.error().message);
    set = std::move(*loaded);
  }
  for (std::string_view kind : notice_kinds()) {
    if (!set.has(kind))
      throw std::runtime_error("mail templates: " + std::string(kind) + ".txt is missing");
  }
  return set;
}

std::int64_t header_int(const amqp::header_map& headers, std::string_view key,
                        std::int64_t fallback) {
  auto found = headers.find(key);
  if (found == headers.end())
    return fallback;
  if (const auto* i = std::get_if<std::int64_t>(&found->second))
    return *i;
  try {
    return std::stoll(std::get<std::string>(found->second));
  } catch (const std::exception&) {
    return fallback;
  }
}

std::string header_string(const amqp::header_map& headers, std::string_view key) {
  auto found = headers.find(key);
  if (found == headers.end())
    return {};
  if (const auto* s = std::get_if<std::string>(&found->second))
    return *s;
  return std::to_string(std::get<std::int64_t>(found->second));
}

std::string now_rfc3339() {
  return format_rfc3339(
      std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now()));
}

std::string display_time(const std::string& rfc3339) {
  // "2026-12-04T15:00:00.000Z" reads better as "2026-12-04 15:00 UTC".
  if (rfc3339.size() >= 16 && rfc3339[10] == 'T')
    return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 5) + " UTC";
  return rfc3339;
}

}  // namespace

struct mailer::impl {
  impl(const config::settings& s, worker_metrics& m)
      : settings(s.mail),
        metrics(m),
        templates(load_templates(s.mail)),
        sender(s.mail),
        pool(pool_settings(s.postgres, s.mail.threads), "kemas-worker mailer"),
        publisher(s.amqp, publisher_options(s)),
        threads(s.mail.threads) {}

  static config::postgres_settings pool_settings(config::postgres_settings p, unsigned size) {
    p.pool_size = size;
    return p;
  }

  static amqp::publisher_options publisher_options(const config::settings& s) {
    amqp::publisher_options options;
    options.name = "kemas-worker mailer pid " + std::to_string(::getpid());
    options.declare_on_connect = amqp::kemas_topology(s.amqp.delivery_limit);
    return options;
  }

  bool is_stopping() {
    std::lock_guard lock(mutex);
    return stopping;
  }

  // ---- one delivery ----

  void process(const amqp::delivery& message, const amqp::delivery_handle& handle) {
    auto parsed = parse_mail_event(message.body);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
      log::warn("mail event dead-lettered",
                {{"message_id", message.message_id}, {"reason", *problem}});
      metrics.mail("invalid", "dead_lettered");
      handle.dead_letter(std::move(*problem));
      return;
    }
    const mail_event& event = std::get<mail_event>(parsed);
    auto notices = notices_for(event, notice_options{settings.expiry_notice});
    const std::string only_kind = header_string(message.headers, kind_header);
    const auto attempt = header_int(message.headers, attempt_header, 1);

    std::vector<amqp::outgoing_message> follow_ups;
    for (mail_notice& notice : notices) {
      if (!only_kind.empty() && notice.kind != only_kind)
        continue;
      if (auto copy = handle_notice(event, notice, attempt, message))
        follow_ups.push_back(std::move(*copy));
    }
    for (auto& copy : follow_ups) {
      const auto published = publisher.publish_sync(std::move(copy));
      if (!published.ok()) {
        log::warn("mail follow-up not published; the event goes back to its queue",
                  {{"event_id", event.id.to_string()}, {"error", published.detail}});
        handle.requeue();
        return;
      }
    }
    handle.ack();
  }

  std::optional<amqp::outgoing_message> handle_notice(const mail_event& event, mail_notice& notice,
                                                      std::int64_t attempt,
                                                      const amqp::delivery& message) {
    const std::string event_id = event.id.to_string();
    const auto now = mail_clock::now();
    if (notice.due && now < *notice.due) {
      metrics.mail(notice.kind, "scheduled");
      return delayed_copy(message, notice.kind, attempt,
                          std::chrono::duration_cast<milliseconds>(*notice.due - now));
    }
    const auto result = deliver(event, notice);
    std::vector<log::field> line{{"event_id", event_id},
                                 {"request_id", event.request_id},
                                 {"kind", notice.kind},
                                 {"attempt", attempt}};
    switch (result.outcome) {
      case notice_outcome::sent:
        metrics.mail(notice.kind, "sent");
        log::emit(log::level::info, "mail sent", line);
        return std::nullopt;
      case notice_outcome::skipped:
        metrics.mail(notice.kind, "skipped");
        line.push_back({"reason", result.detail});
        log::emit(log::level::info, "mail skipped", line);
        return std::nullopt;
      case notice_outcome::duplicate:
        metrics.mail(notice.kind, "duplicate");
        log::emit(log::level::info, "mail already sent", line);
        return std::nullopt;
      case notice_outcome::transient:
        if (attempt < static_cast<std::int64_t>(settings.attempts)) {
          metrics.mail(notice.kind, "retry");
          const auto delay = retry_delay(attempt);
          line.push_back({"error", result.detail});
          line.push_back({"retry_in_ms", static_cast<std::int64_t>(delay.count())});
          log::emit(log::level::warn, "mail not sent; retrying", line);
          return delayed_copy(message, notice.kind, attempt + 1, delay);
        }
        [[fallthrough]];
      case notice_outcome::permanent:
        metrics.mail(notice.kind, "dead_lettered");
        line.push_back({"reason", result.detail});
        log::emit(log::level::error, "mail dead-lettered", line);
        return dead_copy(message, notice.kind, attempt, result.detail);
    }
    return std::nullopt;
  }

  // 1 s after the first failure, then 5 s, 30 s, 2 m, 10 m, 1 h (the delay buckets).
  static milliseconds retry_delay(std::int64_t failed_attempt) {
    const std::size_t index = static_cast<std::size_t>(
        std::clamp<std::int64_t>(failed_attempt - 1, 0, amqp::delay_buckets.size() - 1));
    return amqp::delay_buckets[index].ttl;
  }

  outcome_detail deliver(const mail_event& event, mail_notice& notice) {
    std::optional<postgres::mail_recipient> recipient;
    try {
      auto checked = pool.with_session([&](soci::session& sql) -> std::optional<outcome_detail> {
        if (postgres::already_sent(sql, event.id, notice.kind))
          return outcome_detail{notice_outcome::duplicate, {}};
        recipient = postgres::find_recipient(sql, notice.user_id);
        if (!recipient)
          return outcome_detail{notice_outcome::skipped, "the account no longer exists"};
        if (recipient->disabled && notice.kind != "account_disabled")
          return outcome_detail{notice_outcome::skipped, "the account is disabled"};
        if (notice.condition == notice_condition::new_login_address &&
            !postgres::note_login_address(sql, notice.user_id, event.actor_ip, event.id))
          return outcome_detail{notice_outcome::skipped, "not a new address"};
        if (notice.condition == notice_condition::plan_still_ends &&
            recipient->plan_expires_at_ms != notice.plan_expires_at_ms)
          return outcome_detail{notice_outcome::skipped, "the plan was renewed or has ended"};
        return std::nullopt;
      });
      if (checked)
        return *checked;
    } catch (const std::exception& e) {
      return {notice_outcome::transient, std::string("database: ") + e.what()};
    }

    auto& values = notice.values;
    values["username"] = recipient->username;
    values["email"] = recipient->email;
    values["base_url"] = base_url();
    values["occurred_at"] = display_time(event.occurred_at);
    values["request_id"] = event.request_id;
    values["ip"] = event.actor_ip.empty() ? "an unknown address" : event.actor_ip;
    for (const char* time_key : {"expires_at", "expired_at"}) {
      if (auto found = values.find(time_key); found != values.end())
        found->second = display_time(found->second);
    }
    if (notice.kind == "password_reset") {
      auto token = crypto::open_sealed(settings.token_key, crypto::reset_token_purpose,
                                       notice.user_id.to_string(), notice.sealed_token);
      if (!token)
        return {notice_outcome::permanent,
                "the reset token does not open (mail.token_key differs from the api's?)"};
      // In the fragment: browsers do not send it to the server, so it stays out of access logs.
      values["reset_url"] = base_url() + "/reset-password#token=" + *token;
    }

    auto rendered = templates.render(notice.kind, values);
    if (!rendered)
      return {notice_outcome::permanent, "template: " + rendered.error().message};
    mail::mime_message mime;
    mime.from = settings.from;
    mime.to = recipient->email;
    mime.subject = std::move(rendered->subject);
    mime.text = std::move(rendered->text);
    mime.html = std::move(rendered->html);
    mime.message_id = event.id.to_string() + "." + notice.kind;
    const std::string bytes = mail::render(mime, "kemas-" + support::random_hex(12));
    const auto sent = sender.send(recipient->email, bytes);
    if (sent.status == mail::send_status::transient)
      return {notice_outcome::transient, sent.detail};
    if (sent.status == mail::send_status::permanent)
      return {notice_outcome::permanent, sent.detail};
    try {
      pool.with_session([&](soci::session& sql) {
        postgres::record_sent(sql, event.id, notice.kind, notice.user_id);
      });
    } catch (const std::exception& e) {
      // Sent, not recorded: a redelivery would send it again. Say so; do not retry the send.
      log::warn("mail sent but not recorded",
                {{"event_id", event.id.to_string()}, {"kind", notice.kind}, {"error", e.what()}});
    }
    return {notice_outcome::sent, {}};
  }

  std::string base_url() const {
    std::string url = settings.public_base_url;
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    return url;
  }

  static amqp::outgoing_message copy_of(const amqp::delivery& message, const std::string& kind,
                                        std::int64_t attempt) {
    amqp::outgoing_message copy;
    copy.body = message.body;
    copy.message_id = message.message_id;
    copy.type = message.type;
    copy.correlation_id = message.correlation_id;
    copy.content_type = message.content_type.empty() ? "application/json" : message.content_type;
    copy.headers[std::string(kind_header)] = kind;
    copy.headers[std::string(attempt_header)] = attempt;
    return copy;
  }

  static amqp::outgoing_message delayed_copy(const amqp::delivery& message, const std::string& kind,
                                             std::int64_t attempt, milliseconds delay) {
    auto copy = copy_of(message, kind, attempt);
    const auto bucket = amqp::pick_delay_bucket(delay);
    copy.exchange = amqp::delay_exchange(bucket ? *bucket : amqp::delay_buckets.front());
    copy.routing_key = std::string(amqp::names::mail_delayed_key);
    return copy;
  }

  static amqp::outgoing_message dead_copy(const amqp::delivery& message, const std::string& kind,
                                          std::int64_t attempt, const std::string& reason) {
    auto copy = copy_of(message, kind, attempt);
    copy.exchange = std::string(amqp::names::dead_exchange);
    copy.routing_key = std::string(amqp::names::mail_queue);
    copy.headers[std::string(amqp::names::reason_header)] = reason.empty() ? "unspecified" : reason;
    copy.headers[std::string(amqp::names::source_queue_header)] =
        std::string(amqp::names::mail_queue);
    copy.headers[std::string(amqp::names::dead_lettered_at_header)] = now_rfc3339();
    return copy;
  }

  config::mail_settings settings;
  worker_metrics& metrics;
  mail::template_set templates;
  mail::smtp_sender sender;
  postgres::pg_pool pool;
  amqp::amqp_publisher publisher;
  boost::asio::thread_pool threads;  // last: joined first
  std::atomic<std::size_t> running{0};
  std::mutex mutex;
  bool stopping = false;
};

mailer::mailer(const config::settings& settings, worker_metrics& metrics)
    : impl_(std::make_unique<impl>(settings, metrics)) {}

mailer::~mailer() {
  begin_stop();
  impl_->threads.join();
  impl_->publisher.stop();
}

void mailer::on_delivery(amqp::delivery message, amqp::delivery_handle handle) {
  impl_->running.fetch_add(1);
  auto task = [state = impl_.get(), message = std::move(message), handle = std::move(handle)] {
    if (state->is_stopping()) {
      handle.requeue();
    } else {
      try {
        state->process(message, handle);
      } catch (const std::exception& e) {
        log::error("mail delivery failed; requeued",
                   {{"message_id", message.message_id}, {"error", e.what()}});
        handle.requeue();
      }
    }
    state->running.fetch_sub(1);
  };
  boost::asio::post(impl_->threads, std::move(task));
}

void mailer::begin_stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stopping = true;
}

bool mailer::wait_idle(std::chrono::steady_clock::time_point deadline) {
  while (impl_->running.load() != 0) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace kemas::worker
