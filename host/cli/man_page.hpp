// SPDX-License-Identifier: MIT
// The m-gpux(1) manual page, written in roff from the command tree, so it
// lists exactly the commands and options of the plugins loaded.
#pragma once

#include "cli/command_model.hpp"

#include <string>

namespace mgpux::cli {

// `version` goes into the page header; `date` too (YYYY-MM-DD, or empty).
// Neither is read from the clock, so a build writes the same page each time.
std::string man_page(const CommandNode& root, const std::string& version, const std::string& date);

}  // namespace mgpux::cli
