// SPDX-License-Identifier: MIT
#include "cli/help.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace mgpux::cli {

namespace {

struct Row {
    std::string left;
    std::string right;
};

std::string format_rows(const std::vector<Row>& rows, std::size_t indent = 2) {
    std::size_t width = 0;
    for (const auto& r : rows) width = std::max(width, r.left.size());
    width = std::min<std::size_t>(width, 30);
    std::string out;
    for (const auto& r : rows) {
        out += std::string(indent, ' ') + r.left;
        if (!r.right.empty()) {
            if (r.left.size() > width) out += "\n" + std::string(indent + width + 2, ' ');
            else out += std::string(width - r.left.size() + 2, ' ');
            out += r.right;
        }
        out += "\n";
    }
    return out;
}

}  // namespace

std::string option_left(const OptionSpec& o) {
    std::string s = o.short_alias ? std::string("-") + o.short_alias + ", " : "    ";
    s += o.negatable ? "--[no-]" + o.name : "--" + o.name;
    if (o.type != OptionType::Bool) s += " " + o.metavar;
    return s;
}

std::string option_right(const OptionSpec& o) {
    std::string s = o.help;
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
    if (!o.choices.empty()) {
        std::string list;
        for (const auto& c : o.choices) list += (list.empty() ? "" : "|") + c;
        add("{" + list + "}");
    }
    if (o.default_value && o.type != OptionType::Bool) add("[default: " + *o.default_value + "]");
    if (o.required) add("[required]");
    // A plugin's own help may already say so; say it once.
    if (o.repeatable && o.help.find("repeatable") == std::string::npos) add("[repeatable]");
    if (!o.exclusive_group.empty()) add("[excludes other " + o.exclusive_group + " options]");
    return s;
}

std::string usage_line(const CommandNode& node) {
    std::string s = "Usage: m-gpux";
    if (node.path.empty()) return s + " [global options] <command> [<subcommand>] [options] [args]\n";
    s += " " + node.path_string();
    if (!node.command) return s + " <command> [options]\n";
    const CommandSpec& c = *node.command;
    if (!node.children.empty()) s += " [<command>]";
    bool has_options = false;
    for (const auto& o : c.options) has_options = has_options || (!o.positional && !o.hidden);
    if (has_options) s += " [options]";
    for (const auto& o : c.options) {
        if (!o.positional) continue;
        std::string m = o.metavar + (o.repeatable ? "..." : "");
        s += " " + (o.required ? m : "[" + m + "]");
    }
    if (!c.trailing_name.empty()) {
        std::string t = c.trailing_name;
        std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::toupper(ch); });
        s += " [-- " + t + "...]";
    }
    return s + "\n";
}

namespace {

std::string commands_block(const CommandNode& node) {
    std::vector<Row> rows;
    for (const auto& [name, child] : node.children) rows.push_back({name, child->summary});
    return rows.empty() ? "" : "\nCommands:\n" + format_rows(rows);
}

std::string root_commands_block(const CommandNode& root) {
    std::map<std::string, std::vector<Row>> panels;
    std::vector<std::string> order;
    for (const auto& [name, child] : root.children) {
        std::string panel = child->panel.empty() ? (child->owner ? "Plugins" : "Built-in") : child->panel;
        if (!panels.count(panel)) order.push_back(panel);
        panels[panel].push_back({name, child->summary});
    }
    // Known panels first, in the original's order; then the rest; built-ins last.
    static const std::vector<std::string> kOrder = {"Identity & Finance", "Compute Engine", "Workspace", "Utility"};
    std::vector<std::string> sorted;
    for (const auto& p : kOrder)
        if (panels.count(p)) sorted.push_back(p);
    for (const auto& p : order)
        if (std::find(sorted.begin(), sorted.end(), p) == sorted.end() && p != "Built-in") sorted.push_back(p);
    if (panels.count("Built-in")) sorted.push_back("Built-in");
    std::string out;
    for (const auto& p : sorted) out += "\n" + p + ":\n" + format_rows(panels[p]);
    return out;
}

}  // namespace

const std::vector<GlobalOptionDoc>& global_option_docs() {
    static const std::vector<GlobalOptionDoc> docs = {
        {"    --profile NAME", "Modal profile for this command (never changes the active one)"},
        {"-y, --yes", "take every default and confirm; no prompts (needed to launch without a terminal)"},
        {"    --no-input",
         "never prompt; a question without a safe default, or a launch that costs money, is an error (exit 2)"},
        {"    --dry-run", "show what would run; run and change nothing (only --script-out is still written)"},
        {"    --json", "one JSON document on stdout; human text goes to stderr"},
        {"    --script-out PATH", "also write the rendered script to PATH, even under --dry-run"},
        {"    --backend modal|local", "where a workload runs [env: MGPUX_BACKEND]"},
        {"    --ignore-missing", "local backend: run even when the image needs packages this machine lacks"},
        {"    --ignore-budget", "launch on a profile even when it is over its monthly budget"},
        {"-v, --verbose", "more output (repeatable)"},
        {"-q, --quiet", "less output"},
        {"    --color auto|always|never", "colour (NO_COLOR is honoured)"},
        {"    --version", "print the version and plugin ABI"},
        {"-h, --help", "show help for the command"},
    };
    return docs;
}

std::string global_options_help() {
    std::vector<Row> rows;
    for (const auto& d : global_option_docs()) rows.push_back({d.spelling, d.help});
    return "\nGlobal options (before or after the command words):\n" + format_rows(rows);
}

std::string render_help(const CommandNode& node, const std::string& version) {
    std::string out;
    if (node.path.empty()) {
        out += "m-gpux " + version + " - Modal GPU Orchestrator\n";
        out +=
            "Run GPU work on Modal: manage accounts, launch notebooks, scripts, terminals and\n"
            "dev containers, deploy web apps and LLM servers, train image classifiers, make\n"
            "videos from text, and track sessions and spend.\n\n";
        out += usage_line(node);
        out += root_commands_block(node);
        out += global_options_help();
        out += "\nExit codes: 0 ok, 1 failed, 2 usage, 3 config/state file, 4 missing program, 130 cancelled.\n";
        out += "Run 'm-gpux <command> --help' for a command's options.\n";
        return out;
    }
    out += usage_line(node) + "\n";
    // A command's own summary is more specific than its plugin's one-liner.
    out += (node.command && !node.command->summary.empty() ? node.command->summary : node.summary) + "\n";
    if (node.command && !node.command->help.empty()) out += "\n" + node.command->help + "\n";
    if (node.command) {
        std::vector<Row> args, opts;
        for (const auto& o : node.command->options) {
            if (o.hidden) continue;
            if (o.positional) args.push_back({o.metavar, option_right(o)});
            else opts.push_back({option_left(o), option_right(o)});
        }
        if (!args.empty()) out += "\nArguments:\n" + format_rows(args);
        if (!opts.empty()) out += "\nOptions:\n" + format_rows(opts);
        if (node.command->destructive) out += "\nThis command is destructive: under --no-input it needs --yes.\n";
    }
    out += commands_block(node);
    out += global_options_help();
    return out;
}

}  // namespace mgpux::cli
