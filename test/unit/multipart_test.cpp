#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/file_name.hpp"
#include "domain/multipart.hpp"

using namespace kemas;
using event = multipart_parser::event;
using namespace std::string_literals;

namespace {

struct parsed_part {
  part_headers headers;
  std::string body;
  friend bool operator==(const parsed_part&, const parsed_part&) = default;
};

struct outcome {
  std::vector<parsed_part> parts;
  bool done = false;
  std::optional<kemas::error> failure;
  std::size_t largest_held = 0;  // longest data view that was not inside the fed chunk
};

// Feeds `chunks` in order (finish() with the last one) and collects what the parser says.
// Every chunk goes through one scratch buffer that is scribbled over once the parser has
// asked for more, so a view kept past need_more would show up as wrong bytes; data views
// that do not point into the chunk must be short (the bytes held back at a chunk's end).
outcome run(std::string_view boundary, const std::vector<std::string>& chunks, multipart_limits limits = {}) {
  multipart_parser parser(boundary, limits);
  std::size_t biggest = 1;
  for (const auto& c : chunks) biggest = std::max(biggest, c.size());
  std::vector<char> scratch(biggest, '#');
  std::string_view current;
  std::size_t next_chunk = 0;
  const auto feed_next = [&] {
    std::fill(scratch.begin(), scratch.end(), '#');
    if (next_chunk < chunks.size()) {
      const auto& c = chunks[next_chunk++];
      std::copy(c.begin(), c.end(), scratch.begin());
      current = std::string_view(scratch.data(), c.size());
      parser.feed(current);
    }
    if (next_chunk == chunks.size()) parser.finish();
  };
  feed_next();
  outcome out;
  bool in_part = false;
  while (true) {
    const auto e = parser.next();
    switch (e) {
      case event::need_more:
        REQUIRE(next_chunk < chunks.size());  // never after finish()
        feed_next();
        break;
      case event::part_begin:
        REQUIRE_FALSE(in_part);
        in_part = true;
        out.parts.push_back({parser.part(), {}});
        break;
      case event::data: {
        REQUIRE(in_part);
        const auto d = parser.data();
        REQUIRE_FALSE(d.empty());
        const bool inside = d.data() >= current.data() && d.data() + d.size() <= current.data() + current.size();
        if (!inside) out.largest_held = std::max(out.largest_held, d.size());
        out.parts.back().body.append(d);
        break;
      }
      case event::part_end:
        REQUIRE(in_part);
        in_part = false;
        break;
      case event::done:
        REQUIRE_FALSE(in_part);
        out.done = true;
        while (next_chunk < chunks.size()) {  // epilogue: accepted and ignored
          feed_next();
          REQUIRE(parser.next() == event::done);
        }
        CHECK(parser.next() == event::done);
        return out;
      case event::failed:
        out.failure = parser.failure();
        CHECK(parser.next() == event::failed);
        return out;
    }
  }
}

std::vector<std::string> whole(const std::string& body) { return {body}; }

std::vector<std::string> bytewise(const std::string& body) {
  std::vector<std::string> chunks;
  for (char c : body) chunks.emplace_back(1, c);
  return chunks;
}

std::vector<std::string> random_split(const std::string& body, std::mt19937& rng, std::size_t max_chunk) {
  std::uniform_int_distribution<std::size_t> size(0, max_chunk);  // 0: empty chunks happen too
  std::vector<std::string> chunks;
  for (std::size_t i = 0; i < body.size();) {
    const auto n = std::min(size(rng), body.size() - i);
    chunks.push_back(body.substr(i, n));
    i += n;
  }
  return chunks;
}

struct form_part {
  std::string headers;  // header lines, each ending in CRLF
  std::string body;
};

std::string form(const std::string& boundary, const std::vector<form_part>& parts, const std::string& preamble = {},
                 const std::string& epilogue = "\r\n") {
  std::string out = preamble;
  for (const auto& p : parts) out += "--" + boundary + "\r\n" + p.headers + "\r\n" + p.body + "\r\n";
  return out + "--" + boundary + "--" + epilogue;
}

std::string disposition(const std::string& params) { return "Content-Disposition: form-data; " + params + "\r\n"; }

part_headers headers(std::string name, std::optional<std::string> filename = {}, std::string content_type = {}) {
  return part_headers{std::move(name), std::move(filename), std::move(content_type)};
}

// The same result however the body is cut: whole, byte by byte, at every single cut, and
// in random pieces.
void check_every_split(const std::string& boundary, const std::string& body, const outcome& expected) {
  const auto same = [&](const outcome& got) {
    CHECK(got.done == expected.done);
    CHECK(got.parts == expected.parts);
    CHECK(got.failure.has_value() == expected.failure.has_value());
    if (got.failure && expected.failure) CHECK(got.failure->message == expected.failure->message);
    CHECK(got.largest_held < boundary.size() + 4);
  };
  same(run(boundary, whole(body)));
  same(run(boundary, bytewise(body)));
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    INFO("cut at " << cut);
    same(run(boundary, {body.substr(0, cut), body.substr(cut)}));
  }
  std::mt19937 rng(static_cast<unsigned>(body.size()));
  for (int round = 0; round < 50; ++round) {
    INFO("random round " << round);
    same(run(boundary, random_split(body, rng, 1 + static_cast<std::size_t>(round) % 17)));
  }
}

