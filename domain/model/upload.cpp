#include "domain/model/upload.hpp"

#include "domain/enum_names.hpp"

namespace kemas::model {
namespace {

constexpr auto reason_names = ordinal_table<rejection_reason::abandoned>(
    {"too_large", "name_taken", "quota_exceeded", "checksum_mismatch", "object_missing",
     "not_queued", "abandoned"});

constexpr auto state_names =
    ordinal_table<upload_state::rejected>({"pending", "committed", "rejected"});

}  // namespace

std::string_view to_string(upload_state state) noexcept {
  return name_of(state_names, state);
}

std::optional<upload_state> upload_state_from(std::string_view name) noexcept {
  return value_of<upload_state>(state_names, name);
}

std::string_view to_string(rejection_reason reason) noexcept {
  return name_of(reason_names, reason);
}

rejection_reason rejection_reason_from(std::string_view name) noexcept {
  return value_of<rejection_reason>(reason_names, name).value_or(rejection_reason::unknown);
}

error rejection_error(rejection_reason reason) {
  switch (reason) {
    case rejection_reason::quota_exceeded:
      return make_error(errc::quota_exceeded, "the file does not fit in your storage quota",
                        "file");
    case rejection_reason::too_large:
      return make_error(errc::payload_too_large, "the file exceeds your plan's maximum file size",
                        "file");
    case rejection_reason::name_taken:
      return make_error(errc::conflict, "a file with this name exists", "name");
    case rejection_reason::not_queued:
      return make_error(errc::backend_unavailable, "the command queue is unavailable");
    case rejection_reason::abandoned:
      return make_error(errc::backend_unavailable,
                        "the upload was not completed in time; send it again");
    case rejection_reason::checksum_mismatch:
    case rejection_reason::object_missing:
    case rejection_reason::unknown:
      break;
  }
  return make_error(errc::internal,
                    "the upload could not be stored (" + std::string(to_string(reason)) + ")");
}

}  // namespace kemas::model
