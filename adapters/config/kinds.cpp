#include "adapters/config/kinds.hpp"

#include <charconv>

#include <fmt/format.h>

#include "adapters/config/text.hpp"
#include "adapters/config/units.hpp"

namespace kemas::config::detail {
namespace {

template <class T>
parsed<T> ok(T value) {
  return {std::move(value), {}};
}

template <class T>
parsed<T> fail(std::string message) {
  return {std::nullopt, std::move(message)};
}

std::string expected(std::string_view what, const toml::node& node) {
  return fmt::format("expected {}, got {}", what, type_name(node));
}

std::string got_text(std::string_view text) {
  return fmt::format("\"{}\"", text);
}

// Kinds written as TOML strings read the node's text the way they read environment text.
template <class Kind>
auto from_string_node(const Kind& kind, const toml::node& node) {
  using value = typename decltype(kind.from_text({}).value)::value_type;
  if (const auto* text = node.as_string())
    return kind.from_text(text->get());
  return fail<value>(expected("a string", node));
}

constexpr std::string_view duration_help =
    "a duration like \"250ms\", \"10s\", \"5m\", \"2h\", \"7d\"";
constexpr std::string_view size_help = "a size like 65536, \"256KiB\", \"8MiB\", \"1GiB\"";

}  // namespace

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string quote_if_needed(std::string_view text) {
  if (!text.empty() && text.find_first_of(" \t\"'=,") == std::string_view::npos)
    return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// --- integers ---------------------------------------------------------------------------

parsed<std::int64_t> integer_kind::from_toml(const toml::node& node) const {
  const auto* integer = node.as_integer();
  if (integer == nullptr)
    return fail<std::int64_t>(expected("an integer", node));
  auto value = integer->get();
  if (value < min || value > max)
    return fail<std::int64_t>(fmt::format("must be between {} and {}, got {}", min, max, value));
  return ok(value);
}

parsed<std::int64_t> integer_kind::from_text(std::string_view text) const {
  auto digits = trim(text);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size())
    return fail<std::int64_t>("expected an integer, got " + got_text(text));
  if (value < min || value > max)
    return fail<std::int64_t>(fmt::format("must be between {} and {}, got {}", min, max, value));
  return ok(value);
}

std::string integer_kind::show(std::int64_t value) const {
  return std::to_string(value);
}

// --- sizes ------------------------------------------------------------------------------

parsed<std::uint64_t> size_kind::from_toml(const toml::node& node) const {
  if (const auto* integer = node.as_integer()) {
    if (integer->get() < 0)
      return fail<std::uint64_t>(fmt::format("must not be negative, got {}", integer->get()));
    return from_text(std::to_string(integer->get()));
  }
  if (const auto* text = node.as_string())
    return from_text(text->get());
  return fail<std::uint64_t>(expected(size_help, node));
}

parsed<std::uint64_t> size_kind::from_text(std::string_view text) const {
  auto value = parse_size(trim(text));
  if (!value)
    return fail<std::uint64_t>(fmt::format("expected {}, got {}", size_help, got_text(text)));
  if (*value < min || *value > max)
    return fail<std::uint64_t>(fmt::format("must be between {} and {}, got {}", format_size(min),
                                           format_size(max), format_size(*value)));
  return ok(*value);
}

std::string size_kind::show(std::uint64_t value) const {
  return format_size(value);
}

// --- durations --------------------------------------------------------------------------

parsed<std::chrono::milliseconds> duration_kind::from_toml(const toml::node& node) const {
  if (const auto* text = node.as_string())
    return from_text(text->get());
  if (node.is_integer())
    return fail<std::chrono::milliseconds>(fmt::format("durations need a unit: expected {}, got {}",
                                                       duration_help, node.as_integer()->get()));
  return fail<std::chrono::milliseconds>(expected(duration_help, node));
}

parsed<std::chrono::milliseconds> duration_kind::from_text(std::string_view text) const {
  auto value = parse_duration(trim(text));
  if (!value)
    return fail<std::chrono::milliseconds>(
        fmt::format("expected {}, got {}", duration_help, got_text(text)));
  if (*value < min || *value > max)
    return fail<std::chrono::milliseconds>(fmt::format("must be between {} and {}, got {}",
                                                       format_duration(min), format_duration(max),
                                                       format_duration(*value)));
  return ok(*value);
}

std::string duration_kind::show(std::chrono::milliseconds value) const {
  return format_duration(value);
}

namespace {
parsed<std::chrono::seconds> whole_seconds(parsed<std::chrono::milliseconds> read) {
  if (!read.value)
    return fail<std::chrono::seconds>(std::move(read.error));
  if (read.value->count() % 1000 != 0)
    return fail<std::chrono::seconds>("must be a whole number of seconds, got " +
                                      format_duration(*read.value));
  return ok(std::chrono::duration_cast<std::chrono::seconds>(*read.value));
}
}  // namespace

parsed<std::chrono::seconds> seconds_kind::from_toml(const toml::node& node) const {
  return whole_seconds(duration_kind{min, max}.from_toml(node));
}

parsed<std::chrono::seconds> seconds_kind::from_text(std::string_view text) const {
  return whole_seconds(duration_kind{min, max}.from_text(text));
}

std::string seconds_kind::show(std::chrono::seconds value) const {
  return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(value));
}

