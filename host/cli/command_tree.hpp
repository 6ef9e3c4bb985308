// SPDX-License-Identifier: MIT
// Building the command tree from plugin tables and built-ins.
#pragma once

#include "cli/command_model.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mgpux::cli {

struct TreeSource {
    const plugins::Plugin* owner = nullptr;  // nullptr for built-ins
    std::string id;
    std::string summary;
    std::string panel;
    const std::vector<CommandSpec>* commands = nullptr;
};

// Groups without a declared command are synthesised. Conflicts (a path
// declared twice) keep the first and are reported through `warn`.
std::unique_ptr<CommandNode> build_tree(const std::vector<TreeSource>& sources,
                                        const std::function<void(const std::string&)>& warn);

// Depth-first visit of every node below (and including) `node`.
void visit(const CommandNode& node, const std::function<void(const CommandNode&)>& fn);

}  // namespace mgpux::cli
