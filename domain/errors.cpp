#include "domain/errors.hpp"

#include "domain/enum_names.hpp"

#include <ostream>

#include "domain/result.hpp"

namespace kemas {

std::string_view code_name(errc e) noexcept {
  static constexpr auto names = ordinal_table<errc::internal>(
      {"ok", "bad_request", "validation_failed", "unauthenticated", "forbidden", "not_found",
       "method_not_allowed", "conflict", "payload_too_large", "header_too_large",
       "unsupported_media_type", "quota_exceeded", "file_locked", "range_not_satisfiable",
       "gone", "precondition_failed", "locked", "checksum_mismatch", "rate_limited", "request_timeout", "backend_unavailable", "internal"});
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
