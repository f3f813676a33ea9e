// Issue 4's read routes through the real kemas-api wiring (api_fixture: scratch database,
// shared Redis and S3): list paging with a stable cursor, totals, metadata, rename, and
// streamed downloads with Range / ETag / If-None-Match. The upload route does not exist
// yet, so files are inserted with SQL and their objects PUT with the S3 client.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <soci/soci.h>

#include <set>

#include "adapters/crypto/tokens.hpp"
#include "adapters/postgres/pool.hpp"
#include "adapters/s3/client.hpp"
#include "adapters/support/random.hpp"
#include "domain/base64.hpp"
#include "test/support/api_fixture.hpp"
#include "test/support/s3_fixture.hpp"
#include "test/support/upload_client.hpp"

using namespace kemas::test;
namespace json = boost::json;

namespace {

// Inserts an active file row created `age_s` seconds ago and PUTs its object.
class file_maker {
 public:
  explicit file_maker(api_fixture& api)
      : pool_(api.database().settings(), "kemas-test"), s3_(api.settings().s3) {}
  ~file_maker() {
    for (const auto& owner : owners_)
      kemas::test::delete_s3_prefix(s3_, "u/" + owner + "/");
    pool_.stop();
  }

  std::string make(const std::string& owner, const std::string& name, const std::string& bytes,
                   int age_s = 0, const std::string& content_type = "text/plain") {
    const std::string id = kemas::support::random_uuid().to_string();
    const std::string key = "u/" + owner + "/" + id;
    owners_.insert(owner);
    REQUIRE(s3_.put_object(key, bytes, content_type).has_value());
    const std::string sha = kemas::crypto::sha256_hex(bytes);
    long long size = static_cast<long long>(bytes.size());
    pool_.with_session([&](soci::session& sql) {
      sql << "INSERT INTO files (id, owner_id, name, content_type, size_bytes, sha256, "
             "object_key, created_at) VALUES (CAST(:id AS uuid), CAST(:owner AS uuid), :name, "
             ":ct, :size, :sha, :key, timestamptz '2024-01-01 00:00:00+00' - "
             "CAST(:age AS integer) * interval '1 second')",
          soci::use(id, "id"), soci::use(owner, "owner"), soci::use(name, "name"),
          soci::use(content_type, "ct"), soci::use(size, "size"), soci::use(sha, "sha"),
          soci::use(key, "key"), soci::use(age_s, "age");
      sql << "UPDATE users SET used_bytes = used_bytes + :size, file_count = file_count + 1 "
             "WHERE id = CAST(:owner AS uuid)",
          soci::use(size, "size"), soci::use(owner, "owner");
    });
    return id;
  }

  void set_state(const std::string& id, const std::string& state) {
    pool_.with_session([&](soci::session& sql) {
      // users.file_count counts the live rows, as the worker's delete keeps it.
      sql << "UPDATE users u SET file_count = file_count + CASE WHEN :to_deleted = 'deleted' "
             "THEN -1 ELSE 1 END FROM files f WHERE f.id = CAST(:id AS uuid) "
             "AND u.id = f.owner_id AND (f.state = 'deleted') <> (:to_deleted2 = 'deleted')",
          soci::use(state, "to_deleted"), soci::use(state, "to_deleted2"), soci::use(id, "id");
      sql << "UPDATE files SET state = :state, deleted_at = CASE WHEN :state2 = 'deleted' "
             "THEN now() END WHERE id = CAST(:id AS uuid)",
          soci::use(state, "state"), soci::use(state, "state2"), soci::use(id, "id");
    });
  }

