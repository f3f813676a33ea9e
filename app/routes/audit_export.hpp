#pragma once
// The audit trail as a streamed file (GET /api/v1/admin/audit/export): a body_source that
// reads the filtered trail page by page (newest first, `page_rows` rows per statement) and
// renders each page as NDJSON (one audit entry object per line, as /admin/audit shows it) or
// CSV (a header line, then one row per entry; RFC 4180 quoting; text that a spreadsheet
// would take for a formula is prefixed with '). Memory: one rendered page at a time,
// whatever the size of the trail. The response is sent with chunked transfer encoding.

#include <memory>

#include "app/server/http_types.hpp"
#include "app/services/admin_service.hpp"

namespace kemas::http {

enum class export_format { ndjson, csv };

std::shared_ptr<body_source> make_audit_export(app::admin_service& admin,
                                               ports::audit_filter filter, export_format format,
                                               unsigned page_rows = 1000);

// One entry as a CSV line (with its CRLF), and the header line; for the unit test.
std::string audit_csv_header();
std::string audit_csv_line(const ports::audit_entry& entry);

}  // namespace kemas::http