outcome expect_parts(std::vector<parsed_part> parts) {
  outcome o;
  o.parts = std::move(parts);
  o.done = true;
  return o;
}

std::string failure_of(const std::string& boundary, const std::string& body, multipart_limits limits = {}) {
  const auto whole_body = run(boundary, whole(body), limits);
  const auto one_by_one = run(boundary, bytewise(body), limits);
  REQUIRE(whole_body.failure);
  REQUIRE(one_by_one.failure);
  CHECK(whole_body.failure->code == errc::bad_request);
  CHECK(whole_body.failure->message == one_by_one.failure->message);
  return whole_body.failure->message;
}

}  // namespace

TEST_CASE("a browser form with a text field and a file") {
  const std::string b = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
  const auto body = form(b, {{disposition("name=\"title\""), "holiday"},
                             {disposition("name=\"file\"; filename=\"photo.jpg\"") + "Content-Type: image/jpeg\r\n",
                              "\xFF\xD8\xFF\xE0 binary \r\n bytes \x00 end"}});
  check_every_split(b, body,
                    expect_parts({{headers("title"), "holiday"},
                                  {headers("file", "photo.jpg", "image/jpeg"), "\xFF\xD8\xFF\xE0 binary \r\n bytes "}}));
}

TEST_CASE("part bodies may hold near-misses of the delimiter") {
  const std::string b = "boundary";
  const std::string tricky =
      "\r\n--boundar\r\n-\r\n--\r\r\n\n--boundary without CRLF\n--boundary\r\n-boundary\r\n--Boundary\r\n--boundar";
  const auto body = form(b, {{disposition("name=\"file\"; filename=\"t.bin\""), tricky},
                             {disposition("name=\"after\""), "\r\n"},
                             {disposition("name=\"cr\""), "\r"}});
  check_every_split(b, body,
                    expect_parts({{headers("file", "t.bin"), tricky}, {headers("after"), "\r\n"}, {headers("cr"), "\r"}}));
}

TEST_CASE("a carried partial delimiter that fails is data and a real one may follow at once") {
  // Byte by byte the parser holds "\r\n--b" and then sees "\r": those bytes are data, and
  // the delimiter that starts at that "\r" must still be found.
  const std::string b = "bnd";
  const auto body = form(b, {{disposition("name=\"f\""), "x\r\n--b"}, {disposition("name=\"g\""), "\r\n--bn"}});
  check_every_split(b, body, expect_parts({{headers("f"), "x\r\n--b"}, {headers("g"), "\r\n--bn"}}));
}

