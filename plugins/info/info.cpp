// SPDX-License-Identifier: MIT
// `m-gpux info`: version, ABI, and where everything lives, all from the
// host's hostinfo service.
#include <mgpux/plugin.hpp>

#include <algorithm>
#include <string>

namespace {

const mgpux_option kInfoOptions[] = {
    mgpux::option("versions").flag().help("also run modal and python3 to show their versions"),
};

int run(mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("info", "Show the version and where m-gpux finds its files, plugins and programs", kInfoOptions, run)
        .help("Prints the m-gpux version and plugin ABI, the Modal config file, the state\n"
              "directory, the template directories, each plugin directory with what was found\n"
              "there, and the modal and python3 programs on PATH (or that they are missing).")
        .flags(MGPUX_CMDF_JSON),
};

std::string str_or(const mgpux::Json* v, const std::string& fallback) {
    return v && v->is_string() ? v->as_string() : fallback;
}

std::string program_line(const std::string& name, const mgpux::Json& p, bool versions) {
    std::string line = "  " + name + std::string(name.size() < 8 ? 8 - name.size() : 1, ' ');
    const mgpux::Json* path = p.find("path");
    if (!path || !path->is_string()) {
        line += "missing";
        line += name == "modal" ? " (install it with: pip install modal)" : " (install Python 3.10 or newer)";
        return line + "\n";
    }
    line += path->as_string();
    if (versions) {
        if (const mgpux::Json* v = p.find("version"); v && v->is_string()) line += "  (" + v->as_string() + ")";
        else line += "  (" + str_or(p.find("error"), "version unknown") + ")";
    }
    return line + "\n";
}

// Where each loaded plugin's templates come from before the installed set:
// the user's override folder (shared by all), then the plugin's own folder.
void show_plugin_templates(const mgpux::Host& host, const mgpux::Json& plugins) {
    std::size_t width = 0;
    std::string overrides;
    for (const auto& p : plugins.as_array())
        if (str_or(p.find("status"), "") == "loaded") {
            width = std::max(width, str_or(p.find("id"), "?").size());
            if (const mgpux::Json* t = p.find("templates")) overrides = str_or(t->find("override"), overrides);
        }
    if (width == 0) return;
    host.text("\nPlugin templates\n", MGPUX_TEXT_HEADING);
    if (!overrides.empty()) host.text("  overrides " + overrides + "\n");
    for (const auto& p : plugins.as_array()) {
        if (str_or(p.find("status"), "") != "loaded") continue;
        const std::string id = str_or(p.find("id"), "?");
        const mgpux::Json* t = p.find("templates");
        host.text("  " + id + std::string(width - id.size() + 2, ' ') +
                  str_or(t ? t->find("own") : nullptr, "(none of its own)") + "\n");
    }
}

int run(mgpux::Host& host, const mgpux::Args& args) {
    const bool versions = args.flag("versions");
    mgpux::Json info = host.hostinfo(versions);
    if (args.global_flag("json")) {
        host.json(info);
        return MGPUX_OK;
    }
    host.text("M-GPUX Orchestrator\n", MGPUX_TEXT_SUCCESS);
    host.text("Version: " + str_or(info.find("version"), "?") + "  (plugin ABI " + str_or(info.find("abi"), "?") +
              ")\n");
    host.text("Run GPU work on Modal's serverless GPUs from one command line.\n\n");

    const mgpux::Json* dirs = info.find("directories");
    host.text("Files\n", MGPUX_TEXT_HEADING);
    host.text("  config    " + str_or(dirs ? dirs->find("config_file") : nullptr, "?") + "\n");
    host.text("  state     " + str_or(dirs ? dirs->find("state_dir") : nullptr, "?") + "\n");
    if (const mgpux::Json* t = dirs ? dirs->find("template_dirs") : nullptr; t && t->is_array()) {
        bool first = true;
        for (const auto& d : t->as_array()) {
            host.text(std::string(first ? "  templates " : "            ") + d.as_string() + "\n");
            first = false;
        }
    }

    host.text("\nPlugin directories\n", MGPUX_TEXT_HEADING);
    if (const mgpux::Json* pd = info.find("plugin_dirs"); pd && pd->is_array()) {
        for (const auto& d : pd->as_array()) {
            std::string line = "  " + str_or(d.find("path"), "?") + " (" + str_or(d.find("origin"), "?") + ")";
            const mgpux::Json* exists = d.find("exists");
            if (!exists || !exists->as_bool()) {
                line += ": not present";
            } else {
                const auto& files = d.find("files")->as_array();
                line += files.empty() ? ": no plugins" : ": " + std::to_string(files.size()) + " plugin file(s)";
                for (const auto& f : files) line += "\n      " + f.as_string();
            }
            host.text(line + "\n");
        }
    }
    if (const mgpux::Json* plugins = info.find("plugins"); plugins && plugins->is_array()) {
        std::string problems;
        for (const auto& p : plugins->as_array())
            if (str_or(p.find("status"), "") != "loaded")
                problems += "  " + str_or(p.find("path"), "?") + ": " + str_or(p.find("status"), "?") + " (" +
                            str_or(p.find("reason"), "") + ")\n";
        if (!problems.empty()) host.text("\nPlugins not loaded\n" + problems, MGPUX_TEXT_WARNING);
        show_plugin_templates(host, *plugins);
    }

    host.text("\nPrograms\n", MGPUX_TEXT_HEADING);
    if (const mgpux::Json* programs = info.find("programs")) {
        for (const char* name : {"modal", "python3"})
            if (const mgpux::Json* p = programs->find(name)) host.text(program_line(name, *p, versions));
    }
    return MGPUX_OK;
}

}  // namespace

MGPUX_CPP_PLUGIN_COMMANDS("info", "0.1.0", "Show version, paths, plugins and programs", "Utility", kCommands)
