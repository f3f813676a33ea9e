// Issue 4's upload and delete routes when the caller is wrong: another user's ids (404,
// never 403), API keys without files:write (403), bad names, forms without a file part,
// bodies cut short (truncated forms, a Content-Length the client never sends, a 40 MiB
// multipart upload abandoned mid-way), and sizes refused from Content-Length before the
// body is read; two uploads racing for one name; a chunked body; a command queue that
// cannot take the command. Each refusal must leave nothing: no file row, no committed
// upload, usage unchanged, no object under the owner's prefix.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <future>

#include "test/support/eventually.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/upload_env.hpp"

using namespace std::chrono_literals;
using namespace kemas::test;
namespace test = kemas::test;
namespace json = boost::json;

namespace {

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

// The error's code and field, "code/field".
std::string code_and_field(const raw_response& r) {
  INFO(r.status << " " << r.body);
  const auto e = test::json_body(r).at("error").as_object();
  const auto* field = e.if_contains("field");
  return str(e.at("code")) + "/" + (field != nullptr ? str(*field) : "");
}

// Nothing of `user` is stored: no file, no upload row, no usage beyond `used`, no object.
void check_nothing_stored(upload_env& env, const std::string& user, long long used = 0) {
  CHECK(env.store.live_files(user) == 0);
  CHECK(env.store.uploads(user) == 0);
  CHECK(env.store.used_bytes(user) == used);
  CHECK(env.store.objects_of(user).empty());
}

}  // namespace

TEST_CASE("another user's file and upload are not found and scopes are enforced") {
  upload_env env("upl-scope");
  auto a = test::sign_up(env.api, "alice");
  auto b = test::sign_up(env.api, "mallory");
  const std::string bytes = test::random_bytes(4'000, 1);
  auto accepted = test::upload_raw(env.api, a.auth, "private.txt", bytes, "text/plain",
                                   "Prefer: respond-async\r\n");
  REQUIRE_MESSAGE(accepted.status == 202, accepted.body);
  const std::string upload_id = str(parse(accepted).at("id"));
  const auto settled = test::settled_upload(env.api, a.auth, upload_id);
  REQUIRE(settled.status == 200);
  const std::string file_id = str(parse(settled).at("file_id"));

  CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + file_id, {}, b.auth).status == 404);
  CHECK(env.api.call("GET", "/api/v1/auth/files/" + file_id, {}, b.auth).status == 404);
  CHECK(
      env.api.call("PATCH", "/api/v1/auth/files/" + file_id, R"({"name":"mine"})", b.auth).status ==
      404);
  const auto removed = env.api.call("DELETE", "/api/v1/auth/files/" + file_id, {}, b.auth);
  CHECK(removed.status == 404);
  CHECK(test::error_code(removed) == "not_found");
  CHECK(env.api.call("GET", "/api/v1/auth/uploads/" + upload_id, {}, b.auth).status == 404);
  CHECK(env.api.call("GET", "/api/v1/auth/uploads/not-a-uuid", {}, a.auth).status == 404);
  CHECK(env.api.call("GET", "/api/v1/auth/uploads/" + upload_id, {}, "").status == 401);

  // A key that may only read: reads work, writes are 403 before anything is stored.
  const std::string reader = test::api_key_header(env.api, a, R"(["files:read"])");
  CHECK(env.api.call("GET", "/api/v1/auth/uploads/" + upload_id, {}, reader).status == 200);
  CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + file_id, {}, reader).body == bytes);
  const auto refused = test::upload_raw(env.api, reader, "sneaky.txt", "data");
  CHECK(refused.status == 403);
  CHECK(test::error_code(refused) == "forbidden");
  CHECK(test::upload_form(env.api, reader, "sneaky.txt", "data").status == 403);
  CHECK(env.api.call("DELETE", "/api/v1/auth/files/" + file_id, {}, reader).status == 403);
  // A key with files:write may upload.
  const std::string writer = test::api_key_header(env.api, a, R"(["files:read","files:write"])");
  CHECK(test::upload_raw(env.api, writer, "by key.txt", "data").status == 201);

  // Alice's file is untouched; Mallory has nothing.
  CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + file_id, {}, a.auth).body == bytes);
  CHECK(env.store.live_files(a.id) == 2);
  CHECK(env.store.used_bytes(a.id) == 4'004);
  check_nothing_stored(env, b.id);
}