// --- booleans ---------------------------------------------------------------------------

parsed<bool> bool_kind::from_toml(const toml::node& node) const {
  const auto* boolean = node.as_boolean();
  if (boolean == nullptr)
    return fail<bool>(expected("true or false", node));
  return ok(boolean->get());
}

parsed<bool> bool_kind::from_text(std::string_view text) const {
  auto word = to_lower(trim(text));
  if (word == "true" || word == "1" || word == "yes" || word == "on")
    return ok(true);
  if (word == "false" || word == "0" || word == "no" || word == "off")
    return ok(false);
  return fail<bool>("expected true or false, got " + got_text(text));
}

std::string bool_kind::show(bool value) const {
  return value ? "true" : "false";
}

// --- strings ----------------------------------------------------------------------------

parsed<std::string> string_kind::from_toml(const toml::node& node) const {
  return from_string_node(*this, node);
}

parsed<std::string> string_kind::from_text(std::string_view text) const {
  std::string value(text);
  if (value.empty()) {
    if (allow_empty)
      return ok(std::move(value));
    return fail<std::string>("must not be empty");
  }
  if (check != nullptr) {
    if (auto problem = check(value); !problem.empty())
      return fail<std::string>(std::move(problem));
  }
  return ok(std::move(value));
}

std::string string_kind::show(const std::string& value) const {
  return quote_if_needed(value);
}

parsed<std::vector<std::string>> list_kind::from_toml(const toml::node& node) const {
  using list = std::vector<std::string>;
  const auto* array = node.as_array();
  if (array == nullptr)
    return fail<list>(expected("an array of strings", node));
  list values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* text = (*array)[i].as_string();
    if (text == nullptr)
      return fail<list>(
          fmt::format("expected an array of strings, element {} is {}", i, type_name((*array)[i])));
    std::string value(text->get());
    if (value.empty())
      return fail<list>(fmt::format("element {} must not be empty", i));
    if (check != nullptr) {
      if (auto problem = check(value); !problem.empty())
        return fail<list>(fmt::format("element {}: {}", i, problem));
    }
    values.push_back(std::move(value));
  }
  return ok(std::move(values));
}

parsed<std::vector<std::string>> list_kind::from_text(std::string_view text) const {
  using list = std::vector<std::string>;
  list values;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty())
      continue;
    std::string value(item);
    if (check != nullptr) {
      if (auto problem = check(value); !problem.empty())
        return fail<list>(std::move(problem));
    }
    values.push_back(std::move(value));
  }
  return ok(std::move(values));
}

std::string list_kind::show(const std::vector<std::string>& value) const {
  std::string out = "[";
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (i != 0)
      out += ",";
    out += quote_if_needed(value[i]);
  }
  return out + "]";
}

// --- choices ----------------------------------------------------------------------------

parsed<std::string> choice_kind::from_toml(const toml::node& node) const {
  return from_string_node(*this, node);
}

parsed<std::string> choice_kind::from_text(std::string_view text) const {
  auto word = to_lower(trim(text));
  for (auto [alias, canonical] : aliases) {
    if (word == alias)
      return ok(std::string(canonical));
  }
  for (auto name : allowed) {
    if (word == name)
      return ok(std::move(word));
  }
  return fail<std::string>(
      fmt::format("must be one of {}, got {}", fmt::join(allowed, ", "), got_text(text)));
}

std::string choice_kind::show(const std::string& value) const {
  return value;
}

parsed<environment> environment_kind::from_toml(const toml::node& node) const {
  return from_string_node(*this, node);
}

parsed<environment> environment_kind::from_text(std::string_view text) const {
  auto word = to_lower(trim(text));
  if (word == "development")
    return ok(environment::development);
  if (word == "production")
    return ok(environment::production);
  return fail<environment>("must be development or production, got " + got_text(text));
}

std::string environment_kind::show(environment value) const {
  return value == environment::development ? "development" : "production";
}

}  // namespace kemas::config::detail
