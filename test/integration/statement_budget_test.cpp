// Each route's PostgreSQL cost as PostgreSQL counts it (pg_stat_statements): the budget a
// route states next to its registration (route_options::costing) is an upper bound the
// measured count of one request must not pass, and every route that states one is measured
// here. The api runs without a worker (its commands wait in the fixture's vhost), so every
// statement counted in the scratch database is the api's. Also: listing walks an index,
// never the files table, on a database large enough for the planner to tell.
#include <doctest/doctest.h>

#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "adapters/postgres/pool.hpp"
#include "app/composition/api_application.hpp"
#include "app/server/router.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/eventually.hpp"
#include "test/support/pg_statements.hpp"
#include "test/support/upload_client.hpp"
#include "test/support/worker_fixture.hpp"

using namespace kemas::test;

namespace {

// `count` live files for `owner`, named f00000.. and created a second apart, with the
// counters the worker keeps; returns the newest file's id.
std::string add_files(const kemas::config::postgres_settings& database, const std::string& owner,
                      int count) {
  kemas::postgres::pg_pool pool(database, "kemas-test");
  std::string newest;
  pool.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "INSERT INTO files (owner_id, name, size_bytes, sha256, object_key, created_at) "
           "SELECT CAST(:owner AS uuid), 'f' || lpad(i::text, 5, '0'), 10, repeat('a', 64), "
           "'u/' || :owner2 || '/' || gen_random_uuid(), now() - (:n - i) * interval '1 second' "
           "FROM generate_series(1, :n2) AS i",
        soci::use(owner, "owner"), soci::use(owner, "owner2"), soci::use(count, "n"),
        soci::use(count, "n2");
    sql << "UPDATE users SET used_bytes = used_bytes + 10 * :n, file_count = file_count + :n2 "
           "WHERE id = CAST(:owner AS uuid)",
        soci::use(count, "n"), soci::use(count, "n2"), soci::use(owner, "owner");
    sql << "SELECT id::text FROM files WHERE owner_id = CAST(:owner AS uuid) "
           "ORDER BY created_at DESC LIMIT 1",
        soci::use(owner, "owner"), soci::into(newest);
    tx.commit();
  });
  pool.stop();
  return newest;
}

// Fresh planner statistics for files, as autovacuum's analyze gives a table that grew.
void analyze_files(const kemas::config::postgres_settings& database) {
  kemas::postgres::pg_pool pool(database, "kemas-test");
  pool.with_session([](soci::session& sql) { sql << "ANALYZE files"; });
  pool.stop();
}

// The listing tests' api: rate limits out of the way of their many requests.
auto without_rate_limits(worker_fixture& worker) {
  return worker.api_tweak([](kemas::config::settings& s) {
    s.ratelimit.general_limit = 1'000'000;
    s.ratelimit.auth_limit = 1'000'000;
  });
}

struct measured_route {
  std::string verb;  // as the router names it
  std::string pattern;
  long long statements = 0;
};

}  // namespace

