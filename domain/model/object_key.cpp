#include "domain/model/object_key.hpp"

namespace kemas::model {

std::string object_key_prefix(const uuid& owner) {
  return "u/" + owner.to_string() + "/";
}

std::string object_key_for(const uuid& owner, const uuid& file_id) {
  return object_key_prefix(owner) + file_id.to_string();
}

}  // namespace kemas::model
