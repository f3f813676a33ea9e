#include "adapters/s3/transport.hpp"
#include "domain/text.hpp"
#include "domain/non_copyable.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace kemas::s3::detail {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

// One easy handle per thread, reused so that its connection cache keeps connections to the
// S3 server alive between calls. A call made while the thread's handle is busy (from inside
// a sink, say) gets a handle of its own.
struct handle_slot {
  CURL* handle = nullptr;
  bool busy = false;
  ~handle_slot() {
    if (handle != nullptr)
      curl_easy_cleanup(handle);
  }
};
thread_local handle_slot slot;

class handle_lease : kemas::non_copyable {
 public:
  handle_lease() {
    global_init_once();
    if (!slot.busy) {
      if (slot.handle == nullptr)
        slot.handle = curl_easy_init();
      handle_ = slot.handle;
      slot.busy = handle_ != nullptr;
    } else {
      handle_ = curl_easy_init();
      temporary_ = true;
    }
    if (handle_ == nullptr)
      throw std::runtime_error("curl_easy_init failed");
    curl_easy_reset(handle_);  // options only: connections and DNS cache survive
  }
  ~handle_lease() {
    if (temporary_)
      curl_easy_cleanup(handle_);
    else
      slot.busy = false;
  }
  CURL* get() const { return handle_; }

 private:
  CURL* handle_ = nullptr;
  bool temporary_ = false;
};

struct exchange {
  request& req;
  response& res;
  bool head_final = false;  // the final (non-1xx) head has been read completely
  std::uint64_t sent = 0;
};

bool success(int status) {
  return status >= 200 && status < 300;
}

std::size_t on_header(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& ex = *static_cast<exchange*>(user);
  const std::size_t total = size * count;
  const std::string_view line(buffer, total);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line: an interim 100 Continue or the final answer. Start afresh.
    ex.res.head = {};
    const std::size_t space = line.find(' ');
    if (space != std::string_view::npos && space + 4 <= line.size()) {
      int status = 0;
      for (std::size_t i = space + 1; i < space + 4; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(line[i])))
          return 0;
        status = status * 10 + (line[i] - '0');
      }
      ex.res.head.status = status;
    }
    return total;
  }
  if (trim_space(line).empty()) {
    if (ex.res.head.status >= 200 && !ex.head_final) {
      ex.head_final = true;
      if (success(ex.res.head.status) && ex.req.on_head) {
        try {
          if (!ex.req.on_head(ex.res.head)) {
            ex.res.aborted = true;
            return 0;
          }
        } catch (...) {
          ex.res.callback_error = std::current_exception();
          return 0;
        }
      }
    }
    return total;
  }
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = ascii_lower(trim_space(line.substr(0, colon)));
    ex.res.head.headers.emplace_back(std::move(name), std::string(trim_space(line.substr(colon + 1))));
  }
  return total;
}

std::size_t on_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& ex = *static_cast<exchange*>(user);
  const std::size_t total = size * count;
  const std::string_view chunk(buffer, total);
  if (success(ex.res.head.status) && ex.req.paced_sink) {
    try {
      switch (ex.req.paced_sink(chunk)) {
        case write_verdict::taken:
          return total;
        case write_verdict::pause:
          return CURL_WRITEFUNC_PAUSE;  // the same bytes come again after curl_easy_pause
        case write_verdict::stop:
          break;
      }
      ex.res.aborted = true;
    } catch (...) {
      ex.res.callback_error = std::current_exception();
    }
    return 0;
  }
  if (success(ex.res.head.status) && ex.req.sink) {
    try {
      if (!ex.req.sink(chunk)) {
        ex.res.aborted = true;
        return 0;  // curl stops with CURLE_WRITE_ERROR
      }
    } catch (...) {
      ex.res.callback_error = std::current_exception();
      return 0;
    }
    return total;
  }
  const std::size_t room = ex.req.body_limit - std::min(ex.req.body_limit, ex.res.body.size());
  ex.res.body.append(chunk.substr(0, room));
  if (total > room)
    ex.res.body_truncated = true;
  return total;  // keep draining so the connection stays reusable
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& ex = *static_cast<exchange*>(user);
  const std::uint64_t remaining = *ex.req.body_size - ex.sent;
  if (remaining == 0)
    return 0;
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>(size * count, remaining));
  std::size_t got = 0;
  try {
    if (ex.req.paced_reader) {
      const read_verdict verdict = ex.req.paced_reader(buffer, want);
      if (verdict.pause)
        return CURL_READFUNC_PAUSE;  // asked again after curl_easy_pause(CONT)
      got = verdict.bytes;
    } else {
      got = ex.req.reader(buffer, want);
    }
  } catch (...) {
    ex.res.callback_error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
  if (got == 0 || got > want) {
    // Ending early would send a request shorter than its Content-Length; a reader that
    // over-reports is a bug. Both abort the transfer.
    ex.res.short_body = true;
    return CURL_READFUNC_ABORT;
  }
  ex.sent += got;
  return got;
}

