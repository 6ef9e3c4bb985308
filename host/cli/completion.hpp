// SPDX-License-Identifier: MIT
// Shell completion scripts and the machine-readable command tree, both
// generated from the tree without running plugin code.
#pragma once

#include "cli/command_model.hpp"

#include <boost/json/fwd.hpp>

#include <string>

namespace mgpux::cli {

// "bash", "zsh" or "fish"; throws std::invalid_argument for anything else.
std::string completion_script(const CommandNode& root, const std::string& shell);

// Every node (groups included), depth first, as JSON (`m-gpux commands --json`).
boost::json::value command_tree_json(const CommandNode& root);

}  // namespace mgpux::cli
