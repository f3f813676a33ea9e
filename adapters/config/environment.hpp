#pragma once
// environment_view: the environment variables the loader reads, as an immutable snapshot.
// Production takes a copy of the process environment once at start (from_process());
// tests build one from a map, so nothing depends on or changes the real environment.
// The loader needs to list names as well as read them: unknown KEMAS_<SECTION>_<KEY>
// variables are errors, so typos do not pass silently.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kemas::config {

class environment_view {
 public:
  using map_type = std::map<std::string, std::string, std::less<>>;

  environment_view() = default;
  explicit environment_view(map_type variables) : variables_(std::move(variables)) {}

  // Copies `environ`. Reading the environment while another thread calls setenv is
  // undefined behaviour in C, so call this before starting threads.
  static environment_view from_process();

  // The value of `name`, or nullopt when unset. A variable set to "" is present and empty.
  std::optional<std::string_view> get(std::string_view name) const;

  const map_type& all() const noexcept { return variables_; }

 private:
  map_type variables_;
};

}  // namespace kemas::config
