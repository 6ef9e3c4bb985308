// SPDX-License-Identifier: MIT
#pragma once

#include "cli/command_model.hpp"

#include <string>
#include <vector>

namespace mgpux::cli {

// --help text for any node; the root lists commands grouped by panel.
std::string render_help(const CommandNode& node, const std::string& version);

// One global option as the help shows it: "-y, --yes" or "    --json" (the
// long name lined up under those with a short one) and what it does.
struct GlobalOptionDoc {
    std::string spelling;
    std::string help;
};
const std::vector<GlobalOptionDoc>& global_option_docs();

// "Usage: m-gpux serve deploy [options] MODEL\n".
std::string usage_line(const CommandNode& node);

// An option as the help lists it: "-g, --gpu GPU" ("    --json" without a
// short alias), and its help with choices, default and flags added.
std::string option_left(const OptionSpec& o);
std::string option_right(const OptionSpec& o);

// The global options block shared by every help page.
std::string global_options_help();

}  // namespace mgpux::cli
