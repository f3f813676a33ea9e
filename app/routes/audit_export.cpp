#include "app/routes/audit_export.hpp"

#include <boost/json/serialize.hpp>

#include "app/routes/render.hpp"
#include "domain/rfc3339.hpp"

namespace kemas::http {
namespace {

// RFC 4180 field; a leading = + - @ (or tab/CR) would make a spreadsheet evaluate the cell.
void append_csv_field(std::string& out, std::string_view value) {
  const bool formula =
      !value.empty() && (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
                         value.front() == '@' || value.front() == '\t' || value.front() == '\r');
  const bool quote = formula || value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out.append(value);
    return;
  }
  out += '"';
  if (formula)
    out += '\'';
  for (char c : value) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
}

class audit_export_source final : public body_source {
 public:
  audit_export_source(app::admin_service& admin, ports::audit_filter filter, export_format format,
                      unsigned page_rows)
      : admin_(admin), filter_(std::move(filter)), format_(format), page_rows_(page_rows) {}

  boost::asio::awaitable<result<std::string_view>> next() override {
    if (done_)
      co_return std::string_view{};
    buffer_.clear();
    if (format_ == export_format::csv && !header_sent_) {
      buffer_ = audit_csv_header();
      header_sent_ = true;
    }
    ports::audit_filter filter = filter_;  // named: GCC 12 co_await temporaries
    auto page = co_await admin_.audit_page(std::move(filter), before_, page_rows_);
    for (const auto& entry : page.entries) {
      if (format_ == export_format::csv) {
        buffer_ += audit_csv_line(entry);
      } else {
        buffer_ += boost::json::serialize(audit_entry_json(entry));
        buffer_ += '\n';
      }
    }
    if (!page.entries.empty())
      before_ = page.entries.back().seq;
    if (!page.more)
      done_ = true;
    co_return std::string_view(buffer_);
  }

 private:
  app::admin_service& admin_;
  ports::audit_filter filter_;
  export_format format_;
  unsigned page_rows_;
  std::optional<std::int64_t> before_;
  std::string buffer_;
  bool header_sent_ = false;
  bool done_ = false;
};

}  // namespace

std::string audit_csv_header() {
  return "seq,event_id,occurred_at,actor_id,actor_ip,action,target_type,target_id,request_id,"
         "before,after\r\n";
}

std::string audit_csv_line(const ports::audit_entry& e) {
  std::string out;
  out.reserve(256 + e.before_json.size() + e.after_json.size());
  const std::string fields[] = {std::to_string(e.seq),
                                e.event_id,
                                format_rfc3339(e.occurred_at),
                                e.actor ? e.actor->to_string() : std::string(),
                                e.actor_ip,
                                e.action,
                                e.target_type,
                                e.target_id,
                                e.request_id,
                                e.before_json,
                                e.after_json};
  bool first = true;
  for (const auto& f : fields) {
    if (!first)
      out += ',';
    first = false;
    append_csv_field(out, f);
  }
  out += "\r\n";
  return out;
}

std::shared_ptr<body_source> make_audit_export(app::admin_service& admin,
                                               ports::audit_filter filter, export_format format,
                                               unsigned page_rows) {
  return std::make_shared<audit_export_source>(admin, std::move(filter), format, page_rows);
}

}  // namespace kemas::http
