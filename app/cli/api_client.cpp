#include "api_client.hpp"

#include <curl/curl.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace kemas::cli {
namespace {

constexpr const char* default_server = "http://127.0.0.1:8081";
constexpr std::int64_t refresh_margin_seconds = 30;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

}  // namespace

struct api_client::curl_state {
  CURL* easy = curl_easy_init();
  ~curl_state() { curl_easy_cleanup(easy); }
};

// One request as perform() sends it.
struct api_client::request {
  std::string method;
  std::string path;
  std::optional<std::string> json_body;
  std::optional<std::string> authorization;
  // Upload: the file streamed as the body.
  std::FILE* upload_from = nullptr;
  std::uint64_t upload_size = 0;
  std::uint64_t upload_offset = 0;  // progress counts from here (a resumed tus upload)
  std::string content_type;
  std::vector<std::string> headers;  // more request headers, "Name: value"
  // Download: 2xx bodies go here instead of into response.body.
  std::FILE* download_to = nullptr;
  std::uint64_t range_from = 0;
  std::string if_range;
  const progress_callback* progress = nullptr;
  api_response* response = nullptr;
  long status_seen = 0;  // from the status line, before the body arrives
};

boost::json::value api_response::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value() : v;
}

std::optional<std::string> api_response::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  if (it == headers.end())
    return std::nullopt;
  return it->second;
}

api_client::api_client(const global_options& options)
    : retries_(options.retries), curl_(std::make_unique<curl_state>()) {
  if (curl_->easy == nullptr)
    throw std::runtime_error("curl_easy_init failed");
  api_key_ = env_or_empty("KEMAS_API_KEY");
  session_ = load_session();
  server_ = options.server;
  if (server_.empty())
    server_ = env_or_empty("KEMAS_SERVER");
  if (server_.empty() && session_)
    server_ = session_->server;
  if (server_.empty())
    server_ = default_server;
  server_ = trim_slash(server_);
  // A session belongs to the server it was made on.
  if (session_ && trim_slash(session_->server) != server_)
    session_.reset();
}

api_client::~api_client() = default;

bool api_client::prepare_credentials() { return authorization(false).has_value(); }

api_client::request api_client::json_request(const std::string& method, const std::string& path,
                                             const std::optional<boost::json::value>& body) {
  request r;
  r.method = method;
  r.path = path;
  if (body)
    r.json_body = boost::json::serialize(*body);
  return r;
}

api_response api_client::perform(request& r) {
  api_response out;
  r.response = &out;
  CURL* easy = curl_->easy;
  curl_easy_reset(easy);
  const std::string url = server_ + r.path;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  // No overall timeout (a large transfer takes what it takes), but a stalled one ends.
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "kemas-cli/1");

  curl_slist* headers = nullptr;
  if (r.authorization)
    headers = curl_slist_append(headers, ("Authorization: " + *r.authorization).c_str());
  if (r.json_body) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.json_body->c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(r.json_body->size()));
  }
  if (r.upload_from != nullptr) {
    headers = curl_slist_append(headers, ("Content-Type: " + r.content_type).c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READDATA, r.upload_from);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.upload_size));
  }
  for (const auto& h : r.headers)
    headers = curl_slist_append(headers, h.c_str());
  if (r.method == "HEAD")
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  if (send_limit_ > 0)
    curl_easy_setopt(easy, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(send_limit_));
  if (r.range_from > 0) {
    headers = curl_slist_append(headers,
                                ("Range: bytes=" + std::to_string(r.range_from) + "-").c_str());
    if (!r.if_range.empty())
      headers = curl_slist_append(headers, ("If-Range: " + r.if_range).c_str());
  }
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);

  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION,
                   +[](char* data, std::size_t size, std::size_t n, void* user) -> std::size_t {
                     auto* req = static_cast<request*>(user);
                     std::string line(data, size * n);
                     if (line.rfind("HTTP/", 0) == 0) {
                       req->response->headers.clear();  // a new answer (after a redirect)
                       const auto space = line.find(' ');
                       req->status_seen = space == std::string::npos
                                              ? 0 : std::strtol(line.c_str() + space + 1,
                                                                nullptr, 10);
                     }
                     const auto colon = line.find(':');
                     if (colon != std::string::npos) {
                       std::string name = line.substr(0, colon);
                       std::transform(name.begin(), name.end(), name.begin(),
                                      [](unsigned char c) { return std::tolower(c); });
                       std::string value = line.substr(colon + 1);
                       value.erase(0, value.find_first_not_of(" \t"));
                       value.erase(value.find_last_not_of(" \t\r\n") + 1);
                       req->response->headers[name] = value;
                     }
                     return size * n;
                   });
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
                   +[](char* data, std::size_t size, std::size_t n, void* user) -> std::size_t {
                     auto* req = static_cast<request*>(user);
                     const auto bytes = size * n;
                     auto& res = *req->response;
                     const bool file_body = req->status_seen == 200 || req->status_seen == 206;
                     if (req->download_to != nullptr && file_body) {
                       if (std::fwrite(data, 1, bytes, req->download_to) != bytes)
                         return 0;  // disk full: abort the transfer
                       res.bytes_received += bytes;
                       return bytes;
                     }
                     // Error answers and JSON bodies are small; cap them anyway.
                     if (res.body.size() + bytes > 4 * 1024 * 1024)
                       return 0;
                     res.body.append(data, bytes);
                     return bytes;
                   });
  if (r.progress != nullptr && *r.progress) {
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &r);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION,
                     +[](void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow) -> int {
                       auto* req = static_cast<request*>(user);
                       if (req->upload_from != nullptr)
                         (*req->progress)(req->upload_offset + static_cast<std::uint64_t>(ulnow),
                                          req->upload_offset + static_cast<std::uint64_t>(ultotal));
                       else
                         (*req->progress)(req->range_from + static_cast<std::uint64_t>(dlnow),
                                          dltotal > 0 ? req->range_from +
                                                            static_cast<std::uint64_t>(dltotal)
                                                      : 0);
                       return 0;
                     });
  }
  const CURLcode code = curl_easy_perform(easy);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    out.status = 0;
    out.transport_error = curl_easy_strerror(code);
    return out;
  }
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