TEST_CASE("bad names and forms without a file are refused and store nothing") {
  upload_env env("upl-names");
  auto a = test::sign_up(env.api, "careless");
  const std::string long_name(256, 'x');
  for (const std::string& name :
       {std::string(), std::string("."), std::string(".."), std::string("a/b"),
        std::string("tab\there"), std::string("nul\x01"), std::string("bad\xff utf8"), long_name}) {
    CAPTURE(name);
    const auto r = test::upload_raw(env.api, a.auth, name, "payload");
    CHECK(r.status == 400);
    CHECK(code_and_field(r) == "validation_failed/name");
  }
  // A raw body without ?name= at all.
  const auto unnamed = test::exchange(
      env.api.port(),
      test::upload_head(env.api, "/api/v1/auth/files/upload", a.auth, "text/plain", 4) + "data");
  CHECK(unnamed.status == 400);
  CHECK(code_and_field(unnamed) == "validation_failed/name");
  // 255 bytes is fine (the limit is inclusive).
  CHECK(test::upload_raw(env.api, a.auth, std::string(255, 'y'), "ok").status == 201);

  // Forms: a `file` part whose filename is empty or "..", a form with no `file` part.
  for (const std::string filename : {"", ".."}) {
    CAPTURE(filename);
    const auto r = test::upload_form(env.api, a.auth, filename, "payload");
    CHECK(r.status == 400);
    CHECK(code_and_field(r) == "validation_failed/name");
  }
  std::string no_file = "--" + std::string(test::form_boundary) +
                        "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" +
                        std::string(test::form_boundary) + "--\r\n";
  const auto missing =
      test::exchange(env.api.port(), test::upload_head(env.api, "/api/v1/auth/files/upload", a.auth,
                                                       test::form_content_type(), no_file.size()) +
                                         no_file);
  CHECK(missing.status == 400);
  CHECK(code_and_field(missing) == "validation_failed/file");

  // A name taken by a live file: 409 name_taken before the body is read.
  const auto taken = test::upload_raw(env.api, a.auth, std::string(255, 'y'), "again");
  CHECK(taken.status == 409);
  CHECK(code_and_field(taken) == "name_taken/name");

  CHECK(env.store.totals_of(a.id) == test::storage_probe::totals{1, 1, 2});
  CHECK(env.store.objects_match_files(a.id));
}

