#pragma once
// Runs another program (pg_dump, pg_restore) to completion with extra environment variables,
// its output going to ours. Used for the database tools so kemas-admin backup and restore
// work with whatever PostgreSQL the deployment runs: its own client programs know its format.

#include <string>
#include <utility>
#include <vector>

namespace kemas::admin {

// The program's exit status; -1 when it could not be started or died of a signal.
// `argv[0]` is looked up on PATH. Extra variables override inherited ones.
int run_program(const std::vector<std::string>& argv,
                const std::vector<std::pair<std::string, std::string>>& extra_env);

}  // namespace kemas::admin
