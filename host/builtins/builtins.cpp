// SPDX-License-Identifier: MIT
#include "builtins/builtins.hpp"

#include "builtins/plugin_files.hpp"
#include "cli/completion.hpp"
#include "cli/man_page.hpp"
#include "plugins/load_check.hpp"
#include "services/console.hpp"
#include "services/host_table.hpp"
#include "services/hostinfo.hpp"
#include "services/profile_store.hpp"
#include "services/spend.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"
#include "util/subprocess.hpp"

#include "mgpux/plugin.h"

#include <boost/json.hpp>

#include <ctime>

namespace mgpux::builtins {

namespace json = boost::json;
using cli::CommandSpec;
using cli::OptionSpec;
using cli::OptionType;

json::object validation_report(HostContext& ctx, const std::filesystem::path& file) {
    util::CaptureResult r;
    try {
        r = util::run_capture(ctx.executable, {"--mgpux-probe-plugin", std::filesystem::absolute(file).string()},
                              std::chrono::seconds(30));
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("cannot start the validation child: ") + e.what());
    }
    json::object report;
    if (r.timed_out || r.signal) {
        report["file"] = file.string();
        report["usable"] = false;
        report["reason"] = r.timed_out ? "hung while loading (killed after 30 s)"
                                       : "crashed while loading (" + plugins::signal_name(r.signal) + ")";
        return report;
    }
    try {
        report = util::parse_json(r.out).as_object();
    } catch (const std::exception&) {
        // No report: the child died on its own terms (a sanitizer runtime, for
        // one, turns a crash into exit 1). Its last stderr line says why.
        std::string last = r.err;
        while (!last.empty() && last.back() == '\n') last.pop_back();
        last = last.substr(last.find_last_of('\n') == std::string::npos ? 0 : last.find_last_of('\n') + 1);
        report["file"] = file.string();
        report["usable"] = false;
        report["reason"] = "crashed while loading (exit " + std::to_string(r.exit_code) + ")" +
                           (last.empty() ? std::string() : ": " + last);
    }
    return report;
}

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

