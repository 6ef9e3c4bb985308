// SPDX-License-Identifier: MIT
// The host side of a workspace launch: options and presets resolved with
// the services, the save-preset question, then render, run and report.
#include "workspace_launch.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace mgpux::launch {
namespace {

Json json_document(const WorkspaceSpec& s, const RunResult& result, const Credentials& c) {
    const std::string& status = result.status;
    const bool dry = status == "dry_run";
    Json doc = Json::object();
    doc.set("kind", workspace_kind(s.kind));
    doc.set("status", status);
    doc.set("session_id", dry ? Json() : or_null(result.session_id));
    doc.set("app_id", or_null(result.app_id));
    doc.set("app_name", workspace_app_name(s.kind));
    const std::string url = result.url.value_or("");
    doc.set("url", url.empty() ? Json() : Json(url));
    doc.set("access_url", url.empty() ? Json() : Json(access_url(s.kind, url, c)));
    doc.set("profile", or_null(result.profile));
    doc.set("compute", s.compute.label);
    doc.set("local_dir", s.local_dir);
    doc.set("preset", s.preset ? Json(*s.preset) : Json());
    doc.set("secret_name", Json());  // the credentials travel as an ephemeral secret, never a named one
    const std::string run_dir = result.run_dir.value_or("");
    doc.set("credentials_file", dry || run_dir.empty() ? Json() : Json(run_dir + "/" + kCredentialsFile));
    if (!dry) {
        Json login = Json::object();
        if (!c.user.empty()) login.set("user", c.user);
        login.set(c.user.empty() ? "token" : "password", c.secret);
        doc.set("login", login);
    }
    doc.set("command", Json::array_of(result.command));
    return doc;
}

// The credentials are shown here once; afterwards they live only in the 0600
// file of the run directory and in the session's Modal Secret.
void report(const Host& host, const WorkspaceSpec& s, const RunResult& result, const Credentials& c) {
    const std::string url = result.url.value_or("");
    const std::string app_id = result.app_id.value_or("");
    if (!url.empty()) host.success("URL: " + access_url(s.kind, url, c) + "\n");
    if (!c.user.empty()) host.text("Login: user " + c.user + ", password " + c.secret + "\n");
    else if (url.empty()) host.text("Token: " + c.secret + "\n");
    if (!app_id.empty()) host.text("App: " + std::string(workspace_app_name(s.kind)) + " (" + app_id + ")\n");
    const std::string run_dir = result.run_dir.value_or("");
    if (!run_dir.empty()) host.info("Credentials saved in " + run_dir + "/" + kCredentialsFile + " (0600).\n");
    const std::string sid = result.session_id.value_or("");
    if (!sid.empty()) host.info("Session " + sid + ": stop it with `m-gpux sessions stop " + sid + "`.\n");
}

Compute preset_compute(const Catalog& catalog, const PresetFields& p) {
    const std::string gpu = p.gpu.value_or("");
    if (!gpu.empty()) {
        const long long count = p.gpu_count.value_or(1);
        return compute_from_gpu(catalog.parse_gpu(count > 1 ? gpu + ":" + std::to_string(count) : gpu));
    }
    // The original's default for a preset without compute: 4 cores, 2048 MB.
    return compute_from_cpu(
        catalog.parse_cpu(static_cast<int>(p.cpu.value_or(4)), static_cast<int>(p.memory_mb.value_or(2048))));
}

// How to repair a preset whose stored settings no longer work.
std::string preset_fix_hint(const std::string& name) {
    return "save it again with `m-gpux preset create " + name +
           " …` (that replaces it) or delete it with "
           "`m-gpux preset delete " +
           name + "`";
}

// A stored field that no longer validates is reported as the preset's, not
// as a flag the user never passed: "preset 'train': its GPU cannot be used: …".
Error preset_field_error(const std::string& name, const std::string& problem) {
    return usage_error("preset '" + name + "': " + problem + "; " + preset_fix_hint(name));
}

// The reason of a validation message written for a flag ("--pip 'x' looks
// like an option" -> "'x' looks like an option").
std::string without_flag(const std::string& message) {
    if (message.rfind("--", 0) != 0) return message;
    const auto end = message.find_first_of(": ");
    if (end == std::string::npos) return message;
    const auto next = message.find_first_not_of(": ", end);
    return next == std::string::npos ? message : message.substr(next);
}

// Runs one stored field's check; a usage error becomes the preset's.
template <typename Fn>
auto checked_field(const std::string& name, const std::string& field, Fn&& check) -> decltype(check()) {
    try {
        return check();
    } catch (const Error& e) {
        if (e.code() != MGPUX_E_USAGE) throw;
        throw preset_field_error(name, "its " + field + " cannot be used: " + without_flag(e.what()));
    }
}

// --profile first, then the preset's own profile, which must still exist
// (Modal would otherwise fall back to another account without a word).
std::string preset_profile(const Host& host, const std::string& name, const PresetFields& preset,
                           const std::string& cli) {
    const Profiles profiles(host);
    if (!cli.empty()) return profiles.resolve(cli);
    const std::string stored = preset.profile.value_or("");
    if (stored.empty()) return profiles.resolve();
    const Json list = profiles.list();
    if (const Json* ps = list.find("profiles"); ps && ps->is_array())
        for (const auto& p : ps->as_array())
            if (p.string_or("name") == stored) return stored;
    throw preset_field_error(name, "its profile '" + stored +
                                       "' is not in the Modal config file; pass --profile NAME to use another, or " +
                                       "add it with `m-gpux account add --name " + stored + "`");
}

// The stored requirements file, looked up from the current folder, must exist.
void check_preset_requirements(const std::string& name, const std::string& stored, const fs::path& cwd) {
    const fs::path file = (fs::path(stored).is_absolute() ? fs::path(stored) : cwd / stored).lexically_normal();
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        throw preset_field_error(name, "its requirements file " + file.string() + " no longer exists");
}

// An interactive preset's script: a file inside the current folder.
std::string preset_script(const std::string& name, const std::string& stored, const std::string& local_dir) {
    if (stored.empty()) throw preset_field_error(name, "it is interactive but names no script");
    const fs::path file = (fs::path(local_dir) / stored).lexically_normal();
    const std::string rel = file.lexically_relative(fs::path(local_dir)).generic_string();
    if (rel.empty() || rel == "." || rel.rfind("..", 0) == 0)
        throw preset_field_error(name, "its script " + stored + " is not inside the project folder " + local_dir +
                                           " (only that folder is uploaded)");
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        throw preset_field_error(name, "its script " + stored + " no longer exists in " + local_dir);
    return script_inside(local_dir, stored, local_dir, "the preset's script");
}

// The published image a preset names ("image", saved from --image), checked
// against the store for the profile it runs in; nullopt when it names none.
std::optional<images::PublishedImage> preset_image(const Host& host, const std::string& name,
                                                   const PresetFields& preset, const std::string& profile) {
    const Json* image = preset.extra.find("image");
    if (!image || !image->is_string() || image->as_string().empty()) return std::nullopt;
    return checked_field(name, "image",
                         [&] { return images::checked_image(images::read_images(host), image->as_string(), profile); });
}

}  // namespace

