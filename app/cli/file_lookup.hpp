#pragma once
// Commands name a file by its id or by its name; this finds the file either way.

#include <boost/json/object.hpp>

#include <string>
#include <variant>

#include "api_client.hpp"

namespace kemas::cli {

// The file (the API's File object), or the failed answer to report.
std::variant<boost::json::object, api_response> find_file(api_client& api,
                                                          const std::string& id_or_name);

std::string url_encode(const std::string& text);

}  // namespace kemas::cli
