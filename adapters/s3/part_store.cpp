#include "adapters/s3/part_store.hpp"

#include "adapters/log/logging.hpp"
#include "adapters/s3/async_client.hpp"

namespace kemas::s3 {
namespace {

error storage_failed(std::string_view step, const std::string& key, const s3_error& failure) {
  log::warn("tus upload storage failed",
            {{"object_key", key}, {"step", std::string(step)}, {"error", failure.describe()}});
  return make_error(errc::backend_unavailable, "object storage is unavailable");
}

std::vector<completed_part> completed(const std::vector<model::tus_part>& parts) {
  std::vector<completed_part> out;
  out.reserve(parts.size());
  for (const auto& p : parts)
    out.push_back({p.number, p.etag});
  return out;
}

}  // namespace

ports::async<result<std::string>> s3_part_store::begin(std::string key, std::string content_type) {
  auto job = [key, type = std::move(content_type)](s3_client& client) {
    return client.create_multipart_upload(key, type);
  };
  auto created = co_await storage_.run(std::move(job));
  if (!created)
    co_return storage_failed("create multipart upload", key, created.error());
  co_return std::move(*created);
}

ports::async<result<std::string>> s3_part_store::put_part(std::string key,
                                                          std::string multipart_upload_id,
                                                          int number,
                                                          std::shared_ptr<const std::string> bytes) {
  auto job = [key, id = std::move(multipart_upload_id), number,
              bytes = std::move(bytes)](s3_client& client) {
    return client.upload_part(key, id, number, *bytes);
  };
  auto etag = co_await storage_.run(std::move(job));
  if (!etag)
    co_return storage_failed("upload part", key, etag.error());
  co_return std::move(*etag);
}

ports::async<result<void>> s3_part_store::complete(std::string key, std::string multipart_upload_id,
                                                   std::vector<model::tus_part> parts) {
  auto job = [key, id = std::move(multipart_upload_id),
              list = completed(parts)](s3_client& client) {
    return client.complete_multipart_upload(key, id, list);
  };
  auto done = co_await storage_.run(std::move(job));
  if (!done)
    co_return storage_failed("complete multipart upload", key, done.error());
  co_return result<void>{};
}

ports::async<result<void>> s3_part_store::put(std::string key, std::string content_type,
                                              std::shared_ptr<const std::string> bytes) {
  auto job = [key, type = std::move(content_type), bytes = std::move(bytes)](s3_client& client) {
    return client.put_object(key, *bytes, type);
  };
  auto done = co_await storage_.run(std::move(job));
  if (!done)
    co_return storage_failed("put object", key, done.error());
  co_return result<void>{};
}

ports::async<void> s3_part_store::discard(std::string key, std::string multipart_upload_id,
                                          std::vector<model::tus_part> parts) {
  auto job = [key, id = std::move(multipart_upload_id),
              list = completed(parts)](s3_client& client) -> s3_result<void> {
    auto aborted = client.abort_multipart_upload(key, id);
    if (aborted || aborted.error().kind != s3_errc::unsupported || list.empty())
      return aborted;
    // A store without AbortMultipartUpload: joining the parts frees them, then the object goes.
    if (auto joined = client.complete_multipart_upload(key, id, list); !joined)
      return joined.error();
    return client.delete_object(key);
  };
  auto done = co_await storage_.run(std::move(job));
  if (!done) {
    log::warn("tus upload parts not freed; the object cleaner tries again",
              {{"object_key", key}, {"error", done.error().describe()}});
  }
}

}  // namespace kemas::s3
