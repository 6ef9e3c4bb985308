// SPDX-License-Identifier: MIT
// The command line: global options (before or after the command words),
// the command words, and the command's own options, parsed with
// Boost.Program_options (abbreviation guessing off).
#pragma once

#include "cli/command_model.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mgpux::cli {

struct GlobalOptions {
    std::optional<std::string> profile;
    bool yes = false;
    bool no_input = false;
    bool dry_run = false;
    bool json = false;
    std::optional<std::string> script_out;
    std::optional<std::string> backend;  // "modal" | "local"; nullopt = not given
    bool ignore_missing = false;         // local backend: run although the image needs what is missing
    bool ignore_budget = false;          // launch on a Modal profile although it is over its budget
    int verbosity = 0;                   // +1 per -v, -1 per -q
    std::string color = "auto";          // auto | always | never
    bool help = false;
    bool version = false;
};

// A usage error (exit 2). `node` is the deepest command resolved, for a
// "see --help" hint.
struct UsageError : std::runtime_error {
    UsageError(const std::string& message, const CommandNode* node) : std::runtime_error(message), node(node) {}
    const CommandNode* node;
};

struct ParseResult {
    const CommandNode* node = nullptr;  // the command (or group) addressed
    GlobalOptions globals;
    boost::json::object values;         // see mgpux/command.h
    std::vector<std::string> trailing;  // everything after `--`
    bool trailing_given = false;
};

// Pulls the global options out of `args` wherever they stand (up to `--`)
// and returns the remaining tokens in order. Throws UsageError.
std::vector<std::string> extract_global_options(const std::vector<std::string>& args, GlobalOptions& globals);

// Parses the whole command line (without argv[0]) against the tree.
ParseResult parse_command_line(const CommandNode& root, const std::vector<std::string>& args);

// The same, for tokens whose global options extract_global_options already took.
ParseResult parse_command_tokens(const CommandNode& root, const std::vector<std::string>& rest,
                                 const GlobalOptions& globals);

// Plugins built for ABI 1.0 were promised `false` for an on/off flag that was
// not given; 1.1 leaves it absent. This restores the old shape for them.
void add_unset_flags_as_false(const CommandSpec& command, boost::json::object& values);

}  // namespace mgpux::cli
