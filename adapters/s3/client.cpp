#include "adapters/s3/client.hpp"

#include "adapters/s3/canonical.hpp"
#include "adapters/s3/outcome.hpp"
#include "adapters/s3/xml.hpp"

#include <functional>
#include <stdexcept>
#include <utility>

namespace kemas::s3 {
namespace {

using detail::check;
using detail::parse_u64;

constexpr std::size_t max_key_bytes = 1024;  // S3's limit on a key's UTF-8 length

std::string base_url(const config::s3_settings& settings) {
  std::string url = settings.endpoint;
  if (url.empty())
    throw std::invalid_argument("s3.endpoint is empty");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    url = (settings.use_ssl ? "https://" : "http://") + url;
  }
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

std::optional<s3_error> check_key(std::string_view key) {
  if (key.empty())
    return detail::invalid_argument("empty object key");
  if (key.size() > max_key_bytes)
    return detail::invalid_argument("object key over 1024 bytes");
  return std::nullopt;
}

// "bytes 0-9/100" → 100; "bytes */100" → 100.
std::optional<std::uint64_t> total_from_content_range(std::string_view range) {
  const std::size_t slash = range.rfind('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  return parse_u64(range.substr(slash + 1));
}

get_info to_get_info(const detail::response_head& head) {
  get_info info;
  info.http_status = head.status;
  info.content_length = parse_u64(head.header("content-length")).value_or(0);
  info.content_range = std::string(head.header("content-range"));
  info.object_size = head.status == 206 ? total_from_content_range(info.content_range).value_or(0)
                                        : info.content_length;
  info.etag = std::string(head.header("etag"));
  info.content_type = std::string(head.header("content-type"));
  info.last_modified = std::string(head.header("last-modified"));
  return info;
}

}  // namespace

s3_client::s3_client(const config::s3_settings& settings)
    : bucket_(settings.bucket), region_(settings.region) {
  if (bucket_.empty())
    throw std::invalid_argument("s3.bucket is empty");
  config_.base_url = base_url(settings);
  config_.sigv4 = "aws:amz:" + settings.region + ":s3";
  config_.access_key = settings.access_key;
  config_.secret_key = settings.secret_key;
  config_.connect_timeout = settings.connect_timeout;
  config_.timeout = settings.timeout;
}

s3_client s3_client::with_timeout(std::chrono::milliseconds timeout) const {
  s3_client copy = *this;
  copy.config_.timeout = timeout;
  return copy;
}

detail::response s3_client::perform(detail::request& req) const {
  if (req.payload_sha256.empty())
    req.payload_sha256 = std::string(empty_payload_sha256);
  return detail::perform(config_, req);
}

std::string s3_client::path(std::string_view key) const {
  return canonical_key_path(bucket_, key);
}

s3_result<detail::request> s3_client::put_request(std::string_view key,
                                                  std::string_view content_type,
                                                  std::uint64_t size) const {
  if (auto bad = check_key(key))
    return *bad;
  auto req = request_for("PUT", key);
  if (!content_type.empty())
    req.headers.push_back("Content-Type: " + std::string(content_type));
  req.payload_sha256 = std::string(unsigned_payload);
  req.body_size = size;
  return req;
}

s3_result<put_info> s3_client::put_object(std::string_view key, std::string_view content_type,
                                          std::uint64_t size, const body_reader& reader) {
  if (size > 0 && !reader)
    return detail::invalid_argument("put_object without a reader");
  auto prepared = put_request(key, content_type, size);
  if (!prepared)
    return prepared.error();
  auto& req = *prepared;
  req.reader = std::cref(reader);  // the caller's reader, not a copy of its state
  auto res = perform(req);
  if (auto error = check(res))
    return *error;
  return put_info{std::string(res.head.header("etag"))};
}

s3_result<put_info> s3_client::put_object(std::string_view key, std::string_view bytes,
                                          std::string_view content_type) {
  if (auto bad = check_key(key))
    return *bad;
  auto req = request_for("PUT", key);
  if (!content_type.empty())
    req.headers.push_back("Content-Type: " + std::string(content_type));
  detail::attach_bytes(req, bytes);
  auto res = perform(req);
  if (auto error = check(res))
    return *error;
  return put_info{std::string(res.head.header("etag"))};
}

std::vector<s3_result<put_info>> s3_client::put_objects(std::span<const object_bytes> objects) {
  std::vector<s3_result<put_info>> out(objects.size(), put_info{});
  std::vector<detail::request> requests;
  std::vector<std::size_t> sent;  // request -> index in `objects`
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const object_bytes& object = objects[i];
    if (auto bad = check_key(object.key)) {
      out[i] = *bad;
      continue;
    }
    auto req = request_for("PUT", object.key);
    if (!object.content_type.empty())
      req.headers.push_back("Content-Type: " + std::string(object.content_type));
    detail::attach_bytes(req, object.bytes);
    requests.push_back(std::move(req));
    sent.push_back(i);
  }
  auto responses = detail::perform_all(config_, std::move(requests));
  for (std::size_t r = 0; r < responses.size(); ++r) {
    if (auto error = check(responses[r]))
      out[sent[r]] = *error;
    else
      out[sent[r]] = put_info{std::string(responses[r].head.header("etag"))};
  }
  return out;
}

s3_result<detail::request> s3_client::get_request(std::string_view key,
                                                  std::optional<byte_range> range) const {
  if (auto bad = check_key(key))
    return *bad;
  if (range && range->last && *range->last < range->first) {
    return detail::invalid_argument("byte range ends before it starts");
  }
  auto req = request_for("GET", key);
  req.payload_sha256 = std::string(empty_payload_sha256);
  if (range) {
    req.range = std::to_string(range->first) + "-" +
                (range->last ? std::to_string(*range->last) : std::string());
  }
  return req;
}

get_info s3_client::get_info_of(const detail::response_head& head) {
  return to_get_info(head);
}

s3_result<get_info> s3_client::get_object(std::string_view key, std::optional<byte_range> range,
                                          const body_sink& sink, const head_callback& on_head) {
  auto prepared = get_request(key, range);
  if (!prepared)
    return prepared.error();
  auto& req = *prepared;
  std::optional<get_info> info;
  req.on_head = [&](const detail::response_head& head) {
    info = to_get_info(head);
    return on_head ? on_head(*info) : true;
  };
  if (sink) {
    req.sink = std::cref(sink);
  } else {
    req.sink = [](std::string_view) { return true; };
  }
  auto res = perform(req);
  if (auto error = check(res))
    return *error;
  return info ? std::move(*info) : to_get_info(res.head);
}

detail::request s3_client::request_for(std::string method, std::string_view key,
                                       const query_params& query) const {
  detail::request req;
  req.method = std::move(method);
  req.path_and_query = path(key);
  if (!query.empty())
    req.path_and_query += "?" + canonical_query(query);
  return req;
}

s3_result<object_info> s3_client::head_object(std::string_view key) {
  if (auto bad = check_key(key))
    return *bad;
  auto req = request_for("HEAD", key);
  auto res = perform(req);
  if (auto error = check(res))
    return *error;
  object_info info;
  info.size = parse_u64(res.head.header("content-length")).value_or(0);
  info.etag = std::string(res.head.header("etag"));
  info.content_type = std::string(res.head.header("content-type"));
  info.last_modified = std::string(res.head.header("last-modified"));
  return info;
}

s3_result<void> s3_client::delete_object(std::string_view key) {
  if (auto bad = check_key(key))
    return *bad;
  auto req = request_for("DELETE", key);
  auto res = perform(req);
  if (auto error = check(res); error && !error->not_found())
    return *error;
  return {};
}

s3_result<put_info> s3_client::copy_object(std::string_view source_key,
                                           std::string_view destination_key) {
  if (auto bad = check_key(source_key))
    return *bad;
  if (auto bad = check_key(destination_key))
    return *bad;
  auto req = request_for("PUT", destination_key);
  // The source is URL-encoded like a path (S3 decodes it), so keys with spaces survive.
  req.headers.push_back("x-amz-copy-source: " + path(source_key));
  req.body_size = 0;  // sends Content-Length: 0, which AWS requires on this PUT
  auto res = perform(req);
  if (auto error = check(res))
    return *error;
  if (auto error = detail::error_in_body(res))
    return *error;
  return put_info{xml::first_text(res.body, "ETag").value_or("")};
}

s3_result<void> s3_client::head_bucket(std::chrono::milliseconds timeout) {
  detail::request req;
  req.method = "HEAD";
  req.path_and_query = canonical_key_path(bucket_, {});
  req.timeout = timeout;
  auto res = perform(req);
  if (auto error = check(res))
    return *error;
  return {};
}

s3_result<void> s3_client::create_bucket() {
  detail::request req;
  req.method = "PUT";
  req.path_and_query = canonical_key_path(bucket_, {});
  // us-east-1 is the default location and must not be named (AWS refuses it).
  std::string body;
  if (region_ != "us-east-1") {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        xml::escape(region_) +
        "</LocationConstraint>"
        "</CreateBucketConfiguration>";
    req.headers.emplace_back("Content-Type: application/xml");
  }
  detail::attach_bytes(req, body);
  auto res = perform(req);
  if (auto error = check(res)) {
    if (error->code == "BucketAlreadyOwnedByYou")
      return {};
    return *error;
  }
  return {};
}

s3_result<list_page> s3_client::list_objects(std::string_view prefix, std::string_view continuation,
                                             unsigned max_keys) {
  if (max_keys == 0 || max_keys > 1000)
    return detail::invalid_argument("max_keys not in 1..1000");
  query_params query{{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}};
  if (!prefix.empty())
    query.emplace("prefix", std::string(prefix));
  if (!continuation.empty())
    query.emplace("continuation-token", std::string(continuation));
  detail::request req;
  req.path_and_query = canonical_key_path(bucket_, {}) + "?" + canonical_query(query);
  auto res = perform(req);
  if (auto error = check(res))
    return *error;
  if (xml::root_name(res.body) != "ListBucketResult") {
    return s3_error{s3_errc::protocol, res.head.status, "UnexpectedDocument",
                    "ListObjectsV2 answer is not a ListBucketResult"};
  }
  list_page page;
  for (std::string_view item : xml::elements(res.body, "Contents")) {
    list_entry entry;
    entry.key = xml::first_text(item, "Key").value_or("");
    entry.size = parse_u64(xml::first_text(item, "Size").value_or("")).value_or(0);
    entry.etag = xml::first_text(item, "ETag").value_or("");
    entry.last_modified = xml::first_text(item, "LastModified").value_or("");
    page.objects.push_back(std::move(entry));
  }
  if (xml::first_text(res.body, "IsTruncated").value_or("false") == "true") {
    auto token = xml::first_text(res.body, "NextContinuationToken");
    if (!token || token->empty()) {
      return s3_error{s3_errc::protocol, res.head.status, "MissingContinuationToken",
                      "truncated listing without NextContinuationToken"};
    }
    page.next_continuation = std::move(token);
  }
  return page;
}

}  // namespace kemas::s3