TEST_CASE("every route with a statement budget stays within it") {
  worker_fixture worker("budget");  // never started: commands wait in its vhost
  api_fixture api(worker.api_tweak([](kemas::config::settings& s) {
    s.ratelimit.general_limit = 1'000'000;
  }));
  auto ana = sign_up(api, "ana");
  const std::string newest = add_files(api.database().settings(), ana.id, 30);
  pg_statement_meter meter(api.database().name(), api.database().settings());

  std::vector<measured_route> measured;
  // One request; its statements, and the response checked to be the expected one.
  auto measure = [&](std::string verb, std::string pattern, std::string target, unsigned status,
                     std::string body = {}, std::string headers = {}) {
    const long long before = meter.statements();
    auto r = api.call(verb, target, body, ana.auth + headers);
    const long long cost = meter.statements() - before;
    INFO(verb << " " << target << " -> " << r.status << " " << r.body);
    CHECK(r.status == status);
    MESSAGE(verb << " " << pattern << ": " << cost << " statements");
    measured.push_back({std::move(verb), std::move(pattern), cost});
  };

  const std::string files = "/api/v1/auth/files/";
  measure("GET", "/api/v1/auth/files/list", files + "list?limit=10", 200);
  measure("GET", "/api/v1/auth/files/{id}", files + newest, 200);
  measure("PATCH", "/api/v1/auth/files/{id}", files + newest, 200, R"({"name":"renamed"})");
  measure("HEAD", "/api/v1/auth/files/download/{fileID}", files + "download/" + newest, 200);
  measure("POST", "/api/v1/auth/files/upload", files + "upload?name=new.txt", 202, "hello",
          "Content-Type: text/plain\r\nPrefer: respond-async\r\n");
  // A streamed body (over upload.inline_max) also claims its object before storing it.
  measure("POST", "/api/v1/auth/files/upload", files + "upload?name=big.bin", 202,
          std::string(300 * 1024, 'b'),
          "Content-Type: application/octet-stream\r\nPrefer: respond-async\r\n");
  const auto upload_id = [&] {
    auto r = api.call("POST", files + "upload?name=other.txt", "bytes",
                      ana.auth + "Content-Type: text/plain\r\nPrefer: respond-async\r\n");
    REQUIRE(r.status == 202);
    return std::string(json_body(r).at("id").as_string());
  }();
  measure("GET", "/api/v1/auth/uploads/{id}", "/api/v1/auth/uploads/" + upload_id, 200);
  // Share links, on a zero-byte file: the counted GET then needs nothing from S3.
  const std::string empty_file = [&] {
    kemas::postgres::pg_pool pool(api.database().settings(), "kemas-test");
    std::string id;
    pool.with_session([&](soci::session& sql) {
      sql << "INSERT INTO files (owner_id, name, size_bytes, sha256, object_key) VALUES "
             "(CAST(:owner AS uuid), 'empty', 0, repeat('e', 64), 'u/' || :owner2 || '/empty') "
             "RETURNING id::text",
          soci::use(ana.id, "owner"), soci::use(ana.id, "owner2"), soci::into(id);
    });
    return id;
  }();
  const std::string shares = "/api/v1/auth/shares";
  const long long before_share = meter.statements();
  auto created = api.call("POST", shares, R"({"file_id":")" + empty_file + R"("})",
                          ana.auth + "Content-Type: application/json\r\n");
  REQUIRE(created.status == 201);
  measured.push_back({"POST", shares, meter.statements() - before_share});
  MESSAGE("POST " << shares << ": " << measured.back().statements << " statements");
  const auto share = json_body(created);
  const std::string token(share.at("token").as_string());
  const std::string share_id(share.at("share").as_object().at("id").as_string());
  measure("GET", shares, shares, 200);
  measure("GET", "/s/{token}", "/s/" + token, 200);
  measure("DELETE", "/api/v1/auth/shares/{id}", shares + "/" + share_id, 204);
  measure("DELETE", "/api/v1/auth/files/{id}", files + newest, 202, {},
          "Prefer: respond-async\r\n");
  // tus: the capabilities, HEAD of an upload, its termination.
  const std::string tus = "/api/v1/auth/uploads/tus";
  measure("OPTIONS", tus, tus, 204);
  auto tus_created = api.call("POST", tus, {},
                              ana.auth + "Tus-Resumable: 1.0.0\r\nUpload-Length: 100\r\n"
                                         "Upload-Metadata: filename dHVzLmJpbg==\r\n");
  REQUIRE(tus_created.status == 201);
  const std::string tus_upload = tus_created.headers.at("location");
  measure("HEAD", tus + "/{id}", tus_upload, 200, {}, "Tus-Resumable: 1.0.0\r\n");
  measure("DELETE", tus + "/{id}", tus_upload, 204, {}, "Tus-Resumable: 1.0.0\r\n");

  // Every stated budget is measured, and none is exceeded.
  std::map<std::pair<std::string, std::string>, long long> cost_of;
  const auto routes = api.application().routes().all();
  const auto has_route = [&](const std::string& verb, const std::string& pattern) {
    return std::ranges::any_of(routes, [&](const auto& r) {
      return kemas::http::method_name(r.verb) == verb && r.pattern == pattern;
    });
  };
  for (const auto& m : measured) {
    // HEAD is served by the GET route, unless the pattern has a HEAD route of its own (tus).
    const std::string verb = m.verb == "HEAD" && !has_route("HEAD", m.pattern) ? "GET" : m.verb;
    cost_of[{verb, m.pattern}] = std::max(cost_of[{verb, m.pattern}], m.statements);
  }
  int stated = 0;
  for (const auto& route : routes) {
    if (route.options.pg_statements < 0)
      continue;
    ++stated;
    const std::string verb(kemas::http::method_name(route.verb));
    INFO(verb << " " << route.pattern << " states " << route.options.pg_statements);
    const auto found = cost_of.find({verb, route.pattern});
    REQUIRE_MESSAGE(found != cost_of.end(), "a stated budget this test does not measure");
    CHECK(found->second <= route.options.pg_statements);
  }
  CHECK(stated == static_cast<int>(cost_of.size()));
}

