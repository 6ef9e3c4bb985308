// SPDX-License-Identifier: MIT
// The host's own copy of a command table: read once from a plugin's C
// descriptor (or declared by a built-in), then used for parsing, help,
// completion and `m-gpux commands --json` without calling plugin code.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mgpux::plugins {
struct Plugin;  // host/plugins/registry.hpp
}

namespace mgpux::cli {

enum class OptionType { String, Int, Float, Bool, Path, Choice };

const char* option_type_name(OptionType t);

struct OptionSpec {
    std::string name;
    char short_alias = 0;
    OptionType type = OptionType::String;
    bool repeatable = false;
    bool negatable = false;
    bool required = false;
    bool hidden = false;
    bool positional = false;
    std::string metavar;  // never empty after normalisation
    std::string help;
    std::optional<std::string> default_value;
    std::vector<std::string> choices;
    std::string exclusive_group;
};

struct CommandSpec {
    std::vector<std::string> path;  // full words: {"serve", "keys", "create"}
    std::string summary;
    std::string help;
    std::vector<OptionSpec> options;
    bool destructive = false;
    bool interactive = false;
    bool json = false;
    std::string trailing_name;  // empty: `--` not accepted

    std::string path_string() const;
    const OptionSpec* find_option(const std::string& name) const;
};

// One node of the command tree. A node may be runnable (has a command),
// a pure group (children only), or both.
struct CommandNode {
    std::string name;
    std::vector<std::string> path;
    const CommandSpec* command = nullptr;    // owned by the plugin record
    const plugins::Plugin* owner = nullptr;  // nullptr for built-ins and the root
    std::string summary;                     // for groups: the plugin summary
    std::string panel;                       // help heading for top-level nodes
    std::map<std::string, std::unique_ptr<CommandNode>> children;

    const CommandNode* child(const std::string& word) const;
    std::string path_string() const;
};

// Names reserved for the global options; a command may not declare them.
bool is_global_option_name(const std::string& name);
bool is_global_short_alias(char c);

}  // namespace mgpux::cli
