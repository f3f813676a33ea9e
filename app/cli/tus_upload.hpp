#pragma once
// kemas put's resumable path (tus 1.0, /api/v1/auth/uploads/tus): creates the upload once,
// remembers where it is (resume_state.hpp), and sends the file from the offset the server
// reports, so a run after Ctrl-C, a killed process or a dropped network sends only what is
// missing. A transient failure mid-way asks HEAD for the offset and goes on from there, up
// to --retries times.

#include <cstdint>
#include <filesystem>
#include <string>

#include "api_client.hpp"

namespace kemas::cli {

struct tus_put_result {
  // The stored file's JSON on success (status 201); 202 with {"id"} when the worker had not
  // committed it yet (GET /api/v1/auth/uploads/{id} tells when it has).
  api_response answer;
  std::uint64_t resumed_from = 0;  // the offset the first PATCH of this run started at
};

tus_put_result tus_put(api_client& api, unsigned retries, const std::filesystem::path& file,
                       const std::string& name, const std::string& content_type,
                       const progress_callback& progress);

}  // namespace kemas::cli
