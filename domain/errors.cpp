#include "domain/errors.hpp"

#include <ostream>

#include "domain/result.hpp"

namespace kemas {

std::string_view code_name(errc e) noexcept {
  switch (e) {
    case errc::ok:
      return "ok";
    case errc::bad_request:
      return "bad_request";
    case errc::validation_failed:
      return "validation_failed";
    case errc::unauthenticated:
      return "unauthenticated";
    case errc::forbidden:
      return "forbidden";
    case errc::not_found:
      return "not_found";
    case errc::method_not_allowed:
      return "method_not_allowed";
    case errc::conflict:
      return "conflict";
    case errc::payload_too_large:
      return "payload_too_large";
    case errc::header_too_large:
      return "header_too_large";
    case errc::unsupported_media_type:
      return "unsupported_media_type";
    case errc::quota_exceeded:
      return "quota_exceeded";
    case errc::file_locked:
      return "file_locked";
    case errc::range_not_satisfiable:
      return "range_not_satisfiable";
    case errc::rate_limited:
      return "rate_limited";
    case errc::request_timeout:
      return "request_timeout";
    case errc::backend_unavailable:
      return "backend_unavailable";
    case errc::internal:
      return "internal";
  }
  return "internal";
}

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kemas"; }
  std::string message(int value) const override {
    return std::string(code_name(static_cast<errc>(value)));
  }
};
}  // namespace

std::ostream& operator<<(std::ostream& out, const error& e) {
  out << code_name(e.code);
  if (!e.field.empty())
    out << '(' << e.field << ')';
  return out << ": " << e.message;
}

const std::error_category& kemas_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace kemas
