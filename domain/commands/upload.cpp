#include "domain/commands/upload.hpp"

#include <algorithm>

#include "domain/base64.hpp"
#include "domain/commands/payload_reader.hpp"
#include "domain/file_name.hpp"
#include "domain/model/object_key.hpp"

namespace kemas::commands {
namespace {

bool is_lower_hex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

void encode(const upload& command, envelope& into) {
  into.actor.user_id = command.owner.to_string();
  boost::json::object& p = into.payload;
  p.clear();
  p["upload_id"] = command.upload_id.to_string();
  p["file_id"] = command.file_id.to_string();
  p["name"] = command.name;
  p["content_type"] = command.content_type;
  p["size"] = command.size;
  p["sha256"] = command.sha256;
  p["object_key"] = command.object_key;
  if (command.inline_body)
    p["inline_base64"] = base64(*command.inline_body);
}

payload_result<upload> decode(std::type_identity<upload>, const envelope& from) {
  auto owner = actor_user(from, "the owner");
  if (!owner)
    return owner.error();
  payload_reader read(upload::type, from.payload);
  upload out{*owner,           read.id("upload_id"), read.id("file_id"),
             read.text("name"), read.text("content_type"), read.size("size"),
             read.text("sha256"), read.text("object_key"), std::nullopt};
  const auto inline_text = read.optional_text("inline_base64");
  if (read.failed())
    return read.problem();

  if (auto valid = validate_file_name(out.name); !valid)
    return read.fail("field 'name': " + valid.error().message);
  if (out.content_type.empty() || out.content_type.size() > 255)
    return read.fail("field 'content_type' must be 1 to 255 characters");
  if (!is_lower_hex64(out.sha256))
    return read.fail("field 'sha256' is not 64 lower-case hex digits");
  // Keys are generated from ids: a command naming any other key could touch another file.
  if (out.object_key != model::object_key_for(out.owner, out.file_id))
    return read.fail("field 'object_key' is not u/{owner}/{file_id}");
  if (inline_text) {
    out.inline_body = base64_decode(*inline_text);
    if (!out.inline_body)
      return read.fail("field 'inline_base64' is not valid base64");
  }
  return out;
}

}  // namespace kemas::commands
