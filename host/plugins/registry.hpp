// SPDX-License-Identifier: MIT
// Plugin discovery and loading: the search directories, the registry of
// what was found, and the loader behind it.
#pragma once

#include "plugins/cache.hpp"
#include "plugins/plugin.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mgpux::plugins {

// One search directory and where it came from.
struct PluginDir {
    std::filesystem::path dir;
    std::string origin;  // "MGPUX_PLUGIN_PATH", "MGPUX_ADD_PLUGIN_PATH", "user", "system"
};

// The inputs of discovery, read from the environment by from_environment().
struct DiscoveryEnv {
    std::optional<std::string> plugin_path;      // MGPUX_PLUGIN_PATH (replaces all)
    std::optional<std::string> add_plugin_path;  // MGPUX_ADD_PLUGIN_PATH (searched first)
    std::filesystem::path user_dir;              // $XDG_DATA_HOME/m-gpux/plugins
    std::filesystem::path system_dir;            // <exe>/../<libdir>/m-gpux/plugins
    bool allow_unsafe = false;                   // MGPUX_ALLOW_UNSAFE_PLUGINS=1 (ignored when setuid)
    // $XDG_CACHE_HOME/m-gpux/plugins.json; none with MGPUX_NO_PLUGIN_CACHE=1,
    // when setuid, or in a default-constructed DiscoveryEnv (unit tests).
    std::optional<std::filesystem::path> cache_file;
    // The m-gpux executable, which loads each plugin file not taken from the
    // cache in a child process first (load_check.hpp); empty in a
    // default-constructed DiscoveryEnv, where files are loaded here at once.
    std::filesystem::path check_executable;
    int check_timeout_ms = 10000;  // per child

    static DiscoveryEnv from_environment();
};

std::vector<PluginDir> search_dirs(const DiscoveryEnv& env);

// Plugin files in one directory (mgpux-*.so), sorted by name. A missing
// directory gives an empty list.
std::vector<std::filesystem::path> plugin_files(const std::filesystem::path& dir);

// Why `file` (symlinks followed) is not a regular file and so never loaded,
// e.g. "not a regular file (a FIFO)"; "" for a regular file.
std::string not_regular_reason(const std::filesystem::path& file);

// Why a file or its directory is unsafe to load (writable by group or
// others, or owned by another non-root user), or "" when it is fine.
std::string unsafe_reason(const std::filesystem::path& file);

// The plugin file name for an id on this platform ("mgpux-serve.so").
std::string plugin_file_name(const std::string& id);

// Loads one plugin file with Boost.DLL (rtld_now) and reads its descriptor.
// Never throws; a failure leaves status Skipped with the reason.
Plugin load_plugin(const std::filesystem::path& file, const std::string& origin);

// Opens the library of a plugin that discovery took from the metadata cache
// and checks that it still declares what the cache said. Returns "" when the
// descriptor is ready (at once if it already was), else a message for the
// user naming the file. Never throws.
std::string ensure_loaded(Plugin& plugin);

// Why `p` breaks the rules a descriptor must keep (ABI range, id and file
// name, command paths, option names and flags), or "" when it keeps them.
// The loader applies the same rules to every descriptor it reads; the cache
// to every entry it reads back.
std::string metadata_problem(const Plugin& p);

// Calls the plugin's shutdown when its descriptor has one (an older, shorter
// descriptor may not); an exception from it is swallowed. Returns false if it threw.
bool shutdown_plugin(const Plugin& plugin);

// Ids that built-in commands own; a plugin with one of them is shadowed.
bool is_reserved_id(const std::string& id);

class PluginRegistry {
public:
    // Searches every directory in order; the first plugin with an id wins.
    // Only regular files are considered. With env.cache_file, a file whose
    // stat key matches its cache entry is not opened; every other file is
    // loaded in a child process first (with env.check_executable), then
    // here, and written back to the cache.
    void discover(const DiscoveryEnv& env, const DebugSink& debug);
    const std::vector<std::unique_ptr<Plugin>>& all() const { return plugins_; }
    const std::vector<PluginDir>& dirs() const { return dirs_; }
    const Plugin* find(const std::string& id) const;

    // plugins::ensure_loaded on one of this registry's plugins; when that
    // fails, the plugin's cache entry is dropped so the next start reads
    // the file again.
    std::string ensure_loaded(const Plugin& plugin);

private:
    struct Candidate;

    std::vector<Candidate> candidates(const DiscoveryEnv& env);
    void load_in_child_first(std::vector<Candidate>& found, const DiscoveryEnv& env);
    Plugin load_and_cache(Candidate& c);
    void add(std::unique_ptr<Plugin> plugin);

    std::vector<PluginDir> dirs_;
    std::vector<std::unique_ptr<Plugin>> plugins_;
    std::optional<PluginCache> cache_;
    DebugSink debug_;
};

}  // namespace mgpux::plugins
