// SPDX-License-Identifier: MIT
#include "cli/command_model.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace mgpux::cli {

const char* option_type_name(OptionType t) {
    switch (t) {
        case OptionType::String: return "string";
        case OptionType::Int: return "int";
        case OptionType::Float: return "float";
        case OptionType::Bool: return "bool";
        case OptionType::Path: return "path";
        case OptionType::Choice: return "choice";
    }
    return "string";
}

static std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += ' ';
        out += w;
    }
    return out;
}

std::string CommandSpec::path_string() const { return join_words(path); }

const OptionSpec* CommandSpec::find_option(const std::string& name) const {
    for (const auto& o : options)
        if (o.name == name) return &o;
    return nullptr;
}

const CommandNode* CommandNode::child(const std::string& word) const {
    auto it = children.find(word);
    return it == children.end() ? nullptr : it->second.get();
}

std::string CommandNode::path_string() const { return join_words(path); }

bool is_global_option_name(const std::string& name) {
    static constexpr std::array<std::string_view, 14> kNames = {
        "profile", "yes",   "no-input", "dry-run", "json", "script-out",     "backend",
        "verbose", "quiet", "color",    "version", "help", "ignore-missing", "ignore-budget"};
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

bool is_global_short_alias(char c) { return c == 'y' || c == 'v' || c == 'q' || c == 'h'; }

}  // namespace mgpux::cli
