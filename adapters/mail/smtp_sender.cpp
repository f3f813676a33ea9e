#include "adapters/mail/smtp_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "adapters/mail/mime_message.hpp"

namespace kemas::mail {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("curl_global_init failed");
  });
}

struct easy_free {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct slist_free {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct upload_cursor {
  std::string_view data;
  std::size_t at = 0;
};

std::size_t read_chunk(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* cursor = static_cast<upload_cursor*>(user);
  const std::size_t n = std::min(size * count, cursor->data.size() - cursor->at);
  std::memcpy(buffer, cursor->data.data() + cursor->at, n);
  cursor->at += n;
  return n;
}

std::string angle(std::string_view address) {
  return "<" + std::string(address) + ">";
}

}  // namespace

smtp_sender::smtp_sender(const config::mail_settings& settings)
    : settings_(settings), envelope_from_(address_of(settings.from)) {
  global_init_once();
}

send_result smtp_sender::send(std::string_view recipient, std::string_view message) const {
  std::unique_ptr<CURL, easy_free> easy(curl_easy_init());
  if (!easy)
    return {send_status::transient, 0, "curl_easy_init failed"};
  CURL* c = easy.get();
  const std::string from = angle(envelope_from_);
  std::unique_ptr<curl_slist, slist_free> recipients(
      curl_slist_append(nullptr, angle(recipient).c_str()));
  upload_cursor cursor{message};
  char error_text[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(c, CURLOPT_URL, settings_.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   static_cast<long>(settings_.smtp_require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  if (!settings_.smtp_user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, settings_.smtp_user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.smtp_password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &cursor);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<std::int64_t>(settings_.timeout.count(), 10'000)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);

  const CURLcode code = curl_easy_perform(c);
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  if (code == CURLE_OK)
    return {send_status::sent, reply, {}};
  std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
  if (reply != 0)
    detail += " (SMTP " + std::to_string(reply) + ")";
  // 5xx to MAIL FROM / RCPT TO / DATA: the server refuses this message for good. Login
  // refusals (535) are configuration: retried, so a fixed password gets them through.
  const bool permanent = reply >= 500 && reply < 600 && code != CURLE_LOGIN_DENIED;
  return {permanent ? send_status::permanent : send_status::transient, reply, std::move(detail)};
}

}  // namespace kemas::mail
