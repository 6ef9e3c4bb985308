// SPDX-License-Identifier: MIT
#include "cli/command_tree.hpp"

#include <functional>

namespace mgpux::cli {

std::unique_ptr<CommandNode> build_tree(const std::vector<TreeSource>& sources,
                                        const std::function<void(const std::string&)>& warn) {
    auto root = std::make_unique<CommandNode>();
    for (const auto& src : sources) {
        for (const auto& spec : *src.commands) {
            CommandNode* node = root.get();
            for (std::size_t i = 0; i < spec.path.size(); ++i) {
                const std::string& word = spec.path[i];
                auto& slot = node->children[word];
                if (!slot) {
                    slot = std::make_unique<CommandNode>();
                    slot->name = word;
                    slot->path.assign(spec.path.begin(), spec.path.begin() + static_cast<std::ptrdiff_t>(i) + 1);
                    slot->owner = src.owner;
                    if (i == 0) {
                        slot->summary = src.summary;
                        slot->panel = src.panel;
                    }
                } else if (i == 0 && slot->owner != src.owner) {
                    if (warn) warn("command '" + word + "' is declared twice; keeping the first");
                    node = nullptr;
                    break;
                }
                node = slot.get();
            }
            if (!node) continue;
            if (node->command) {
                if (warn) warn("command '" + spec.path_string() + "' is declared twice; keeping the first");
                continue;
            }
            node->command = &spec;
            if (node->path.size() > 1 || node->summary.empty()) node->summary = spec.summary;
        }
    }
    return root;
}

void visit(const CommandNode& node, const std::function<void(const CommandNode&)>& fn) {
    fn(node);
    for (const auto& [_, child] : node.children) visit(*child, fn);
}

}  // namespace mgpux::cli
