#include "app/routes/file_download.hpp"

#include "app/server/error_response.hpp"
#include "app/services/file_service.hpp"
#include "domain/byte_range.hpp"
#include "domain/content_disposition.hpp"
#include "domain/text.hpp"

namespace kemas::http {
namespace asio = boost::asio;

namespace {

// A source never read: HEAD answers describe the body without fetching it from S3.
class no_body final : public body_source {
 public:
  asio::awaitable<result<std::string_view>> next() override { co_return std::string_view{}; }
};

std::string strong_etag(const model::file& file) {
  return "\"" + file.sha256 + "\"";
}

// If-None-Match uses the weak comparison (RFC 9110 13.1.2): "W/" is ignored on either side.
bool none_match(std::string_view header, std::string_view etag) {
  if (trim_ows(header) == "*")
    return true;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = trim_ows(header.substr(0, comma));
    if (tag.starts_with("W/"))
      tag.remove_prefix(2);
    if (tag == etag)
      return true;
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

// The headers every answer about the representation carries (200, 206, 304, 416).
void describe(response& r, const model::file& file, const download_options& options) {
  r.with_header("ETag", strong_etag(file));
  r.with_header("Accept-Ranges", "bytes");
  r.with_header("Cache-Control", options.cache_control);
}

}  // namespace

asio::awaitable<result<response>> download_response(app::file_service& files,
                                                    request_context& ctx, const model::file& file,
                                                    const download_options& options) {
  const std::string etag = strong_etag(file);

  if (auto inm = ctx.header("If-None-Match"); inm && none_match(*inm, etag)) {
    auto r = response::empty(304);
    describe(r, file, options);
    co_return r;
  }

  // If-Range with another validator (or a date: we keep no Last-Modified) means "send all".
  std::string_view range_header;
  if (auto range = ctx.header("Range")) {
    auto if_range = ctx.header("If-Range");
    if (!if_range || trim_ows(*if_range) == etag)
      range_header = *range;
  }
  const auto selection = select_range(range_header, file.size);
  if (selection.outcome == range_outcome::unsatisfiable) {
    auto r = error_response(errc::range_not_satisfiable, "the requested range is not satisfiable",
                            ctx.request_id());
    r.with_header("Content-Range", unsatisfied_range_header(file.size));
    describe(r, file, options);
    co_return r;
  }

  const bool partial = selection.outcome == range_outcome::partial;
  response r;
  r.status = partial ? 206 : 200;
  r.content_type = file.content_type;
  describe(r, file, options);
  r.with_header("Content-Disposition", content_disposition(file.name));
  if (partial)
    r.with_header("Content-Range", content_range_header(selection.range, file.size));
  r.stream_length = partial ? selection.range.length() : file.size;

  if (ctx.verb() == method::head) {
    if (r.stream_length == 0)
      r.body.clear();
    else
      r.stream = std::make_shared<no_body>();
    co_return r;
  }
  if (options.before_body) {
    auto allowed = co_await options.before_body();
    if (!allowed)
      co_return allowed.error();
  }
  if (r.stream_length == 0) {
    r.body.clear();  // an empty file: nothing to fetch
    co_return r;
  }
  std::optional<byte_range> wanted;
  if (partial)
    wanted = selection.range;
  auto source = co_await files.open_object(file, wanted);
  if (!source)
    co_return source.error();
  r.stream = std::move(*source);
  co_return r;
}

}  // namespace kemas::http
