// SPDX-License-Identifier: MIT
// Plugin records: what discovery found, what loading made of it.
#pragma once

#include "cli/command_model.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
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
    // Null for a plugin taken from the metadata cache until ensure_loaded().
    const mgpux_plugin_descriptor* descriptor = nullptr;
    std::uint32_t descriptor_size = 0;
    bool cached = false;  // its metadata came from the cache, not from its library
};

using DebugSink = std::function<void(const std::string&)>;

}  // namespace mgpux::plugins
