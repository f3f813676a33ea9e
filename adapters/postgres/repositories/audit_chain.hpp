#pragma once
// audit_chain: checks the hash chain of audit_log (schemas/migrations/0004: every row's
// chain_hash = sha256(previous row's hash || canonical text of the row), chain_seq 1, 2, 3...).
// The database recomputes each link with the same function its insert trigger used, in
// pages of `page_rows` rows ordered by chain_seq, so memory stays flat for any table size.
//
// What it finds: a row whose columns were changed (its own link fails), a removed row (the
// next link fails and chain_seq skips), rows whose order was changed (links fail). What it
// cannot find alone: rows cut off the END of the chain; compare the head it reports with
// one recorded earlier (e.g. from a scheduled run's output) for that.
// Synchronous on the caller's session; SOCI exceptions propagate.

#include <cstdint>
#include <optional>
#include <string>

namespace soci {
class session;
}

namespace kemas::postgres {

struct audit_chain_break {
  std::int64_t chain_seq = 0;  // of the first row whose link does not hold
  std::int64_t id = 0;         // its audit_log.id
  std::string event_id;
  std::string problem;  // "hash does not match the row", "chain_seq 7 follows 5", ...
};

struct audit_chain_report {
  std::int64_t rows = 0;                    // rows checked
  std::optional<audit_chain_break> broken;  // the first broken link, if any
  std::int64_t head_seq = 0;                // the last row checked
  std::string head_hash;                    // its chain_hash, hex
};

audit_chain_report verify_audit_chain(soci::session& sql, std::int64_t page_rows = 5000);

}  // namespace kemas::postgres
