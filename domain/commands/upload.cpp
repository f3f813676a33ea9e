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
  const payload_reader read(upload::type, from.payload);
  auto owner = actor_user(from, "the owner");
  if (!owner)
    return owner.error();
  auto upload_id = read.id("upload_id");
  if (!upload_id)
    return upload_id.error();
  auto file_id = read.id("file_id");
  if (!file_id)
    return file_id.error();
  auto name = read.text("name");
  if (!name)
    return name.error();
  auto content_type = read.text("content_type");
  if (!content_type)
    return content_type.error();
  auto sha256 = read.text("sha256");
  if (!sha256)
    return sha256.error();
  auto object_key = read.text("object_key");
  if (!object_key)
    return object_key.error();
  auto size = read.size("size");
  if (!size)
    return size.error();
  auto inline_text = read.optional_text("inline_base64");
  if (!inline_text)
    return inline_text.error();

  if (auto valid = validate_file_name(*name); !valid)
    return read.fail("field 'name': " + valid.error().message);
  if (content_type->empty() || content_type->size() > 255)
    return read.fail("field 'content_type' must be 1 to 255 characters");
  if (!is_lower_hex64(*sha256))
    return read.fail("field 'sha256' is not 64 lower-case hex digits");
  // Keys are generated from ids: a command naming any other key could touch another file.
  if (*object_key != model::object_key_for(*owner, *file_id))
    return read.fail("field 'object_key' is not u/{owner}/{file_id}");

  upload out{*owner,
             *upload_id,
             *file_id,
             std::move(*name),
             std::move(*content_type),
             *size,
             std::move(*sha256),
             std::move(*object_key),
             std::nullopt};
  if (*inline_text) {
    out.inline_body = base64_decode(**inline_text);
    if (!out.inline_body)
      return read.fail("field 'inline_base64' is not valid base64");
  }
  return out;
}

}  // namespace kemas::commands
