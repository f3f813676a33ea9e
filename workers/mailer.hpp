#pragma once
// The `mailer` role's work: each event of kemas.events.mail becomes the messages
// workers/mail_notices.hpp names, sent through SMTP (adapters/mail/smtp_sender.hpp).
//
// Per notice, on the mailer's own threads (mail.threads; each with a PostgreSQL connection):
//   already sent (mail_deliveries)?  -> nothing to do
//   recipient (users) gone, or disabled (but for account_disabled), or the notice's
//   condition false (not a new address, plan renewed/ended)  -> skipped
//   render conf/mail/<kind>, send, then record in mail_deliveries.
// Exactly-once is not possible with SMTP: a crash between the server's "250" and the
// record sends that message again on redelivery; everything else is sent once. The
// Message-ID is "<event id>.<kind>@<from domain>" so a mail client can fold such a repeat.
//
// Retries go through the delay queues, never by sleeping on a thread: a failed notice is
// republished ALONE (header x-kemas-mail-kind) to kemas.delay.<bucket> with routing key
// "mail", which dead-letters back into kemas.events.mail after 1 s, 5 s, 30 s, 2 m, 10 m,
// then every hour (x-kemas-mail-attempt counts); after mail.attempts sends, or at once for
// a permanent SMTP refusal (5xx) or a reset token that does not open, the copy goes to
// kemas.dead with x-kemas-reason. Reminders (plan_expiring) wait the same way until due.
// The delivery is acked once its follow-up copies are confirmed by the broker; if one cannot
// be published, the delivery is requeued (already sent notices are not sent again).
//
// Metrics: kemas_mail_messages_total{kind, outcome} (outcome: sent, skipped, duplicate,
// retry, scheduled, dead_lettered).
// Thread-safe; on_delivery is called by the consumer's thread and returns at once.

#include "adapters/amqp/consumer.hpp"
#include "domain/non_copyable.hpp"

#include <chrono>
#include <memory>

namespace kemas::config {
struct settings;
}

namespace kemas::worker {

class worker_metrics;

class mailer : kemas::non_copyable {
 public:
  // Throws std::runtime_error when mail.templates_dir cannot be read or lacks a kind.
  mailer(const config::settings& settings, worker_metrics& metrics);
  ~mailer();

  void on_delivery(amqp::delivery message, amqp::delivery_handle handle);

  // Deliveries not yet started are requeued from now on.
  void begin_stop();
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kemas::worker