TEST_CASE("bodies cut short are refused and leave no object") {
  upload_env env("upl-cut");
  auto a = test::sign_up(env.api, "flaky");
  const std::string content = test::random_bytes(50'000, 3);
  const std::string target = test::raw_upload_target("cut.bin");
  const std::string form_target = "/api/v1/auth/files/upload";
  const std::string whole_form =
      test::form_body(test::form_boundary, "cut.bin", "text/plain", content);
  // The form without its closing boundary line.
  const std::string open_form = whole_form.substr(0, whole_form.rfind("\r\n--"));

  SUBCASE("a form whose closing boundary never comes") {
    // Content-Length matches what is sent: the body is complete, the form is not.
    auto r = test::exchange(
        env.api.port(), test::upload_head(env.api, form_target, a.auth, test::form_content_type(),
                                          open_form.size()) +
                            open_form);
    CHECK(r.status == 400);
    CHECK(test::error_code(r) == "bad_request");
    // Content-Length promises the rest; the client half-closes instead.
    r = test::send_then_half_close(
        env.api.port(), test::upload_head(env.api, form_target, a.auth, test::form_content_type(),
                                          whole_form.size()) +
                            open_form);
    CHECK(r.status == 400);
    CHECK(test::error_code(r) == "bad_request");
  }
  SUBCASE("a raw body shorter than its Content-Length") {
    auto r = test::send_then_half_close(
        env.api.port(),
        test::upload_head(env.api, target, a.auth, "application/octet-stream", content.size() + 1) +
            content);
    CHECK(r.status == 400);
    CHECK(test::error_code(r) == "bad_request");
  }
  SUBCASE("40 MiB multipart uploads abandoned after two parts went to S3") {
    const std::string big = test::random_bytes(40 * 1024 * 1024, 4);
    const std::string sent = big.substr(0, 20 * 1024 * 1024);
    auto r = test::send_then_half_close(
        env.api.port(), test::upload_head(env.api, test::raw_upload_target("big.bin"), a.auth,
                                          "application/octet-stream", big.size()) +
                            sent);
    CHECK(r.status == 400);
    const std::string form = test::form_body(test::form_boundary, "big.bin", "text/plain", big);
    r = test::send_then_half_close(
        env.api.port(),
        test::upload_head(env.api, form_target, a.auth, test::form_content_type(), form.size()) +
            form.substr(0, form.size() / 2));
    CHECK(r.status == 400);
  }
  check_nothing_stored(env, a.id);
  // The name was never taken: a whole upload under it works.
  CHECK(test::upload_raw(env.api, a.auth, "cut.bin", content).status == 201);
}

TEST_CASE("sizes over the plan or the remaining quota are refused before the body is read") {
  upload_env env("upl-limits");
  auto a = test::sign_up(env.api, "greedy");
  // Only the header is sent: an answer proves the body was not waited for.
  const auto head_only = [&](std::uint64_t claimed, const std::string& name) {
    return test::exchange(env.api.port(),
                          test::upload_head(env.api, test::raw_upload_target(name), a.auth,
                                            "application/octet-stream", claimed),
                          10s);
  };
  // Free: max file 100 MiB.
  const auto too_large = head_only(100 * 1024 * 1024 + 1, "huge.bin");
  CHECK(too_large.status == 413);
  CHECK(code_and_field(too_large) == "payload_too_large/file");

  const long long quota = 1073741824;
  env.store.set_used_bytes(a.id, quota - 1'000);
  const auto over_quota = head_only(1'001, "over.bin");
  CHECK(over_quota.status == 507);
  CHECK(code_and_field(over_quota) == "quota_exceeded/file");
  // What is left still fits, exactly.
  CHECK(test::upload_raw(env.api, a.auth, "fits.bin", test::random_bytes(1'000, 5)).status == 201);
  CHECK(env.store.used_bytes(a.id) == quota);
  CHECK(head_only(0, "empty.bin").status == 201);  // zero bytes fit a full quota

  // A form does not declare the file's size: it is cut off while it streams.
  env.store.set_used_bytes(a.id, quota - 100'000);
  const auto streamed =
      test::upload_form(env.api, a.auth, "stream.bin", test::random_bytes(150'000, 6));
  CHECK(streamed.status == 507);
  CHECK(code_and_field(streamed) == "quota_exceeded/file");
  CHECK(env.store.totals_of(a.id) == test::storage_probe::totals{2, 2, quota - 100'000});
  CHECK(env.store.objects_match_files(a.id));
}

TEST_CASE("two concurrent uploads under one name store one file") {
  upload_env env("upl-race");
  auto a = test::sign_up(env.api, "racer");
  // Both pass the api's name check; the worker's unique index decides.
  const std::string first_bytes = test::random_bytes(400'000, 7);
  const std::string second_bytes = test::random_bytes(30'000, 8);
  auto first = std::async(std::launch::async, [&] {
    return test::upload_raw(env.api, a.auth, "same.txt", first_bytes);
  });
  auto second = std::async(std::launch::async, [&] {
    return test::upload_form(env.api, a.auth, "same.txt", second_bytes);
  });
  const auto r1 = first.get();
  const auto r2 = second.get();
  INFO(r1.status << " " << r1.body << "\n" << r2.status << " " << r2.body);
  const bool first_won = r1.status == 201;
  CHECK(first_won != (r2.status == 201));
  const auto& loser = first_won ? r2 : r1;
  CHECK(loser.status == 409);
  CHECK(code_and_field(loser) == "name_taken/name");
  CHECK(env.store.live_files(a.id) == 1);
  CHECK(env.store.used_bytes(a.id) ==
        static_cast<long long>(first_won ? first_bytes.size() : second_bytes.size()));
  CHECK(test::eventually([&] { return env.store.objects_match_files(a.id); }, 10s));
}

TEST_CASE("a chunked raw body streams and an expected 100-continue is refused early") {
  upload_env env("upl-chunked");
  auto a = test::sign_up(env.api, "chunky");
  const std::string bytes = test::random_bytes(300'000, 9);
  std::string request = "POST " + test::raw_upload_target("chunked.bin") +
                        " HTTP/1.1\r\nHost: localhost\r\n" + a.auth +
                        "X-Forwarded-For: " + env.api.client_address() +
                        "\r\nContent-Type: application/octet-stream\r\n"
                        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (std::size_t at = 0; at < bytes.size(); at += 70'000) {
    const std::string piece = bytes.substr(at, 70'000);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    request += size + piece + "\r\n";
  }
  request += "0\r\n\r\n";
  const auto r = test::exchange(env.api.port(), request);
  REQUIRE_MESSAGE(r.status == 201, r.body);
  const std::string id = str(parse(r).at("id"));
  CHECK(parse(r).at("size").as_int64() == 300'000);
  CHECK(env.api.call("GET", "/api/v1/auth/files/download/" + id, {}, a.auth).body == bytes);

  // The client waits for 100 Continue before sending a body the server will refuse.
  const auto refused = test::exchange(
      env.api.port(),
      test::upload_head(env.api, test::raw_upload_target("no.bin"), a.auth,
                        "application/octet-stream", 200 * 1024 * 1024, "Expect: 100-continue\r\n"),
      10s);
  CHECK(refused.status == 413);
  CHECK(env.store.live_files(a.id) == 1);
  CHECK(env.store.uploads(a.id) == 1);
}

TEST_CASE("an upload the command queue cannot take is 503 and leaves nothing behind") {
  // The api's publisher points at a port nobody listens on: the command is never confirmed.
  test::api_fixture api([](kemas::config::settings& s) {
    s.amqp.port = 1;
    s.amqp.confirm_timeout = std::chrono::milliseconds(500);
  });
  test::storage_probe store(api);
  auto a = test::sign_up(api, "unlucky");
  for (const std::size_t size : {std::size_t{10'000}, std::size_t{600'000}}) {
    CAPTURE(size);
    const auto r = test::upload_raw(api, a.auth, "lost.bin", test::random_bytes(size, size));
    CHECK(r.status == 503);
    CHECK(test::error_code(r) == "backend_unavailable");
  }
  CHECK(store.live_files(a.id) == 0);
  CHECK(store.uploads(a.id, "committed") == 0);
  CHECK(store.uploads(a.id, "pending") == 0);
  CHECK(store.used_bytes(a.id) == 0);
  CHECK(store.objects_of(a.id).empty());
}

TEST_CASE("stalled uploads hold at most their account's slots and the buffer budget") {
  // Finding 2 of issue 13: each stalled upload held a part buffer for up to an hour, with no
  // cap per user nor in all.
  constexpr std::uint64_t mib = 1024 * 1024;
  upload_env env("upl-slots", [](kemas::config::settings& s) {
    s.upload.max_per_user = 2;
    s.upload.put_buffer = 8 * mib;
    s.upload.buffer_budget = 20 * mib;
  });
  auto slow = test::sign_up(env.api, "slowpoke");
  auto other = test::sign_up(env.api, "bystander");
  auto third = test::sign_up(env.api, "latecomer");
  const auto port = env.api.port();
  const auto stalled = [&](const std::string& name) {
    auto c = std::make_unique<raw_connection>("127.0.0.1", port);
    c->send(test::upload_head(env.api, test::raw_upload_target(name), slow.auth,
                              "application/octet-stream", 10 * mib) +
            std::string(1024, 'x'));
    return c;
  };
  auto first = stalled("stalled-1.bin");
  auto second = stalled("stalled-2.bin");

  // Once both hold their leases (the api's gauge shows 16 MiB), a third upload of the same
  // account waits for one of them: 429 with Retry-After.
  const auto leased = [&] {
    const auto text = http_request(port, "GET", "/metrics").body;
    const std::string name = "\nkemas_upload_buffer_leased_bytes ";
    const auto at = text.find(name);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size()));
  };
  CHECK(eventually([&] { return leased() == 16.0 * mib; }));
  auto refused = test::upload_raw(env.api, slow.auth, "third.txt", "small");
  INFO(refused.status, " ", refused.body);
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after"));
  // Another account is not held up by it.
  CHECK(test::upload_raw(env.api, other.auth, "fine.txt", "small").status == 201);

  // The two stalled uploads hold 16 MiB of the 20: one more 8 MiB buffer does not fit, and
  // the answer comes before the body is read.
  raw_connection late("127.0.0.1", port);
  late.send(test::upload_head(env.api, test::raw_upload_target("late.bin"), third.auth,
                              "application/octet-stream", 10 * mib));
  const auto full = late.read_response(10s);
  CHECK(full.status == 503);
  CHECK(full.header("retry-after"));

  // A client that goes away gives its share back.
  first.reset();
  const std::string bytes = test::random_bytes(10 * mib, 9);
  CHECK(eventually([&] {
    return test::upload_raw(env.api, third.auth, "late.bin", bytes).status == 201;
  }));
  second.reset();
}
