// SPDX-License-Identifier: MIT
#include "workspace_launch.hpp"

#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace mgpux::launch {
namespace {}  // namespace

const char* workspace_kind(Workspace w) {
    switch (w) {
        case Workspace::Jupyter: return "jupyter";
        case Workspace::Bash: return "bash";
        case Workspace::Dev: return "dev";
        case Workspace::Interactive: return "interactive";
    }
    return "bash";
}

std::optional<Workspace> workspace_from_kind(const std::string& kind) {
    for (Workspace w : {Workspace::Jupyter, Workspace::Bash, Workspace::Dev, Workspace::Interactive})
        if (kind == workspace_kind(w)) return w;
    return std::nullopt;
}

const char* workspace_template(Workspace w) {
    switch (w) {
        case Workspace::Jupyter: return "hub/jupyter.py";
        case Workspace::Bash: return "hub/bash.py";
        case Workspace::Dev: return "dev/shell.py";
        case Workspace::Interactive: return "hub/interactive.py";
    }
    return "hub/bash.py";
}

const char* workspace_app_name(Workspace w) {
    switch (w) {
        case Workspace::Jupyter: return "m-gpux-jupyter";
        case Workspace::Interactive: return "m-gpux-interactive";
        default: return "m-gpux-shell";
    }
}

Credentials new_credentials(Workspace kind) {
    Credentials c;
    if (kind == Workspace::Jupyter) {
        c.key = "JUPYTER_TOKEN";
        c.secret = random_hex(24);
    } else {
        c.key = "TTYD_CREDENTIAL";
        c.user = "mgpux";
        c.secret = random_hex(12);
    }
    return c;
}

std::string default_description(const WorkspaceSpec& s) {
    const std::string on = " on " + s.compute.label;
    switch (s.kind) {
        case Workspace::Jupyter: return "Jupyter Lab" + on;
        case Workspace::Bash: return "Web Bash Shell" + on;
        case Workspace::Dev: return "Dev Container" + on;
        case Workspace::Interactive: return "Interactive terminal for " + s.script_path + on;
    }
    return on;
}

Json workspace_context(const WorkspaceSpec& s, const std::string& mgpux_version) {
    Json ctx = compute_context(s.compute);
    ctx.set("mgpux_version", mgpux_version);
    ctx.set("template", workspace_template(s.kind));
    ctx.set("app_name", workspace_app_name(s.kind));
    ctx.set("python_version", s.python_version);
    ctx.set("timeout_s", s.timeout_s);
    ctx.set("local_dir", s.local_dir);
    ctx.set("exclude_patterns", Json::array_of(s.excludes));
    ctx.set("packages", Json::array_of(s.deps.packages));
    ctx.set("requirements", s.deps.requirements_abs.empty() ? Json() : Json(s.deps.requirements_abs));
    ctx.set("workspace_volume", workspace_volume_name(s.local_dir));
    ctx.set("base_image", images::base_image_context(s.base_image));
    if (s.kind == Workspace::Interactive) ctx.set("script_path", s.script_path);
    return ctx;
}

RunRequest workspace_request(const WorkspaceSpec& s, const std::string& script, const Credentials& c,
                             const UploadStats& upload) {
    LaunchPlan plan;
    plan.app_name = workspace_app_name(s.kind);
    plan.mode = "run";
    plan.detach = true;  // a workspace outlives the terminal that started it
    plan.background = s.background;
    plan.description = s.description.empty() ? default_description(s) : s.description;
    plan.compute = s.compute;
    plan.timeout_s = s.timeout_s;
    plan.deps = s.deps;
    plan.upload_root = s.local_dir;
    plan.upload = upload;
    RunRequest req = run_request(plan, script);
    if (!s.profile.empty()) req.profile = s.profile;

    SessionInfo info{
        workspace_kind(s.kind), s.profile, s.compute.label, workspace_volume_name(s.local_dir), s.local_dir,
        plan.app_name,          s.preset};
    SessionRecord session = session_metadata(info);
    req.session = session;

    Json values = Json::object();
    values.set(c.key, c.value());
    add_session_credentials(req, values, credentials_file(c));
    return req;
}

std::string credentials_file(const Credentials& c) {
    std::string out = "# m-gpux session credentials\n";
    out += c.key + "=" + c.value() + "\n";
    return out;
}

std::string access_url(Workspace kind, const std::string& url, const Credentials& c) {
    if (kind != Workspace::Jupyter || url.empty()) return url;
    return url + (url.find('?') == std::string::npos ? "?token=" : "&token=") + c.secret;
}

std::string script_inside(const std::string& local_dir, const std::string& path, const std::string& cwd,
                          const std::string& flag) {
    if (path.empty()) throw usage_error(flag + ": no script given");
    fs::path p(path);
    if (p.is_relative()) p = fs::path(cwd) / p;
    p = p.lexically_normal();
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) throw usage_error(flag + ": no such file: " + Json(path).dump());
    const fs::path rel = p.lexically_relative(fs::path(local_dir));
    const std::string r = rel.generic_string();
    // Only files inside the uploaded folder exist in the container.
    if (rel.empty() || r == "." || r.rfind("..", 0) == 0)
        throw usage_error(flag + ": " + Json(path).dump() + " is not inside the project folder " +
                          Json(local_dir).dump() + " (only that folder is uploaded)");
    return r;
}

}  // namespace mgpux::launch
