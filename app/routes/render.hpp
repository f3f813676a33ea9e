#pragma once
// JSON views of stored records. Secrets (password hashes, key hashes) are never rendered.

#include <boost/json/object.hpp>

#include "domain/model/api_key.hpp"
#include "domain/model/user.hpp"

namespace kemas::http {

boost::json::object user_json(const model::user& user);
boost::json::object api_key_json(const model::api_key& key);

}  // namespace kemas::http
