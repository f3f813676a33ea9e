#include "workers/handlers/file_payloads.hpp"

#include "adapters/crypto/tokens.hpp"
#include "domain/file_name.hpp"

#include <algorithm>
#include <cctype>

namespace kemas::worker {
namespace {

using payload::fail;
using payload::string_field;
using payload::text_result;
using payload::uuid_field;

bool is_lower_hex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string object_key_for(std::string_view owner_id, std::string_view file_id) {
  return "u/" + std::string(owner_id) + "/" + std::string(file_id);
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  // Padding only at the very end, at most two characters.
  std::size_t body = text.size();
  while (body > 0 && text.size() - body < 2 && text[body - 1] == '=')
    --body;
  std::string url(text.substr(0, body));
  for (char& c : url) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
    else if (c == '-' || c == '_' || c == '=')
      return std::nullopt;  // not of the standard alphabet
  }
  return crypto::base64url_decode(url);
}

boost::system::result<upload_payload, payload_problem> parse_upload_payload(
    const domain::command_envelope& command) {
  constexpr std::string_view what = "upload";
  auto object = payload::object_of(what, command.payload_json);
  if (!object)
    return object.error();
  const auto& p = *object;
  upload_payload out;
  auto owner = payload::actor_user(command, what, "the owner");
  auto upload_id = uuid_field(p, what, "upload_id");
  auto file_id = uuid_field(p, what, "file_id");
  auto name = string_field(p, what, "name");
  auto content_type = string_field(p, what, "content_type");
  auto sha256 = string_field(p, what, "sha256");
  auto object_key = string_field(p, what, "object_key");
  for (const text_result* r : {&owner, &upload_id, &file_id, &name, &content_type, &sha256,
                               &object_key}) {
    if (!*r)
      return r->error();
  }
  out.owner_id = *owner;
  out.upload_id = *upload_id;
  out.file_id = *file_id;
  out.name = *name;
  out.content_type = *content_type;
  out.sha256 = *sha256;
  out.object_key = *object_key;

  if (auto valid = validate_file_name(out.name); !valid)
    return fail(what, "field 'name': " + valid.error().message);
  if (out.content_type.empty() || out.content_type.size() > 255)
    return fail(what, "field 'content_type' must be 1 to 255 characters");
  if (!is_lower_hex64(out.sha256))
    return fail(what, "field 'sha256' is not 64 lower-case hex digits");
  // Keys are generated from ids: a command naming any other key could touch another file.
  if (out.object_key != object_key_for(out.owner_id, out.file_id))
    return fail(what, "field 'object_key' is not u/{owner}/{file_id}");

  const auto* size = p.if_contains("size");
  if (size == nullptr)
    return fail(what, "field 'size' is missing");
  if (size->is_uint64())
    out.size = size->as_uint64();
  else if (size->is_int64() && size->as_int64() >= 0)
    out.size = static_cast<std::uint64_t>(size->as_int64());
  else
    return fail(what, "field 'size' is not a non-negative integer");
  if (out.size > static_cast<std::uint64_t>(INT64_MAX))
    return fail(what, "field 'size' is too large");

  if (const auto* body = p.if_contains("inline_base64")) {
    if (!body->is_string())
      return fail(what, "field 'inline_base64' is not a string");
    auto bytes = decode_base64(body->as_string());
    if (!bytes)
      return fail(what, "field 'inline_base64' is not valid base64");
    out.inline_body = std::move(*bytes);
  }
  return out;
}

boost::system::result<delete_payload, payload_problem> parse_delete_payload(
    const domain::command_envelope& command) {
  constexpr std::string_view what = "delete";
  auto object = payload::object_of(what, command.payload_json);
  if (!object)
    return object.error();
  auto owner = payload::actor_user(command, what, "the owner");
  if (!owner)
    return owner.error();
  auto file_id = uuid_field(*object, what, "file_id");
  if (!file_id)
    return file_id.error();
  return delete_payload{*owner, *file_id};
}

}  // namespace kemas::worker
