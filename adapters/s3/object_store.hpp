#pragma once
// ports::object_store over the blocking S3 client: what the worker handlers do to the bucket.
// Shares the client's thread-safety: one instance serves every handler thread.

#include <memory>

#include "domain/ports/object_store.hpp"

namespace kemas::s3 {

class s3_client;

class s3_object_store final : public ports::object_store {
 public:
  explicit s3_object_store(std::shared_ptr<s3_client> client) : client_(std::move(client)) {}

  ports::object_result<void> put(const std::string& key, std::string_view bytes,
                                 const std::string& content_type) override;
  // Concurrently, on the calling thread (s3_client::put_objects).
  std::vector<ports::object_result<void>> put_all(std::span<const ports::object_put> puts) override;
  ports::object_result<std::uint64_t> size_of(const std::string& key) override;
  ports::object_result<void> remove(const std::string& key) override;
  ports::object_result<void> discard_multipart(
      const std::string& key, const std::string& multipart_upload_id,
      const std::vector<model::tus_part>& parts) override;
  ports::object_result<void> abort_multipart(const std::string& key,
                                             const std::string& multipart_upload_id) override;
  ports::object_result<ports::object_listing> list(const std::string& prefix,
                                                   const std::string& continuation,
                                                   unsigned max_keys) override;

 private:
  std::shared_ptr<s3_client> client_;
};

}  // namespace kemas::s3
