#include "test/support/outbox_fixture.hpp"

#include "adapters/postgres/migrator.hpp"
#include "adapters/postgres/pool.hpp"

#include <soci/soci.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace kemas::test {
namespace {

std::string json_type_of(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "integer";
    case boost::json::kind::double_:
      return "number";
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::object:
      return "object";
  }
  return "unknown";
}

bool type_matches(const std::string& wanted, const boost::json::value& v) {
  const std::string actual = json_type_of(v);
  return wanted == actual || (wanted == "number" && actual == "integer");
}

// Code points, not bytes, as JSON Schema counts string length.
std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text)
    count += (c & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

void check(const boost::json::object& schema, const boost::json::value& doc,
           const std::string& path, std::vector<std::string>& problems) {
  const auto fail = [&](const std::string& what) { problems.push_back(path + ": " + what); };
  if (const auto* type = schema.if_contains("type")) {
    bool ok = false;
    if (type->is_string()) {
      ok = type_matches(std::string(type->as_string()), doc);
    } else {
      for (const auto& t : type->as_array())
        ok = ok || type_matches(std::string(t.as_string()), doc);
    }
    if (!ok) {
      fail("type " + json_type_of(doc) + " is not " + boost::json::serialize(*type));
      return;
    }
  }
  if (const auto* constant = schema.if_contains("const"); constant && *constant != doc)
    fail(boost::json::serialize(doc) + " is not the constant " + boost::json::serialize(*constant));
  if (const auto* options = schema.if_contains("enum")) {
    bool listed = false;
    for (const auto& option : options->as_array())
      listed = listed || option == doc;
    if (!listed)
      fail(boost::json::serialize(doc) + " is not in the enum");
  }
  if (doc.is_string()) {
    const std::string text(doc.as_string());
    if (const auto* pattern = schema.if_contains("pattern")) {
      if (!std::regex_search(text, std::regex(std::string(pattern->as_string()))))
        fail("\"" + text + "\" does not match " + std::string(pattern->as_string()));
    }
    if (const auto* min = schema.if_contains("minLength");
        min && utf8_length(text) < min->to_number<std::size_t>())
      fail("shorter than minLength");
    if (const auto* max = schema.if_contains("maxLength");
        max && utf8_length(text) > max->to_number<std::size_t>())
      fail("longer than maxLength");
  }
  if (!doc.is_object())
    return;
  const auto& object = doc.as_object();
  if (const auto* required = schema.if_contains("required")) {
    for (const auto& key : required->as_array()) {
      if (!object.contains(key.as_string()))
        fail("required property " + std::string(key.as_string()) + " is missing");
    }
  }
  const auto* properties = schema.if_contains("properties");
  const auto* additional = schema.if_contains("additionalProperties");
  for (const auto& [key, value] : object) {
    const std::string child = path + "." + std::string(key);
    if (properties != nullptr && properties->as_object().contains(key)) {
      check(properties->as_object().at(key).as_object(), value, child, problems);
    } else if (additional != nullptr && additional->is_bool() && !additional->as_bool()) {
      problems.push_back(child + ": property not allowed");
    }
  }
}

}  // namespace

migrated_database::migrated_database(std::string_view tag) : db_(tag) {
  auto settings = db_.settings();
  settings.pool_size = 1;
  postgres::pg_pool pool(settings, "kemas-it-migrate");
  const std::string dir = std::string(KEMAS_SOURCE_DIR) + "/schemas/migrations";
  auto result = pool.with_session([&](soci::session& sql) { return postgres::migrate(sql, dir); });
  if (!result)
    throw std::runtime_error("migrating " + db_.name() + ": " + result.error().message);
}

std::vector<boost::json::object> outbox_events(soci::session& sql) {
  std::vector<boost::json::object> events;
  soci::rowset<std::string> rows = sql.prepare << "SELECT event::text FROM outbox ORDER BY id";
  for (const auto& row : rows)
    events.push_back(boost::json::parse(row).as_object());
  return events;
}

boost::json::value load_source_json(const std::string& relative_path) {
  const std::string path = std::string(KEMAS_SOURCE_DIR) + "/" + relative_path;
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

std::vector<std::string> schema_problems(const boost::json::value& schema,
                                         const boost::json::value& document) {
  std::vector<std::string> problems;
  check(schema.as_object(), document, "$", problems);
  return problems;
}

std::string event_schema_problems(const boost::json::value& event) {
  static const boost::json::value schema = load_source_json("schemas/events/event.schema.json");
  std::string joined;
  for (const auto& problem : schema_problems(schema, event))
    joined += problem + "\n";
  return joined;
}

}  // namespace kemas::test
