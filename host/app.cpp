// SPDX-License-Identifier: MIT
#include "app.hpp"

#include "builtins/builtins.hpp"
#include "cli/command_tree.hpp"
#include "cli/help.hpp"
#include "cli/parser.hpp"
#include "host_context.hpp"
#include "plugins/load_check.hpp"
#include "services/console.hpp"
#include "services/host_table.hpp"
#include "services/logging.hpp"
#include "services/prompts.hpp"
#include "services/service_error.hpp"
#include "services/spend.hpp"
#include "services/temp_files.hpp"
#include "services/templates.hpp"
#include "util/paths.hpp"

#include "mgpux/plugin.h"

#include <boost/json.hpp>

#include <functional>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace mgpux {

namespace json = boost::json;

namespace {

bool debug_plugins() {
    auto v = util::env("MGPUX_DEBUG");
    return v && (v->find("plugins") != std::string::npos || *v == "all");
}

// The process's terminal for prompts, which first ends any spinner: a
// question must start on a clean line, and nothing may redraw over it.
class PromptTerminal : public services::PosixTerminal {
public:
    explicit PromptTerminal(services::Console& console) : console_(console) {}
    std::optional<std::string> read_line() override {
        quiet();
        return PosixTerminal::read_line();
    }
    std::optional<std::string> read_secret() override {
        quiet();
        return PosixTerminal::read_secret();
    }
    services::KeyPress read_key() override {
        quiet();
        return PosixTerminal::read_key();
    }
    void write(const std::string& s) override {
        quiet();
        PosixTerminal::write(s);
    }

private:
    void quiet() { console_.progress(nullptr); }
    services::Console& console_;
};

// A spinner redraws its line several times a second: only on a terminal that
// understands the redrawing.
bool spinner_possible(bool stderr_tty) {
    const auto term = util::env("TERM");
    return stderr_tty && !(term && *term == "dumb");
}

int normalise_status(int status) {
    switch (status) {
        case MGPUX_OK:
        case MGPUX_E_FAILED:
        case MGPUX_E_USAGE:
        case MGPUX_E_CONFIG:
        case MGPUX_E_MISSING_PROGRAM:
        case MGPUX_E_CANCELLED: return status;
        default: return MGPUX_E_FAILED;
    }
}

json::object globals_json(const HostContext& ctx) {
    const auto& g = ctx.globals;
    json::object j;
    j["profile"] = g.profile ? json::value(*g.profile) : json::value(nullptr);
    j["yes"] = g.yes;
    j["no_input"] = g.no_input || !::isatty(STDIN_FILENO);
    j["dry_run"] = g.dry_run;
    j["json"] = g.json;
    j["script_out"] = g.script_out ? json::value(*g.script_out) : json::value(nullptr);
    j["backend"] = g.backend ? *g.backend : util::env("MGPUX_BACKEND").value_or("modal");
    j["verbosity"] = g.verbosity;
    j["color"] = ctx.console->settings().color_stdout;
    j["interactive"] = ctx.prompter->interactive();
    return j;
}

// Calls into plugin code; a C++ exception that escapes a plugin without the
// helper is caught here rather than taking the host down.
template <typename Fn>
int32_t call_plugin(services::PluginHost& host, const char* what, Fn&& fn) {
    try {
        return fn();
    } catch (const std::exception& e) {
        host.error_ = std::string(what) + " threw an exception across the C ABI: " + e.what();
    } catch (...) {
        host.error_ = std::string(what) + " threw an exception across the C ABI";
    }
    return MGPUX_E_FAILED;
}

int run_plugin_command(HostContext& ctx, const cli::ParseResult& parsed) {
    const plugins::Plugin& plugin = *parsed.node->owner;
    // Discovery may have taken the plugin from the metadata cache: open its
    // library now, and only this one.
    if (std::string why = ctx.registry->ensure_loaded(plugin); !why.empty()) {
        ctx.console->error(why);
        return MGPUX_E_FAILED;
    }
    const mgpux_plugin_descriptor& d = *plugin.descriptor;
    services::PluginHost host(ctx, plugin);
    if (d.init) {
        int32_t status = call_plugin(host, "init", [&] { return d.init(host.table()); });
        if (status != MGPUX_OK) {
            ctx.console->error("plugin '" + plugin.id + "' (" + plugin.path.string() + ") failed to initialise" +
                               (host.error().empty() ? "" : ": " + host.error()));
            return normalise_status(status == MGPUX_OK ? MGPUX_E_FAILED : status);
        }
    }
    json::object args;
    args["command"] = parsed.node->path_string();
    json::object values = parsed.values;
    if (plugin.abi_minor == 0) cli::add_unset_flags_as_false(*parsed.node->command, values);
    args["values"] = std::move(values);
    args["global"] = globals_json(ctx);
    const std::string args_text = json::serialize(args);
    const std::string path = parsed.node->path_string();
    host.clear_error();
    int32_t status = call_plugin(host, "run", [&] { return d.run(host.table(), path.c_str(), args_text.c_str()); });
    ctx.console->progress(nullptr);
    if (!plugins::shutdown_plugin(plugin))
        services::log(services::LogLevel::PluginMisbehaving, plugin.id + ": shutdown threw an exception");
    if (status != MGPUX_OK) {
        const int code = normalise_status(status);
        std::string msg = host.error().empty() ? "'m-gpux " + path + "' failed" : host.error();
        if (code != status) msg += " (the plugin returned status " + std::to_string(status) + ")";
        if (code == MGPUX_E_CANCELLED && host.error().empty()) msg = "cancelled";
        ctx.console->error(msg);
        return code;
    }
    return MGPUX_OK;
}

// The command tree: the built-ins and the commands of every loaded plugin.
std::unique_ptr<cli::CommandNode> command_tree(const plugins::PluginRegistry& registry,
                                               const std::function<void(const std::string&)>& warn) {
    std::vector<cli::TreeSource> sources = builtins::sources();
    for (const auto& p : registry.all())
        if (p->status == plugins::PluginStatus::Loaded)
            sources.push_back({p.get(), p->id, p->summary, p->panel, &p->commands});
    return cli::build_tree(sources, warn);
}

// `__complete` and `__man` read the tree only, and say nothing about plugins
// that are skipped: a completion must not write over the command line being typed.
int run_hidden_entry(const std::vector<std::string>& args) {
    HostContext ctx;
    ctx.version = version_string();
    ctx.executable = util::executable_path();
    services::Console console(services::ConsoleSettings{}, std::cout, std::cerr);
    ctx.console = &console;
    plugins::PluginRegistry registry;
    ctx.registry = &registry;
    registry.discover(plugins::DiscoveryEnv::from_environment(), {});
    auto root = command_tree(registry, [](const std::string&) {});
    ctx.root = root.get();
    return builtins::run_hidden_entry(ctx, args);
}

}  // namespace

