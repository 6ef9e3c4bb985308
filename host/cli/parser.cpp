// SPDX-License-Identifier: MIT
#include "cli/parser.hpp"

#include "cli/suggest.hpp"

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

namespace mgpux::cli {

namespace po = boost::program_options;
namespace json = boost::json;

namespace {

const char* const kPositionalPrefix = "\x01pos:";

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string dashed(const OptionSpec& o) { return o.positional ? o.metavar : "--" + o.name; }

// Global options that take a value.
const std::map<std::string, std::optional<std::string> GlobalOptions::*> kValueGlobals = {
    {"profile", &GlobalOptions::profile},
    {"script-out", &GlobalOptions::script_out},
    {"backend", &GlobalOptions::backend},
};

void set_value_global(GlobalOptions& g, const std::string& name, const std::string& value) {
    if (name == "color") {
        if (value != "auto" && value != "always" && value != "never")
            throw UsageError("invalid value '" + value + "' for --color: choose from auto, always, never", nullptr);
        g.color = value;
        return;
    }
    if (name == "backend" && value != "modal" && value != "local")
        throw UsageError("invalid value '" + value + "' for --backend: choose from modal, local", nullptr);
    if (value.empty()) throw UsageError("--" + name + " needs a non-empty value", nullptr);
    g.*kValueGlobals.at(name) = value;
}

bool set_flag_global(GlobalOptions& g, const std::string& name) {
    if (name == "yes") g.yes = true;
    else if (name == "no-input") g.no_input = true;
    else if (name == "dry-run") g.dry_run = true;
    else if (name == "ignore-missing") g.ignore_missing = true;
    else if (name == "ignore-budget") g.ignore_budget = true;
    else if (name == "json") g.json = true;
    else if (name == "verbose") ++g.verbosity;
    else if (name == "quiet") --g.verbosity;
    else if (name == "help") g.help = true;
    else if (name == "version") g.version = true;
    else return false;
    return true;
}

bool set_short_global(GlobalOptions& g, char c) {
    switch (c) {
        case 'y': g.yes = true; return true;
        case 'v': ++g.verbosity; return true;
        case 'q': --g.verbosity; return true;
        case 'h': g.help = true; return true;
        default: return false;
    }
}

}  // namespace

std::vector<std::string> extract_global_options(const std::vector<std::string>& args, GlobalOptions& g) {
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& tok = args[i];
        if (tok == "--") {
            rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            break;
        }
        if (starts_with(tok, "--")) {
            std::string name = tok.substr(2);
            std::optional<std::string> inline_value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                inline_value = name.substr(eq + 1);
                name.resize(eq);
            }
            if (kValueGlobals.count(name) || name == "color") {
                if (!inline_value) {
                    if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value", nullptr);
                    inline_value = args[++i];
                }
                set_value_global(g, name, *inline_value);
                continue;
            }
            if (!inline_value && set_flag_global(g, name)) continue;
            rest.push_back(tok);
            continue;
        }
        // -y, -v, -q, -h and clusters of them (-vv, -yq).
        if (tok.size() >= 2 && tok[0] == '-' && tok[1] != '-') {
            bool all_global = true;
            for (std::size_t k = 1; k < tok.size(); ++k) all_global = all_global && is_global_short_alias(tok[k]);
            if (all_global) {
                for (std::size_t k = 1; k < tok.size(); ++k) set_short_global(g, tok[k]);
                continue;
            }
        }
        rest.push_back(tok);
    }
    return rest;
}

