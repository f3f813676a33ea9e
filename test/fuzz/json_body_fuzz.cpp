// JSON request bodies as every route reads them (app/routes/json_body.hpp: the size and depth
// limits, an object at the top) and the fields routes take from them, through the domain's
// validators. Input: the body. Invariants: a body read as an object is within the nesting
// limit; once the body is read, every field either reads or names itself in the error.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "app/routes/json_body.hpp"
#include "domain/account.hpp"
#include "domain/file_name.hpp"
#include "domain/scope.hpp"

namespace {

namespace http = kemas::http;

// The scaffolding is left out of coverage: it is not what is fuzzed.
#define KEMAS_NO_COVERAGE __attribute__((no_sanitize("coverage")))

// Hands the whole body over in one chunk, then the end.
struct whole_body final : http::body_reader {
  explicit whole_body(std::string_view bytes) : bytes_(bytes) {}
  KEMAS_NO_COVERAGE boost::asio::awaitable<kemas::result<std::string_view>> next_chunk(
      std::uint64_t limit) override {
    if (bytes_.size() > limit)
      co_return kemas::make_error(kemas::errc::payload_too_large, "too large");
    co_return std::exchange(bytes_, std::string_view{});
  }
  bool complete() const noexcept override { return bytes_.empty(); }
  std::string_view bytes_;
};

std::size_t depth_of(const boost::json::value& v) {
  std::size_t deepest = 0;
  if (const auto* o = v.if_object()) {
    for (const auto& [key, child] : *o)
      deepest = std::max(deepest, depth_of(child));
    return deepest + 1;
  }
  if (const auto* a = v.if_array()) {
    for (const auto& child : *a)
      deepest = std::max(deepest, depth_of(child));
    return deepest + 1;
  }
  return 0;
}

// A field that cannot be read is named (a body that could not be read at all is not a field).
void check_named(const http::json_fields& read, bool body_read) {
  if (body_read && read.failed() && read.problem().field.empty())
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  whole_body body(bytes);
  std::vector<http::header_field> headers{{"Content-Type", "application/json"},
                                          {"Content-Length", std::to_string(size)}};
  http::request_context ctx(http::method::post, "POST", "/fuzz", headers, "fuzz", "192.0.2.1",
                            body);
  ctx.set_body_limit(64 * 1024);
  boost::asio::io_context io;
  kemas::result<boost::json::object> object = kemas::make_error(kemas::errc::internal, "unread");
  boost::asio::co_spawn(io, http::read_json_object(ctx),
                        [&](std::exception_ptr error, kemas::result<boost::json::object> r) {
                          if (error)
                            std::abort();
                          object = std::move(r);
                        });
  io.run();
  if (object && depth_of(*object) > http::json_max_depth + 1)
    std::abort();

  // What register, login, password change, API keys, rename and plan changes read.
  http::json_fields account(object);
  const auto email = account.text("email");
  const auto username = account.optional_text("username");
  const auto password = account.text("password");
  (void)account.optional_flag("cookies");
  check_named(account, object.has_value());
  if (!account.failed()) {
    (void)kemas::validate_email(email);
    (void)kemas::validate_password(password);
    if (username)
      (void)kemas::validate_username(*username);
  }
  http::json_fields key(object);
  const auto scopes = key.texts("scopes");
  (void)key.optional_integer("expires_in_days");
  (void)key.optional_text("name");
  check_named(key, object.has_value());
  for (const auto& s : scopes)
    (void)kemas::parse_scope(s);
  http::json_fields rename(object);
  const auto name = rename.text("name");
  check_named(rename, object.has_value());
  if (!rename.failed())
    (void)kemas::validate_file_name(name);
  http::json_fields plan(object);
  (void)plan.optional_integer("quota_bytes");
  (void)plan.optional_integer("duration_seconds");
  (void)plan.optional_text("currency");
  (void)plan.optional_flag("public");
  check_named(plan, object.has_value());
  return 0;
}