int run_app(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    // The child in which discovery loads new plugin files before the host does.
    if (!args.empty() && args[0] == plugins::kCheckPluginsFlag)
        return plugins::run_load_check_child({args.begin() + 1, args.end()});
    // Before the global options are taken out: the words to complete are not ours.
    if (!args.empty() && builtins::is_hidden_entry(args[0])) return run_hidden_entry(args);

    HostContext ctx;
    ctx.version = version_string();
    ctx.executable = util::executable_path();

    // Globals first: they decide colour, JSON mode and verbosity.
    cli::GlobalOptions early;
    std::vector<std::string> rest;
    std::string early_error;
    try {
        rest = cli::extract_global_options(args, early);
    } catch (const cli::UsageError& e) {
        early_error = e.what();
    }
    const bool stdout_tty = ::isatty(STDOUT_FILENO), stderr_tty = ::isatty(STDERR_FILENO);
    services::ConsoleSettings cs;
    cs.json = early.json;
    cs.verbosity = early.verbosity;
    cs.color_stdout = services::decide_color(early.color, stdout_tty);
    cs.color_stderr = services::decide_color(early.color, stderr_tty);
    cs.stderr_is_tty = spinner_possible(stderr_tty);
    services::Console console(cs, std::cout, std::cerr);
    ctx.console = &console;
    services::init_logging(early.verbosity, cs.color_stderr);
    if (!early_error.empty()) {
        console.error(early_error);
        return MGPUX_E_USAGE;
    }
    if (early.version) {
        console.text(services::TextKind::Plain, "m-gpux " + ctx.version + "\nplugin ABI " +
                                                    std::to_string(MGPUX_ABI_MAJOR) + "." +
                                                    std::to_string(MGPUX_ABI_MINOR) + "\n");
        return 0;
    }

    services::PromptSettings ps;
    ps.yes = early.yes;
    ps.no_input = early.no_input;
    ps.stdin_tty = ::isatty(STDIN_FILENO);
    ps.stdout_tty = stdout_tty;
    PromptTerminal terminal(console);
    services::Prompter prompter(ps, terminal);
    ctx.prompter = &prompter;
    services::TemplateStore templates({user_template_dir(), system_template_dir()});
    ctx.templates = &templates;

    // The validation child of `plugins validate`.
    if (args.size() == 2 && args[0] == "--mgpux-probe-plugin") return builtins::probe_plugin_file(ctx, args[1]);

    plugins::PluginRegistry registry;
    ctx.registry = &registry;
    const bool debug = debug_plugins();
    registry.discover(plugins::DiscoveryEnv::from_environment(), [&](const std::string& line) {
        if (debug) std::cerr << "m-gpux: plugins: " << line << "\n";
    });
    for (const auto& p : registry.all()) {
        if (p->status == plugins::PluginStatus::Skipped)
            console.warning("skipped plugin " + p->path.string() + ": " + p->reason);
        else if (p->status == plugins::PluginStatus::Shadowed && early.verbosity >= 0)
            console.text(services::TextKind::Info,
                         "m-gpux: note: plugin " + p->path.string() + " is " + p->reason + "\n");
    }

    auto root = command_tree(registry, [&](const std::string& w) { console.warning(w); });
    ctx.root = root.get();

    cli::ParseResult parsed;
    try {
        parsed = cli::parse_command_tokens(*root, rest, early);
    } catch (const cli::UsageError& e) {
        console.error(e.what());
        std::string where = e.node && !e.node->path.empty() ? "m-gpux " + e.node->path_string() : "m-gpux";
        console.text(services::TextKind::Info, "Run '" + where + " --help' for usage.\n");
        return MGPUX_E_USAGE;
    }
    ctx.globals = parsed.globals;

    if (parsed.globals.help) {
        console.text(services::TextKind::Plain, cli::render_help(*parsed.node, ctx.version));
        return 0;
    }
    if (parsed.node == root.get()) {
        if (parsed.globals.json) {
            console.error("--json needs a command (try 'm-gpux commands --json')");
            return MGPUX_E_USAGE;
        }
        builtins::welcome(ctx);
        return 0;
    }
    // A group (or a group heading: a command with subcommands and no options
    // of its own, declared only for its help text) shows its help.
    const bool heading = parsed.node->command && !parsed.node->children.empty() &&
                         parsed.node->command->options.empty() && parsed.node->command->trailing_name.empty();
    if (!parsed.node->command || heading) {
        if (parsed.globals.json) {
            console.error("'m-gpux " + parsed.node->path_string() + "' needs a subcommand");
            return MGPUX_E_USAGE;
        }
        console.text(services::TextKind::Plain, cli::render_help(*parsed.node, ctx.version));
        return 0;
    }
    if (parsed.globals.json && !parsed.node->command->json) {
        console.error("'m-gpux " + parsed.node->path_string() + "' has no JSON output; drop --json");
        return MGPUX_E_USAGE;
    }
    // Before a command runs, never for help: what a killed m-gpux left behind
    // (secret files, temp files of atomic writes) is removed.
    services::sweep_stale_temp_files();
    // --profile AUTO becomes one real profile before the command runs, so the
    // plugin and every service it calls see the same choice.
    if (ctx.globals.profile == std::optional<std::string>(services::spend::kAutoProfile)) {
        try {
            ctx.globals.profile = services::spend::resolve_auto_profile(ctx);
        } catch (const services::ServiceError& e) {
            console.error(e.what());
            return e.code;
        }
    }
    if (!parsed.node->owner) return builtins::run(ctx, parsed);
    return run_plugin_command(ctx, parsed);
}

}  // namespace mgpux
