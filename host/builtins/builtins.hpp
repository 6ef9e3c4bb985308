// SPDX-License-Identifier: MIT
// Commands the host itself provides: plugins list|validate|install|remove, commands, completion.
#pragma once

#include "cli/command_tree.hpp"
#include "cli/parser.hpp"
#include "host_context.hpp"

#include <vector>

namespace mgpux::builtins {

// The built-in command tables, as tree sources.
std::vector<cli::TreeSource> sources();

// Runs a built-in command; returns the exit code.
int run(HostContext& ctx, const cli::ParseResult& parsed);

// Entry points that are no commands of the tree (not in --help, `commands`
// or completion), given as the first word: `__complete SHELL CWORD WORDS...`
// (what the completion scripts run) and `__man` (the manual page in roff,
// which the build writes).
inline constexpr const char* kCompleteEntry = "__complete";
inline constexpr const char* kManEntry = "__man";
bool is_hidden_entry(const std::string& word);
int run_hidden_entry(HostContext& ctx, const std::vector<std::string>& args);

// Child-process side of `plugins validate`: loads `file`, calls init and
// shutdown, prints one JSON object on stdout. Returns the exit code.
int probe_plugin_file(HostContext& ctx, const std::string& file);

// Welcome screen for `m-gpux` without a command.
void welcome(HostContext& ctx);

}  // namespace mgpux::builtins
