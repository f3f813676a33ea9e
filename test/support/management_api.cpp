#include "test/support/management_api.hpp"

#include "test/support/amqp_fixture.hpp"
#include "domain/hex.hpp"

#include <curl/curl.h>
#include <boost/json/parse.hpp>

#include <memory>
#include <stdexcept>

namespace kemas::test {
namespace {

std::size_t append(char* data, std::size_t size, std::size_t count, void* target) {
  static_cast<std::string*>(target)->append(data, size * count);
  return size * count;
}

}  // namespace

// RFC 3986 unreserved characters stay, everything else is %XX (a queue name's dots stay).
std::string percent_encode(std::string_view text) {
  return kemas::percent_encode(text, kemas::is_unreserved);
}

management_api::management_api(std::string base_url, std::string user, std::string password)
    : base_url_(std::move(base_url)), user_(std::move(user)), password_(std::move(password)) {
  while (!base_url_.empty() && base_url_.back() == '/')
    base_url_.pop_back();
}

management_api management_api::from_env() {
  const config::amqp_settings settings = amqp_settings_from_env();
  return management_api(settings.management_url, settings.user, settings.password);
}

management_api::response management_api::request(const char* method, std::string_view path) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl)
    throw std::runtime_error("curl_easy_init failed");
  const std::string url = base_url_ + std::string(path);
  response out;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(curl.get(), CURLOPT_USERNAME, user_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, password_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &out.body);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    throw std::runtime_error(std::string(method) + " " + url + ": " + curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

management_api::response management_api::get(std::string_view path) const {
  return request("GET", path);
}

management_api::response management_api::del(std::string_view path) const {
  return request("DELETE", path);
}

boost::json::value management_api::get_json(std::string_view path) const {
  const response r = get(path);
  if (r.status < 200 || r.status > 299) {
    throw std::runtime_error("GET " + std::string(path) + ": HTTP " + std::to_string(r.status) +
                             ": " + r.body);
  }
  return boost::json::parse(r.body);
}

// GET /api/<kind>/%2F/<name>: the object, or nullopt when the broker has none.
std::optional<boost::json::object> management_api::named(std::string_view kind,
                                                         std::string_view name) const {
  const std::string path = "/api/" + std::string(kind) + "/%2F/" + percent_encode(name);
  const response r = get(path);
  if (r.status == 404)
    return std::nullopt;
  if (r.status != 200)
    throw std::runtime_error("GET " + path + ": HTTP " + std::to_string(r.status));
  return boost::json::parse(r.body).as_object();
}

std::optional<boost::json::object> management_api::queue(std::string_view name) const {
  return named("queues", name);
}

std::optional<boost::json::object> management_api::exchange(std::string_view name) const {
  return named("exchanges", name);
}

boost::json::array management_api::bindings_to_queue(std::string_view name) const {
  return get_json("/api/queues/%2F/" + percent_encode(name) + "/bindings").as_array();
}

}  // namespace kemas::test