namespace {

std::vector<std::string> option_names_for_suggestion(const CommandSpec* cmd) {
    std::vector<std::string> names = {"--profile",    "--yes",     "--no-input",       "--dry-run",      "--json",
                                      "--script-out", "--backend", "--verbose",        "--quiet",        "--color",
                                      "--version",    "--help",    "--ignore-missing", "--ignore-budget"};
    if (cmd) {
        for (const auto& o : cmd->options) {
            if (o.positional || o.hidden) continue;
            names.push_back("--" + o.name);
            if (o.negatable) names.push_back("--no-" + o.name);
        }
    }
    return names;
}

[[noreturn]] void unknown_option(const std::string& token, const CommandNode* node) {
    std::string name = token.substr(0, token.find('='));
    std::string msg = "unknown option '" + name + "'";
    if (node && node->command) msg += " for 'm-gpux " + node->path_string() + "'";
    std::string best = closest_match(name, option_names_for_suggestion(node ? node->command : nullptr));
    if (!best.empty()) msg += "; did you mean '" + best + "'?";
    throw UsageError(msg, node);
}

[[noreturn]] void unknown_command(const std::string& word, const CommandNode& node) {
    std::vector<std::string> words;
    for (const auto& [w, _] : node.children) words.push_back(w);
    const std::string where = node.path.empty() ? "m-gpux" : "m-gpux " + node.path_string();
    std::string msg = "unknown command '" + word + "' for '" + where + "'";
    if (auto best = closest_match(word, words); !best.empty()) msg += "; did you mean '" + best + "'?";
    throw UsageError(msg, &node);
}

// A command with subcommands and no positionals of its own (`account` over
// `account switch`): a leading word that is none of its subcommands is a
// mistyped one, whatever follows it (`account swich p1` blames 'swich').
bool takes_positionals(const CommandSpec& cmd) {
    for (const auto& o : cmd.options)
        if (o.positional) return true;
    return false;
}

void check_leading_word(const CommandNode& node, const std::vector<std::string>& remaining) {
    if (node.children.empty() || remaining.empty() || takes_positionals(*node.command)) return;
    const std::string& word = remaining.front();
    if (!word.empty() && word[0] != '-') unknown_command(word, node);
}

json::value typed_value(const OptionSpec& o, const std::string& text, const CommandNode* node) {
    switch (o.type) {
        case OptionType::Int: {
            long long v = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc() || p != text.data() + text.size() || text.empty())
                throw UsageError("invalid value '" + text + "' for " + dashed(o) + ": expected an integer", node);
            return v;
        }
        case OptionType::Float: {
            char* end = nullptr;
            double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !std::isfinite(v))
                throw UsageError("invalid value '" + text + "' for " + dashed(o) + ": expected a number", node);
            return v;
        }
        case OptionType::Bool:
            if (text == "true" || text == "1" || text == "yes") return true;
            if (text == "false" || text == "0" || text == "no") return false;
            throw UsageError("invalid value '" + text + "' for " + dashed(o) + ": expected true or false", node);
        case OptionType::Choice: {
            for (const auto& c : o.choices)
                if (c == text) return json::value(text);
            std::string list;
            for (const auto& c : o.choices) list += (list.empty() ? "" : ", ") + c;
            throw UsageError("invalid value '" + text + "' for " + dashed(o) + ": choose from " + list, node);
        }
        case OptionType::String:
        case OptionType::Path: return json::value(text);
    }
    return json::value(text);
}

std::string pos_key(const OptionSpec& o) { return kPositionalPrefix + o.name; }

