#pragma once
// Reading and writing JSON for route handlers: a request body becomes a JSON object within
// http.body_limit and a fixed nesting depth; fields are read with errors that name them.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "app/server/http_types.hpp"

namespace kemas::http {

inline constexpr std::size_t json_max_depth = 16;

// Requires Content-Type application/json (415 otherwise) and an object at the top (400).
boost::asio::awaitable<result<boost::json::object>> read_json_object(request_context& ctx);

// A required string field; validation_failed naming the field when absent or not a string.
result<std::string> string_field(const boost::json::object& body, std::string_view name);
// An optional string field: nullopt when absent or null; an error when of another type.
result<std::optional<std::string>> optional_string_field(const boost::json::object& body,
                                                         std::string_view name);
result<std::optional<bool>> optional_bool_field(const boost::json::object& body,
                                                std::string_view name);
result<std::optional<std::int64_t>> optional_int_field(const boost::json::object& body,
                                                       std::string_view name);

response json_response(unsigned status, const boost::json::value& body);

}  // namespace kemas::http
