// s3_client's multipart upload calls (CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload).

#include "adapters/s3/canonical.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/s3/outcome.hpp"
#include "adapters/s3/xml.hpp"

#include <algorithm>
#include <functional>

namespace kemas::s3 {
namespace {

constexpr int max_part_number = 10'000;

std::optional<s3_error> check_upload(std::string_view key, std::string_view upload_id) {
  if (key.empty())
    return detail::invalid_argument("empty object key");
  if (upload_id.empty())
    return detail::invalid_argument("empty upload id");
  return std::nullopt;
}

}  // namespace

s3_result<std::string> s3_client::create_multipart_upload(std::string_view key,
                                                          std::string_view content_type) {
  if (key.empty())
    return detail::invalid_argument("empty object key");
  // "uploads=" with its '=': libcurl signs the query as written, and SigV4's canonical
  // query always has one.
  auto req = request_for("POST", key, {{"uploads", ""}});
  if (!content_type.empty())
    req.headers.push_back("Content-Type: " + std::string(content_type));
  req.body_size = 0;
  auto res = perform(req);
  if (auto error = detail::check(res))
    return *error;
  auto upload_id = xml::first_text(res.body, "UploadId");
  if (!upload_id || upload_id->empty()) {
    return s3_error{s3_errc::protocol, res.head.status, "MissingUploadId",
                    "CreateMultipartUpload answer without UploadId"};
  }
  return std::move(*upload_id);
}

s3_result<std::string> s3_client::upload_part(std::string_view key, std::string_view upload_id,
                                              int part_number, std::string_view bytes) {
  if (auto bad = check_upload(key, upload_id))
    return *bad;
  if (part_number < 1 || part_number > max_part_number) {
    return detail::invalid_argument("part number not in 1..10000");
  }
  auto req = request_for("PUT", key, {{"partNumber", std::to_string(part_number)},
                                        {"uploadId", std::string(upload_id)}});
  detail::attach_bytes(req, bytes);
  auto res = perform(req);
  if (auto error = detail::check(res))
    return *error;
  return std::string(res.head.header("etag"));
}

s3_result<std::string> s3_client::upload_part(std::string_view key, std::string_view upload_id,
                                              int part_number, std::uint64_t size,
                                              const body_reader& reader) {
  if (auto bad = check_upload(key, upload_id))
    return *bad;
  if (part_number < 1 || part_number > max_part_number) {
    return detail::invalid_argument("part number not in 1..10000");
  }
  if (size > 0 && !reader)
    return detail::invalid_argument("upload_part without a reader");
  auto req = request_for("PUT", key, {{"partNumber", std::to_string(part_number)},
                                        {"uploadId", std::string(upload_id)}});
  req.payload_sha256 = std::string(unsigned_payload);
  req.body_size = size;
  req.reader = std::cref(reader);
  auto res = perform(req);
  if (auto error = detail::check(res))
    return *error;
  return std::string(res.head.header("etag"));
}

s3_result<put_info> s3_client::complete_multipart_upload(std::string_view key,
                                                         std::string_view upload_id,
                                                         const std::vector<completed_part>& parts) {
  if (auto bad = check_upload(key, upload_id))
    return *bad;
  if (parts.empty())
    return detail::invalid_argument("completing an upload without parts");
  const bool ascending = std::is_sorted(
      parts.begin(), parts.end(),
      [](const completed_part& a, const completed_part& b) { return a.number < b.number; });
  if (!ascending)
    return detail::invalid_argument("parts must be in ascending number order");

  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& part : parts) {
    body += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>" +
            xml::escape(part.etag) + "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";

  auto req = request_for("POST", key, {{"uploadId", std::string(upload_id)}});
  req.headers.emplace_back("Content-Type: application/xml");
  detail::attach_bytes(req, body);
  auto res = perform(req);
  if (auto error = detail::check(res))
    return *error;
  // S3 may answer 200 and report a failure in the body (the work took long).
  if (auto error = detail::error_in_body(res))
    return *error;
  return put_info{xml::first_text(res.body, "ETag").value_or("")};
}

s3_result<void> s3_client::abort_multipart_upload(std::string_view key,
                                                  std::string_view upload_id) {
  if (auto bad = check_upload(key, upload_id))
    return *bad;
  auto req = request_for("DELETE", key, {{"uploadId", std::string(upload_id)}});
  auto res = perform(req);
  if (auto error = detail::check(res); error && !error->not_found())
    return *error;
  return {};
}

}  // namespace kemas::s3