void parse_command_options(const CommandNode& node, const std::vector<std::string>& tokens, ParseResult& result) {
    const CommandSpec& cmd = *node.command;
    po::options_description desc;
    po::positional_options_description positional;
    for (const auto& o : cmd.options) {
        if (o.positional) {
            desc.add_options()(pos_key(o).c_str(), po::value<std::vector<std::string>>()->composing());
            positional.add(pos_key(o).c_str(), o.repeatable ? -1 : 1);
            continue;
        }
        std::string spec = o.name;
        if (o.short_alias) spec += std::string(",") + o.short_alias;
        if (o.type == OptionType::Bool) {
            desc.add_options()(spec.c_str(), po::value<std::vector<std::string>>()->zero_tokens()->composing());
            if (o.negatable)
                desc.add_options()(("no-" + o.name).c_str(),
                                   po::value<std::vector<std::string>>()->zero_tokens()->composing());
        } else {
            desc.add_options()(spec.c_str(), po::value<std::vector<std::string>>()->composing());
        }
    }

    po::variables_map vm;
    try {
        const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
        auto parsed = po::command_line_parser(tokens).options(desc).positional(positional).style(style).run();
        po::store(parsed, vm);
    } catch (const po::unknown_option& e) {
        unknown_option(e.get_option_name(), &node);
    } catch (const po::too_many_positional_options_error&) {
        std::string extra;
        for (const auto& t : tokens)
            if (!t.empty() && t[0] != '-') extra = t;
        if (node.children.empty())
            throw UsageError("unexpected argument '" + extra + "' for 'm-gpux " + node.path_string() + "'", &node);
        unknown_command(extra, node);
    } catch (const po::error& e) {
        throw UsageError(e.what(), &node);
    }

    std::map<std::string, std::string> given_in_group;  // group -> option shown
    for (const auto& o : cmd.options) {
        const std::string key = o.positional ? pos_key(o) : o.name;
        const bool given = vm.count(key) > 0;
        const bool negated = o.negatable && vm.count("no-" + o.name) > 0;
        if (given && negated)
            throw UsageError("--" + o.name + " and --no-" + o.name + " cannot be given together", &node);
        if ((given || negated) && !o.exclusive_group.empty()) {
            auto [it, inserted] = given_in_group.emplace(o.exclusive_group, dashed(o));
            if (!inserted) throw UsageError(it->second + " and " + dashed(o) + " cannot be given together", &node);
        }
        if (o.type == OptionType::Bool) {
            if (given || negated) {
                result.values[o.name] = given;
            } else if (o.default_value) {
                result.values[o.name] = typed_value(o, *o.default_value, &node);
            } else if (!o.negatable) {
                // A plain flag has no third state; an on/off flag stays absent.
                result.values[o.name] = false;
            }
            continue;
        }
        if (given) {
            const auto& texts = vm[key].as<std::vector<std::string>>();
            if (o.repeatable) {
                json::array arr;
                for (const auto& t : texts) arr.push_back(typed_value(o, t, &node));
                result.values[o.name] = std::move(arr);
            } else {
                if (texts.size() > 1) throw UsageError("option " + dashed(o) + " given more than once", &node);
                result.values[o.name] = typed_value(o, texts.front(), &node);
            }
        } else if (o.required) {
            throw UsageError(o.positional ? "missing argument " + o.metavar : "missing required option --" + o.name,
                             &node);
        } else if (o.default_value) {
            json::value v = typed_value(o, *o.default_value, &node);
            if (o.repeatable) result.values[o.name] = json::array{v};
            else result.values[o.name] = std::move(v);
        }
    }
}

}  // namespace

void add_unset_flags_as_false(const CommandSpec& command, json::object& values) {
    for (const auto& o : command.options)
        if (o.type == OptionType::Bool && !values.contains(o.name)) values[o.name] = false;
}

ParseResult parse_command_line(const CommandNode& root, const std::vector<std::string>& args) {
    GlobalOptions globals;
    std::vector<std::string> rest = extract_global_options(args, globals);
    return parse_command_tokens(root, rest, globals);
}

ParseResult parse_command_tokens(const CommandNode& root, const std::vector<std::string>& rest,
                                 const GlobalOptions& globals) {
    ParseResult result;
    result.globals = globals;

    // Split off the trailing list.
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == "--") {
            result.trailing.assign(rest.begin() + static_cast<std::ptrdiff_t>(i) + 1, rest.end());
            result.trailing_given = true;
            break;
        }
        tokens.push_back(rest[i]);
    }

    // Command words: leading non-option tokens that name children.
    const CommandNode* node = &root;
    std::size_t i = 0;
    while (i < tokens.size() && !tokens[i].empty() && tokens[i][0] != '-') {
        const CommandNode* next = node->child(tokens[i]);
        if (!next) break;
        node = next;
        ++i;
    }
    result.node = node;
    std::vector<std::string> remaining(tokens.begin() + static_cast<std::ptrdiff_t>(i), tokens.end());

    if (result.globals.help || result.globals.version) return result;

    if (!node->command) {
        // A group: anything left over is an unknown command or option.
        if (!remaining.empty()) {
            const std::string& word = remaining.front();
            if (word[0] == '-') unknown_option(word, node);
            unknown_command(word, *node);
        }
        if (result.trailing_given) throw UsageError("'--' is not accepted here", node);
        return result;
    }

    if (result.trailing_given && node->command->trailing_name.empty())
        throw UsageError("'m-gpux " + node->path_string() + "' takes no arguments after '--'", node);
    check_leading_word(*node, remaining);
    parse_command_options(*node, remaining, result);
    if (!node->command->trailing_name.empty()) {
        json::array arr;
        for (const auto& t : result.trailing) arr.emplace_back(t);
        result.values[node->command->trailing_name] = std::move(arr);
    }
    return result;
}

}  // namespace mgpux::cli
