// SPDX-License-Identifier: MIT
#include "builtins/builtins.hpp"

#include "cli/completion.hpp"
#include "plugins/load_check.hpp"
#include "services/console.hpp"
#include "services/host_table.hpp"
#include "services/hostinfo.hpp"
#include "util/json.hpp"
#include "util/subprocess.hpp"

#include "mgpux/plugin.h"

#include <boost/json.hpp>

namespace mgpux::builtins {

namespace json = boost::json;
using cli::CommandSpec;
using cli::OptionSpec;
using cli::OptionType;

namespace {

OptionSpec positional(const std::string& name, const std::string& help, OptionType type,
                      std::vector<std::string> choices = {}) {
    OptionSpec o;
    o.name = name;
    o.positional = true;
    o.required = true;
    o.type = type;
    o.help = help;
    o.choices = std::move(choices);
    o.metavar = name;
    for (auto& c : o.metavar) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return o;
}

CommandSpec spec(std::vector<std::string> path, std::string summary, std::string help,
                 std::vector<OptionSpec> options = {}, bool json = true) {
    CommandSpec c;
    c.path = std::move(path);
    c.summary = std::move(summary);
    c.help = std::move(help);
    c.options = std::move(options);
    c.json = json;
    return c;
}

const std::vector<CommandSpec>& plugins_commands() {
    static const std::vector<CommandSpec> specs = {
        spec({"plugins", "list"}, "List plugin files found, with status loaded, skipped or shadowed",
             "Searches MGPUX_PLUGIN_PATH (which replaces the rest), MGPUX_ADD_PLUGIN_PATH, the user\n"
             "directory ($XDG_DATA_HOME/m-gpux/plugins) and the system directory next to the program.\n"
             "MGPUX_DEBUG=plugins prints every decision."),
        spec({"plugins", "validate"}, "Load one plugin file in a child process and report on it",
             "Prints the descriptor and commands of FILE, or why it cannot be used. Exits 1 when the\n"
             "plugin is unusable.",
             {positional("file", "the plugin library (mgpux-<id>.so)", OptionType::Path)}),
    };
    return specs;
}

const std::vector<CommandSpec>& commands_commands() {
    static const std::vector<CommandSpec> specs = {
        spec({"commands"}, "Print the whole command tree (use --json for the machine-readable form)", ""),
    };
    return specs;
}

const std::vector<CommandSpec>& completion_commands() {
    static const std::vector<CommandSpec> specs = {
        spec({"completion"}, "Print a shell completion script for bash, zsh or fish",
             "Generated from the commands of the plugins loaded now. For bash:\n"
             "  m-gpux completion bash > ~/.local/share/bash-completion/completions/m-gpux",
             {positional("shell", "the shell", OptionType::Choice, {"bash", "zsh", "fish"})},
             /*json=*/false),  // prints a script, not JSON
    };
    return specs;
}

int plugins_list(HostContext& ctx) {
    if (ctx.globals.json) {
        json::array arr;
        for (const auto& p : ctx.registry->all()) {
            json::object entry = services::plugin_json(*p);
            entry["cached"] = p->cached;  // metadata read from the plugin cache, library not opened
            arr.push_back(std::move(entry));
        }
        json::object doc;
        doc["plugins"] = std::move(arr);
        json::array dirs;
        for (const auto& d : ctx.registry->dirs()) {
            json::object jd;
            jd["path"] = d.dir.string();
            jd["origin"] = d.origin;
            dirs.push_back(std::move(jd));
        }
        doc["search_dirs"] = std::move(dirs);
        ctx.console->json(doc);
        return 0;
    }
    services::Table t;
    t.columns = {"ID", "VERSION", "ABI", "STATUS", "PATH"};
    for (const auto& p : ctx.registry->all()) {
        std::string status = plugins::status_name(p->status);
        if (!p->reason.empty()) status += ": " + p->reason;
        t.rows.push_back(
            {p->id.empty() ? "-" : p->id, p->version.empty() ? "-" : p->version,
             p->abi_major || p->abi_minor ? std::to_string(p->abi_major) + "." + std::to_string(p->abi_minor) : "-",
             status, p->path.string()});
    }
    if (t.rows.empty()) {
        std::string where;
        for (const auto& d : ctx.registry->dirs()) where += "\n  " + d.dir.string() + " (" + d.origin + ")";
        ctx.console->text(services::TextKind::Plain, "No plugins found. Searched:" + where + "\n");
        return 0;
    }
    ctx.console->table(t);
    return 0;
}

int plugins_validate(HostContext& ctx, const std::string& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        ctx.console->error("no such file: " + file);
        return MGPUX_E_USAGE;
    }
    util::CaptureResult r;
    try {
        r = util::run_capture(ctx.executable, {"--mgpux-probe-plugin", std::filesystem::absolute(file).string()},
                              std::chrono::seconds(30));
    } catch (const std::exception& e) {
        ctx.console->error(std::string("cannot start the validation child: ") + e.what());
        return MGPUX_E_FAILED;
    }
    json::object report;
    if (r.timed_out || r.signal) {
        report["file"] = file;
        report["usable"] = false;
        report["reason"] = r.timed_out ? "hung while loading (killed after 30 s)"
                                       : "crashed while loading (" + plugins::signal_name(r.signal) + ")";
    } else {
        try {
            report = util::parse_json(r.out).as_object();
        } catch (const std::exception&) {
            // No report: the child died on its own terms (a sanitizer runtime, for
            // one, turns a crash into exit 1). Its last stderr line says why.
            std::string last = r.err;
            while (!last.empty() && last.back() == '\n') last.pop_back();
            last = last.substr(last.find_last_of('\n') == std::string::npos ? 0 : last.find_last_of('\n') + 1);
            report["file"] = file;
            report["usable"] = false;
            report["reason"] = "crashed while loading (exit " + std::to_string(r.exit_code) + ")" +
                               (last.empty() ? std::string() : ": " + last);
        }
    }
    const bool usable = report["usable"].is_bool() && report["usable"].get_bool();
    if (ctx.globals.json) {
        ctx.console->json(report);
    } else if (usable) {
        ctx.console->text(services::TextKind::Success, "usable: " + file + "\n");
        ctx.console->text(services::TextKind::Plain, "  id " + std::string(report["id"].as_string()) + ", version " +
                                                         std::string(report["version"].as_string()) + ", ABI " +
                                                         std::string(report["abi"].as_string()) + "\n  commands:\n");
        for (const auto& c : report["commands"].as_array())
            ctx.console->text(services::TextKind::Plain,
                              "    m-gpux " + std::string(c.as_object().at("path").as_string()) + "\n");
    } else {
        ctx.console->error("unusable plugin " + file + ": " + std::string(report["reason"].as_string()));
    }
    return usable ? 0 : MGPUX_E_FAILED;
}

int commands(HostContext& ctx) {
    json::value tree = cli::command_tree_json(*ctx.root);
    if (ctx.globals.json) {
        json::object doc;
        doc["version"] = ctx.version;
        doc["abi"] = std::to_string(MGPUX_ABI_MAJOR) + "." + std::to_string(MGPUX_ABI_MINOR);
        doc["commands"] = std::move(tree);
        ctx.console->json(doc);
        return 0;
    }
    std::string out;
    for (const auto& n : tree.as_array()) {
        const auto& o = n.as_object();
        std::string path = "m-gpux " + std::string(o.at("path").as_string());
        if (path.size() < 34) path.append(34 - path.size(), ' ');
        out += path + " " + std::string(o.at("summary").as_string()) + "\n";
    }
    ctx.console->text(services::TextKind::Plain, out);
    return 0;
}

}  // namespace