 private:
  kemas::postgres::pg_pool pool_;
  kemas::s3::s3_client s3_;
  std::set<std::string> owners_;
};

// Every page of a listing; checks that paging neither repeats nor skips.
std::vector<std::string> all_names(const api_fixture& api, const account& who,
                                   const std::string& query, std::vector<std::size_t>& sizes) {
  std::vector<std::string> names;
  std::string cursor;
  for (int guard = 0; guard < 20; ++guard) {
    std::string target = "/api/v1/auth/files/list?limit=3" + query;
    if (!cursor.empty())
      target += "&cursor=" + cursor;
    auto r = api.call("GET", target, {}, who.auth);
    INFO(target << " -> " << r.body);
    REQUIRE(r.status == 200);
    auto body = parse(r);
    const auto& files = body.at("files").as_array();
    sizes.push_back(files.size());
    for (const auto& f : files)
      names.emplace_back(f.at("name").as_string());
    if (body.at("next_cursor").is_null())
      return names;
    cursor = std::string(body.at("next_cursor").as_string());
  }
  FAIL("listing did not end");
  return names;
}

}  // namespace

TEST_CASE("list pages with a stable cursor by created_at and by name with prefix") {
  api_fixture api;
  file_maker files(api);
  auto a = sign_up(api, "lister");
  auto b = sign_up(api, "other");
  // Three share one created_at: the id breaks the tie, so paging must still be exact.
  files.make(a.id, "alpha-1", "1", 50);
  files.make(a.id, "beta-1", "22", 40);
  files.make(a.id, "alpha-2", "333", 30);
  files.make(a.id, "beta-2", "4444", 30);
  files.make(a.id, "alpha-3", "55555", 30);
  files.make(a.id, "beta-3", "666666", 10);
  files.make(a.id, "alpha-4", "7777777", 0);
  files.make(b.id, "alpha-b", "x", 0);

  std::vector<std::size_t> sizes;
  auto newest = all_names(api, a, "", sizes);
  CHECK(sizes == std::vector<std::size_t>{3, 3, 1});
  REQUIRE(newest.size() == 7);
  CHECK(newest.front() == "alpha-4");
  CHECK(newest[1] == "beta-3");
  CHECK(newest.back() == "alpha-1");
  CHECK(std::set<std::string>(newest.begin(), newest.end()).size() == 7);

  sizes.clear();
  auto by_name = all_names(api, a, "&sort=name", sizes);
  CHECK(by_name == std::vector<std::string>{"alpha-1", "alpha-2", "alpha-3", "alpha-4", "beta-1",
                                            "beta-2", "beta-3"});
  CHECK(sizes == std::vector<std::size_t>{3, 3, 1});

  sizes.clear();
  auto alphas = all_names(api, a, "&sort=name&prefix=alpha", sizes);
  CHECK(alphas == std::vector<std::string>{"alpha-1", "alpha-2", "alpha-3", "alpha-4"});
  sizes.clear();
  auto betas = all_names(api, a, "&prefix=beta", sizes);
  CHECK(betas == std::vector<std::string>{"beta-3", "beta-2", "beta-1"});
  CHECK(sizes == std::vector<std::size_t>{3});

  auto first = parse(api.call("GET", "/api/v1/auth/files/list", {}, a.auth));
  CHECK(first.at("total").as_int64() == 7);
  CHECK(first.at("used_bytes").as_int64() == 28);
  CHECK(first.at("quota_bytes").as_int64() == 1073741824);
  CHECK(first.at("files").as_array().size() == 7);
  auto f = first.at("files").as_array()[0].as_object();
  CHECK(f.at("size").as_int64() == 7);
  CHECK(f.at("sha256").as_string() == kemas::crypto::sha256_hex("7777777"));
  CHECK(f.at("state").as_string() == "active");
  CHECK(f.at("content_type").as_string() == "text/plain");
  CHECK(f.at("created_at").as_string() == "2024-01-01T00:00:00.000Z");

  SUBCASE("bad parameters are 400") {
    for (const char* q : {"?limit=0", "?limit=1001", "?limit=x", "?sort=size", "?cursor=zzz"}) {
      auto r = api.call("GET", std::string("/api/v1/auth/files/list") + q, {}, a.auth);
      INFO(q);
      CHECK(r.status == 400);
    }
    // A created_at cursor used with sort=name is refused, not misread.
    auto page = parse(api.call("GET", "/api/v1/auth/files/list?limit=1", {}, a.auth));
    const std::string cursor(page.at("next_cursor").as_string());
    CHECK(
        api.call("GET", "/api/v1/auth/files/list?sort=name&cursor=" + cursor, {}, a.auth).status ==
        400);
  }
  SUBCASE("deleted files leave the listing and the total") {
    auto page = parse(api.call("GET", "/api/v1/auth/files/list?sort=name&limit=1", {}, a.auth));
    files.set_state(std::string(page.at("files").as_array()[0].at("id").as_string()), "deleted");
    auto after = parse(api.call("GET", "/api/v1/auth/files/list", {}, a.auth));
    CHECK(after.at("total").as_int64() == 6);
    CHECK(after.at("files").as_array().size() == 6);
  }
  SUBCASE("the other user sees only their own file") {
    auto theirs = parse(api.call("GET", "/api/v1/auth/files/list", {}, b.auth));
    CHECK(theirs.at("total").as_int64() == 1);
    CHECK(theirs.at("files").as_array().size() == 1);
  }
}