std::optional<std::string> api_client::authorization(bool force_refresh) {
  if (!api_key_.empty())
    return "ApiKey " + api_key_;
  if (!session_)
    return std::nullopt;
  if (force_refresh || session_->access_token.empty() ||
      session_->access_expires_at - refresh_margin_seconds <= now_seconds()) {
    auto r = json_request("POST", "/api/v1/auth/refresh",
                          boost::json::object{{"refresh_token", session_->refresh_token}});
    const auto answer = perform(r);
    if (!answer.ok()) {
      if (answer.status == 401) {  // the session ended: forget it
        forget_session();
        session_.reset();
      }
      return std::nullopt;
    }
    const auto tokens = answer.json();
    if (!tokens.is_object())
      return std::nullopt;
    const auto& o = tokens.as_object();
    session_->access_token = std::string(o.at("access_token").as_string());
    session_->refresh_token = std::string(o.at("refresh_token").as_string());
    session_->access_expires_at = now_seconds() + o.at("expires_in").to_number<std::int64_t>();
    save_session(*session_);
  }
  return "Bearer " + session_->access_token;
}

api_response api_client::authenticated(request& r) {
  r.authorization = authorization(false);
  if (!r.authorization) {
    api_response none;
    none.status = 401;
    none.body = R"({"error":{"code":"unauthenticated","message":"not logged in: run kemas login, or set KEMAS_API_KEY"}})";
    return none;
  }
  auto answer = perform(r);
  // An access token ended early (a restart, a clock): refresh once and try again, unless the
  // body was a stream already spent.
  if (answer.status == 401 && api_key_.empty() && r.upload_from == nullptr) {
    if (auto fresh = authorization(true)) {
      r.authorization = fresh;
      if (r.download_to != nullptr)
        std::fflush(r.download_to);
      answer = perform(r);
    }
  }
  return answer;
}

api_response api_client::anonymous(const std::string& method, const std::string& path,
                                   const std::optional<boost::json::value>& body) {
  auto r = json_request(method, path, body);
  return perform(r);
}

api_response api_client::call(const std::string& method, const std::string& path,
                              const std::optional<boost::json::value>& body) {
  auto r = json_request(method, path, body);
  auto answer = authenticated(r);
  // Reads are safe to repeat: ride out a restart or a dropped connection (--retries).
  for (unsigned attempt = 1; method == "GET" && is_transient(answer) && attempt <= retries_;
       ++attempt) {
    std::this_thread::sleep_for(retry_delay(answer, attempt));
    answer = authenticated(r);
  }
  return answer;
}