TEST_CASE("random binary parts survive random splits") {
  std::mt19937 rng(1234);
  const std::string alphabet = "\r\n-\r\n-xb\x00\xFF";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 300);
  const std::string b = "xb";
  for (int round = 0; round < 200; ++round) {
    std::vector<form_part> parts;
    std::vector<parsed_part> expected;
    const auto count = 1 + round % 3;
    for (int p = 0; p < count; ++p) {
      std::string data;
      do {
        data.clear();
        const auto n = length(rng);
        for (std::size_t i = 0; i < n; ++i) data += alphabet[pick(rng)];
      } while ((data + "\r\n--").find("\r\n--" + b) != std::string::npos || data.starts_with("--" + b));
      const auto name = "p" + std::to_string(p);
      parts.push_back({disposition("name=\"" + name + "\""), data});
      expected.push_back({headers(name), data});
    }
    const auto body = form(b, parts);
    INFO("round " << round);
    for (std::size_t max_chunk : {1u, 2u, 3u, 5u, 7u, 64u}) {
      const auto got = run(b, random_split(body, rng, max_chunk));
      REQUIRE(got.done);
      CHECK(got.parts == expected);
      CHECK(got.largest_held < b.size() + 4);
    }
  }
}

TEST_CASE("a large part is streamed as views into the chunks") {
  const std::string b = "----------------------------d74496d66958873e";  // curl's style
  std::string data(4 * 1024 * 1024, '\0');
  std::mt19937 rng(99);
  for (auto& c : data) c = static_cast<char>(rng() & 0xFF);
  const auto body = form(b, {{disposition("name=\"file\"; filename=\"big.bin\"") +
                                  "Content-Type: application/octet-stream\r\n",
                              data}});
  std::vector<std::string> chunks;
  for (std::size_t i = 0; i < body.size(); i += 65536) chunks.push_back(body.substr(i, 65536));
  const auto got = run(b, chunks);
  REQUIRE(got.done);
  REQUIRE(got.parts.size() == 1);
  CHECK(got.parts[0].body == data);
  CHECK(got.largest_held < b.size() + 4);
}

TEST_CASE("preamble and epilogue are ignored") {
  const std::string b = "b0undary";
  const auto body = form(b, {{disposition("name=\"file\"; filename=\"a.txt\""), "content"}},
                         "This is a preamble. --b0undary is not a boundary here.\r\nStill preamble\r\n",
                         "\r\nepilogue with\r\n--b0undary\r\n fake boundaries --b0undary--\r\n");
  check_every_split(b, body, expect_parts({{headers("file", "a.txt"), "content"}}));
}

TEST_CASE("a leading CRLF before the first boundary is preamble") {
  const std::string b = "b";
  check_every_split(b, "\r\n" + form(b, {{disposition("name=\"f\""), "1"}}), expect_parts({{headers("f"), "1"}}));
  check_every_split(b, "\r\n\r\n" + form(b, {{disposition("name=\"f\""), "1"}}), expect_parts({{headers("f"), "1"}}));
}

TEST_CASE("empty parts and an empty form") {
  const std::string b = "b";
  check_every_split(b, form(b, {{disposition("name=\"file\"; filename=\"empty.txt\""), ""}}),
                    expect_parts({{headers("file", "empty.txt"), ""}}));
  check_every_split(b, "--b--", expect_parts({}));
  check_every_split(b, "--b--\r\n", expect_parts({}));
}

TEST_CASE("boundary lines may carry transport padding and the close needs no CRLF") {
  const std::string b = "b";
  const std::string body = "--b \t \r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--b\t\r\n" +
                           disposition("name=\"g\"") + "\r\ny\r\n--b--";
  check_every_split(b, body, expect_parts({{headers("f"), "x"}, {headers("g"), "y"}}));
}

TEST_CASE("a body cut anywhere before the closing boundary is truncated") {
  const std::string b = "XyZ";
  const auto body = form(b, {{disposition("name=\"title\""), "t"}, {disposition("name=\"file\"; filename=\"f\""), "data\r\n"}},
                         "pre\r\n", "");
  const auto close_end = body.size();  // ends right after "--XyZ--"
  for (std::size_t cut = 0; cut < close_end; ++cut) {
    INFO("cut at " << cut);
    const auto prefix = body.substr(0, cut);
    const auto a = run(b, whole(prefix));
    REQUIRE(a.failure);
    CHECK(a.failure->message == "multipart body truncated");
    CHECK_FALSE(a.done);
    const auto c = run(b, bytewise(prefix));
    REQUIRE(c.failure);
    CHECK(c.failure->message == "multipart body truncated");
  }
  CHECK(run(b, whole(body)).done);
  CHECK(run(b, bytewise(body)).done);
  CHECK(run(b, {}).failure->message == "multipart body truncated");
}

