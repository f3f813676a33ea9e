#pragma once
// What the routes that hand work to the workers (uploads, deletes, upgrades) read from a
// request the same way: whether the client wants an answer without waiting, and who asked.

#include "app/server/http_types.hpp"
#include "app/services/command_sender.hpp"

namespace kemas::http {

// RFC 7240: true when a Prefer header holds the preference `respond-async` (any case, with
// or without parameters, among other preferences).
bool prefers_async(const request_context& ctx);

// The caller, request id and client address, for the command's envelope.
app::command_origin origin_of(const request_context& ctx);

}  // namespace kemas::http
