#pragma once
// Commands name a file by its id or by its name; this finds the file either way.

#include <boost/json/object.hpp>

#include <filesystem>
#include <string>
#include <variant>

#include "api_client.hpp"

namespace kemas::cli {

// The file (the API's File object), or the failed answer to report.
std::variant<boost::json::object, api_response> find_file(api_client& api,
                                                          const std::string& id_or_name);

std::string url_encode(const std::string& text);

// SHA-256 (hex) of a local file, read in 1 MiB pieces: what the server's sha256 is compared to.
std::string sha256_of_file(const std::filesystem::path& path);

}  // namespace kemas::cli
