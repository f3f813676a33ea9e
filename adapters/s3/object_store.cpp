#include "adapters/s3/object_store.hpp"

#include "adapters/s3/client.hpp"

namespace kemas::s3 {
namespace {

ports::object_fault fault_of(const s3_error& error) {
  using kind = ports::object_fault::kind;
  const kind what = error.not_found()   ? kind::not_found
                    : error.transient() ? kind::transient
                                        : kind::permanent;
  return {what, error.describe()};
}

}  // namespace

ports::object_result<void> s3_object_store::put(const std::string& key, std::string_view bytes,
                                                const std::string& content_type) {
  auto put = client_->put_object(key, bytes, content_type);
  if (!put)
    return fault_of(put.error());
  return {};
}

ports::object_result<std::uint64_t> s3_object_store::size_of(const std::string& key) {
  auto head = client_->head_object(key);
  if (!head)
    return fault_of(head.error());
  return head->size;
}

ports::object_result<void> s3_object_store::remove(const std::string& key) {
  auto removed = client_->delete_object(key);
  if (!removed)
    return fault_of(removed.error());
  return {};
}

}  // namespace kemas::s3
