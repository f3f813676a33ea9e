#pragma once
// JSON views of stored records. Secrets (password hashes, key hashes) are never rendered.

#include <boost/json/object.hpp>

#include "adapters/postgres/repositories/api_key_repository.hpp"
#include "adapters/postgres/repositories/user_repository.hpp"

namespace kemas::http {

boost::json::object user_json(const postgres::user_record& user);
boost::json::object api_key_json(const postgres::api_key_record& key);

}  // namespace kemas::http
