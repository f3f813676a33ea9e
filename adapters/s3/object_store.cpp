#include "adapters/s3/object_store.hpp"

#include "adapters/s3/client.hpp"

#include <ctime>

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

std::vector<ports::object_result<void>> s3_object_store::put_all(
    std::span<const ports::object_put> puts) {
  std::vector<s3_client::object_bytes> objects;
  objects.reserve(puts.size());
  for (const auto& one : puts)
    objects.push_back({*one.key, one.bytes, *one.content_type});
  const auto results = client_->put_objects(objects);
  std::vector<ports::object_result<void>> out;
  out.reserve(results.size());
  for (const auto& put : results) {
    if (put)
      out.emplace_back();
    else
      out.emplace_back(fault_of(put.error()));
  }
  return out;
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

namespace {

// S3's LastModified ("2026-12-05T05:33:20.000Z"); the epoch when it cannot be read, which
// makes the object look old: the reconciler then treats it by its accounting alone.
std::chrono::system_clock::time_point modified_time(const std::string& text) {
  std::tm parts{};
  if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts) == nullptr)
    return {};
  return std::chrono::system_clock::from_time_t(::timegm(&parts));
}

}  // namespace

ports::object_result<ports::object_listing> s3_object_store::list(const std::string& prefix,
                                                                 const std::string& continuation,
                                                                 unsigned max_keys) {
  auto page = client_->list_objects(prefix, continuation, max_keys);
  if (!page)
    return fault_of(page.error());
  ports::object_listing out;
  out.objects.reserve(page->objects.size());
  for (auto& entry : page->objects)
    out.objects.push_back({std::move(entry.key), entry.size, modified_time(entry.last_modified)});
  out.next = std::move(page->next_continuation);
  return out;
}

ports::object_result<void> s3_object_store::abort_multipart(
    const std::string& key, const std::string& multipart_upload_id) {
  auto aborted = client_->abort_multipart_upload(key, multipart_upload_id);
  if (!aborted)
    return fault_of(aborted.error());
  return {};
}

ports::object_result<void> s3_object_store::discard_multipart(
    const std::string& key, const std::string& multipart_upload_id,
    const std::vector<model::tus_part>& parts) {
  auto aborted = client_->abort_multipart_upload(key, multipart_upload_id);
  if (aborted || aborted.error().kind != s3_errc::unsupported || parts.empty())
    return aborted ? ports::object_result<void>{} : fault_of(aborted.error());
  // A store without AbortMultipartUpload (the S3 test server): joining the parts frees them.
  std::vector<completed_part> list;
  for (const auto& p : parts)
    list.push_back({p.number, p.etag});
  if (auto joined = client_->complete_multipart_upload(key, multipart_upload_id, list);
      !joined && !joined.error().not_found())
    return fault_of(joined.error());
  auto removed = client_->delete_object(key);
  if (!removed)
    return fault_of(removed.error());
  return {};
}

}  // namespace kemas::s3
