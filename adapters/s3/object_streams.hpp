#pragma once
// ports::object_streams over S3: uploads of a known length above upload.inline_max and up to
// upload.single_put_max through streamed_put (one PUT streamed while the body arrives), the
// others through object_upload (inline, or multipart);
// and downloads through object_stream (a GET streamed with bounded memory). The service and
// the settings must outlive it; thread-safe.

#include "adapters/config/settings.hpp"
#include "domain/ports/object_streams.hpp"

namespace kemas::s3 {

class s3_service;

class s3_object_streams final : public ports::object_streams {
 public:
  s3_object_streams(s3_service& storage, const config::upload_settings& settings)
      : storage_(storage), settings_(settings) {}

  std::unique_ptr<ports::object_upload> upload(std::string key, std::string content_type,
                                               std::optional<std::uint64_t> length,
                                               ports::before_store_hook before_store) override;
  ports::async<result<ports::object_body>> open(std::string key,
                                                std::optional<kemas::byte_range> range) override;

 private:
  s3_service& storage_;
  const config::upload_settings& settings_;
};

}  // namespace kemas::s3