OptionSpec flag(const std::string& name, const std::string& help) {
    OptionSpec o;
    o.name = name;
    o.type = OptionType::Bool;
    o.help = help;
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

CommandSpec remove_spec() {
    CommandSpec c = spec({"plugins", "remove"}, "Remove a plugin you installed into your user plugin directory",
                         "Deletes $XDG_DATA_HOME/m-gpux/plugins/mgpux-<ID>.so (and <ID>/, its templates) after\n"
                         "asking. System plugins (those installed with m-gpux) are left to the package that\n"
                         "installed them.",
                         {positional("id", "the plugin id (as 'plugins list' shows it)", OptionType::String)});
    c.destructive = true;
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
        spec({"plugins", "install"}, "Install a plugin file into your user plugin directory",
             "Checks FILE as 'plugins validate' does, in a child process, and copies it into\n"
             "$XDG_DATA_HOME/m-gpux/plugins (replacing an earlier copy of the same plugin), with its\n"
             "own templates when <FILE's directory>/<id>/templates holds some. Refused:\n"
             "an unusable plugin, a symbolic link or anything but a regular file, a file writable by\n"
             "group or others, an id of a built-in command, and an id of a system plugin (which it\n"
             "would shadow) unless --force is given.",
             {positional("file", "the plugin library (mgpux-<id>.so)", OptionType::Path),
              flag("force", "install even when it shadows the system plugin of the same id")}),
        remove_spec(),
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
             "The script asks m-gpux for the candidates at each completion, so plugins installed\n"
             "later complete too. Installed with m-gpux; for a user install of the bash one:\n"
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
    json::object report;
    try {
        report = validation_report(ctx, file);
    } catch (const std::exception& e) {
        ctx.console->error(e.what());
        return MGPUX_E_FAILED;
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
        {nullptr, "plugins", "List, validate, install and remove plugins", "Built-in", &plugins_commands()},
        {nullptr, "commands", "Print the whole command tree", "Built-in", &commands_commands()},
        {nullptr, "completion", "Shell completion script", "Built-in", &completion_commands()},
    };
}

int run(HostContext& ctx, const cli::ParseResult& parsed) {
    const std::string path = parsed.node->path_string();
    if (path == "plugins list") return plugins_list(ctx);
    if (path == "plugins validate") return plugins_validate(ctx, std::string(parsed.values.at("file").as_string()));
    if (path == "plugins install")
        return plugins_install(ctx, std::string(parsed.values.at("file").as_string()),
                               parsed.values.at("force").as_bool());
    if (path == "plugins remove") return plugins_remove(ctx, std::string(parsed.values.at("id").as_string()));
    if (path == "commands") return commands(ctx);
    if (path == "completion") {
        ctx.console->text(services::TextKind::Plain,
                          cli::completion_script(std::string(parsed.values.at("shell").as_string())));
        return 0;
    }
    ctx.console->error("no handler for built-in command '" + path + "'");
    return MGPUX_E_FAILED;
}

bool is_hidden_entry(const std::string& word) { return word == kCompleteEntry || word == kManEntry; }

namespace {

// The ids of the plugins in the user directory (what `plugins remove` takes).
std::vector<cli::Candidate> user_plugin_ids() {
    std::vector<cli::Candidate> ids;
    const std::string prefix = "mgpux-", suffix = plugins::plugin_file_name("").substr(prefix.size());
    for (const auto& file : plugins::plugin_files(plugins::DiscoveryEnv::from_environment().user_dir)) {
        const std::string name = file.filename().string();
        ids.push_back({name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()), file.string()});
    }
    return ids;
}

// The profile names in the Modal profile file, and AUTO; none when it cannot be read.
std::vector<cli::Candidate> profile_names() {
    std::vector<cli::Candidate> names;
    try {
        for (const auto& p : services::ProfileStore(modal_config_path()).list())
            names.push_back({p.name, p.active ? "active profile" : ""});
    } catch (const std::exception&) {
        return {};
    }
    names.push_back({services::spend::kAutoProfile, "the profile with the most money left this month"});
    return names;
}

std::vector<cli::Candidate> local_values(const cli::CommandNode& node, const std::string& option) {
    if (option == "profile") return profile_names();
    if (node.path_string() == "plugins remove" && option == "id") return user_plugin_ids();
    return {};
}

// `__complete SHELL CWORD WORDS...`: the candidates for WORDS[CWORD].
int complete(HostContext& ctx, const std::vector<std::string>& args) {
    if (args.size() < 3) {
        ctx.console->error("usage: m-gpux __complete bash|zsh|fish CWORD WORDS...");
        return MGPUX_E_USAGE;
    }
    const std::string& shell = args[1];
    std::size_t cword = 0;
    try {
        cword = std::stoul(args[2]);
    } catch (const std::exception&) {
        ctx.console->error("__complete: CWORD must be a number, not '" + args[2] + "'");
        return MGPUX_E_USAGE;
    }
    const std::vector<std::string> words(args.begin() + 3, args.end());
    ctx.console->text(services::TextKind::Plain,
                      cli::format_completion(cli::complete_command_line(*ctx.root, words, cword, local_values), shell));
    return 0;
}

// `__man`: the manual page. SOURCE_DATE_EPOCH dates it (a build is reproducible
// only without the clock); without it the page has no date.
int man(HostContext& ctx) {
    std::string date;
    if (auto epoch = util::env("SOURCE_DATE_EPOCH")) {
        try {
            const std::time_t t = static_cast<std::time_t>(std::stoll(*epoch));
            std::tm tm{};
            char buf[16];
            if (::gmtime_r(&t, &tm) && std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm)) date = buf;
        } catch (const std::exception&) {
            // Not a number: no date rather than a wrong one.
        }
    }
    ctx.console->text(services::TextKind::Plain, cli::man_page(*ctx.root, MGPUX_VERSION, date));
    return 0;
}

}  // namespace

int run_hidden_entry(HostContext& ctx, const std::vector<std::string>& args) {
    if (args.at(0) == kCompleteEntry) return complete(ctx, args);
    return man(ctx);
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
