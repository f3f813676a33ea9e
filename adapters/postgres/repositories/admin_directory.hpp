#pragma once
// admin_directory (PostgreSQL): the admins' listings of users and of the audit trail, one
// statement each (a page and whether another follows: rows + 1 are read).
//
// Filters are bound parameters of one statement text (an empty value means "any"), so the
// text never depends on input. Users: newest first, keyset (created_at, id); a search is a
// case-insensitive substring of e-mail or username (LIKE with % and _ escaped): a scan of
// users, fine for an admin screen, not for a hot path. Audit: newest first by chain_seq
// (its unique index); the filters are checked along that index.
// Follows repositories/query.hpp (backend_unavailable thrown when unreachable).

#include "adapters/postgres/repositories/query.hpp"
#include "domain/ports/admin_directory.hpp"

#include <cstdint>

namespace soci {
class session;
}

namespace kemas::postgres {

class admin_directory final : public ports::admin_directory {
 public:
  explicit admin_directory(pg_pool& pool) : pool_(pool) {}

  boost::asio::awaitable<ports::user_page> list_users(ports::user_filter filter,
                                                      std::optional<ports::user_position> after,
                                                      unsigned rows) override;
  boost::asio::awaitable<std::optional<ports::user_details>> user(uuid id) override;
  boost::asio::awaitable<ports::audit_page> audit(ports::audit_filter filter,
                                                  std::optional<std::int64_t> before_seq,
                                                  unsigned rows) override;
  boost::asio::awaitable<bool> command_processed(std::string command_id) override;
  // Four statements on one connection: totals, counts by plan and role, the days (uploads and
  // active users from audit_log's occurred_at index, downloads from usage_daily), top users.
  boost::asio::awaitable<ports::usage_stats> usage(unsigned days, unsigned top) override;
  boost::asio::awaitable<ports::audit_page> security_activity(
      uuid user, std::optional<std::int64_t> before_seq, unsigned rows) override;

 private:
  pg_pool& pool_;
};

// Adds a process's download tally to today's row of usage_daily (one statement).
void add_downloads(soci::session& sql, std::uint64_t downloads, std::uint64_t bytes);

}  // namespace kemas::postgres
