#pragma once
// The fixture of the worker's file command tests (file_commands_test, upload_groups_test): the
// real kemas-worker (role commands) against a scratch database, a RabbitMQ vhost of the
// test's own and the shared S3 server, with helpers to plan, publish and follow uploads.
// Header-only: each test executable compiles it once.

#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/crypto/tokens.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/support/random.hpp"
#include "domain/base64.hpp"
#include "test/support/amqp_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/outbox_fixture.hpp"
#include "test/support/relay_fixture.hpp"
#include "test/support/s3_fixture.hpp"
#include "test/support/test_settings.hpp"

#include <doctest/doctest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace kemas::test {

using namespace std::chrono_literals;


constexpr long long free_quota = 1073741824;  // plan 'free' of 0001_initial.sql

inline std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::string bytes(n, '\0');
  test::byte_stream(seed).fill(bytes.data(), n);
  return bytes;
}

// One planned upload: the uploads row exists (pending), the command is built.
struct planned_upload {
  std::string upload_id;
  std::string file_id;
  std::string key;
  std::string bytes;
  commands::envelope command;
};

struct file_env {
  test::migrated_database db{"files"};
  test::scratch_vhost vhost{"files"};
  config::amqp_settings amqp = vhost.amqp_settings();  // the publisher keeps a reference
  postgres::pg_pool pool{db.settings(), "kemas-it-files"};
  s3::s3_client objects{test::s3_settings_from_env()};
  test::child_process worker;
  amqp::amqp_publisher publisher;

  explicit file_env(std::vector<std::pair<std::string, std::string>> worker_env = {})
      : worker(test::start_worker("commands", db.settings().url, vhost.name(),
                                  "file_commands_test.worker", std::move(worker_env))),
        publisher(amqp, {"file commands test publisher", std::nullopt}) {
    test::ensure_s3_bucket(objects);
    // The worker declares the topology of the vhost when it connects.
    REQUIRE_MESSAGE(worker.wait_for_stderr("\"msg\":\"amqp consumer connected\"", 20s),
                    worker.stderr_text());
  }

  template <class F>
  auto sql(F fn) {
    return pool.with_session(std::move(fn));
  }

  std::string make_user(long long used_bytes = 0) {
    const std::string tag = support::random_hex(6);
    const std::string email = "u" + tag + "@example.com";
    const std::string username = "u" + tag;
    return sql([&](soci::session& s) {
      std::string id;
      s << "INSERT INTO users (email, username, password_hash, plan_id, used_bytes) "
           "SELECT :email, :username, 'x', id, :used FROM plans WHERE name = 'free' "
           "RETURNING id::text",
          soci::use(email), soci::use(username), soci::use(used_bytes), soci::into(id);
      return id;
    });
  }

  planned_upload plan_upload(const std::string& owner, const std::string& name, std::string bytes,
                             bool inline_body) {
    planned_upload u;
    u.file_id = support::random_uuid().to_string();
    u.key = "u/" + owner + "/" + u.file_id;
    u.bytes = std::move(bytes);
    u.upload_id = sql([&](soci::session& s) {
      std::string id;
      s << "INSERT INTO uploads (owner_id) VALUES (CAST(:o AS uuid)) RETURNING id::text",
          soci::use(owner), soci::into(id);
      return id;
    });
    boost::json::object payload{{"upload_id", u.upload_id},
                                {"file_id", u.file_id},
                                {"name", name},
                                {"content_type", "application/octet-stream"},
                                {"size", u.bytes.size()},
                                {"sha256", crypto::sha256_hex(u.bytes)},
                                {"object_key", u.key}};
    if (inline_body)
      payload["inline_base64"] = base64(u.bytes);
    u.command = command(commands::command_type::upload, owner, payload);
    return u;
  }

  // An inline upload published and committed by the worker (REQUIREd).
  planned_upload committed_upload(const std::string& owner, const std::string& name,
                                  std::string bytes) {
    auto u = plan_upload(owner, name, std::move(bytes), true);
    publish(u.command);
    REQUIRE(settled(u.upload_id).first == "committed");
    return u;
  }

  static commands::envelope command(commands::command_type type, const std::string& owner,
                                    const boost::json::object& payload) {
    commands::envelope c;
    c.id = support::random_uuid().to_string();
    c.type = type;
    c.request_id = test::unique_id("req");
    c.actor.user_id = owner;
    c.actor.ip = "127.0.0.1";
    c.payload = payload;
    return c;
  }

  void publish(const commands::envelope& c) {
    const auto result = publisher.publish_sync(amqp::command_message(c));
    REQUIRE_MESSAGE(result.ok(), result.detail);
  }

  void put_object(const planned_upload& u) {
    auto put = objects.put_object(u.key, u.bytes);
    REQUIRE_MESSAGE(put.has_value(), put.error().describe());
  }

  // uploads.state and reason once no longer pending ("" if still pending at the deadline).
  std::pair<std::string, std::string> settled(const std::string& upload_id,
                                              std::chrono::milliseconds timeout = 30s) {
    std::pair<std::string, std::string> out;
    test::eventually(
        [&] {
          out = sql([&](soci::session& s) {
            std::string state;
            std::string reason;
            soci::indicator ind = soci::i_null;
            s << "SELECT state, reason FROM uploads WHERE id = CAST(:id AS uuid)",
                soci::use(upload_id), soci::into(state), soci::into(reason, ind);
            return std::pair{state, ind == soci::i_ok ? reason : std::string()};
          });
          return out.first != "pending";
        },
        timeout);
    if (out.first == "pending")
      out.first.clear();
    return out;
  }

  long long used_bytes(const std::string& owner) {
    return sql([&](soci::session& s) {
      long long used = -1;
      s << "SELECT used_bytes FROM users WHERE id = CAST(:id AS uuid)", soci::use(owner),
          soci::into(used);
      return used;
    });
  }

  long long count(const std::string& query, const std::string& param) {
    return sql([&](soci::session& s) {
      long long n = -1;
      s << query, soci::use(param), soci::into(n);
      return n;
    });
  }

  std::vector<boost::json::object> events_of_type(const std::string& type) {
    auto all = sql([](soci::session& s) { return test::outbox_events(s); });
    std::vector<boost::json::object> out;
    for (auto& e : all) {
      if (e.at("type").as_string() == type)
        out.push_back(std::move(e));
    }
    return out;
  }

  bool object_exists(const std::string& key) { return test::object_exists(objects, key); }

  std::string get_object(const std::string& key) {
    std::string body;
    auto got = objects.get_object(key, std::nullopt, [&](std::string_view chunk) {
      body.append(chunk);
      return true;
    });
    REQUIRE_MESSAGE(got.has_value(), got.error().describe());
    return body;
  }

  // The worker acked `command_id` at least `times` times ("command done" log lines).
  bool acked(const std::string& command_id, std::size_t times, std::chrono::milliseconds timeout) {
    return test::eventually(
        [&] {
          std::istringstream lines(worker.stderr_text());
          std::size_t seen = 0;
          for (std::string line; std::getline(lines, line);) {
            if (line.find("\"msg\":\"command done\"") != std::string::npos &&
                line.find(command_id) != std::string::npos)
              ++seen;
          }
          return seen >= times;
        },
        timeout);
  }

  ~file_env() {
    // Objects of this test's users stay out of the shared bucket.
    delete_objects_of_users(pool, objects);
  }
};

}  // namespace kemas::test