TEST_CASE("part header blocks are bounded") {
  const std::string b = "b";
  multipart_limits limits;
  limits.header_block_max = 100;
  const auto base = disposition("name=\"f\"");  // plus the blank line: base.size() + 2 bytes
  const auto pad = [&](std::size_t block) {
    return base + "X-Pad: " + std::string(block - base.size() - 2 - 9, 'p') + "\r\n";
  };
  const auto at_limit = form(b, {{pad(100), "x"}});
  for (const auto& chunks : {whole(at_limit), bytewise(at_limit)}) {
    const auto got = run(b, chunks, limits);
    REQUIRE(got.done);
    CHECK(got.parts.size() == 1);
  }
  CHECK(failure_of(b, form(b, {{pad(101), "x"}}), limits) == "multipart part headers too large");
  // Unterminated header garbage stops at the limit instead of growing.
  CHECK(failure_of(b, "--b\r\n" + std::string(500, 'h'), limits) == "multipart part headers too large");
  // The default is 8 KiB.
  const auto big = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nX: " + std::string(8200, 'v') + "\r\n\r\nx\r\n--b--";
  CHECK(failure_of(b, big) == "multipart part headers too large");
}

TEST_CASE("the number of parts is bounded") {
  const std::string b = "b";
  multipart_limits limits;
  limits.max_parts = 2;
  const auto two = form(b, {{disposition("name=\"a\""), "1"}, {disposition("name=\"b\""), "2"}});
  CHECK(run(b, whole(two), limits).done);
  const auto three = form(b, {{disposition("name=\"a\""), "1"}, {disposition("name=\"b\""), "2"}, {disposition("name=\"c\""), "3"}});
  CHECK(failure_of(b, three, limits) == "too many multipart parts");
}

TEST_CASE("malformed boundary lines and part headers are refused") {
  const std::string b = "b";
  const auto cd = disposition("name=\"f\"");
  CHECK(failure_of(b, "--bx\r\n" + cd + "\r\nx\r\n--b--") == "malformed multipart boundary line");
  CHECK(failure_of(b, "--b\n" + cd + "\r\nx\r\n--b--") == "malformed multipart boundary line");
  CHECK(failure_of(b, "--b-x") == "malformed multipart boundary line");
  CHECK(failure_of(b, "--b \tx\r\n") == "malformed multipart boundary line");
  CHECK(failure_of(b, "--b" + std::string(300, ' ') + "\r\n" + cd + "\r\nx\r\n--b--") == "malformed multipart boundary line");
  CHECK(failure_of(b, form(b, {{cd, "data\r\n--bogus"}})) == "malformed multipart boundary line");
  CHECK(failure_of(b, form(b, {{"", "x"}})) == "multipart part has no Content-Disposition");
  CHECK(failure_of(b, form(b, {{"Content-Type: text/plain\r\n", "x"}})) == "multipart part has no Content-Disposition");
  CHECK(failure_of(b, form(b, {{"Content-Disposition: attachment; name=\"f\"\r\n", "x"}})) ==
        "multipart part is not form-data");
  CHECK(failure_of(b, form(b, {{"Content-Disposition: form-data\r\n", "x"}})) == "multipart part has no name");
  CHECK(failure_of(b, form(b, {{"Content-Disposition: form-data; filename=\"a\"\r\n", "x"}})) ==
        "multipart part has no name");
  CHECK(failure_of(b, form(b, {{cd + cd, "x"}})) == "multipart part has more than one content-disposition header");
  CHECK(failure_of(b, form(b, {{cd + "Content-Type: a/b\r\ncontent-type: c/d\r\n", "x"}})) ==
        "multipart part has more than one content-type header");
  for (const char* bad_params : {"name=\"f\"; name=\"g\"", "name=\"f", "name=", "name", "name=\"f\" junk",
                                 "name=\"f\"; filename=\"a\"; FILENAME=\"b\"", "name=a b"}) {
    INFO(bad_params);
    CHECK(failure_of(b, form(b, {{disposition(bad_params), "x"}})) == "malformed multipart Content-Disposition");
  }
  for (const std::string& bad_line : {"No colon here\r\n"s, ": empty name\r\n"s, "Bad Name: x\r\n"s,
                                     "X: bare\nLF\r\n"s, "X: bare\rCR\r\n"s, "X: nul\0\r\n"s,
                                     "X: del\x7F\r\n"s}) {
    INFO(bad_line);
    CHECK(failure_of(b, form(b, {{cd + bad_line, "x"}})) == "malformed multipart part header");
  }
  CHECK(failure_of(b, form(b, {{" folded first\r\n" + cd, "x"}})) == "malformed multipart part header");
}

