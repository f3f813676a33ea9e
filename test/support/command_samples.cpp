#include "test/support/command_samples.hpp"

#include <functional>

#include "domain/commands/all.hpp"
#include "domain/model/object_key.hpp"

namespace kemas::test {
namespace {

const uuid owner = *uuid::parse("11111111-2222-4333-8444-555555555555");
const uuid file = *uuid::parse("0b7e2f3a-9c4d-4e5f-8a6b-7c8d9e0f1a2b");
const uuid other = *uuid::parse("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
const timestamp issued = *parse_rfc3339("2030-01-02T03:04:05.678Z");

template <class Command>
commands::envelope envelope_of(const Command& command) {
  return commands::make_envelope(command, {"c0ffee00-0000-4000-8000-000000000001",
                                           issued,
                                           "req-sample",
                                           {std::nullopt, "203.0.113.9"}});
}

commands::upload upload_of(std::optional<std::string> inline_body) {
  return commands::upload{owner,
                          other,
                          file,
                          "report 2030.pdf",
                          "application/pdf",
                          inline_body ? inline_body->size() : 123456,
                          std::string(64, 'a'),
                          model::object_key_for(owner, file),
                          std::move(inline_body)};
}

// A well-formed command of `base`'s type with its payload (or actor) edited.
command_sample refused(std::string name, commands::envelope base, bool schema_refuses,
                       const std::function<void(commands::envelope&)>& edit) {
  edit(base);
  return {std::move(name), std::move(base), false, schema_refuses};
}

}  // namespace

std::vector<command_sample> command_samples() {
  const auto upload = envelope_of(upload_of(std::nullopt));
  const auto inline_upload = envelope_of(upload_of(std::string("hello, world\n")));
  const auto deletion = envelope_of(commands::delete_file{owner, file});
  const auto upgrade = envelope_of(commands::upgrade{owner, other, "premium"});
  const auto expire = envelope_of(commands::expire{owner, issued});
  const auto sweep = envelope_of(commands::expire_sweep{29000000});
  const auto manual_sweep = envelope_of(commands::expire_sweep{});
  const auto assignment = envelope_of(commands::assign_plan{other, file, owner, "premium", issued});
  const auto endless = envelope_of(commands::assign_plan{other, file, owner, "free", std::nullopt});
  const auto share_end = envelope_of(commands::expire_share{file, issued});
  const auto upload_end = envelope_of(commands::expire_upload{file, issued});

  std::vector<command_sample> out{
      {"upload streamed by the api", upload},
      {"upload with its body inline", inline_upload},
      {"delete", deletion},
      {"upgrade", upgrade},
      {"expire", expire},
      {"expire-sweep of a slot", sweep},
      {"expire-sweep by hand", manual_sweep},
      {"assign-plan with an end", assignment},
      {"assign-plan without an end", endless},
      {"expire-share", share_end},
      {"expire-upload", upload_end},
  };
  auto drop = [](std::string key) {
    return [key](commands::envelope& e) { e.payload.erase(key); };
  };
  auto set = [](std::string key, boost::json::value value) {
    return [key, value](commands::envelope& e) { e.payload[key] = value; };
  };
  auto no_actor = [](commands::envelope& e) { e.actor.user_id.reset(); };

  out.push_back(refused("upload without sha256", upload, true, drop("sha256")));
  out.push_back(refused("upload with upper-case sha256", upload, true,
                        set("sha256", boost::json::string(std::string(64, 'A')))));
  out.push_back(refused("upload with a negative size", upload, true, set("size", -1)));
  out.push_back(refused("upload with a size as text", upload, true, set("size", "12")));
  out.push_back(refused("upload with a bad upload_id", upload, true, set("upload_id", "abc")));
  out.push_back(refused("upload with a name holding '/'", upload, true, set("name", "a/b")));
  out.push_back(refused("upload named '..'", upload, true, set("name", "..")));
  out.push_back(
      refused("upload with an empty content type", upload, true, set("content_type", "")));
  out.push_back(refused(
      "upload with a key elsewhere", upload, true,
      set("object_key", boost::json::string("u/" + owner.to_string() + "/somewhere-else"))));
  out.push_back(
      refused("upload with another owner's key", upload, false,
              set("object_key", boost::json::string(model::object_key_for(other, file)))));
  out.push_back(refused("upload with inline bytes not base64", inline_upload, true,
                        set("inline_base64", "not base64!")));
  out.push_back(refused("upload without an owner", upload, true, no_actor));
  out.push_back(refused("delete without file_id", deletion, true, drop("file_id")));
  out.push_back(refused("delete without an owner", deletion, true, no_actor));
  out.push_back(refused("upgrade with a bad order_id", upgrade, true, set("order_id", "x")));
  out.push_back(refused("upgrade of a plan name out of rule", upgrade, true, set("plan", "Gold!")));
  out.push_back(refused("upgrade without a buyer", upgrade, true, no_actor));
  out.push_back(refused("expire with due_at not a time", expire, true, set("due_at", "soon")));
  out.push_back(refused("expire without user_id", expire, true, drop("user_id")));
  out.push_back(refused("expire-sweep with a slot as text", sweep, true, set("slot", "1")));
  out.push_back(refused("assign-plan without an admin", assignment, true, no_actor));
  out.push_back(refused("assign-plan with expires_at not a time", assignment, true,
                        set("expires_at", "soon")));
  out.push_back(refused("assign-plan without expires_at", assignment, true, drop("expires_at")));
  out.push_back(
      refused("assign-plan of a plan name out of rule", assignment, true, set("plan", "Gold!")));
  out.push_back(refused("expire-share without share_id", share_end, true, drop("share_id")));
  out.push_back(
      refused("expire-share with due_at not a time", share_end, true, set("due_at", "soon")));
  out.push_back(refused("expire-upload without upload_id", upload_end, true, drop("upload_id")));
  out.push_back(
      refused("expire-upload with due_at not a time", upload_end, true, set("due_at", "soon")));
  return out;
}

}  // namespace kemas::test
