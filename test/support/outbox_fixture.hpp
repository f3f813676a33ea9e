#pragma once
// Test helpers for the accounts tables and the outbox: a scratch database with the project's
// migrations applied, the outbox's events as JSON, and a checker for the subset of JSON
// Schema our schemas/ files use (type, required, properties, additionalProperties: false,
// enum, const, pattern, minLength, maxLength), so tests can hold produced documents
// against schemas/events/event.schema.json without a schema library.

#include "adapters/config/settings.hpp"
#include "test/support/pg_fixture.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace soci {
class session;
}

namespace kemas::test {

// A scratch_database (pg_fixture.hpp) migrated to the project's schemas/migrations.
// Throws std::runtime_error when a migration fails.
class migrated_database {
 public:
  explicit migrated_database(std::string_view tag);
  const std::string& name() const noexcept { return db_.name(); }
  config::postgres_settings settings() const { return db_.settings(); }

 private:
  scratch_database db_;
};

// Every outbox row's event, in insertion (id) order.
std::vector<boost::json::object> outbox_events(soci::session& sql);

// A JSON file of the source tree ("schemas/events/event.schema.json"), parsed.
boost::json::value load_source_json(const std::string& relative_path);

// What is wrong with `document` under `schema`, one line per problem naming its path
// ("$.actor.user_id: ..."); empty when it conforms. Keywords outside the subset above are
// ignored (format, description, ...).
std::vector<std::string> schema_problems(const boost::json::value& schema,
                                         const boost::json::value& document);

// schema_problems against schemas/events/event.schema.json, joined with newlines.
std::string event_schema_problems(const boost::json::value& event);

}  // namespace kemas::test
