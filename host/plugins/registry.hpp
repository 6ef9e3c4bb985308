// Plugin records: what discovery found, what loading made of it.
#pragma once

#include "cli/command_model.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct mgpux_plugin_descriptor;

namespace mgpux::plugins {

enum class PluginStatus { Loaded, Skipped, Shadowed };
const char* status_name(PluginStatus s);

struct Plugin {
    std::filesystem::path path;
    std::string origin;  // which search directory found it
    PluginStatus status = PluginStatus::Skipped;
    std::string reason;  // why skipped or shadowed

    std::string id;
    std::string version;
    std::string summary;
    std::string panel;
    int abi_major = 0;
    int abi_minor = 0;
    std::vector<cli::CommandSpec> commands;

    // Raw entry points; valid while loaded (libraries are never unloaded).
    const mgpux_plugin_descriptor* descriptor = nullptr;
    std::uint32_t descriptor_size = 0;
};

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

    static DiscoveryEnv from_environment();
};

using DebugSink = std::function<void(const std::string&)>;

std::vector<PluginDir> search_dirs(const DiscoveryEnv& env);

// Plugin files in one directory (mgpux-*.so), sorted by name. A missing
// directory gives an empty list.
std::vector<std::filesystem::path> plugin_files(const std::filesystem::path& dir);

// Why a file or its directory is unsafe to load (writable by group or
// others, or owned by another non-root user), or "" when it is fine.
std::string unsafe_reason(const std::filesystem::path& file);

// The plugin file name for an id on this platform ("mgpux-serve.so").
std::string plugin_file_name(const std::string& id);

// Loads one plugin file with Boost.DLL (rtld_now) and reads its descriptor.
// Never throws; a failure leaves status Skipped with the reason.
Plugin load_plugin(const std::filesystem::path& file, const std::string& origin);

// Calls the plugin's shutdown when its descriptor has one (an older, shorter
// descriptor may not); an exception from it is swallowed. Returns false if it threw.
bool shutdown_plugin(const Plugin& plugin);

// Ids that built-in commands own; a plugin with one of them is shadowed.
bool is_reserved_id(const std::string& id);

class PluginRegistry {
public:
    // Searches every directory in order; the first plugin with an id wins.
    void discover(const DiscoveryEnv& env, const DebugSink& debug);
    const std::vector<std::unique_ptr<Plugin>>& all() const { return plugins_; }
    const std::vector<PluginDir>& dirs() const { return dirs_; }
    const Plugin* find(const std::string& id) const;

private:
    std::vector<PluginDir> dirs_;
    std::vector<std::unique_ptr<Plugin>> plugins_;
};

}  // namespace mgpux::plugins
