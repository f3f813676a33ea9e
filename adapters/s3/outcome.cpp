#include "adapters/s3/outcome.hpp"

#include "adapters/crypto/tokens.hpp"
#include "adapters/s3/canonical.hpp"
#include "adapters/s3/xml.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>

namespace kemas::s3::detail {
namespace {

// HEAD answers carry no body, so no S3 code: name the status the way S3 would.
std::string default_code(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 403:
      return "AccessDenied";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    case 429:
      return "TooManyRequests";
    case 501:
      return "NotImplemented";
    case 503:
      return "ServiceUnavailable";
    default:
      return "HTTP" + std::to_string(status);
  }
}

s3_error from_error_document(int status, std::string_view body) {
  s3_error error;
  error.http_status = status;
  error.code = xml::first_text(body, "Code").value_or("");
  error.message = xml::first_text(body, "Message").value_or("");
  if (error.code.empty())
    error.code = default_code(status);
  error.kind = classify_http(status, error.code);
  return error;
}

}  // namespace

std::optional<s3_error> check(const response& res) {
  if (res.callback_error)
    std::rethrow_exception(res.callback_error);
  const int status = res.head.status;
  if (res.aborted) {
    return s3_error{s3_errc::aborted, status, "Aborted", "the caller stopped the transfer"};
  }
  if (res.short_body) {
    return s3_error{s3_errc::invalid, status, "IncompleteBody",
                    "the body reader ended before the declared size (or over-reported)"};
  }
  // An HTTP answer wins over curl's complaint: a server that refuses an upload early makes
  // curl fail to send the rest, but the refusal is what matters.
  if (status >= 300)
    return from_error_document(status, res.body);
  if (res.curl_code != 0) {
    return s3_error{res.transient_curl_error() ? s3_errc::transient : s3_errc::protocol, status,
                    "curl:" + std::to_string(res.curl_code), res.curl_message};
  }
  if (status < 200) {
    return s3_error{s3_errc::protocol, status, "NoFinalStatus", "no final HTTP status received"};
  }
  if (res.body_truncated) {
    return s3_error{s3_errc::protocol, status, "ResponseTooLarge",
                    "the answer exceeded the client's body limit"};
  }
  return std::nullopt;
}

std::optional<s3_error> error_in_body(const response& res) {
  if (xml::root_name(res.body) != "Error")
    return std::nullopt;
  auto error = from_error_document(res.head.status, res.body);
  if (error.kind == s3_errc::protocol)
    error.kind = s3_errc::invalid;
  return error;
}

s3_error invalid_argument(std::string_view message) {
  return s3_error{s3_errc::invalid, 0, "InvalidArgument", std::string(message)};
}

void attach_bytes(request& req, std::string_view bytes) {
  req.payload_sha256 = crypto::sha256_hex(bytes);
  req.body_size = bytes.size();
  auto offset = std::make_shared<std::size_t>(0);
  req.reader = [bytes, offset](char* buffer, std::size_t max) {
    const std::size_t n = std::min(max, bytes.size() - *offset);
    std::memcpy(buffer, bytes.data() + *offset, n);
    *offset += n;
    return n;
  };
  req.rewind = [offset] {
    *offset = 0;
    return true;
  };
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace kemas::s3::detail