// curl rewinds the body when it must resend the request (a kept-alive connection that had
// died, say). Byte bodies can rewind; streamed bodies only if nothing was read yet.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto& ex = *static_cast<exchange*>(user);
  if (offset != 0 || origin != SEEK_SET)
    return CURL_SEEKFUNC_CANTSEEK;
  if (ex.sent == 0)
    return CURL_SEEKFUNC_OK;
  if (!ex.req.rewind)
    return CURL_SEEKFUNC_CANTSEEK;
  try {
    if (!ex.req.rewind())
      return CURL_SEEKFUNC_CANTSEEK;
  } catch (...) {
    ex.res.callback_error = std::current_exception();
    return CURL_SEEKFUNC_FAIL;
  }
  ex.sent = 0;
  return CURL_SEEKFUNC_OK;
}

struct header_list {
  curl_slist* list = nullptr;
  header_list() = default;
  header_list(header_list&& other) noexcept : list(std::exchange(other.list, nullptr)) {}
  header_list& operator=(header_list&& other) noexcept {
    std::swap(list, other.list);
    return *this;
  }
  ~header_list() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr)
      throw std::bad_alloc();
    list = next;
  }
};

long to_ms(std::chrono::milliseconds ms) {
  return static_cast<long>(ms.count());
}

}  // namespace

std::string_view response_head::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name)
      return value;
  }
  return {};
}

bool response::transient_curl_error() const {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

namespace {

// A body below curl's own threshold for asking "100 Continue" on a POST, with a Content-Type
// of its own (see configure()).
bool sent_without_expect(const request& req) {
  constexpr std::uint64_t expect_continue_from = 1024 * 1024;  // curl's EXPECT_100_THRESHOLD
  if (!req.body_size || *req.body_size >= expect_continue_from)
    return false;
  return std::ranges::any_of(req.headers, [](const std::string& line) {
    return istarts_with(line, "content-type:");
  });
}

// Sets every option of the exchange `ex` on `h`. `url`, `headers` and `error_buffer` must
// live as long as the transfer.
void configure(CURL* h, const transport_config& config, exchange& ex, const std::string& url,
               const header_list& headers, char* error_buffer) {
  request& req = ex.req;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // keys may hold "." and ".." segments
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "kemas-s3/1");
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024L);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024L);
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, config.sigv4.c_str());
  curl_easy_setopt(h, CURLOPT_USERNAME, config.access_key.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, config.secret_key.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, to_ms(config.connect_timeout));
  const auto timeout = req.timeout.count() > 0 ? req.timeout : config.timeout;
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, to_ms(timeout));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
  if (req.range)
    curl_easy_setopt(h, CURLOPT_RANGE, req.range->c_str());

  if (req.body_size) {
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &ex);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &ex);
  }
  if (req.body_size && sent_without_expect(req)) {
    // curl 7.88 sends "Expect: 100-continue" with every UPLOAD and waits for the server's
    // "100 Continue": one more round trip per PUT, which for a small body costs more than
    // sending it (the worker's 4 KiB inline uploads, bench/README.md). A header "Expect:"
    // would remove it but 7.88 signs it anyway (the server then refuses the signature), so
    // small bodies go curl's POST way, which asks only above 1 MiB, under their own method
    // name. POST would add a form Content-Type if the request had none: only requests with
    // their own Content-Type come here.
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(*req.body_size));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.body_size) {
    // UPLOAD sends Content-Length from INFILESIZE and no form Content-Type (which POSTFIELDS
    // would add unsigned); CUSTOMREQUEST turns the PUT into POST where needed. Above 1 MiB
    // the "100 Continue" round trip is worth it: a refused request (bad signature, no
    // bucket) is answered before megabytes are sent.
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(*req.body_size));
    if (req.method != "PUT")
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
}

void record_result(response& res, CURLcode code, const char* error_buffer) {
  res.curl_code = static_cast<int>(code);
  if (code != CURLE_OK)
    res.curl_message = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
}

