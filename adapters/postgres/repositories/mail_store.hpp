#pragma once
// mail_store: what the mailer role reads and writes in PostgreSQL (tables mail_deliveries,
// login_addresses; users and plans read-only). Synchronous functions on the caller's
// session: the mailer runs them on its own threads (a pg_pool's with_session). Database
// errors propagate as SOCI exceptions (classify with adapters/postgres/errors.hpp).
//
// Statements per message: already_sent 1, find_recipient 1, record_sent 1; a login notice
// adds note_login_address (2).

#include "domain/uuid.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace soci {
class session;
}

namespace kemas::postgres {

struct mail_recipient {
  std::string email;
  std::string username;
  std::string role;
  bool disabled = false;
  std::string plan;                             // the plan's name ("premium")
  std::optional<long long> plan_expires_at_ms;  // epoch milliseconds; nullopt: never
};

std::optional<mail_recipient> find_recipient(soci::session& sql, const uuid& user_id);

// True when the message (event, kind) was sent before.
bool already_sent(soci::session& sql, const uuid& event_id, std::string_view kind);
// Remembers that it was sent (idempotent).
void record_sent(soci::session& sql, const uuid& event_id, std::string_view kind,
                 const uuid& user_id);

// Remembers that the user logged in from `ip` (an address PostgreSQL's inet takes) with the
// event `event_id`. True when that event is the first to have seen the address AND the user
// had logged in from another one before it (their very first address is not "new"). The same
// event asked again gets the same answer.
bool note_login_address(soci::session& sql, const uuid& user_id, const std::string& ip,
                        const uuid& event_id);

}  // namespace kemas::postgres
