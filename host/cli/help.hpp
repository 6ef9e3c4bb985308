// SPDX-License-Identifier: MIT
#pragma once

#include "cli/command_model.hpp"

#include <string>

namespace mgpux::cli {

// --help text for any node; the root lists commands grouped by panel.
std::string render_help(const CommandNode& node, const std::string& version);

// The global options block shared by every help page.
std::string global_options_help();

}  // namespace mgpux::cli
