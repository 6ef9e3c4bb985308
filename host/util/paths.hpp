// SPDX-License-Identifier: MIT
// Paths of this process and of the user's directories. No m-gpux knowledge.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
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

// A file or directory that another user owns, so it is not ours to trust.
struct NotOwnedError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Keeps an existing `path` private to the user `owner_uid` (following
// symlinks, as reading it does). Owned by anyone else (root included):
// NotOwnedError saying how to fix it. Ours but with permission bits for group
// or others: those bits are removed (a directory 0777 becomes 0700, a file
// 0666 becomes 0600) and the mode it had is returned. A missing path is fine
// (nullopt). Throws std::system_error when it cannot be checked or changed.
std::optional<unsigned> make_private(const std::filesystem::path& path, unsigned owner_uid);

}  // namespace mgpux::util