std::vector<cli::TreeSource> sources() {
    return {
        {nullptr, "plugins", "List and validate plugins", "Built-in", &plugins_commands()},
        {nullptr, "commands", "Print the whole command tree", "Built-in", &commands_commands()},
        {nullptr, "completion", "Shell completion script", "Built-in", &completion_commands()},
    };
}

int run(HostContext& ctx, const cli::ParseResult& parsed) {
    const std::string path = parsed.node->path_string();
    if (path == "plugins list") return plugins_list(ctx);
    if (path == "plugins validate") return plugins_validate(ctx, std::string(parsed.values.at("file").as_string()));
    if (path == "commands") return commands(ctx);
    if (path == "completion") {
        ctx.console->text(services::TextKind::Plain,
                          cli::completion_script(*ctx.root, std::string(parsed.values.at("shell").as_string())));
        return 0;
    }
    ctx.console->error("no handler for built-in command '" + path + "'");
    return MGPUX_E_FAILED;
}

int probe_plugin_file(HostContext& ctx, const std::string& file) {
    json::object report;
    report["file"] = file;
    plugins::Plugin p = plugins::load_plugin(file, "validate");
    if (p.status != plugins::PluginStatus::Loaded) {
        report["usable"] = false;
        report["reason"] = p.reason;
        ctx.console->json(report);
        return 0;
    }
    std::string unsafe = plugins::unsafe_reason(file);
    report["id"] = p.id;
    report["version"] = p.version;
    report["abi"] = std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor);
    report["summary"] = p.summary;
    report["descriptor_size"] = p.descriptor_size;
    // The commands, through the same tree code the host uses.
    std::vector<cli::TreeSource> src = {{&p, p.id, p.summary, p.panel, &p.commands}};
    auto root = cli::build_tree(src, nullptr);
    report["commands"] = cli::command_tree_json(*root);
    // init and shutdown, as a run would call them.
    services::PluginHost host(ctx, p);
    int32_t status = MGPUX_OK;
    if (p.descriptor->init) {
        try {
            status = p.descriptor->init(host.table());
        } catch (...) {
            status = MGPUX_E_FAILED;
            host.error_ = "init threw an exception across the C ABI";
        }
    }
    report["init_status"] = status;
    if (status != MGPUX_OK) {
        report["usable"] = false;
        report["reason"] =
            "init failed with status " + std::to_string(status) + (host.error().empty() ? "" : ": " + host.error());
    } else {
        plugins::shutdown_plugin(p);
        report["usable"] = unsafe.empty();
        if (!unsafe.empty()) report["reason"] = "refused by discovery: " + unsafe;
    }
    ctx.console->json(report);
    return 0;
}

}  // namespace mgpux::builtins