bool api_client::attach_file(request& r, const std::string& file, std::uint64_t from) {
  std::FILE* in = std::fopen(file.c_str(), "rb");
  if (in == nullptr)
    return false;
  std::fseek(in, 0, SEEK_END);
  const auto size = static_cast<std::uint64_t>(std::ftell(in));
  std::fseek(in, static_cast<long>(from), SEEK_SET);
  r.upload_from = in;
  r.upload_size = size > from ? size - from : 0;
  r.upload_offset = from;
  return true;
}

namespace {

api_response unreadable(const std::string& file) {
  api_response failed;
  failed.transport_error = "cannot read " + file;
  return failed;
}

}  // namespace

api_response api_client::upload(const std::string& path, const std::string& file,
                                const std::string& content_type,
                                const progress_callback& progress) {
  request r;
  r.method = "POST";
  r.path = path;
  if (!attach_file(r, file, 0))
    return unreadable(file);
  r.content_type = content_type;
  r.progress = &progress;
  auto answer = authenticated(r);
  std::fclose(r.upload_from);
  return answer;
}

api_response api_client::tus(const std::string& method, const std::string& path,
                             const std::vector<std::string>& headers, const std::string& file,
                             std::uint64_t from, const progress_callback& progress) {
  request r;
  r.method = method;
  r.path = path;
  r.headers = headers;
  r.headers.emplace_back("Tus-Resumable: 1.0.0");
  if (!file.empty()) {
    if (!attach_file(r, file, from))
      return unreadable(file);
    r.content_type = "application/offset+octet-stream";
    r.progress = &progress;
  }
  auto answer = authenticated(r);
  if (r.upload_from != nullptr)
    std::fclose(r.upload_from);
  return answer;
}

api_response api_client::download(const std::string& path, std::FILE* out, std::uint64_t from,
                                  const std::string& etag, const progress_callback& progress) {
  request r;
  r.method = "GET";
  r.path = path;
  r.download_to = out;
  r.range_from = from;
  r.if_range = etag;
  r.progress = &progress;
  return authenticated(r);
}

bool is_transient(const api_response& r) {
  if (r.status == 0)
    return r.transport_error.rfind("cannot read", 0) != 0;  // a local file is not transient
  return r.status == 429 || r.status == 502 || r.status == 503 || r.status == 504;
}

std::chrono::milliseconds retry_delay(const api_response& r, unsigned attempt) {
  if (const auto after = r.header("retry-after")) {
    const long seconds = std::strtol(after->c_str(), nullptr, 10);
    if (seconds > 0)
      return std::chrono::seconds(std::min(seconds, 60L));
  }
  const unsigned shift = std::min(attempt, 5u) - (attempt > 0 ? 1 : 0);
  return std::min(std::chrono::milliseconds(500) * (1u << shift), std::chrono::milliseconds(8000));
}

int exit_code_for(const api_response& r) {
  switch (r.status) {
    case 0:
      return exit_unavailable;
    case 403: {
      // A plan's limit or a locked file is a refusal of the request, not of the credentials.
      const auto body = r.json();
      const auto* error = body.is_object() ? body.as_object().if_contains("error") : nullptr;
      const auto* code = error && error->is_object() ? error->as_object().if_contains("code")
                                                     : nullptr;
      if (code && code->is_string() &&
          (code->as_string() == "share_limit_reached" || code->as_string() == "file_locked"))
        return exit_refused;
      return exit_unauthenticated;
    }
    case 401:
      return exit_unauthenticated;
    case 404:
    case 410:
      return exit_not_found;
    case 409:
    case 413:
    case 429:
    case 507:
      return exit_refused;
    default:
      return r.status >= 500 ? exit_unavailable : exit_failed;
  }
}

std::string describe_failure(const api_response& r) {
  if (r.status == 0)
    return "cannot reach kemas: " + r.transport_error;
  const auto body = r.json();
  if (body.is_object()) {
    if (const auto* error = body.as_object().if_contains("error"); error && error->is_object()) {
      const auto& e = error->as_object();
      std::string text;
      if (const auto* m = e.if_contains("message"); m && m->is_string())
        text = std::string(m->as_string());
      if (const auto* id = e.if_contains("request_id"); id && id->is_string())
        text += " (request " + std::string(id->as_string()) + ")";
      if (!text.empty())
        return text;
    }
  }
  return "HTTP " + std::to_string(r.status);
}

}  // namespace kemas::cli
