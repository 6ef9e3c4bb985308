// Paths of this process and of the user's directories. No m-gpux knowledge.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mgpux::util {

// The running executable (/proc/self/exe), absolute and canonical.
std::filesystem::path executable_path();

// getenv that ignores the environment in a setuid/setgid process (secure_getenv).
std::optional<std::string> secure_env(const char* name);
// Plain getenv as an optional; empty values count as unset.
std::optional<std::string> env(const char* name);

std::filesystem::path home_dir();
// $XDG_<kind>_HOME or ~/<fallback> ("DATA" -> .local/share, "CONFIG" -> .config).
std::filesystem::path xdg_dir(const char* env_name, const char* fallback_under_home);

// Splits a PATH-like list on ':' and drops empty entries.
std::vector<std::filesystem::path> split_path_list(const std::string& list);

// Finds an executable file named `name` on $PATH, or nullopt.
std::optional<std::filesystem::path> find_on_path(const std::string& name);

}  // namespace mgpux::util
