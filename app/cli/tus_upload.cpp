#include "tus_upload.hpp"

#include <thread>
#include <vector>

#include "domain/base64.hpp"
#include "resume_state.hpp"

namespace kemas::cli {
namespace {

constexpr const char* endpoint = "/api/v1/auth/uploads/tus";

std::uint64_t number(const api_response& r, const std::string& header) {
  const auto text = r.header(header);
  return text ? std::stoull(*text) : 0;
}

// The offset the server holds for `location`; nullopt when the upload is gone (expired,
// ended) or not this file's.
std::optional<std::uint64_t> offset_of(api_client& api, const std::string& location,
                                       std::uint64_t size, api_response& answer) {
  answer = api.tus("HEAD", location, {});
  if (answer.status != 200 || !answer.header("upload-offset"))
    return std::nullopt;
  if (answer.header("upload-length") && number(answer, "upload-length") != size)
    return std::nullopt;
  return number(answer, "upload-offset");
}

}  // namespace

tus_put_result tus_put(api_client& api, unsigned retries, const std::filesystem::path& file,
                       const std::string& name, const std::string& content_type,
                       const progress_callback& progress) {
  const std::uint64_t size = std::filesystem::file_size(file);
  const resume_state state(api.server(), file, name);
  tus_put_result out;
  std::optional<std::string> location = state.load();
  std::uint64_t offset = 0;
  if (location) {
    auto at = offset_of(api, *location, size, out.answer);
    if (at && out.answer.header("kemas-file-id")) {  // stored by the run before
      state.forget();
      out.resumed_from = *at;
      out.answer = api.call("GET", "/api/v1/auth/files/" + *out.answer.header("kemas-file-id"));
      if (out.answer.ok())
        out.answer.status = 201;
      return out;
    }
    if (at)
      offset = *at;
    else
      location.reset();
  }
  if (!location) {
    const std::vector<std::string> headers{
        "Upload-Length: " + std::to_string(size),
        "Upload-Metadata: filename " + base64(name) + ",filetype " + base64(content_type)};
    out.answer = api.tus("POST", endpoint, headers);
    const auto created = out.answer.header("location");
    if (out.answer.status != 201 || !created)
      return out;
    location = *created;
    state.save(*location);
  }
  out.resumed_from = offset;
  for (unsigned attempt = 0;; ++attempt) {
    out.answer = api.tus("PATCH", *location, {"Upload-Offset: " + std::to_string(offset)},
                         file.string(), offset, progress);
    if (out.answer.status == 204) {
      const auto file_id = out.answer.header("kemas-file-id");
      state.forget();
      if (!file_id) {  // all in; the worker had not committed it within the wait
        out.answer.status = 202;  // the tus upload's id is its uploads row's: GET /uploads/{id}
        out.answer.body = R"({"id":")" + location->substr(location->rfind('/') + 1) + R"("})";
        return out;
      }
      out.answer = api.call("GET", "/api/v1/auth/files/" + *file_id);
      if (out.answer.ok())
        out.answer.status = 201;
      return out;
    }
    // 409: the server holds another offset (a PATCH before this one got further than we knew).
    const bool again = is_transient(out.answer) || out.answer.status == 409 ||
                       out.answer.status == 423;
    if (!again || attempt >= retries)
      return out;
    std::this_thread::sleep_for(retry_delay(out.answer, attempt + 1));
    api_response head;
    auto at = offset_of(api, *location, size, head);
    if (!at) {
      if (head.status == 404 || head.status == 410)
        state.forget();
      out.answer = head;
      return out;
    }
    offset = *at;
  }
}

}  // namespace kemas::cli
