#pragma once
// upload_env: the whole upload pipeline for a test — a commands worker (worker_fixture: its
// own vhost, kemas-worker as a child process), the api in-process on that vhost
// (api_fixture: a scratch database) and a storage_probe on that database and the bucket.
// The general rate limit is lifted: tests poll /uploads/{id} and send batches faster than a
// person would. Members are destroyed in reverse order: the bucket is cleaned, the api
// stopped, the worker killed, the vhost deleted.
//
// Threading: one test thread. Construction throws std::runtime_error when the worker does
// not connect.

#include <functional>

#include "adapters/config/settings.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/storage_probe.hpp"
#include "test/support/worker_fixture.hpp"

namespace kemas::test {

struct upload_env {
  explicit upload_env(const char* tag, std::function<void(config::settings&)> more = {})
      : worker(tag), api(worker.api_tweak([more = std::move(more)](config::settings& s) {
          s.ratelimit.general_limit = 1'000'000;
          s.ratelimit.apikey_limit = 1'000'000;
          if (more)
            more(s);
        })) {
    worker.start(api.database().settings());
  }

  worker_fixture worker;
  api_fixture api;
  storage_probe store{api};
};

}  // namespace kemas::test
