#include "app/services/file_service.hpp"

#include <algorithm>

#include "adapters/log/logging.hpp"
#include "adapters/metrics/transfer_metrics.hpp"
#include "app/services/paging.hpp"
#include "domain/base64.hpp"
#include "domain/file_name.hpp"
#include "domain/quota.hpp"
#include "domain/non_copyable.hpp"

namespace kemas::app {
namespace asio = boost::asio;
using model::file;
using ports::file_sort;

namespace {

// Counts a download's bytes and reports it once: completed when the end was reached,
// aborted when the response was dropped before (client gone, S3 failed mid-way).
class metered_source final : public http::body_source, kemas::non_copyable {
 public:
  metered_source(std::shared_ptr<http::body_source> inner, metrics::transfer_metrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}
  ~metered_source() override {
    if (!reported_)
      metrics_.download_finished(metrics::download_outcome::aborted, sent_);
  }

  asio::awaitable<result<std::string_view>> next() override {
    auto chunk = co_await inner_->next();
    if (chunk && chunk->empty() && !reported_) {
      reported_ = true;
      metrics_.download_finished(metrics::download_outcome::completed, sent_);
    } else if (chunk) {
      sent_ += chunk->size();
    }
    co_return chunk;
  }

 private:
  std::shared_ptr<http::body_source> inner_;
  metrics::transfer_metrics& metrics_;
  std::uint64_t sent_ = 0;
  bool reported_ = false;
};

// Cursors are base64url of "c:<created_us>:<id>" or "n:<id>:<name>" (the name last: it may
// hold ':'). Opaque to clients; stable because (sort key, id) is unique and fixed per row.
std::string encode_cursor(ports::file_sort sort, const model::file& last) {
  std::string raw = sort == ports::file_sort::name_asc
                        ? "n:" + last.id.to_string() + ":" + last.name
                        : "c:" + format_time_position(last.created_us, last.id);
  return base64url(raw);
}

result<ports::file_position> decode_cursor(ports::file_sort sort, std::string_view text) {
  const auto bad =
      make_error(errc::validation_failed, "cursor is not valid for this listing", "cursor");
  auto raw = base64url_decode(text);
  if (!raw || raw->size() < 2 || (*raw)[1] != ':')
    return bad;
  const std::string_view body = std::string_view(*raw).substr(2);
  const auto colon = body.find(':');
  if (colon == std::string_view::npos)
    return bad;
  ports::file_position pos;
  if ((*raw)[0] == 'n' && sort == ports::file_sort::name_asc) {
    auto id = uuid::parse(body.substr(0, colon));
    if (!id)
      return bad;
    pos.id = *id;
    pos.name = std::string(body.substr(colon + 1));
    if (!validate_file_name(pos.name))  // only names kemas stored make cursors
      return bad;
    return pos;
  }
  if ((*raw)[0] == 'c' && sort == ports::file_sort::created_desc) {
    auto at = parse_time_position(body);
    if (!at)
      return bad;
    pos.created_us = at->created_us;
    pos.id = at->id;
    return pos;
  }
  return bad;
}


result<ports::file_sort> parse_sort(const std::optional<std::string>& text) {
  if (!text || *text == "created_at")
    return ports::file_sort::created_desc;
  if (*text == "name")
    return ports::file_sort::name_asc;
  return make_error(errc::validation_failed, "sort must be created_at or name", "sort");
}

result<uuid> parse_file_id(std::string_view text) {
  auto id = uuid::parse(text);
  if (!id)
    return make_error(errc::not_found, "no such file");
  return *id;
}

}  // namespace

file_service::file_service(ports::file_store& files, ports::object_streams& objects,
                           metrics::transfer_metrics& transfers)
    : files_(files), objects_(objects), transfers_(transfers) {}

asio::awaitable<result<file_page>> file_service::list(const principal& who,
                                                      file_list_request request) {
  auto limit = parse_page_limit(request.limit, file_list_default_limit, file_list_max_limit);
  if (!limit)
    co_return limit.error();
  auto sort = parse_sort(request.sort);
  if (!sort)
    co_return sort.error();
  ports::file_list_query query;
  query.owner = who.user_id;
  query.sort = *sort;
  query.limit = *limit;
  query.prefix = request.prefix.value_or(std::string());
  // Validated before it reaches SQL: a prefix is the start of a name, so no longer than one
  // and well-formed UTF-8 (PostgreSQL refuses bytes that are not).
  if (query.prefix.size() > file_name_max_bytes || !is_valid_utf8(query.prefix) ||
      query.prefix.find('\0') != std::string::npos) {
    co_return make_error(errc::validation_failed,
                         "prefix must be valid UTF-8 of at most 255 bytes", "prefix");
  }
  if (request.cursor && !request.cursor->empty()) {
    auto after = decode_cursor(*sort, *request.cursor);
    if (!after)
      co_return after.error();
    query.after = std::move(*after);
  }
  file_page page;
  page.list = co_await files_.list(std::move(query));
  if (page.list.more && !page.list.files.empty())
    page.next_cursor = encode_cursor(*sort, page.list.files.back());
  co_return page;
}

asio::awaitable<result<model::file>> file_service::get(const principal& who,
                                                       std::string_view file_id) {
  auto id = parse_file_id(file_id);
  if (!id)
    co_return id.error();
  co_return co_await files_.find(who.user_id, *id);
}

asio::awaitable<result<model::file>> file_service::rename(const principal& who,
                                                          std::string_view file_id,
                                                          std::string name) {
  auto id = parse_file_id(file_id);
  if (!id)
    co_return id.error();
  auto valid = validate_file_name(name);
  if (!valid)
    co_return valid.error();
  auto current = co_await files_.find(who.user_id, *id);
  if (!current || current->name == name)
    co_return current;
  co_return co_await files_.rename(who.user_id, *id, std::move(name));
}

asio::awaitable<result<model::file>> file_service::find_downloadable(const principal& who,
                                                                     std::string_view file_id) {
  auto found = co_await get(who, file_id);
  if (!found)
    co_return found;
  auto readable = co_await check_unlocked(*found);
  if (!readable)
    co_return readable.error();
  co_return found;
}

asio::awaitable<result<void>> file_service::check_unlocked(const model::file& file) {
  if (file.state == model::file_state::locked) {
    co_return make_error(errc::file_locked,
                         "this file is locked: the account is over its plan's quota");
  }
  // Real-time enforcement: a paid plan past due counts as free before the worker's `expire`
  // locked anything, so the files that expiry WILL lock (newest first) are refused already.
  auto past_due = co_await files_.past_due(file.owner_id);
  if (past_due) {
    const auto changes = plan_locks(past_due->files, past_due->quota_bytes);
    if (std::ranges::find(changes.to_lock, file.id) != changes.to_lock.end()) {
      co_return make_error(errc::file_locked,
                           "this file is locked: the plan expired and the account is over the "
                           "free plan's quota");
    }
  }
  co_return result<void>{};
}

asio::awaitable<result<std::shared_ptr<http::body_source>>> file_service::open_object(
    const model::file& file, std::optional<byte_range> range) {
  std::uint64_t expected = file.size;
  if (range)
    expected = range->length();
  std::string key = file.object_key;  // named: GCC 12 co_await temporaries
  auto opened = co_await objects_.open(std::move(key), range);
  if (!opened) {
    log::error("download could not start",
               {{"file_id", file.id.to_string()}, {"object_key", file.object_key}});
    co_return opened.error();
  }
  // A store that answers another length than asked would make the response lie about its
  // Content-Length: refuse rather than send a corrupt body.
  if (opened->length != expected) {
    log::error("download length mismatch",
               {{"file_id", file.id.to_string()},
                {"expected", static_cast<std::int64_t>(expected)},
                {"got", static_cast<std::int64_t>(opened->length)}});
    co_return make_error(errc::backend_unavailable, "the file's content is unavailable");
  }
  std::shared_ptr<http::body_source> source = std::move(opened->bytes);
  co_return std::make_shared<metered_source>(std::move(source), transfers_);
}

}  // namespace kemas::app
