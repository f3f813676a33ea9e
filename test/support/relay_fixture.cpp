#include "test/support/relay_fixture.hpp"

#include "test/support/amqp_fixture.hpp"
#include "test/support/management_api.hpp"
#include "test/support/test_settings.hpp"

#include "adapters/support/random.hpp"

#include <curl/curl.h>

#include <memory>
#include <stdexcept>
#include <thread>

namespace kemas::test {
namespace {

std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// PUT or POST with a JSON body (management_api has only GET and DELETE); throws unless the
// answer is 2xx.
void management_send(const char* method, const std::string& path, const std::string& body) {
  const config::amqp_settings settings = amqp_settings_from_env();
  std::string base = settings.management_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  const std::string url = base + path;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl)
    throw std::runtime_error("curl_easy_init failed");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, "Content-Type: application/json"), curl_slist_free_all);
  std::string answer;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(curl.get(), CURLOPT_USERNAME, settings.user.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PASSWORD, settings.password.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK)
    throw std::runtime_error(std::string(method) + " " + url + ": " + curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    throw std::runtime_error(std::string(method) + " " + url + ": HTTP " + std::to_string(status) +
                             " " + answer);
  }
}

}  // namespace

scratch_vhost::scratch_vhost(std::string_view tag)
    : name_("kemas-it-" + std::string(tag) + "-" + support::random_hex(6)) {
  const std::string vhost = percent_encode(name_);
  management_send("PUT", "/api/vhosts/" + vhost, "{}");
  const std::string user = percent_encode(amqp_settings_from_env().user);
  management_send("PUT", "/api/permissions/" + vhost + "/" + user,
                  R"({"configure":".*","write":".*","read":".*"})");
}

scratch_vhost::~scratch_vhost() {
  try {
    management_api::from_env().del("/api/vhosts/" + percent_encode(name_));
  } catch (const std::exception&) {
    // A test already failing on a dead broker must not terminate here; the name is unique.
  }
}

config::amqp_settings scratch_vhost::amqp_settings() const {
  config::amqp_settings settings = amqp_settings_from_env();
  settings.vhost = name_;
  return settings;
}

void scratch_vhost::tap_events(const std::string& queue, const std::string& binding) const {
  const std::string vhost = percent_encode(name_);
  management_send(
      "PUT", "/api/exchanges/" + vhost + "/kemas.events",
      R"({"type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}})");
  management_send("PUT", "/api/queues/" + vhost + "/" + percent_encode(queue),
                  R"({"durable":true,"auto_delete":false,"arguments":{}})");
  management_send("POST", "/api/bindings/" + vhost + "/e/kemas.events/q/" + percent_encode(queue),
                  R"({"routing_key":")" + binding + R"(","arguments":{}})");
}

child_process start_worker(const std::string& role, const std::string& postgres_url,
                           const std::string& vhost, const std::string& log_name,
                           std::vector<std::pair<std::string, std::string>> extra_env) {
  child_process::options options;
  options.program = std::string(KEMAS_BINARY_DIR) + "/workers/kemas-worker";
  options.args = {"--role", role, "--config", std::string(KEMAS_SOURCE_DIR) + "/conf/kemas.toml"};
  options.env = run_env_file();
  options.env.emplace_back("KEMAS_POSTGRES_URL", postgres_url);
  options.env.emplace_back("KEMAS_AMQP_VHOST", vhost);
  options.env.emplace_back("KEMAS_WORKER_DRAIN_TIMEOUT", "5s");
  for (auto& entry : extra_env)
    options.env.push_back(std::move(entry));
  options.stderr_path = child_log_path(log_name);
  return child_process(std::move(options));
}

}  // namespace kemas::test
