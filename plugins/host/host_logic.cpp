// SPDX-License-Identifier: MIT
#include "host_logic.hpp"

#include <system_error>

namespace fs = std::filesystem;
using mgpux::Json;

namespace host {
namespace {

// Python identifiers: ASCII letters, digits and '_' (no leading digit); any
// non-ASCII byte is let through, as Python allows Unicode identifiers.
bool is_identifier(const std::string& s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (unsigned char c : s) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
        if (!ok) return false;
    }
    return true;
}

bool is_dotted(const std::string& s) {
    std::size_t start = 0;
    while (true) {
        const auto dot = s.find('.', start);
        if (!is_identifier(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start))) return false;
        if (dot == std::string::npos) return true;
        start = dot + 1;
    }
}

}  // namespace

Action action_of(const std::string& command) {
    if (command == "host wsgi") return Action::Wsgi;
    if (command == "host static") return Action::Static;
    return Action::Asgi;
}

const char* action_word(Action a) { return a == Action::Asgi ? "asgi" : a == Action::Wsgi ? "wsgi" : "static"; }

const char* template_name(Action a) {
    return a == Action::Static ? "host/static.py" : "host/app.py";  // asgi and wsgi differ by one decorator
}

const char* default_name(Action a) { return a == Action::Static ? "my-site" : "my-app"; }

const char* default_entry(Action a) { return a == Action::Asgi ? "main:app" : a == Action::Wsgi ? "app:app" : ""; }

Entry parse_entry(const std::string& text) {
    const auto colon = text.find(':');
    Entry e;
    if (colon != std::string::npos) {
        e.module = text.substr(0, colon);
        e.object = text.substr(colon + 1);
    }
    if (colon == std::string::npos || !is_dotted(e.module) || !is_dotted(e.object))
        throw mgpux::usage_error("--entry " + Json(text).dump() +
                                 " is not MODULE:OBJECT (Python names, e.g. main:app or api.server:application)");
    return e;
}

fs::path entry_file(const fs::path& project_dir, const Entry& e) {
    fs::path rel;
    std::size_t start = 0;
    while (true) {
        const auto dot = e.module.find('.', start);
        rel /= e.module.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    std::error_code ec;
    fs::path file = project_dir / rel;
    file += ".py";
    if (fs::is_regular_file(file, ec)) return file;
    const fs::path package = project_dir / rel / "__init__.py";
    if (fs::is_regular_file(package, ec)) return package;
    throw mgpux::usage_error("--entry " + Json(e.module + ":" + e.object).dump() + ": no module file " +
                             Json(rel.generic_string() + ".py").dump() + " in " +
                             Json(project_dir.generic_string()).dump());
}

std::string app_name_for(const std::string& name) {
    const std::string s = mgpux::launch::slug(name, 32);
    if (s.empty())
        throw mgpux::usage_error("--name " + Json(name).dump() +
                                 " has no ASCII letters or digits to name the app with");
    return "m-gpux-host-" + s;
}

Json render_context(const Plan& p, const std::string& mgpux_version) {
    Json ctx = mgpux::launch::compute_context(p.compute);
    ctx.set("mgpux_version", mgpux_version);
    ctx.set("template", template_name(p.action));
    ctx.set("app_name", p.app_name);
    ctx.set("python_version", p.python_version);
    ctx.set("base_image", p.base_image ? Json(*p.base_image) : Json());
    ctx.set("has_packages", !p.deps.packages.empty());
    ctx.set("packages", Json::array_of(p.deps.packages));
    ctx.set("requirements", p.deps.requirements_abs);
    ctx.set("project_dir", p.project_dir);
    ctx.set("ignore", Json::array_of(p.ignore));
    ctx.set("timeout_s", p.timeout_s);
    ctx.set("scaledown_window", kScaledownWindowS);
    ctx.set("min_containers", p.min_containers);
    ctx.set("max_inputs", kMaxInputs);
    if (p.action == Action::Static) {
        ctx.set("port", kStaticPort);
    } else {
        ctx.set("asgi", p.action == Action::Asgi);
        ctx.set("entry_module", p.entry.module);
        ctx.set("entry_object", p.entry.object);
    }
    return ctx;
}

mgpux::RunRequest run_request(const Plan& p, const mgpux::launch::UploadStats& upload, const std::string& script) {
    mgpux::launch::LaunchPlan lp;
    lp.app_name = p.app_name;
    lp.mode = p.mode;
    lp.background = p.background;
    const char* kind = p.action == Action::Asgi ? "ASGI app " : p.action == Action::Wsgi ? "WSGI app " : "Static site ";
    lp.description = kind + p.app_name + " on " + p.compute.label;
    lp.compute = p.compute;
    lp.timeout_s = p.timeout_s;
    lp.deps = p.deps;
    lp.upload_root = p.project_dir;
    lp.upload = upload;
    mgpux::RunRequest req = mgpux::launch::run_request(lp, script);
    if (p.mode == "deploy") {
        // A deployment stays up: the runner records it as a session once
        // Modal has it (so `sessions` and `stop` know about it, W58).
        mgpux::launch::SessionInfo info{"host", "", p.compute.label, "", p.project_dir, p.app_name, std::nullopt};
        req.session = mgpux::launch::session_metadata(info);
    }
    return req;
}

Json json_document(const Plan& p, const mgpux::RunResult& result) {
    using mgpux::launch::or_null;
    const bool dry = result.status == "dry_run";
    Json doc = Json::object();
    doc.set("action", action_word(p.action));
    doc.set("app_name", p.app_name);
    doc.set("app_id", or_null(result.app_id));
    doc.set("url", or_null(result.url));
    doc.set("mode", p.mode);
    doc.set("profile", or_null(result.profile));
    doc.set("session_id", dry ? Json() : or_null(result.session_id));  // recorded by the runner for a deploy
    doc.set("status", result.status);
    doc.set("compute", p.compute.label);
    doc.set("project_dir", p.project_dir);
    doc.set("command", Json::array_of(result.command));
    return doc;
}

}  // namespace host
