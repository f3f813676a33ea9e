#pragma once
// part_store: S3 multipart uploads as the api's tus path drives them (issue 17), one call per
// request, each owning its bytes so an abandoned PATCH never leaves a transfer pointing at
// freed memory. Implemented by adapters/s3 (s3_part_store) and in memory for unit tests.
// Faults are backend_unavailable errors, logged by the implementation with the detail.

#include <memory>
#include <string>
#include <vector>

#include "domain/model/tus_upload.hpp"
#include "domain/ports/async.hpp"
#include "domain/result.hpp"

namespace kemas::ports {

class part_store {
 public:
  virtual ~part_store() = default;
  // Opens a multipart upload at `key`: S3's upload id.
  virtual async<result<std::string>> begin(std::string key, std::string content_type) = 0;
  // Stores part `number`: its ETag.
  virtual async<result<std::string>> put_part(std::string key, std::string multipart_upload_id,
                                              int number,
                                              std::shared_ptr<const std::string> bytes) = 0;
  // Joins `parts` (ascending) into the object; parts not named are discarded by S3.
  virtual async<result<void>> complete(std::string key, std::string multipart_upload_id,
                                       std::vector<model::tus_part> parts) = 0;
  // A whole object in one PUT (an upload that never needed a part).
  virtual async<result<void>> put(std::string key, std::string content_type,
                                  std::shared_ptr<const std::string> bytes) = 0;
  // Frees a multipart upload: aborts it, or — on a store that cannot abort (the S3 test server
  // answers 405) — completes it with `parts` and deletes the object. Best effort, logged.
  virtual async<void> discard(std::string key, std::string multipart_upload_id,
                              std::vector<model::tus_part> parts) = 0;
};

}  // namespace kemas::ports
