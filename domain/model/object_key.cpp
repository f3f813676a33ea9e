#include "domain/model/object_key.hpp"

namespace kemas::model {

std::string object_key_for(const uuid& owner, const uuid& file_id) {
  return "u/" + owner.to_string() + "/" + file_id.to_string();
}

}  // namespace kemas::model
