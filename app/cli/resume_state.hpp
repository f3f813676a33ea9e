#pragma once
// Where `kemas put` remembers its unfinished uploads, so a run after Ctrl-C or a dropped
// network resumes instead of starting over: one small file per upload under
// $XDG_CONFIG_HOME/kemas/uploads/ (folder 0700, files 0600), named by a hash of what makes it
// the same upload (server, the file's absolute path, size and modification time, the name it
// is stored under), holding the tus upload's path on the server. A changed file has another
// key, so its stale upload is never resumed (the server ends it at its expiry).

#include <filesystem>
#include <optional>
#include <string>

namespace kemas::cli {

class resume_state {
 public:
  resume_state(const std::string& server, const std::filesystem::path& file,
               const std::string& name);

  std::optional<std::string> load() const;  // the upload's path (/api/v1/auth/uploads/tus/...)
  void save(const std::string& location) const;  // best effort: resuming is an optimisation
  void forget() const;

 private:
  std::filesystem::path path_;
};

}  // namespace kemas::cli
