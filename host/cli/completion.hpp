// SPDX-License-Identifier: MIT
// Shell completion scripts and the machine-readable command tree, both
// generated from the tree without running plugin code.
#pragma once

#include "cli/command_model.hpp"

#include <boost/json/fwd.hpp>

#include <functional>
#include <string>
#include <vector>

namespace mgpux::cli {

// The completion script for "bash", "zsh" or "fish" (std::invalid_argument
// for anything else). It holds no command: at each completion it runs
// `m-gpux __complete SHELL CWORD WORDS...`, so plugins installed after the
// script was written complete too.
std::string completion_script(const std::string& shell);

struct Candidate {
    std::string word;
    std::string help;  // shown by zsh and fish
};

struct Completion {
    std::vector<Candidate> candidates;
    bool files = false;  // the shell completes file names instead
};

// Values only this machine knows (profile names, installed plugin ids) for
// an option or positional argument that has no choices: called with the
// command's node and the option's name ("profile" for the global --profile).
using ValueLookup = std::function<std::vector<Candidate>(const CommandNode& node, const std::string& option)>;

// What may stand at words[cword] (words[0] is the program; cword may be
// words.size() for a new, empty word), only candidates that start with what
// is typed there.
Completion complete_command_line(const CommandNode& root, const std::vector<std::string>& words, std::size_t cword,
                                 const ValueLookup& lookup = {});

// The reply `__complete` prints: one candidate a line (bash: the word; zsh:
// word:help; fish: word<TAB>help), or ":files" alone for file names.
std::string format_completion(const Completion& c, const std::string& shell);

// Every node (groups included), depth first, as JSON (`m-gpux commands --json`).
boost::json::value command_tree_json(const CommandNode& root);

}  // namespace mgpux::cli