TEST_CASE("an API key adds one statement to a request and records its use once a minute") {
  worker_fixture worker("budget-key");
  api_fixture api(without_rate_limits(worker));
  auto ana = sign_up(api, "ana");
  add_files(api.database().settings(), ana.id, 3);
  pg_statement_meter meter(api.database().name(), api.database().settings());
  auto created =
      api.call("POST", "/api/v1/auth/keys", R"({"name":"reader","scopes":["files:read"]})",
               ana.auth);
  REQUIRE(created.status == 201);
  const std::string key_auth =
      "Authorization: ApiKey " + std::string(json_body(created).at("key").as_string()) + "\r\n";
  const std::string list = "/api/v1/auth/files/list?limit=10";
  const std::string touch = "UPDATE api_keys SET last_used_at%";

  long long before = meter.statements();
  REQUIRE(api.call("GET", list, {}, ana.auth).status == 200);
  const long long with_session = meter.statements() - before;

  // The key's first use is recorded (after the answer: the request does not wait for it).
  REQUIRE(api.call("GET", list, {}, key_auth).status == 200);
  REQUIRE(eventually([&] { return meter.statements_like(touch) == 1; }));

  // Within the minute: the key's lookup and the list, and no write.
  before = meter.statements();
  for (int i = 0; i < 3; ++i)
    REQUIRE(api.call("GET", list, {}, key_auth).status == 200);
  MESSAGE("a list with a session: " << with_session << " statements; with an API key: "
                                    << (meter.statements() - before) / 3.0);
  CHECK(meter.statements() - before == 3 * (with_session + 1));
  CHECK(meter.statements_like(touch) == 1);
}

TEST_CASE("an upload answered with its file reads the upload and the file in one statement") {
  worker_fixture worker("budget-commit");
  api_fixture api(worker.api_tweak([](kemas::config::settings&) {}));
  worker.start(api.database().settings());
  auto ana = sign_up(api, "ana");
  pg_statement_meter meter(api.database().name(), api.database().settings());
  const std::string upload_reads = "%FROM uploads u LEFT JOIN files f%";
  const std::string file_reads = "%FROM files f WHERE f.id = CAST($1 AS uuid)%";
  const long long uploads_before = meter.statements_like(upload_reads);
  const long long files_before = meter.statements_like(file_reads);

  // The worker's commit signals the waiting request, which answers 201 with the file.
  const auto r = upload_raw(api, ana.auth, "signalled.txt", "hello", "text/plain");
  INFO(r.body << worker.log());
  REQUIRE(r.status == 201);
  CHECK(json_body(r).at("name").as_string() == "signalled.txt");
  CHECK(meter.statements_like(upload_reads) - uploads_before == 1);
  CHECK(meter.statements_like(file_reads) - files_before == 0);
}

