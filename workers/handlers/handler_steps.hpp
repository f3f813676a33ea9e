#pragma once
// What every command handler needs besides its ports: running one port call with its fault
// turned into the handler_result to return, and removing an object after a commit.
//
// Threading: everything here blocks and runs on a worker handler thread (never an Asio
// I/O thread).

#include "domain/ports/file_command_store.hpp"
#include "domain/ports/object_store.hpp"
#include "workers/handlers/handler.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::worker {

// Runs `step` (one port call). On an exception returns the handler_result for it, its reason
// starting with `what`: retry for kemas::backend_unavailable (a transient fault: database
// unreachable, timeout, serialization), reject for anything else (a constraint the command
// violates, or a bug: retrying cannot help). Otherwise nullopt and `step` has run.
std::optional<handler_result> guarded(const std::function<void()>& step, std::string_view what);

// Deletes `key` after a commit that scheduled its removal, once, and forgets the scheduled
// removal when S3 confirms. Never throws and never waits: on a failure the removal stays
// scheduled and the object cleaner (workers/object_cleaner.hpp) tries again.
void remove_object_after_commit(ports::object_store& objects, ports::file_command_store& store,
                                const std::string& key,
                                std::string_view request_id, std::string_view command_id);

}  // namespace kemas::worker
