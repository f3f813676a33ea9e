#include "adapters/postgres/repositories/audit_chain.hpp"

#include "adapters/postgres/prepared.hpp"

#include <soci/soci.h>

namespace kemas::postgres {
namespace {

// One page: each row with whether its link holds. The first row of a page links to
// $1 (the last hash of the page before; '' before the first row of all). $2 the last
// chain_seq seen, $3 rows a page. Prepared (prepared.hpp): one plan for all the pages.
const prepared_statement page_statement{
    "kemas_audit_chain_page",
    "SELECT a.chain_seq, a.id, a.event_id::text, encode(a.chain_hash, 'hex'), "
    "       (a.chain_hash = audit_link_hash(CASE WHEN row_number() OVER w = 1 "
    "                                            THEN decode($1, 'hex') "
    "                                            ELSE lag(a.chain_hash) OVER w END, a))::int "
    "FROM audit_log a WHERE a.chain_seq > CAST($2 AS bigint) "
    "WINDOW w AS (ORDER BY a.chain_seq) ORDER BY a.chain_seq LIMIT CAST($3 AS bigint)"};

}  // namespace

audit_chain_report verify_audit_chain(soci::session& sql, std::int64_t page_rows) {
  audit_chain_report report;
  std::string previous;  // hex of the last hash seen
  std::int64_t after = 0;
  for (;;) {
    const prepared_rows page = execute(sql, page_statement, previous, after, page_rows);
    const std::int64_t in_page = page.size();
    for (int row = 0; row < page.size(); ++row) {
      const auto seq = page.int64(row, 0);
      const auto id = page.int64(row, 1);
      auto event_id = page.text(row, 2);
      auto hash = page.text(row, 3);
      const bool link_holds = page.int64(row, 4) != 0;
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