TEST_CASE("listing reads one statement and walks an index at any page") {
  worker_fixture worker("budget-list");
  api_fixture api(without_rate_limits(worker));
  auto ana = sign_up(api, "lister");
  // Enough rows that a sequential scan would be the planner's choice only if no index fits.
  for (int i = 0; i < 8; ++i) {
    auto other = sign_up(api, "crowd" + std::to_string(i));
    add_files(api.database().settings(), other.id, 500);
  }
  add_files(api.database().settings(), ana.id, 120);
  analyze_files(api.database().settings());
  pg_statement_meter meter(api.database().name(), api.database().settings());
  const auto start = meter.scans("files");

  int pages = 0;
  for (const std::string sort : {"created_at", "name"}) {
    std::string cursor;
    std::set<std::string> seen;
    do {
      const long long before = meter.statements();
      std::string target = "/api/v1/auth/files/list?limit=50&sort=" + sort;
      if (!cursor.empty())
        target += "&cursor=" + cursor;
      auto r = api.call("GET", target, {}, ana.auth);
      CHECK(meter.statements() - before == 1);
      REQUIRE(r.status == 200);
      auto body = parse(r);
      CHECK(body.at("total").as_int64() == 120);
      CHECK(body.at("used_bytes").as_int64() == 1200);
      for (const auto& f : body.at("files").as_array())
        CHECK(seen.insert(std::string(f.at("name").as_string())).second);
      cursor = body.at("next_cursor").is_string()
                   ? std::string(body.at("next_cursor").as_string())
                   : std::string();
      ++pages;
    } while (!cursor.empty());
    CHECK(seen.size() == 120);
  }
  CHECK(pages == 6);
  const auto after = meter.scans_after("files", start.index + pages);
  CHECK(after.sequential == start.sequential);

}

// The common first page (no prefix, no cursor) settles on a generic plan that walks the index:
// each of the api's read connections plans it about six times (five custom plans, then the
// generic one), then never again. The data are the list bench's with few files
// (bench/list_ratio.sh, MANY_FILES=1000): a prefix condition PostgreSQL cannot estimate
// (starts_with() on a parameter, even an empty one) made it expect two rows, and its generic
// plan read the whole files table and sorted it, at five times the cost of the index walk.
TEST_CASE("the first page of a list keeps a generic plan that walks the index") {
  worker_fixture worker("budget-plans");
  api_fixture api(without_rate_limits(worker));
  auto few = sign_up(api, "few");
  auto ten = sign_up(api, "ten");
  auto many = sign_up(api, "many");
  add_files(api.database().settings(), few.id, 5);
  add_files(api.database().settings(), ten.id, 10);
  add_files(api.database().settings(), many.id, 1000);
  analyze_files(api.database().settings());
  pg_statement_meter meter(api.database().name(), api.database().settings());
  const auto start = meter.scans("files");
  const auto before = meter.plans_like("%LEFT JOIN LATERAL%");
  constexpr int calls = 60;
  for (int i = 0; i < calls; ++i) {
    auto r = api.call("GET", "/api/v1/auth/files/list", {}, few.auth);
    REQUIRE(r.status == 200);
    CHECK(parse(r).at("files").as_array().size() == 5);
  }
  const auto listed = meter.plans_like("%LEFT JOIN LATERAL%");
  CHECK(listed.calls - before.calls == calls);
  const auto read_connections = static_cast<long long>(api.settings().postgres.read_connections);
  CHECK(listed.plans - before.plans <= 7 * std::max(read_connections, 1LL));
  const auto after = meter.scans_after("files", start.index + calls);
  CHECK(after.sequential == start.sequential);
}
