#include "domain/errors.hpp"

#include "domain/enum_names.hpp"

#include <ostream>

#include "domain/result.hpp"

namespace kemas {

std::string_view code_name(errc e) noexcept {
  static constexpr enum_names<errc, 18> names{{
      {errc::ok, "ok"},
      {errc::bad_request, "bad_request"},
      {errc::validation_failed, "validation_failed"},
      {errc::unauthenticated, "unauthenticated"},
      {errc::forbidden, "forbidden"},
      {errc::not_found, "not_found"},
      {errc::method_not_allowed, "method_not_allowed"},
      {errc::conflict, "conflict"},
      {errc::payload_too_large, "payload_too_large"},
      {errc::header_too_large, "header_too_large"},
      {errc::unsupported_media_type, "unsupported_media_type"},
      {errc::quota_exceeded, "quota_exceeded"},
      {errc::file_locked, "file_locked"},
      {errc::range_not_satisfiable, "range_not_satisfiable"},
      {errc::rate_limited, "rate_limited"},
      {errc::request_timeout, "request_timeout"},
      {errc::backend_unavailable, "backend_unavailable"},
      {errc::internal, "internal"}}};
  return name_of(names, e, "internal");
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
