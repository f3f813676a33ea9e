#include "file_lookup.hpp"

#include "adapters/crypto/sha256_stream.hpp"

#include <cctype>
#include <fstream>
#include <vector>
#include <regex>

namespace kemas::cli {

std::string sha256_of_file(const std::filesystem::path& path) {
  crypto::sha256_stream hash;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  return hash.finish_hex();
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::variant<boost::json::object, api_response> find_file(api_client& api,
                                                          const std::string& id_or_name) {
  static const std::regex uuid("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  if (std::regex_match(id_or_name, uuid)) {
    auto answer = api.call("GET", "/api/v1/auth/files/" + id_or_name);
    if (!answer.ok())
      return answer;
    return answer.json().as_object();
  }
  // By name: names are unique per user, and the list by name starts at the prefix.
  std::string cursor;
  do {
    std::string path = "/api/v1/auth/files/list?sort=name&limit=100&prefix=" + url_encode(id_or_name);
    if (!cursor.empty())
      path += "&cursor=" + url_encode(cursor);
    auto answer = api.call("GET", path);
    if (!answer.ok())
      return answer;
    const auto page = answer.json().as_object();
    for (const auto& f : page.at("files").as_array()) {
      if (f.as_object().at("name").as_string() == id_or_name)
        return f.as_object();
    }
    const auto& next = page.at("next_cursor");
    cursor = next.is_string() ? std::string(next.as_string()) : std::string();
  } while (!cursor.empty());
  api_response missing;
  missing.status = 404;
  missing.body = R"({"error":{"code":"not_found","message":"no file of yours has that name"}})";
  return missing;
}

}  // namespace kemas::cli