TEST_CASE("metadata and rename are scoped to the owner") {
  api_fixture api;
  file_maker files(api);
  auto a = sign_up(api, "owner");
  auto b = sign_up(api, "stranger");
  const auto id = files.make(a.id, "report.txt", "hello", 5);
  files.make(a.id, "taken.txt", "x", 1);
  const std::string path = "/api/v1/auth/files/" + id;

  auto meta = api.call("GET", path, {}, a.auth);
  REQUIRE(meta.status == 200);
  auto m = parse(meta);
  CHECK(m.at("id").as_string() == id);
  CHECK(m.at("name").as_string() == "report.txt");
  CHECK(m.at("size").as_int64() == 5);

  CHECK(api.call("GET", path, {}, b.auth).status == 404);
  CHECK(api.call("GET", "/api/v1/auth/files/not-a-uuid", {}, a.auth).status == 404);
  CHECK(api.call("GET", path, {}, "").status == 401);

  auto renamed = api.call("PATCH", path, R"({"name":"résumé 2024.txt"})", a.auth);
  REQUIRE(renamed.status == 200);
  CHECK(parse(renamed).at("name").as_string() == "résumé 2024.txt");
  CHECK(parse(api.call("GET", path, {}, a.auth)).at("name").as_string() == "résumé 2024.txt");
  // Its own name again: fine.
  CHECK(api.call("PATCH", path, R"({"name":"résumé 2024.txt"})", a.auth).status == 200);

  auto taken = api.call("PATCH", path, R"({"name":"taken.txt"})", a.auth);
  CHECK(taken.status == 409);
  CHECK(error_code(taken) == "name_taken");
  CHECK(parse(taken).at("error").at("field").as_string() == "name");

  for (const char* bad : {R"({"name":""})", R"({"name":"a/b"})", R"({"name":".."})",
                          R"({"name":"tab\there"})", R"({"name":5})", R"({})"}) {
    INFO(bad);
    auto r = api.call("PATCH", path, bad, a.auth);
    CHECK(r.status == 400);
  }
  const std::string long_name(256, 'x');
  CHECK(
      api.call("PATCH", path, json::serialize(json::object{{"name", long_name}}), a.auth).status ==
      400);

  CHECK(api.call("PATCH", path, R"({"name":"mine now"})", b.auth).status == 404);
  CHECK(parse(api.call("GET", path, {}, a.auth)).at("name").as_string() == "résumé 2024.txt");

  files.set_state(id, "deleted");
  CHECK(api.call("GET", path, {}, a.auth).status == 404);
  CHECK(api.call("PATCH", path, R"({"name":"again"})", a.auth).status == 404);
}

