#pragma once
// Where a file's bytes live in the bucket. Keys are generated from ids, never from a name a
// user chose: "u/{owner}/{file_id}" (DESIGN.md "Data"). The api streams large bodies there,
// the `upload` command names it, and the worker refuses a command naming any other key (it
// could touch another user's object). This is the rule's only home.

#include <string>

#include "domain/uuid.hpp"

namespace kemas::model {

std::string object_key_for(const uuid& owner, const uuid& file_id);

// "u/<owner>/": what every key of the owner's objects starts with.
std::string object_key_prefix(const uuid& owner);

}  // namespace kemas::model
