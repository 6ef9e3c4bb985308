// SPDX-License-Identifier: MIT
#include "cli/completion.hpp"

#include "cli/command_tree.hpp"
#include "plugins/registry.hpp"

#include <boost/json.hpp>

#include <optional>
#include <stdexcept>
#include <vector>

namespace mgpux::cli {

namespace {

// A global option as completion offers it.
struct GlobalOption {
    std::string name;
    char short_alias;
    bool valued;
    std::vector<std::string> choices;
    bool path;
    std::string help;
};

const std::vector<GlobalOption>& global_options() {
    static const std::vector<GlobalOption> opts = {
        {"profile", 0, true, {}, false, "Modal profile for this command"},
        {"yes", 'y', false, {}, false, "take every default and confirm"},
        {"no-input", 0, false, {}, false, "never prompt"},
        {"dry-run", 0, false, {}, false, "show what would run"},
        {"json", 0, false, {}, false, "one JSON document on stdout"},
        {"script-out", 0, true, {}, true, "also write the rendered script"},
        {"backend", 0, true, {"modal", "local"}, false, "where a workload runs"},
        {"ignore-missing", 0, false, {}, false, "local backend: run although packages are missing"},
        {"ignore-budget", 0, false, {}, false, "launch although the profile is over its budget"},
        {"color", 0, true, {"auto", "always", "never"}, false, "colour"},
        {"verbose", 'v', false, {}, false, "more output"},
        {"quiet", 'q', false, {}, false, "less output"},
        {"version", 0, false, {}, false, "print the version"},
        {"help", 'h', false, {}, false, "show help"},
    };
    return opts;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// What an option word ("--gpu", "-g", "--color") takes as its value, or
// nullopt when it is a flag or unknown here.
struct ValueKind {
    std::string option;  // its name: "gpu", "profile"
    std::vector<std::string> choices;
    bool path = false;
};

std::optional<ValueKind> option_value_kind(const CommandNode& node, const std::string& word) {
    for (const auto& g : global_options())
        if (g.valued && word == "--" + g.name) return ValueKind{g.name, g.choices, g.path};
    if (!node.command) return std::nullopt;
    for (const auto& o : node.command->options) {
        if (o.positional || o.type == OptionType::Bool) continue;
        if (word == "--" + o.name || (o.short_alias && word == std::string("-") + o.short_alias))
            return ValueKind{o.name, o.choices, o.type == OptionType::Path};
    }
    return std::nullopt;
}

Completion values_of(const ValueKind& kind, const CommandNode& node, const ValueLookup& lookup) {
    Completion c;
    c.files = kind.path;
    for (const auto& v : kind.choices) c.candidates.push_back({v, ""});
    if (kind.choices.empty() && !kind.path && lookup) c.candidates = lookup(node, kind.option);
    return c;
}

Completion option_words(const CommandNode& node) {
    Completion c;
    if (node.command)
        for (const auto& o : node.command->options) {
            if (o.positional || o.hidden) continue;
            c.candidates.push_back({"--" + o.name, o.help});
            if (o.short_alias) c.candidates.push_back({std::string("-") + o.short_alias, o.help});
            if (o.negatable) c.candidates.push_back({"--no-" + o.name, o.help});
        }
    for (const auto& g : global_options()) {
        c.candidates.push_back({"--" + g.name, g.help});
        if (g.short_alias) c.candidates.push_back({std::string("-") + g.short_alias, g.help});
    }
    return c;
}

// Subcommands, and what the next positional argument takes.
Completion argument_words(const CommandNode& node, std::size_t positionals_seen, const ValueLookup& lookup) {
    Completion c;
    if (positionals_seen == 0)
        for (const auto& [word, child] : node.children) c.candidates.push_back({word, child->summary});
    if (!node.command) return c;
    std::size_t index = 0;
    for (const auto& o : node.command->options) {
        if (!o.positional) continue;
        if (index++ < positionals_seen && !o.repeatable) continue;
        if (o.type == OptionType::Path) c.files = true;
        for (const auto& v : o.choices) c.candidates.push_back({v, o.help});
        if (o.type == OptionType::String && lookup)
            for (auto& v : lookup(node, o.name)) c.candidates.push_back(std::move(v));
        break;
    }
    return c;
}

Completion only_matching(Completion c, const std::string& prefix) {
    std::vector<Candidate> kept;
    for (auto& cand : c.candidates)
        if (starts_with(cand.word, prefix)) kept.push_back(std::move(cand));
    c.candidates = std::move(kept);
    return c;
}

std::string bash_script() {
    return R"SH(# bash completion for m-gpux. The candidates come from m-gpux itself at each
# completion (from its plugin cache, so it is quick), so the commands of plugins
# installed later complete too. Installed with m-gpux; for a user install:
#   m-gpux completion bash > ~/.local/share/bash-completion/completions/m-gpux
_m_gpux() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prog="${COMP_WORDS[0]}" out
    [[ "$prog" == "~/"* ]] && prog="$HOME/${prog#"~/"}"
    # bash splits "--color=al" into "--color", "=", "al"; m-gpux reads that form too.
    [[ "$cur" == "=" ]] && cur=""
    out="$("$prog" __complete bash "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null </dev/null)" || return 0
    if [[ "$out" == ":files" ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$out" -- "$cur"))
    fi
}
complete -F _m_gpux m-gpux
)SH";
}

std::string zsh_script() {
    return R"SH(#compdef m-gpux
# zsh completion for m-gpux. The candidates come from m-gpux itself at each
# completion, so the commands of plugins installed later complete too.
# Installed with m-gpux; for a user install put it in a directory of $fpath:
#   m-gpux completion zsh > ~/.zfunc/_m-gpux   (with fpath+=~/.zfunc before compinit)
_m-gpux() {
    local -a lines
    lines=("${(@f)$("${words[1]}" __complete zsh $((CURRENT - 1)) "${words[@]}" 2>/dev/null </dev/null)}")
    lines=(${lines:#})
    if [[ "${lines[1]}" == ":files" ]]; then
        _files
    elif (( ${#lines} )); then
        _describe -t m-gpux 'm-gpux' lines
    fi
}
if [[ "${funcstack[1]}" == "_m-gpux" ]]; then
    _m-gpux "$@"
else
    compdef _m-gpux m-gpux
fi
)SH";
}

std::string fish_script() {
    return R"SH(# fish completion for m-gpux. The candidates come from m-gpux itself at each
# completion, so the commands of plugins installed later complete too.
# Installed with m-gpux; for a user install:
#   m-gpux completion fish > ~/.config/fish/completions/m-gpux.fish
function __m_gpux_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($tokens[1] __complete fish (count $tokens) $tokens $current 2>/dev/null </dev/null)
    if test "$out[1]" = ":files"
        __fish_complete_path $current
    else
        printf '%s\n' $out
    end
end
complete -c m-gpux -f -a '(__m_gpux_complete)'
)SH";
}

boost::json::object option_json(const OptionSpec& o) {
    boost::json::object j;
    j["name"] = o.name;
    j["short"] = o.short_alias ? boost::json::value(std::string(1, o.short_alias)) : nullptr;
    j["type"] = option_type_name(o.type);
    j["positional"] = o.positional;
    j["repeatable"] = o.repeatable;
    j["negatable"] = o.negatable;
    j["required"] = o.required;
    j["hidden"] = o.hidden;
    j["metavar"] = o.metavar;
    j["help"] = o.help;
    j["default"] = o.default_value ? boost::json::value(*o.default_value) : nullptr;
    boost::json::array choices;
    for (const auto& c : o.choices) choices.emplace_back(c);
    j["choices"] = std::move(choices);
    j["exclusive_group"] =
        o.exclusive_group.empty() ? boost::json::value(nullptr) : boost::json::value(o.exclusive_group);
    return j;
}

}  // namespace

std::string completion_script(const std::string& shell) {
    if (shell == "bash") return bash_script();
    if (shell == "zsh") return zsh_script();
    if (shell == "fish") return fish_script();
    throw std::invalid_argument("unknown shell '" + shell + "': choose from bash, zsh, fish");
}

Completion complete_command_line(const CommandNode& root, const std::vector<std::string>& words, std::size_t cword,
                                 const ValueLookup& lookup) {
    const std::string cur = cword < words.size() ? words[cword] : "";
    const auto word_at = [&](std::size_t i) { return i < words.size() ? words[i] : std::string(); };
    const CommandNode* node = &root;
    std::size_t positionals_seen = 0;
    for (std::size_t i = 1; i < cword && i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "--") return Completion{{}, true};  // the command's own arguments
        if (w == "=") continue;                      // bash's split of --opt=value
        if (starts_with(w, "-")) {
            // Skip the option's value too ("--gpu X", or bash's "--gpu = X").
            if (option_value_kind(*node, w)) i += word_at(i + 1) == "=" ? 2 : 1;
            continue;
        }
        if (const CommandNode* child = positionals_seen == 0 ? node->child(w) : nullptr) {
            node = child;
            continue;
        }
        ++positionals_seen;
    }
    // The value of an option: "--gpu X", "--gpu=X" (one word) or bash's "--gpu = X".
    std::string option_word, value_prefix, typed = cur;
    if (const auto eq = cur.find('='); starts_with(cur, "--") && eq != std::string::npos) {
        option_word = cur.substr(0, eq);
        value_prefix = cur.substr(0, eq + 1);
        typed = cur.substr(eq + 1);
    } else if (cword >= 2 && (cur == "=" || word_at(cword - 1) == "=")) {
        option_word = word_at(cword - (cur == "=" ? 1 : 2));
        if (cur == "=") typed.clear();
    } else if (cword >= 2) {
        option_word = word_at(cword - 1);
    }
    if (starts_with(option_word, "-"))
        if (auto kind = option_value_kind(*node, option_word)) {
            Completion c = only_matching(values_of(*kind, *node, lookup), typed);
            for (auto& cand : c.candidates) cand.word = value_prefix + cand.word;
            return c;
        }
    if (starts_with(cur, "-")) return only_matching(option_words(*node), cur);
    return only_matching(argument_words(*node, positionals_seen, lookup), cur);
}

std::string format_completion(const Completion& c, const std::string& shell) {
    if (c.files) return ":files\n";
    std::string out;
    for (const auto& cand : c.candidates) {
        std::string help = cand.help.substr(0, cand.help.find('\n'));
        if (shell == "fish") {
            out += cand.word + (help.empty() ? "" : "\t" + help) + "\n";
        } else if (shell == "zsh") {
            std::string word;
            for (char ch : cand.word) word += ch == ':' ? std::string("\\:") : std::string(1, ch);
            out += word + (help.empty() ? "" : ":" + help) + "\n";
        } else {
            out += cand.word + "\n";
        }
    }
    return out;
}

boost::json::value command_tree_json(const CommandNode& root) {
    boost::json::array nodes;
    visit(root, [&](const CommandNode& n) {
        if (n.path.empty()) return;
        boost::json::object j;
        j["path"] = n.path_string();
        j["plugin"] = n.owner ? boost::json::value(n.owner->id) : boost::json::value(nullptr);
        j["summary"] = n.summary;
        j["runnable"] = n.command != nullptr;
        boost::json::array subs;
        for (const auto& [w, _] : n.children) subs.emplace_back(w);
        j["subcommands"] = std::move(subs);
        if (n.command) {
            const CommandSpec& c = *n.command;
            j["help"] = c.help;
            j["destructive"] = c.destructive;
            j["interactive"] = c.interactive;
            j["json"] = c.json;
            j["trailing"] = c.trailing_name.empty() ? boost::json::value(nullptr) : boost::json::value(c.trailing_name);
            boost::json::array opts;
            for (const auto& o : c.options) opts.push_back(option_json(o));
            j["options"] = std::move(opts);
        }
        nodes.push_back(std::move(j));
    });
    return nodes;
}

}  // namespace mgpux::cli