TEST_CASE("Content-Disposition parameters are read like browsers send them") {
  const std::string b = "b";
  const auto first_part = [&](const std::string& header_lines) {
    const auto got = run(b, whole(form(b, {{header_lines, "x"}})));
    REQUIRE(got.done);
    REQUIRE(got.parts.size() == 1);
    return got.parts[0].headers;
  };
  CHECK(first_part(disposition("name=\"file\"; filename=\"cv.pdf\"")) == headers("file", "cv.pdf"));
  CHECK(first_part(disposition("name=file; filename=cv.pdf")) == headers("file", "cv.pdf"));
  CHECK(first_part("CONTENT-DISPOSITION: Form-Data; NAME=\"file\"; FileName=\"cv.pdf\"\r\ncontent-TYPE:  text/plain ; charset=utf-8 \r\n") ==
        headers("file", "cv.pdf", "text/plain ; charset=utf-8"));
  CHECK(first_part("Content-Disposition:form-data;name=\"f\";filename=\"a\";\r\n") == headers("f", "a"));
  CHECK(first_part(disposition("name=\"\"")) == headers(""));
  CHECK(first_part(disposition("name=\"file\"; filename=\"\"")) == headers("file", ""));
  // Raw UTF-8, as browsers send it; escapes for quote and backslash; other backslashes kept.
  CHECK(first_part(disposition("name=\"file\"; filename=\"résumé.pdf\"")) == headers("file", "résumé.pdf"));
  CHECK(first_part(disposition("name=\"file\"; filename=\"a\\\"b\\\\c.txt\"")) == headers("file", "a\"b\\c.txt"));
  const auto ie = first_part(disposition("name=\"file\"; filename=\"C:\\Users\\ana\\cv.pdf\""));
  CHECK(ie.filename == "C:\\Users\\ana\\cv.pdf");
  CHECK(client_file_name(*ie.filename) == "cv.pdf");
  CHECK(first_part(disposition("name=\"a;b=c\"; filename=\"x; y=\\\"z\\\".txt\"")) == headers("a;b=c", "x; y=\"z\".txt"));
  // Obsolete line folding is unfolded.
  CHECK(first_part("Content-Disposition: form-data;\r\n name=\"f\"\r\n") == headers("f"));
  // Unknown headers are ignored.
  CHECK(first_part(disposition("name=\"f\"") + "Content-Transfer-Encoding: binary\r\nX-Other: 1\r\n") == headers("f"));
}

TEST_CASE("filename star is decoded and preferred when valid") {
  const std::string b = "b";
  const auto filename_of = [&](const std::string& params) {
    const auto got = run(b, whole(form(b, {{disposition("name=\"file\"; " + params), "x"}})));
    REQUIRE(got.done);
    return got.parts.at(0).headers.filename;
  };
  CHECK(filename_of("filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf") == "résumé.pdf");
  CHECK(filename_of("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf; filename=\"resume.pdf\"") == "résumé.pdf");
  CHECK(filename_of("filename*=utf-8'en'%E2%82%AC%20rates.txt") == "€ rates.txt");
  CHECK(filename_of("filename*=ISO-8859-1''r%E9sum%E9.pdf") == "résumé.pdf");
  CHECK(filename_of("filename*=UTF-8''plain.txt") == "plain.txt");
  // Invalid: fall back to filename=, or none.
  CHECK(filename_of("filename=\"fallback.pdf\"; filename*=UTF-8''%FF%FE") == "fallback.pdf");
  CHECK(filename_of("filename=\"fallback.pdf\"; filename*=UTF-8''%ZZ") == "fallback.pdf");
  CHECK(filename_of("filename=\"fallback.pdf\"; filename*=UTF-8''%A") == "fallback.pdf");
  CHECK(filename_of("filename=\"fallback.pdf\"; filename*=KOI8-R''%C1") == "fallback.pdf");
  CHECK(filename_of("filename=\"fallback.pdf\"; filename*=no-quotes") == "fallback.pdf");
  CHECK(filename_of("filename*=UTF-8''%ED%A0%80") == std::nullopt);
}

