#pragma once
// The ports of the file command handlers (upload, delete). Both are safe to share between
// handler threads.

#include <memory>

#include "domain/ports/file_command_store.hpp"
#include "domain/ports/object_store.hpp"

namespace kemas::worker {

struct file_ports {
  std::shared_ptr<ports::file_command_store> store;
  std::shared_ptr<ports::object_store> objects;
};

}  // namespace kemas::worker