TEST_CASE("download streams byte-exact with ranges and validators") {
  api_fixture api;
  file_maker files(api);
  auto a = sign_up(api, "downloader");
  auto b = sign_up(api, "snooper");
  std::string big(3 * 1024 * 1024 + 17, '\0');
  kemas::test::byte_stream(42).fill(big.data(), big.size());
  const auto id = files.make(a.id, "данные €.bin", big, 0, "application/octet-stream");
  const std::string path = "/api/v1/auth/files/download/" + id;
  const std::string etag = "\"" + kemas::crypto::sha256_hex(big) + "\"";
  const std::size_t size = big.size();

  auto whole = api.call("GET", path, {}, a.auth);
  REQUIRE(whole.status == 200);
  CHECK(whole.body.size() == size);
  CHECK(whole.body == big);
  CHECK(whole.header("content-length") == std::to_string(size));
  CHECK(whole.header("content-type") == "application/octet-stream");
  CHECK(whole.header("etag") == etag);
  CHECK(whole.header("accept-ranges") == "bytes");
  const auto disposition = whole.header("content-disposition").value_or("");
  CHECK(disposition.starts_with("attachment; "));
  CHECK(disposition.find("filename*=UTF-8''%D0%B4%D0%B0%D0%BD%D0%BD%D1%8B%D0%B5%20%E2%82%AC.bin") !=
        std::string::npos);

  check_ranges(api, a.auth, path, big,
               {{"bytes=0-99", 0, 99},
                {"bytes=1000000-1000999", 1000000, 1000999},
                {"bytes=-100", size - 100, size - 1},
                {"bytes=100-", 100, size - 1},
                {"bytes=5-99999999999", 5, size - 1}});

  // If-Range with a stale validator: the whole body.
  auto stale = api.call("GET", path, {}, a.auth + "Range: bytes=0-9\r\nIf-Range: \"old\"\r\n");
  CHECK(stale.status == 200);
  CHECK(stale.body.size() == size);

  auto cached = api.call("GET", path, {}, a.auth + "If-None-Match: " + etag + "\r\n");
  CHECK(cached.status == 304);
  CHECK(cached.body.empty());
  CHECK(cached.header("etag") == etag);
  CHECK(api.call("GET", path, {}, a.auth + "If-None-Match: *\r\n").status == 304);
  CHECK(api.call("GET", path, {}, a.auth + "If-None-Match: \"other\"\r\n").status == 200);

  {  // HEAD: the headers of a GET, no body.
    kemas::test::raw_connection c("127.0.0.1", api.port());
    c.send("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n" + a.auth +
           "X-Forwarded-For: " + api.client_address() + "\r\nConnection: close\r\n\r\n");
    auto head = c.read_response(std::chrono::seconds(10), true);
    CHECK(head.status == 200);
    CHECK(head.header("content-length") == std::to_string(size));
    CHECK(head.header("etag") == etag);
  }

  CHECK(api.call("GET", path, {}, b.auth).status == 404);
  CHECK(api.call("GET", "/api/v1/auth/files/download/nope", {}, a.auth).status == 404);

  const auto empty_id = files.make(a.id, "empty", "", 1);
  auto empty = api.call("GET", "/api/v1/auth/files/download/" + empty_id, {}, a.auth);
  CHECK(empty.status == 200);
  CHECK(empty.body.empty());
  CHECK(empty.header("content-length") == "0");

  files.set_state(id, "locked");
  auto locked = api.call("GET", path, {}, a.auth);
  CHECK(locked.status == 403);
  CHECK(error_code(locked) == "file_locked");
  files.set_state(id, "deleted");
  CHECK(api.call("GET", path, {}, a.auth).status == 404);
}