WorkspaceSpec workspace_from_args(const Host& host, const Args& args, Workspace kind, const ComputeChoice& choice) {
    WorkspaceSpec s;
    s.kind = kind;
    s.profile = Profiles(host).resolve();  // an unknown --profile fails before any question
    const fs::path cwd = fs::current_path();
    s.local_dir = absolute_dir(cwd, cwd);
    const Catalog catalog(host);
    s.python_version = resolve_python(args, catalog);  // a bad --python fails before any question
    s.deps = resolve_deps(deps_request(args), s.local_dir, cwd);
    s.excludes = resolve_excludes(args, ExcludeDefaults::Workspace);
    s.timeout_s = resolve_timeout(args, 86400);
    save_preset_name(args);  // a bad name is refused before the menus
    if (args.has("memory") && !args.has("cpu")) throw usage_error("--memory goes with --cpu");
    if (args.has("gpu") && args.has("cpu")) throw usage_error("--gpu and --cpu cannot be used together");
    s.background = args.flag("background");
    s.compute = resolve_compute(host, args, catalog, choice);
    s.base_image = images::choose_image(host, args, s.profile);
    // A published image already holds its Python; the menu would only mislead.
    if (s.base_image && !s.base_image->python.empty()) s.python_version = s.base_image->python;
    else s.python_version = ask_python(host, args, catalog);
    return s;
}

std::optional<PresetFields> read_preset(const Host& host, const std::string& name) {
    try {
        return State(host).preset_find(name);
    } catch (const Error& e) {
        if (e.code() != MGPUX_E_CONFIG || std::string(e.what()).find("preset '" + name + "'") == std::string::npos)
            throw;
        throw Error(MGPUX_E_CONFIG, std::string(e.what()) + "; " + preset_fix_hint(name));
    }
}

void ask_deps(const Host& host, const Args& args, WorkspaceSpec& spec) {
    if (!asks_questions(args) || args.has("requirements") || args.has("pip") || args.flag("no-deps")) return;
    if (spec.deps.auto_found &&
        host.confirm("Found requirements.txt. Install dependencies from it?", true, "--requirements or --no-deps"))
        return;
    const std::string answer = host.ask("Extra pip packages (comma-separated, blank for none)", "", "--pip");
    DepsRequest req;
    req.pip = split_commas(answer);
    req.auto_requirements = false;
    spec.deps = resolve_deps(req, spec.local_dir, spec.local_dir);
}

