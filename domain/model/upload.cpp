#include "domain/model/upload.hpp"

#include "domain/enum_names.hpp"

namespace kemas::model {
namespace {

constexpr enum_names<rejection_reason, 6> reason_names{{
    {rejection_reason::too_large, "too_large"},
    {rejection_reason::name_taken, "name_taken"},
    {rejection_reason::quota_exceeded, "quota_exceeded"},
    {rejection_reason::checksum_mismatch, "checksum_mismatch"},
    {rejection_reason::object_missing, "object_missing"},
    {rejection_reason::not_queued, "not_queued"},
}};

constexpr enum_names<upload_state, 3> state_names{{
    {upload_state::pending, "pending"},
    {upload_state::committed, "committed"},
    {upload_state::rejected, "rejected"},
}};

}  // namespace

std::string_view to_string(upload_state state) noexcept { return name_of(state_names, state); }

std::optional<upload_state> upload_state_from(std::string_view name) noexcept {
  return value_of(state_names, name);
}

std::string_view to_string(rejection_reason reason) noexcept {
  return name_of(reason_names, reason);
}

rejection_reason rejection_reason_from(std::string_view name) noexcept {
  return value_of(reason_names, name).value_or(rejection_reason::unknown);
}

error rejection_error(rejection_reason reason) {
  switch (reason) {
    case rejection_reason::quota_exceeded:
      return make_error(errc::quota_exceeded, "the file does not fit in your storage quota", "file");
    case rejection_reason::too_large:
      return make_error(errc::payload_too_large, "the file exceeds your plan's maximum file size",
                        "file");
    case rejection_reason::name_taken:
      return make_error(errc::conflict, "a file with this name exists", "name");
    case rejection_reason::not_queued:
      return make_error(errc::backend_unavailable, "the command queue is unavailable");
    case rejection_reason::checksum_mismatch:
    case rejection_reason::object_missing:
    case rejection_reason::unknown:
      break;
  }
  return make_error(errc::internal,
                    "the upload could not be stored (" + std::string(to_string(reason)) + ")");
}

}  // namespace kemas::model
