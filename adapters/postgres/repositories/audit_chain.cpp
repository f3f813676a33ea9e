#include "adapters/postgres/repositories/audit_chain.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

// One page: each row with whether its link holds. The first row of a page links to
// :previous (the last hash of the page before; '' before the first row of all).
constexpr const char* page_sql =
    "SELECT a.chain_seq, a.id, a.event_id::text, encode(a.chain_hash, 'hex'), "
    "       (a.chain_hash = audit_link_hash(CASE WHEN row_number() OVER w = 1 "
    "                                            THEN decode(:previous, 'hex') "
    "                                            ELSE lag(a.chain_hash) OVER w END, a))::int "
    "FROM audit_log a WHERE a.chain_seq > :after "
    "WINDOW w AS (ORDER BY a.chain_seq) ORDER BY a.chain_seq LIMIT :page";

}  // namespace

audit_chain_report verify_audit_chain(soci::session& sql, std::int64_t page_rows) {
  audit_chain_report report;
  std::string previous;  // hex of the last hash seen
  std::int64_t after = 0;
  for (;;) {
    soci::rowset<soci::row> page = (sql.prepare << page_sql, soci::use(previous, "previous"),
                                    soci::use(after, "after"), soci::use(page_rows, "page"));
    std::int64_t in_page = 0;
    for (const soci::row& row : page) {
      ++in_page;
      const auto seq = row.get<long long>(0);
      const auto id = row.get<long long>(1);
      const auto event_id = row.get<std::string>(2);
      const auto hash = row.get<std::string>(3);
      const bool link_holds = row.get<int>(4) != 0;
      if (!report.broken) {
        std::string problem;
        if (seq != report.head_seq + 1)
          problem = "chain_seq " + std::to_string(seq) + " follows " +
                    std::to_string(report.head_seq) + " (rows removed)";
        else if (!link_holds)
          problem =
              "hash does not match the row (changed, or a row before it was changed, "
              "removed or reordered)";
        if (!problem.empty())
          report.broken = audit_chain_break{seq, id, event_id, std::move(problem)};
      }
      ++report.rows;
      report.head_seq = seq;
      report.head_hash = hash;
      previous = hash;
      after = seq;
    }
    if (in_page < page_rows || report.broken)
      return report;
  }
}

}  // namespace kemas::postgres