TEST_CASE("the boundary comes from the request Content-Type") {
  CHECK(multipart_boundary("multipart/form-data; boundary=abc").value() == "abc");
  CHECK(multipart_boundary("multipart/form-data;boundary=abc").value() == "abc");
  CHECK(multipart_boundary("Multipart/Form-Data; BOUNDARY=AbC").value() == "AbC");
  CHECK(multipart_boundary("multipart/form-data; charset=utf-8; boundary=\"a b:c/d=e?\"").value() == "a b:c/d=e?");
  CHECK(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW").value() ==
        "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'x')).value() == std::string(70, 'x'));

  const auto code_of = [](std::string_view ct) {
    auto r = multipart_boundary(ct);
    REQUIRE_FALSE(r);
    return r.error().code;
  };
  CHECK(code_of("application/json") == errc::unsupported_media_type);
  CHECK(code_of("multipart/mixed; boundary=x") == errc::unsupported_media_type);
  CHECK(code_of("") == errc::unsupported_media_type);
  CHECK(code_of("multipart/form-data") == errc::bad_request);
  CHECK(multipart_boundary("multipart/form-data").error().message == "multipart boundary missing");
  CHECK(code_of("multipart/form-data; charset=utf-8") == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary=") == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary=\"\"") == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary=" + std::string(71, 'x')) == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary=\"abc \"") == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary=\"a\rb\"") == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary=\"a\xC3\xA9\"") == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary") == errc::bad_request);
  CHECK(code_of("multipart/form-data; boundary=a; boundary=b") == errc::bad_request);
}

TEST_CASE("a parser with an invalid boundary fails at once") {
  for (std::string_view bad : {std::string_view(""), std::string_view("a\r\nb"), std::string_view("x ")}) {
    multipart_parser parser(bad);
    parser.feed("--\r\n");
    CHECK(parser.next() == event::failed);
    CHECK(parser.failure().message == "invalid multipart boundary");
  }
  multipart_parser parser(std::string(71, 'b'));
  CHECK(parser.next() == event::failed);
}

TEST_CASE("feeding out of turn is a bug") {
  const std::string body = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nxyz\r\n--b--";
  multipart_parser parser("b");
  parser.feed(body);
  CHECK(parser.next() == event::part_begin);
  CHECK_THROWS_AS(parser.feed("more"), std::logic_error);
  CHECK(parser.next() == event::data);
  CHECK(parser.data() == "xyz");
  CHECK(parser.next() == event::part_end);
  CHECK(parser.next() == event::done);
  CHECK(parser.parts() == 1);
  parser.feed("epilogue");  // fine: ignored
  CHECK(parser.next() == event::done);
  parser.finish();
  CHECK_THROWS_AS(parser.feed("x"), std::logic_error);
}

TEST_CASE("the parser waits for more input until finish") {
  multipart_parser parser("b");
  CHECK(parser.next() == event::need_more);
  parser.feed("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nab");
  CHECK(parser.next() == event::part_begin);
  CHECK(parser.part().name == "f");
  CHECK(parser.next() == event::data);
  CHECK(parser.data() == "ab");
  CHECK(parser.next() == event::need_more);
  parser.feed("c\r\n--");  // "\r\n--" may start the delimiter: held back
  CHECK(parser.next() == event::data);
  CHECK(parser.data() == "c");
  CHECK(parser.next() == event::need_more);
  parser.feed("x");  // it did not: the held bytes are data
  CHECK(parser.next() == event::data);
  CHECK(parser.data() == "\r\n--");
  CHECK(parser.next() == event::data);
  CHECK(parser.data() == "x");
  CHECK(parser.next() == event::need_more);
  parser.finish();
  CHECK(parser.next() == event::failed);
  CHECK(parser.failure().code == errc::bad_request);
  CHECK(parser.failure().message == "multipart body truncated");
}
