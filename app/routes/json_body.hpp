#pragma once
// Reading and writing JSON for route handlers: a request body becomes a JSON object within
// http.body_limit and a fixed nesting depth; fields are read with errors that name them.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include "app/server/http_types.hpp"

namespace kemas::http {

inline constexpr std::size_t json_max_depth = 16;

// Requires Content-Type application/json (415 otherwise) and an object at the top (400).
boost::asio::awaitable<result<boost::json::object>> read_json_object(request_context& ctx);

// Reads the fields of a request body one after another and remembers the first problem (a
// body that could not be read is the first), so a handler reads every field and checks once:
//   auto body = co_await read_json_object(ctx);  // named: GCC 12 and co_await temporaries
//   json_fields read(std::move(body));
//   auto email = read.text("email");
//   auto days = read.optional_integer("expires_in_days");
//   if (read.failed()) co_return read.problem();
// After a problem, the values read are empty or default: use them only when !failed().
class json_fields {
 public:
  explicit json_fields(result<boost::json::object> body);

  std::string text(std::string_view name);  // required
  std::optional<std::string> optional_text(std::string_view name);
  std::optional<bool> optional_flag(std::string_view name);
  std::optional<std::int64_t> optional_integer(std::string_view name);
  // A required array of strings.
  std::vector<std::string> texts(std::string_view name);

  bool failed() const noexcept { return problem_.has_value(); }
  // The first problem: validation_failed naming the field.
  const error& problem() const { return *problem_; }

 private:
  template <class T>
  T keep(result<T> read);

  boost::json::object body_;
  std::optional<error> problem_;
};

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

// {"<name>": [render(row), ...], "next_cursor": "..." or null}: the shape of every paged list.
// With `storage` (e.g. a monotonic_resource for the whole answer) every node lives there;
// `render` then takes it as a second argument, so rows are built in place, not copied.
template <class Rows, class Render>
boost::json::object page_json(std::string_view name, const Rows& rows,
                              const std::optional<std::string>& next_cursor, Render render,
                              boost::json::storage_ptr storage = {}) {
  boost::json::array items(storage);
  items.reserve(rows.size());
  for (const auto& row : rows) {
    if constexpr (std::is_invocable_v<Render&, decltype(row), boost::json::storage_ptr>)
      items.push_back(render(row, storage));
    else
      items.push_back(render(row));
  }
  boost::json::object out(storage);
  out.emplace(name, std::move(items));
  out["next_cursor"] = next_cursor ? boost::json::value(*next_cursor, storage)
                                   : boost::json::value(nullptr, storage);
  return out;
}

}  // namespace kemas::http
