#pragma once
// How far the outbox relay is behind: events written to the outbox and not yet published to
// RabbitMQ. One statement over the relay's partial index (outbox_unpublished_idx), sampled by
// the scheduler role for kemas_outbox_unpublished / kemas_outbox_oldest_age_seconds.
// Blocking: the caller's thread. Never throws: nullopt when the database cannot be asked.

#include <cstdint>
#include <optional>

namespace kemas::postgres {

class pg_pool;

struct outbox_backlog {
  std::int64_t unpublished = 0;
  double oldest_age_seconds = 0;  // 0 when nothing waits
};

std::optional<outbox_backlog> sample_outbox_backlog(pg_pool& pool);

}  // namespace kemas::postgres
