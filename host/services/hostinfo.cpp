// SPDX-License-Identifier: MIT
#include "services/hostinfo.hpp"

#include "services/templates.hpp"
#include "util/subprocess.hpp"

#include "mgpux/plugin.h"

#include <boost/json.hpp>

namespace mgpux::services {

namespace fs = std::filesystem;
namespace json = boost::json;

json::object plugin_json(const plugins::Plugin& p) {
    json::object j;
    j["id"] = p.id.empty() ? json::value(nullptr) : json::value(p.id);
    j["version"] = p.version.empty() ? json::value(nullptr) : json::value(p.version);
    j["abi"] = p.abi_major || p.abi_minor ? json::value(std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor))
                                          : json::value(nullptr);
    j["path"] = p.path.string();
    j["origin"] = p.origin;
    j["status"] = plugins::status_name(p.status);
    j["reason"] = p.reason.empty() ? json::value(nullptr) : json::value(p.reason);
    j["commands"] = p.commands.size();
    return j;
}

namespace {

std::string first_line(const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

json::object program_json(const std::string& name, bool versions) {
    json::object j;
    auto path = locate_program(name);
    j["found"] = path.has_value();
    j["path"] = path ? json::value(path->string()) : json::value(nullptr);
    if (versions) {
        j["version"] = nullptr;
        if (path) {
            try {
                auto r = util::run_capture(*path, {"--version"}, std::chrono::seconds(20));
                std::string v = first_line(r.out.empty() ? r.err : r.out);
                if (r.exit_code == 0 && !v.empty()) j["version"] = v;
                else j["error"] = "'" + name + " --version' exited with " + std::to_string(r.exit_code);
            } catch (const std::exception& e) {
                j["error"] = e.what();
            }
        }
    }
    return j;
}

// The folders a plugin's templates come from before the installed set: the
// user's overrides, then its own folder (null when it ships none).
json::object plugin_templates_json(const plugins::Plugin& p, const TemplateStore* store) {
    json::object j;
    j["override"] =
        store && !store->dirs().empty() ? json::value(store->dirs().front().string()) : json::value(nullptr);
    std::error_code ec;
    const fs::path own = plugin_template_dir(p.path, p.id);
    j["own"] = !p.id.empty() && fs::is_directory(own, ec) ? json::value(own.string()) : json::value(nullptr);
    return j;
}

}  // namespace

json::object build_hostinfo(const HostContext& ctx, bool versions) {
    json::object info;
    info["version"] = ctx.version;
    info["abi"] = std::to_string(MGPUX_ABI_MAJOR) + "." + std::to_string(MGPUX_ABI_MINOR);
    info["executable"] = ctx.executable.string();

    json::object dirs;
    dirs["config_file"] = modal_config_path().string();
    dirs["state_dir"] = state_dir().string();
    json::array tdirs;
    if (ctx.templates)
        for (const auto& d : ctx.templates->dirs()) tdirs.emplace_back(d.string());
    dirs["template_dirs"] = std::move(tdirs);
    info["directories"] = std::move(dirs);

    json::array plugin_dirs;
    if (ctx.registry) {
        for (const auto& d : ctx.registry->dirs()) {
            json::object jd;
            std::error_code ec;
            jd["path"] = d.dir.string();
            jd["origin"] = d.origin;
            jd["exists"] = fs::is_directory(d.dir, ec);
            json::array files;
            for (const auto& f : plugins::plugin_files(d.dir)) files.emplace_back(f.filename().string());
            jd["files"] = std::move(files);
            plugin_dirs.push_back(std::move(jd));
        }
    }
    info["plugin_dirs"] = std::move(plugin_dirs);

    json::array plugins;
    if (ctx.registry)
        for (const auto& p : ctx.registry->all()) {
            json::object entry = plugin_json(*p);
            entry["templates"] = plugin_templates_json(*p, ctx.templates);
            plugins.push_back(std::move(entry));
        }
    info["plugins"] = std::move(plugins);

    json::object programs;
    programs["modal"] = program_json("modal", versions);
    programs["python3"] = program_json("python3", versions);
    info["programs"] = std::move(programs);
    return info;
}

}  // namespace mgpux::services