TEST_CASE("an API key with files:read lists and downloads but cannot rename") {
  api_fixture api;
  file_maker files(api);
  auto a = sign_up(api, "developer");
  const auto id = files.make(a.id, "data.csv", "a,b\n1,2\n", 0, "text/csv");
  auto created =
      api.call("POST", "/api/v1/auth/keys", R"({"name":"reader","scopes":["files:read"]})", a.auth);
  REQUIRE(created.status == 201);
  const std::string key_auth =
      "Authorization: ApiKey " + std::string(parse(created).at("key").as_string()) + "\r\n";

  auto listed = api.call("GET", "/api/v1/auth/files/list", {}, key_auth);
  CHECK(listed.status == 200);
  CHECK(parse(listed).at("total").as_int64() == 1);
  auto got = api.call("GET", "/api/v1/auth/files/download/" + id, {}, key_auth);
  CHECK(got.status == 200);
  CHECK(got.body == "a,b\n1,2\n");
  CHECK(api.call("GET", "/api/v1/auth/files/" + id, {}, key_auth).status == 200);
  auto rename = api.call("PATCH", "/api/v1/auth/files/" + id, R"({"name":"x.csv"})", key_auth);
  CHECK(rename.status == 403);
}

TEST_CASE("abandoned downloads release their S3 transfers") {
  // Each streamed download holds an S3 pool thread until it ends. Clients that hang up
  // mid-body must end their transfers, or the pool fills and later downloads wait forever.
  api_fixture api([](kemas::config::settings& s) { s.s3.threads = 2; });
  file_maker files(api);
  auto a = sign_up(api, "quitter");
  std::string big(4 * 1024 * 1024, '\0');
  kemas::test::byte_stream(7).fill(big.data(), big.size());
  const auto id = files.make(a.id, "big.bin", big);
  const std::string request = "GET /api/v1/auth/files/download/" + id + " HTTP/1.1\r\nHost: x\r\n" +
                              a.auth + "X-Forwarded-For: " + api.client_address() + "\r\n\r\n";
  for (int i = 0; i < 6; ++i) {
    kemas::test::raw_connection c("127.0.0.1", api.port());
    c.send(request);
    // Hang up without reading the body.
  }
  auto r = api.call("GET", "/api/v1/auth/files/download/" + id, {}, a.auth);
  CHECK(r.status == 200);
  CHECK(r.body == big);
}

TEST_CASE("crafted cursors and prefixes are refused with 400 before PostgreSQL sees them") {
  // Finding 6 of issue 13: these reached SQL and came back as 500.
  api_fixture api;
  const auto owner = sign_up(api, "crafty");
  const std::string id = kemas::support::random_uuid().to_string();
  const auto cursor = [](const std::string& raw) {
    return kemas::base64url(std::string_view(raw));
  };
  const std::vector<std::string> targets{
      "/api/v1/auth/files/list?cursor=" + cursor("c:9223372036854775807:" + id),
      "/api/v1/auth/files/list?cursor=" + cursor("c:-62135596800000001:" + id),
      "/api/v1/auth/files/list?cursor=" + cursor("c:99999999999999999999999:" + id),
      "/api/v1/auth/files/list?sort=name&cursor=" + cursor("n:" + id + ":\xff\xfe"),
      "/api/v1/auth/files/list?prefix=%FF",
      "/api/v1/auth/files/list?prefix=a%00b",
      "/api/v1/auth/billing/orders?cursor=" + cursor("9223372036854775807:" + id),
      "/api/v1/auth/billing/orders?cursor=" + cursor("-1:" + id),
  };
  for (const auto& target : targets) {
    CAPTURE(target);
    auto r = api.call("GET", target, {}, owner.auth);
    CHECK(r.status == 400);
    CHECK(r.body.find("validation_failed") != std::string::npos);
  }
  // The same listings with sound input still answer.
  CHECK(api.call("GET", "/api/v1/auth/files/list?prefix=r%C3%A9sum%C3%A9", {}, owner.auth).status ==
        200);
  CHECK(api.call("GET", "/api/v1/auth/billing/orders", {}, owner.auth).status == 200);
}
