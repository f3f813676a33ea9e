#include "app/server/error_response.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace kemas::http {

unsigned status_of(errc code) noexcept {
  switch (code) {
    case errc::ok:
      return 200;
    case errc::bad_request:
      return 400;
    case errc::validation_failed:
      return 400;
    case errc::unauthenticated:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::file_locked:
      return 403;
    case errc::not_found:
      return 404;
    case errc::method_not_allowed:
      return 405;
    case errc::request_timeout:
      return 408;
    case errc::conflict:
      return 409;
    case errc::payload_too_large:
      return 413;
    case errc::unsupported_media_type:
      return 415;
    case errc::range_not_satisfiable:
      return 416;
    case errc::gone:
      return 410;
    case errc::precondition_failed:
      return 412;
    case errc::locked:
      return 423;
    case errc::checksum_mismatch:
      return 460;  // tus 1.0's checksum extension
    case errc::rate_limited:
      return 429;
    case errc::header_too_large:
      return 431;
    case errc::internal:
      return 500;
    case errc::backend_unavailable:
      return 503;
    case errc::quota_exceeded:
      return 507;
  }
  return 500;
}

std::string error_body(std::string_view code, std::string_view message, std::string_view request_id,
                       std::string_view field) {
  boost::json::object inner;
  inner["code"] = code;
  inner["message"] = message;
  inner["request_id"] = request_id;
  if (!field.empty())
    inner["field"] = field;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

response error_response(const error& e, std::string_view request_id) {
  auto r = response::json(status_of(e.code),
                          error_body(code_name(e.code), e.message, request_id, e.field));
  if (e.retry_after_ms > 0) {
    r.headers.push_back({"Retry-After", std::to_string((e.retry_after_ms + 999) / 1000)});
  } else if (e.code == errc::backend_unavailable) {
    r.headers.push_back({"Retry-After", "1"});
  }
  return r;
}

response error_response(errc code, std::string_view message, std::string_view request_id) {
  return error_response(error{code, std::string(message), {}}, request_id);
}

}  // namespace kemas::http