void ask_excludes(const Host& host, const Args& args, WorkspaceSpec& spec) {
    if (!asks_questions(args) || args.has("exclude") || args.flag("no-default-excludes")) return;
    const UploadStats before = upload_stats(spec.local_dir, spec.excludes);
    host.info("Upload: " + upload_summary(spec.local_dir, before) + "\n");
    std::string defaults;
    for (const auto& p : default_excludes(ExcludeDefaults::Workspace)) defaults += (defaults.empty() ? "" : ",") + p;
    const std::string answer =
        host.ask("Patterns to exclude from the upload (comma-separated, glob)", defaults.c_str(), "--exclude");
    if (answer != defaults) spec.excludes = resolve_excludes({}, split_commas(answer), true);
    const UploadStats after = upload_stats(spec.local_dir, spec.excludes);
    host.info("Uploading " + upload_summary(spec.local_dir, after) + "\n");
}

WorkspaceSpec workspace_from_preset(const Host& host, const std::string& name,
                                    const std::optional<PresetFields>& stored, std::optional<Workspace> kind,
                                    const std::string& cli_profile) {
    if (!stored) throw usage_error("no preset named '" + name + "' (see `m-gpux preset list`)");
    const PresetFields& preset = *stored;
    if (preset.error)
        throw Error(MGPUX_E_CONFIG,
                    "preset '" + name + "' cannot be used: " + *preset.error + "; " + preset_fix_hint(name));
    const std::string action = preset.action.value_or("").empty() ? "bash" : *preset.action;
    const auto from_action = workspace_from_kind(action);
    if (!from_action && !kind)
        throw preset_field_error(name, "its action '" + action + "' is not jupyter, bash, dev or interactive");
    WorkspaceSpec s;
    s.kind = kind ? *kind : *from_action;
    s.preset = name;
    // The preset's profile, unless --profile names another one.
    s.profile = preset_profile(host, name, preset, cli_profile);
    const fs::path cwd = fs::current_path();
    s.local_dir = absolute_dir(cwd, cwd);  // the current folder, not the one it was saved in
    const Catalog catalog(host);
    s.python_version =
        checked_field(name, "Python version", [&] { return catalog.parse_python(preset.python_version.value_or("")); });
    DepsRequest deps;
    if (!preset.requirements.value_or("").empty()) {
        check_preset_requirements(name, *preset.requirements, cwd);
        deps.requirements = *preset.requirements;
    }
    deps.pip = preset.pip_packages.value_or(std::vector<std::string>{});
    deps.auto_requirements = false;  // the preset says what to install
    s.deps = checked_field(name, "pip packages", [&] { return resolve_deps(deps, s.local_dir, cwd); });
    s.excludes = preset.exclude_patterns ? resolve_excludes({}, *preset.exclude_patterns, true)
                                         : resolve_excludes(default_excludes(ExcludeDefaults::Workspace), {}, false);
    s.compute = checked_field(name, preset.gpu.value_or("").empty() ? "CPU size" : "GPU",
                              [&] { return preset_compute(catalog, preset); });
    if (s.kind == Workspace::Interactive) s.script_path = preset_script(name, preset.script.value_or(""), s.local_dir);
    s.base_image = preset_image(host, name, preset, s.profile);
    if (s.base_image && !s.base_image->python.empty()) s.python_version = s.base_image->python;
    s.description = std::string(workspace_kind(s.kind)) + " preset '" + name + "' on " + s.compute.label;
    return s;
}

void offer_preset(const Host& host, const Args& args, WorkspaceSpec& spec, bool ask) {
    std::optional<std::string> name = save_preset_name(args);
    const bool can_ask = ask && asks_questions(args);
    if (!name && can_ask && host.confirm("Save this workload as a preset?", false, "--save-preset")) {
        const std::string def = default_preset_name(workspace_kind(spec.kind), spec.compute.label);
        name = host.ask("Preset name", def.c_str(), "--save-preset");
        validate_preset_name(*name);
    }
    if (!name) return;
    require_confirmable_launch(args);  // the preset is saved only for a launch that will happen
    PresetInput in;
    in.action = workspace_kind(spec.kind);
    in.profile = spec.profile;
    in.compute = spec.compute;
    in.deps = spec.deps;
    in.python_version = spec.python_version;
    in.excludes = spec.excludes;
    in.script = spec.script_path;
    if (spec.base_image) in.image = spec.base_image->name;
    save_preset(host, *name, in);
    spec.preset = name;
}

int launch_workspace(const Host& host, const WorkspaceSpec& spec, bool json) {
    // The profile may have been picked after the image: it must be published there too.
    if (spec.base_image) images::checked_image(images::read_images(host), spec.base_image->name, spec.profile);
    const UploadStats upload = upload_stats(spec.local_dir, spec.excludes);
    if (upload.bytes > 512ull * 1024 * 1024)
        host.warn("The upload is " + human_size(upload.bytes) + "; add --exclude patterns to shrink it.\n");
    const Credentials c = new_credentials(spec.kind);
    const std::string script =
        host.render(workspace_template(spec.kind), workspace_context(spec, host.raw()->host_version));
    RunRequest req = workspace_request(spec, script, c, upload);
    set_profile_override(req, spec.profile, Profiles(host).resolve());
    const RunResult result = Runner(host).run(req);
    if (json) host.json(json_document(spec, result, c));
    else if (result.status != "dry_run") report(host, spec, result, c);
    return MGPUX_OK;
}

}  // namespace mgpux::launch
