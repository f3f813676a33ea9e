#include "app/routes/json_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>

namespace kemas::http {
namespace {
error bad_field(std::string_view name, std::string message) {
  return make_error(errc::validation_failed, std::move(message), std::string(name));
}
bool is_json(std::optional<std::string_view> content_type) {
  if (!content_type)
    return false;
  const auto base = content_type->substr(0, content_type->find(';'));
  return base == "application/json" || base.ends_with("+json");
}
}  // namespace

boost::asio::awaitable<result<boost::json::object>> read_json_object(request_context& ctx) {
  if (!is_json(ctx.header("Content-Type"))) {
    co_return make_error(errc::unsupported_media_type, "Content-Type must be application/json");
  }
  auto text = co_await ctx.read_body();
  if (!text)
    co_return text.error();
  boost::json::parse_options options;
  options.max_depth = json_max_depth;
  boost::system::error_code ec;
  auto value = boost::json::parse(*text, ec, {}, options);
  if (ec)
    co_return make_error(errc::bad_request, "body is not valid JSON: " + ec.message());
  if (!value.is_object())
    co_return make_error(errc::bad_request, "body must be a JSON object");
  co_return std::move(value.as_object());
}

result<std::string> string_field(const boost::json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  if (v == nullptr || v->is_null())
    return bad_field(name, std::string(name) + " is required");
  if (!v->is_string())
    return bad_field(name, std::string(name) + " must be a string");
  return std::string(v->as_string());
}

result<std::optional<std::string>> optional_string_field(const boost::json::object& body,
                                                         std::string_view name) {
  const auto* v = body.if_contains(name);
  if (v == nullptr || v->is_null())
    return std::optional<std::string>{};
  if (!v->is_string())
    return bad_field(name, std::string(name) + " must be a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

result<std::optional<bool>> optional_bool_field(const boost::json::object& body,
                                                std::string_view name) {
  const auto* v = body.if_contains(name);
  if (v == nullptr || v->is_null())
    return std::optional<bool>{};
  if (!v->is_bool())
    return bad_field(name, std::string(name) + " must be true or false");
  return std::optional<bool>(v->as_bool());
}

result<std::optional<std::int64_t>> optional_int_field(const boost::json::object& body,
                                                       std::string_view name) {
  const auto* v = body.if_contains(name);
  if (v == nullptr || v->is_null())
    return std::optional<std::int64_t>{};
  if (v->is_int64())
    return std::optional<std::int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()));
  }
  return bad_field(name, std::string(name) + " must be an integer");
}

json_fields::json_fields(result<boost::json::object> body) {
  if (body)
    body_ = std::move(*body);
  else
    problem_ = std::move(body.error());
}

template <class T>
T json_fields::keep(result<T> read) {
  if (read)
    return std::move(*read);
  if (!problem_)
    problem_ = std::move(read.error());
  return T{};
}

std::string json_fields::text(std::string_view name) {
  return keep(string_field(body_, name));
}

std::optional<std::string> json_fields::optional_text(std::string_view name) {
  return keep(optional_string_field(body_, name));
}

std::optional<bool> json_fields::optional_flag(std::string_view name) {
  return keep(optional_bool_field(body_, name));
}

std::optional<std::int64_t> json_fields::optional_integer(std::string_view name) {
  return keep(optional_int_field(body_, name));
}

std::vector<std::string> json_fields::texts(std::string_view name) {
  const auto* listed = body_.if_contains(name);
  std::vector<std::string> out;
  bool ok = listed != nullptr && listed->is_array();
  if (ok) {
    for (const auto& item : listed->as_array()) {
      ok = ok && item.is_string();
      if (ok)
        out.emplace_back(item.as_string());
    }
  }
  if (!ok)
    return keep(result<std::vector<std::string>>(
        bad_field(name, std::string(name) + " must be an array of strings")));
  return out;
}

response json_response(unsigned status, const boost::json::value& body) {
  return response::json(status, boost::json::serialize(body));
}

}  // namespace kemas::http