header_list headers_of(const request& req) {
  header_list headers;
  for (const auto& line : req.headers)
    headers.add(line);
  headers.add("x-amz-content-sha256: " + req.payload_sha256);
  return headers;
}

}  // namespace

void ensure_curl_initialized() {
  global_init_once();
}

response perform(const transport_config& config, request& req) {
  response res;
  handle_lease lease;
  exchange ex{req, res};
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string url = config.base_url + req.path_and_query;
  const header_list headers = headers_of(req);
  configure(lease.get(), config, ex, url, headers, error_buffer);
  record_result(res, curl_easy_perform(lease.get()), error_buffer);
  // Connection reuse: a handle whose transfer failed mid-way is fine to reuse; curl drops
  // the broken connection itself.
  return res;
}

struct easy_exchange::state {
  request req;
  response res;
  exchange ex{req, res};
  std::string url;
  header_list headers;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

easy_exchange::easy_exchange(const transport_config& config, request req)
    : state_(std::make_unique<state>()) {
  global_init_once();
  state_->req = std::move(req);
  state_->url = config.base_url + state_->req.path_and_query;
  state_->headers = headers_of(state_->req);
  CURL* h = curl_easy_init();
  if (h == nullptr)
    throw std::runtime_error("curl_easy_init failed");
  handle_ = h;
  configure(h, config, state_->ex, state_->url, state_->headers, state_->error_buffer);
}

easy_exchange::~easy_exchange() {
  if (handle_ != nullptr)
    curl_easy_cleanup(static_cast<CURL*>(handle_));
}

response& easy_exchange::finish(int curl_code) {
  record_result(state_->res, static_cast<CURLcode>(curl_code), state_->error_buffer);
  return state_->res;
}

namespace {

// One multi handle per thread for perform_all: its connection cache outlives each call.
struct multi_slot {
  CURLM* multi = nullptr;
  ~multi_slot() {
    if (multi != nullptr)
      curl_multi_cleanup(multi);
  }
};
thread_local multi_slot multi_of_thread;

}  // namespace

std::vector<response> perform_all(const transport_config& config, std::vector<request> requests) {
  global_init_once();
  if (multi_of_thread.multi == nullptr) {
    multi_of_thread.multi = curl_multi_init();
    if (multi_of_thread.multi == nullptr)
      throw std::runtime_error("curl_multi_init failed");
  }
  CURLM* multi = multi_of_thread.multi;
  std::vector<std::unique_ptr<easy_exchange>> exchanges;
  std::vector<std::optional<response>> results(requests.size());
  exchanges.reserve(requests.size());
  for (auto& req : requests)
    exchanges.push_back(std::make_unique<easy_exchange>(config, std::move(req)));
  // Removes every handle again, also when something below throws.
  struct detach_all {
    CURLM* multi;
    std::vector<std::unique_ptr<easy_exchange>>& exchanges;
    std::size_t added = 0;
    ~detach_all() {
      for (std::size_t i = 0; i < added; ++i)
        curl_multi_remove_handle(multi, static_cast<CURL*>(exchanges[i]->handle()));
    }
  } detach{multi, exchanges};
  for (auto& exchange : exchanges) {
    if (curl_multi_add_handle(multi, static_cast<CURL*>(exchange->handle())) != CURLM_OK)
      break;  // the ones not added are reported as failed below
    ++detach.added;
  }
  const auto index_of = [&](CURL* easy) {
    for (std::size_t i = 0; i < exchanges.size(); ++i)
      if (exchanges[i]->handle() == easy)
        return i;
    return exchanges.size();
  };
  int running = 0;
  do {
    if (curl_multi_perform(multi, &running) != CURLM_OK)
      break;
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE)
        continue;
      const std::size_t i = index_of(message->easy_handle);
      if (i < exchanges.size() && !results[i])
        results[i] = std::move(exchanges[i]->finish(message->data.result));
    }
    // The transfers' own timeouts (CURLOPT_TIMEOUT_MS) end every one of them; curl's
    // timer tells poll how long it may sleep, capped here.
    if (running > 0 && curl_multi_poll(multi, nullptr, 0, 1000, nullptr) != CURLM_OK)
      break;
  } while (running > 0);

  std::vector<response> out;
  out.reserve(exchanges.size());
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    // Not finished: never added, or the multi handle failed.
    out.push_back(results[i] ? std::move(*results[i])
                             : std::move(exchanges[i]->finish(CURLE_FAILED_INIT)));
  }
  return out;
}

}  // namespace kemas::s3::detail
