#pragma once
// s3_part_store: ports::part_store over S3 (the contract is domain/ports/part_store.hpp).
// Each call is one S3 request on s3_service's pool; a part's bytes are owned by the call, so
// the request coroutine may stop waiting without freeing what a transfer still reads.

#include "domain/ports/part_store.hpp"

namespace kemas::s3 {

class s3_service;

class s3_part_store final : public ports::part_store {
 public:
  explicit s3_part_store(s3_service& storage) noexcept : storage_(storage) {}

  ports::async<result<std::string>> begin(std::string key, std::string content_type) override;
  ports::async<result<std::string>> put_part(std::string key, std::string multipart_upload_id,
                                             int number,
                                             std::shared_ptr<const std::string> bytes) override;
  ports::async<result<void>> complete(std::string key, std::string multipart_upload_id,
                                      std::vector<model::tus_part> parts) override;
  ports::async<result<void>> put(std::string key, std::string content_type,
                                 std::shared_ptr<const std::string> bytes) override;
  ports::async<void> discard(std::string key, std::string multipart_upload_id,
                             std::vector<model::tus_part> parts) override;

 private:
  s3_service& storage_;
};

}  // namespace kemas::s3
