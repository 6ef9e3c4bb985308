// SPDX-License-Identifier: MIT
#include "devbox.hpp"

#include "budget_guard.hpp"
#include "devbox_logic.hpp"
#include "image_store.hpp"
#include "launch_args.hpp"
#include "ssh_config.hpp"
#include "workspace_launch.hpp"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace dev::box {

using mgpux::Json;
namespace launch = mgpux::launch;

namespace {

const char* const kDirections[] = {"push", "pull", nullptr};
constexpr mgpux::OptionBuilder kBoxName = mgpux::positional("name").metavar("NAME").help("the dev box");

}  // namespace

const std::vector<mgpux_option>& up_options() {
    static const std::vector<mgpux_option> options = launch::with_shared(
        {mgpux::option("name").alias('n').metavar("NAME").help(
             "the box's name (default: the current folder's); its ssh alias is m-gpux-NAME"),
         mgpux::option("hours")
             .kind(MGPUX_OPT_INT)
             .default_value("12")
             .metavar("1..24")
             .help("how long the box may run before Modal stops it (at most 24)"),
         mgpux::option("ssh").negatable().help(
             "run sshd and write the ssh alias (default); --no-ssh: `dev shell` only"),
         mgpux::option("lock-ip").flag().help("accept SSH only from this machine's public address"),
         mgpux::option("upload").negatable().help("copy the current folder into /workspace (default); --no-upload "
                                                  "starts from the volume as it is"),
         mgpux::option("preset").alias('p').metavar("NAME").help("take compute, Python and excludes from a preset")},
        launch::kCompute | launch::kPython | launch::kExcludes | launch::kImage);
    return options;
}
const std::vector<mgpux_option>& name_options() {
    static const std::vector<mgpux_option> options = {kBoxName};
    return options;
}
const std::vector<mgpux_option>& list_options() {
    static const std::vector<mgpux_option> options = {};
    return options;
}
const std::vector<mgpux_option>& ssh_options() {
    static const std::vector<mgpux_option> options = {kBoxName};
    return options;
}
const std::vector<mgpux_option>& pause_options() {
    static const std::vector<mgpux_option> options = {kBoxName,
                                                      mgpux::option("keep-days")
                                                          .kind(MGPUX_OPT_INT)
                                                          .default_value("30")
                                                          .metavar("DAYS")
                                                          .help("how long Modal keeps the paused box's snapshot")};
    return options;
}
const std::vector<mgpux_option>& resume_options() {
    static const std::vector<mgpux_option> options = {kBoxName,
                                                      mgpux::option("hours")
                                                          .kind(MGPUX_OPT_INT)
                                                          .default_value("12")
                                                          .metavar("1..24")
                                                          .help("how long the resumed box may run (at most 24)")};
    return options;
}
const std::vector<mgpux_option>& sync_options() {
    static const std::vector<mgpux_option> options = {
        mgpux::positional("direction")
            .choices(kDirections)
            .metavar("push|pull")
            .help("push: this folder to the box's /workspace; pull: the other way"),
        kBoxName, mgpux::option("delete").flag().help("also delete files the other side does not have")};
    return options;
}
const std::vector<mgpux_option>& down_options() {
    static const std::vector<mgpux_option> options = {
        kBoxName, mgpux::option("delete-volume").flag().help("also delete the box's workspace volume (its files)")};
    return options;
}
namespace {

// ---------------------------------------------------------------- places

struct Places {
    fs::path state_dir;
    fs::path ssh_dir;  // ~/.m-gpux/ssh
    fs::path key;      // id_ed25519 (its .pub beside it)
    fs::path known_hosts;
    fs::path lock;
    fs::path ssh_config;  // ~/.ssh/config
};

Places places(const mgpux::Host& host) {
    Places p;
    const Json info = host.hostinfo();
    const Json* dirs = info.find("directories");
    p.state_dir = dirs ? dirs->string_or("state_dir") : std::string();
    if (p.state_dir.empty()) throw mgpux::Error(MGPUX_E_CONFIG, "m-gpux's state folder is unknown");
    p.ssh_dir = p.state_dir / "ssh";
    p.key = p.ssh_dir / "id_ed25519";
    p.known_hosts = p.ssh_dir / "known_hosts";
    p.lock = p.ssh_dir / ".lock";
    const char* home = std::getenv("HOME");
    if (!home || !*home) throw mgpux::Error(MGPUX_E_CONFIG, "HOME is not set, so ~/.ssh/config cannot be found");
    p.ssh_config = fs::path(home) / ".ssh" / "config";
    return p;
}

// Each box is its own Modal app, so `m-gpux stop` ends it like any session.
std::string app_name(const std::string& name) { return "m-gpux-dev-" + name; }

double now() { return static_cast<double>(std::time(nullptr)); }

std::string local_time(double epoch) {
    const std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

// ---------------------------------------------------------------- dev.json

const char* const kDocument = "dev";

Json read_boxes(const mgpux::Host& host) { return boxes_document(mgpux::State(host).read(kDocument), "dev.json"); }

void save_box(const mgpux::Host& host, const std::string& name, const Json& box) {
    mgpux::State(host).modify(kDocument, [&](const Json& current, Json& replacement) {
        replacement = boxes_document(current, "dev.json");
        replacement.set(name, box);
        return true;
    });
}

void forget_box(const mgpux::Host& host, const std::string& name) {
    mgpux::State(host).modify(kDocument, [&](const Json& current, Json& replacement) {
        const Json boxes = boxes_document(current, "dev.json");
        replacement = Json::object();
        for (const auto& kv : boxes.as_object())
            if (kv.first != name) replacement.set(kv.first, kv.second);
        return true;
    });
}

Json find_box(const mgpux::Host& host, const std::string& name) {
    const Json boxes = read_boxes(host);
    if (const Json* b = boxes.find(name)) return *b;
    throw mgpux::usage_error("there is no dev box named '" + name + "'; `m-gpux dev list` shows them, " +
                             "`m-gpux dev up --name " + name + "` starts one");
}

// The state of the box's session ("" when it has none).
std::string session_state(const mgpux::Host& host, const Json& box) {
    const std::string id = box.string_or("session_id");
    if (id.empty()) return "";
    const auto s = mgpux::State(host).session_find(id);
    return s ? s->state.value_or("") : "";
}

// A box that can be reached: running, within its hours, and (for ssh) with sshd.
void require_running(const mgpux::Host& host, const Json& box, const std::string& name, bool needs_ssh) {
    if (status(box, now(), session_state(host, box)) == "stopped")
        throw mgpux::Error(MGPUX_E_FAILED, "the dev box '" + name + "' was stopped (its session is stopped); " +
                                               "start it again with `m-gpux dev resume " + name + "`");
    if (expired(box, now()))
        throw mgpux::Error(MGPUX_E_FAILED, "the dev box '" + name + "' ran out of its hours at " +
                                               local_time(box.find("expires_at")->as_float()) +
                                               "; start it again with `m-gpux dev resume " + name + "`");
    if (box.string_or("state") != "running")
        throw mgpux::Error(MGPUX_E_FAILED, "the dev box '" + name + "' is " + box.string_or("state") +
                                               "; start it again with `m-gpux dev resume " + name + "`");
    const Json* ssh = box.find("ssh");
    if (needs_ssh && ssh && ssh->is_bool() && !ssh->as_bool())
        throw mgpux::usage_error("the dev box '" + name + "' runs without sshd (--no-ssh); use `m-gpux dev shell " +
                                 name + "`");
}

// ---------------------------------------------------------------- ssh key

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void private_dir(const fs::path& dir) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

void make_key(const mgpux::Host& host, const Places& p) {
    std::error_code ec;
    const fs::path pub = p.key.string() + ".pub";
    if (!fs::exists(p.key, ec) || !fs::exists(pub, ec)) {
        fs::remove(p.key, ec);
        fs::remove(pub, ec);
        mgpux::ProcessRequest req;
        req.program = "ssh-keygen";
        req.args = {"-q", "-t", "ed25519", "-N", "", "-C", "m-gpux-dev", "-f", p.key.string()};
        const auto r = mgpux::Process(host).run(req);
        if (r.exit_code != 0)
            throw mgpux::Error(MGPUX_E_FAILED, "ssh-keygen could not create " + p.key.string() + ": " + r.stderr_text);
        host.info("Created the SSH key for dev boxes: " + p.key.string());
    }
    fs::permissions(p.key, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
}

// The key pair m-gpux logs in to every box with, made once by ssh-keygen
// (under the lock, so concurrent first starts make one pair).
std::string ensure_key(const mgpux::Host& host, const Places& p) {
    private_dir(p.ssh_dir);
    ssh_config::with_lock(p.lock, [&] { make_key(host, p); });
    std::string text = read_file(p.key.string() + ".pub");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

// Pins the box's host key and points its alias at the new endpoint.
void write_ssh_entry(const Places& p, const std::string& name, const Json& result) {
    const std::string line = known_hosts_line(name, result.string_or("host_key"));
    if (line.empty())
        throw mgpux::Error(MGPUX_E_FAILED, "the dev box '" + name +
                                               "' did not report its SSH host key; see `m-gpux dev shell " + name +
                                               "`, or `m-gpux dev down " + name + "` and start it again");
    ssh_config::edit_file(p.known_hosts, p.lock,
                          [&](const std::string& text) { return replace_known_host(text, name, line); });
    ssh_config::HostEntry entry;
    entry.name = name;
    entry.hostname = result.string_or("host");
    entry.port = static_cast<int>(result.int_or("port", 22));
    entry.identity_file = p.key;
    entry.known_hosts = p.known_hosts;
    ssh_config::edit_file(p.ssh_config, p.lock,
                          [&](const std::string& text) { return ssh_config::upsert_block(text, entry); });
}

// A config whose block for `name` cannot be replaced is the user's to fix (exit 3).
void check_ssh_config(const Places& p, const std::string& name) {
    try {
        ssh_config::remove_block(read_file(p.ssh_config), name);
    } catch (const ssh_config::ConfigError& e) {
        throw mgpux::Error(MGPUX_E_CONFIG, p.ssh_config.string() + ": " + e.what());
    }
}

void remove_ssh_entry(const Places& p, const std::string& name) {
    check_ssh_config(p, name);
    ssh_config::edit_file(p.known_hosts, p.lock,
                          [&](const std::string& text) { return replace_known_host(text, name, ""); });
    std::error_code ec;
    if (fs::exists(p.ssh_config, ec))
        ssh_config::edit_file(p.ssh_config, p.lock,
                              [&](const std::string& text) { return ssh_config::remove_block(text, name); });
}

// ---------------------------------------------------------------- the driver

class TempScript {
public:
    explicit TempScript(const std::string& text) {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/m-gpux-devbox-XXXXXX.py";
        const int fd = ::mkstemps(tmpl.data(), 3);
        if (fd < 0) throw mgpux::Error(MGPUX_E_FAILED, "cannot create a temporary file in " + tmpl);
        path_ = tmpl;
        const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        ::close(fd);
        if (!ok) throw mgpux::Error(MGPUX_E_FAILED, "cannot write " + path_);
    }
    ~TempScript() { ::unlink(path_.c_str()); }
    TempScript(const TempScript&) = delete;
    TempScript& operator=(const TempScript&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Everything the driver template names, for one action on one box.
Json driver_context(const mgpux::Host& host, const std::string& action, const std::string& name, const Json& box) {
    Json ctx = Json::object();
    ctx.set("mgpux_version", host.raw()->host_version);
    ctx.set("template", "dev/box.py");
    ctx.set("action", action);
    ctx.set("box_name", name);
    ctx.set("app_name", app_name(name));
    for (const char* key : {"sandbox_id", "snapshot_id", "gpu", "cpu", "memory_mb"}) {
        const Json* v = box.find(key);
        ctx.set(key, v ? *v : Json());
    }
    ctx.set("snapshot_ttl_s", box.int_or("keep_days", kDefaultKeepDays) * 86400);
    ctx.set("local_dir", box.string_or("local_dir"));
    const Json* upload = box.find("upload");
    ctx.set("upload", upload && upload->is_bool() && upload->as_bool());
    const Json* ssh = box.find("ssh");
    ctx.set("ssh", !ssh || !ssh->is_bool() || ssh->as_bool());
    ctx.set("timeout_s", box.int_or("hours", kDefaultHours) * 3600);
    const Json* cidrs = box.find("inbound_cidrs");
    ctx.set("inbound_cidrs", cidrs ? *cidrs : Json());
    ctx.set("python_version", box.string_or("python_version", "3.12"));
    const Json* base_image = box.find("base_image");
    ctx.set("base_image", base_image ? *base_image : Json());
    ctx.set("workspace_volume", box.string_or("workspace_volume"));
    const Json* excludes = box.find("exclude_patterns");
    ctx.set("exclude_patterns", excludes ? *excludes : Json::array());
    return ctx;
}

bool dry_run(const mgpux::Args& args) { return args.global_flag("dry_run"); }

// Runs the driver for `action`; nullopt under --dry-run (the script is printed).
std::optional<Json> run_driver(const mgpux::Host& host, const mgpux::Args& args, const std::string& action,
                               const std::string& name, const Json& box, const std::string& public_key = "") {
    const std::string script = host.render("dev/box.py", driver_context(host, action, name, box));
    if (dry_run(args)) {
        host.text(script);
        return std::nullopt;
    }
    const TempScript file(script);
    mgpux::ProcessRequest req;
    req.program = launch::modal_python(host);
    req.args = {file.path()};
    const std::string profile = box.string_or("profile");
    if (!profile.empty()) req.env["MODAL_PROFILE"] = profile;
    if (!public_key.empty()) req.env["MGPUX_SSH_AUTHORIZED_KEY"] = public_key;
    if (action == "shell") {
        req.stdin_mode = "inherit";
        req.output = "inherit";
        const auto r = mgpux::Process(host).run(req);
        return Json::object().set("exit_code", r.exit_code);
    }
    host.progress(("dev box '" + name + "': " + action + "...").c_str());
    const auto r = mgpux::Process(host).run(req);
    host.progress(nullptr);
    std::istringstream out(r.stdout_text);
    for (std::string line; std::getline(out, line);)
        if (line.rfind("[m-gpux] WARNING ", 0) == 0) host.warn(line.substr(17));
    const auto result = parse_result(r.stdout_text);
    if (r.exit_code != 0 || !result) {
        std::string why = r.stderr_text;
        if (why.size() > 2000) why = "..." + why.substr(why.size() - 2000);
        throw mgpux::Error(MGPUX_E_FAILED, "the dev box driver failed (" + action + " '" + name + "', exit " +
                                               std::to_string(r.exit_code) + ")" + (why.empty() ? "" : ":\n" + why));
    }
    return result;
}

// ---------------------------------------------------------------- up

std::string default_name() {
    std::error_code ec;
    const std::string base = fs::current_path(ec).filename().string();
    const std::string s = launch::slug(base.empty() ? "box" : base);
    return s.empty() ? "box" : s;
}

int checked_hours(const mgpux::Args& args) {
    const long long h = args.integer("hours", kDefaultHours);
    if (h < 1 || h > kMaxHours)
        throw mgpux::usage_error("--hours must be 1.." + std::to_string(kMaxHours) +
                                 " (Modal stops a sandbox after 24 hours)");
    return static_cast<int>(h);
}

// This machine's public address, for --lock-ip ($MGPUX_PUBLIC_IP names it).
std::string public_address(const mgpux::Host& host) {
    if (const char* env = std::getenv("MGPUX_PUBLIC_IP"); env && *env) return env;
    Json req = Json::object();
    req.set("url", "https://api.ipify.org");
    req.set("timeout_s", 10);
    Json r;
    try {
        r = mgpux::Http(host).request(req);
    } catch (const mgpux::Error& e) {
        throw mgpux::Error(MGPUX_E_FAILED, std::string("--lock-ip: cannot find this machine's public address (") +
                                               e.what() + "); set MGPUX_PUBLIC_IP or leave --lock-ip out");
    }
    std::string ip = r.string_or("body");
    while (!ip.empty() && (ip.back() == '\n' || ip.back() == ' ')) ip.pop_back();
    if (r.int_or("status", 0) != 200 || ip.empty() || ip.find_first_not_of("0123456789.:abcdef") != std::string::npos)
        throw mgpux::Error(MGPUX_E_FAILED,
                           "--lock-ip: cannot find this machine's public address; set "
                           "MGPUX_PUBLIC_IP or leave --lock-ip out");
    return ip;
}

Json compute_json(Json box, const launch::Compute& c) {
    box.set("compute", c.label);
    box.set("gpu", c.gpu ? Json(*c.gpu) : Json());
    box.set("cpu", c.cores ? Json(static_cast<long long>(*c.cores)) : Json());
    box.set("memory_mb", c.memory_mb ? Json(static_cast<long long>(*c.memory_mb)) : Json());
    return box;
}

// The box's settings from the flags (or --preset) before anything starts.
Json plan_box(const mgpux::Host& host, const mgpux::Args& args, const std::string& name) {
    Json box = Json::object();
    box.set("name", name);
    box.set("hours", checked_hours(args));
    box.set("ssh", args.flag_or("ssh", true));
    box.set("upload", args.flag_or("upload", true));
    std::error_code ec;
    const std::string cwd = fs::current_path(ec).string();
    box.set("local_dir", cwd);
    box.set("workspace_volume", launch::workspace_volume_name(cwd));
    const mgpux::Catalog catalog(host);
    if (args.has("preset")) {
        const std::string preset = args.str("preset");
        const auto spec = launch::workspace_from_preset(host, preset, launch::read_preset(host, preset),
                                                        launch::Workspace::Dev, args.global_str("profile"));
        box = compute_json(box, spec.compute);
        box.set("profile", spec.profile);
        box.set("python_version", spec.python_version);
        box.set("base_image", mgpux::images::base_image_context(spec.base_image));
        box.set("exclude_patterns", Json::array_of(spec.excludes));
        box.set("preset", preset);
        return box;
    }
    const std::string profile = launch::choose_profile(host, args);
    box.set("profile", profile);
    launch::ComputeChoice choice;
    choice.title = "Dev box compute";
    box = compute_json(box, launch::resolve_compute(host, args, catalog, choice));
    // A published image already holds its Python.
    const auto image = mgpux::images::choose_image(host, args, profile);
    box.set("base_image", mgpux::images::base_image_context(image));
    box.set("python_version", image && !image->python.empty() ? image->python : launch::resolve_python(args, catalog));
    box.set("exclude_patterns", Json::array_of(launch::resolve_excludes(args, launch::ExcludeDefaults::Workspace)));
    return box;
}

mgpux::SessionRecord box_session(const std::string& name, const Json& box, const Json& result) {
    mgpux::SessionRecord s;
    s.kind = "devbox";
    s.app_name = app_name(name);
    if (const Json* id = result.find("app_id"); id && id->is_string()) s.app_id = id->as_string();
    s.profile = box.string_or("profile");
    s.state = "running";
    s.description = "Dev box '" + name + "' on " + box.string_or("compute");
    s.compute = box.string_or("compute");
    s.local_dir = box.string_or("local_dir");
    s.workspace_volume = box.string_or("workspace_volume");
    s.backend = "modal";
    s.extra.set("box", name);
    s.extra.set("sandbox_id", result.string_or("sandbox_id"));
    return s;
}

// The box after a start: its sandbox, endpoint and deadline.
Json started(Json box, const Json& result) {
    const double start = now();
    box.set("state", "running");
    box.set("sandbox_id", result.string_or("sandbox_id"));
    const Json* app = result.find("app_id");
    box.set("app_id", app ? *app : Json());
    box.set("host", result.find("host") ? *result.find("host") : Json());
    box.set("port", result.find("port") ? *result.find("port") : Json());
    box.set("started_at", start);
    box.set("expires_at", start + static_cast<double>(box.int_or("hours", kDefaultHours)) * 3600.0);
    box.set("snapshot_id", Json());
    return box;
}

void report_started(const mgpux::Host& host, const mgpux::Args& args, const std::string& name, const Json& box) {
    if (args.global_flag("json")) {
        Json doc = box;
        doc.set("alias", alias(name));
        host.json(doc);
        return;
    }
    host.success("Dev box '" + name + "' is running on " + box.string_or("compute") + " until " +
                 local_time(box.find("expires_at")->as_float()) + ".");
    const Json* ssh = box.find("ssh");
    if (ssh && ssh->is_bool() && !ssh->as_bool()) {
        host.text("  shell:   m-gpux dev shell " + name + "\n");
        return;
    }
    host.text("  ssh:     ssh " + alias(name) + "   (or: m-gpux dev ssh " + name + ")\n");
    host.text("  VS Code: m-gpux dev code " + name + "\n");
}

// What the box costs an hour (a sandbox: the GPU's price, or the sandbox
// CPU and memory rates) and the most its hours can cost, before it starts.
void show_price(const mgpux::Host& host, const std::string& name, const Json& box) {
    launch::Compute c;
    if (const Json* gpu = box.find("gpu"); gpu && gpu->is_string()) c.gpu = gpu->as_string();
    if (const long long cores = box.int_or("cpu", 0); cores > 0) c.cores = static_cast<int>(cores);
    if (const long long mb = box.int_or("memory_mb", 0); mb > 0) c.memory_mb = static_cast<int>(mb);
    const auto price = launch::sandbox_price(host, c);
    if (!price) return;
    host.info("Dev box '" + name + "' on " + box.string_or("compute") + ": " +
              launch::cost_text(*price, static_cast<double>(box.int_or("hours", kDefaultHours))) + "\n");
}

// Starts the box's sandbox (a new one, or from its snapshot) and records it.
int start_box(const mgpux::Host& host, const mgpux::Args& args, const std::string& name, Json box,
              const std::string& action) {
    const std::string profile = box.string_or("profile");
    if (!profile.empty()) budget::require_within_budget(host, args, profile);  // before any key or sandbox
    const Places p = places(host);
    const bool ssh = box.find("ssh") == nullptr || box.find("ssh")->as_bool();
    const std::string key = ssh && !dry_run(args) ? ensure_key(host, p) : std::string();
    if (ssh) check_ssh_config(p, name);  // before anything starts that would then be left unreachable
    const auto result = run_driver(host, args, action, name, box, key);
    if (!result) return 0;
    box = started(box, *result);
    save_box(host, name, box);  // recorded first, so `dev down` can always end it
    if (ssh) write_ssh_entry(p, name, *result);
    const mgpux::State state(host);
    const std::string session_id = box.string_or("session_id");
    const auto session = box_session(name, box, *result);
    if (session_id.empty() || !state.session_update(session_id, session))
        box.set("session_id", state.session_save(session).id.value_or(""));
    save_box(host, name, box);
    report_started(host, args, name, box);
    return 0;
}

std::string box_name(const mgpux::Args& args) {
    const std::string name = args.str("name");
    if (!valid_name(name))
        throw mgpux::usage_error("'" + name + "' is not a dev box name: use 1-40 lowercase letters, digits and '-'");
    return name;
}

// `modal volume delete`; a volume that is already gone is no failure.
void delete_workspace_volume(const mgpux::Host& host, const Json& box) {
    const std::string volume = box.string_or("workspace_volume");
    const Json r = mgpux::Modal(host).try_call({"volume", "delete", volume, "--yes"}, box.string_or("profile"));
    if (r.find("ok") && r.find("ok")->as_bool()) return;
    const std::string why = r.string_or("error") + r.string_or("stderr");
    if (why.find("not found") != std::string::npos) {
        host.info("The volume " + volume + " was already gone.");
        return;
    }
    throw mgpux::Error(MGPUX_E_FAILED, "the box is gone, but its volume " + volume + " could not be deleted: " + why +
                                           "\nDelete it with `modal volume delete " + volume + "`.");
}

}  // namespace

int up(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.has("name") ? box_name(args) : default_name();
    if (!valid_name(name)) throw mgpux::usage_error("the folder's name does not make a dev box name; pass --name NAME");
    checked_hours(args);
    launch::require_modal_account(host, args);
    launch::require_confirmable_launch(args);
    if (read_boxes(host).find(name))
        throw mgpux::usage_error("a dev box named '" + name + "' exists; `m-gpux dev resume " + name +
                                 "` restarts it, `m-gpux dev down " + name + "` removes it, or pass another --name");
    Json box = plan_box(host, args, name);
    if (args.flag("lock-ip") && !dry_run(args))
        box.set("inbound_cidrs", Json::array_of(std::vector<std::string>{public_address(host) + "/32"}));
    show_price(host, name, box);
    return start_box(host, args, name, box, "up");
}

int list(mgpux::Host& host, const mgpux::Args& args) {
    const Json boxes = read_boxes(host);
    const double t = now();
    std::map<std::string, std::string> session_states;
    for (const auto& s : mgpux::State(host).sessions())
        if (s.id) session_states[*s.id] = s.state.value_or("");
    auto box_status = [&](const Json& b) { return status(b, t, session_states[b.string_or("session_id")]); };
    if (args.global_flag("json")) {
        Json out = Json::array();
        for (const auto& kv : boxes.as_object()) {
            Json b = kv.second;
            b.set("name", kv.first);
            b.set("status", box_status(kv.second));
            b.set("alias", alias(kv.first));
            out.push(b);
        }
        host.json(out);
        return 0;
    }
    if (boxes.as_object().empty()) {
        host.text("No dev boxes. Start one with `m-gpux dev up`.\n");
        return 0;
    }
    std::vector<std::vector<Json>> rows;
    for (const auto& kv : boxes.as_object()) {
        const Json& b = kv.second;
        const std::string st = box_status(b);
        std::string until = "-";
        if (st == "running" && b.find("expires_at")) until = local_time(b.find("expires_at")->as_float());
        if (st == "expired" || st == "stopped") until = "m-gpux dev resume " + kv.first;
        rows.push_back({Json(kv.first), Json(st), Json(b.string_or("compute")), Json(b.string_or("profile")),
                        Json(st == "running" && b.find("host") && b.find("host")->is_string() ? alias(kv.first)
                                                                                              : std::string("-")),
                        Json(until)});
    }
    host.table({"Name", "Status", "Compute", "Profile", "SSH", "Until"}, rows, "Dev boxes");
    return 0;
}

int ssh(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = box_name(args);
    require_running(host, find_box(host, name), name, true);
    mgpux::ProcessRequest req;
    req.program = "ssh";
    req.args = {alias(name)};
    for (const auto& word : args.list("command")) req.args.push_back(word);
    req.stdin_mode = "inherit";
    req.output = "inherit";
    return static_cast<int>(mgpux::Process(host).run(req).exit_code);
}

int code(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = box_name(args);
    require_running(host, find_box(host, name), name, true);
    const auto words = code_args(name);
    std::string line = "code";
    for (const auto& w : words) line += " " + w;
    std::string program;
    try {
        program = mgpux::Process(host).locate("code");
    } catch (const mgpux::Error&) {
        host.text("VS Code's `code` command was not found. With the Remote-SSH extension installed, run:\n  " + line +
                  "\n");
        return 0;
    }
    mgpux::ProcessRequest req;
    req.program = program;
    req.args = words;
    req.output = "inherit";
    return static_cast<int>(mgpux::Process(host).run(req).exit_code);
}

int shell(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = box_name(args);
    const Json box = find_box(host, name);
    require_running(host, box, name, false);
    const auto r = run_driver(host, args, "shell", name, box);
    return r ? static_cast<int>(r->int_or("exit_code", 0)) : 0;
}

int pause(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = box_name(args);
    Json box = find_box(host, name);
    require_running(host, box, name, false);
    const long long keep_days = args.integer("keep-days", kDefaultKeepDays);
    if (keep_days < 1 || keep_days > 365) throw mgpux::usage_error("--keep-days must be 1..365");
    box.set("keep_days", keep_days);
    const auto result = run_driver(host, args, "pause", name, box);
    if (!result) return 0;
    box.set("state", "paused");
    box.set("snapshot_id", result->string_or("snapshot_id"));
    box.set("snapshot_expires_at", now() + static_cast<double>(keep_days) * 86400.0);
    box.set("sandbox_id", Json());
    box.set("paused_at", now());
    save_box(host, name, box);
    if (const std::string sid = box.string_or("session_id"); !sid.empty()) {
        mgpux::SessionRecord stopped;
        stopped.state = "stopped";
        mgpux::State(host).session_update(sid, stopped);
    }
    if (args.global_flag("json")) {
        host.json(box);
    } else {
        host.success("Dev box '" + name + "' is paused; its snapshot is kept for " + std::to_string(keep_days) +
                     " days. `m-gpux dev resume " + name + "` starts it again.");
    }
    return 0;
}

int resume(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = box_name(args);
    Json box = find_box(host, name);
    if (status(box, now(), session_state(host, box)) == "running")
        throw mgpux::usage_error("the dev box '" + name + "' is already running; `m-gpux dev ssh " + name + "`");
    launch::require_confirmable_launch(args);
    box.set("hours", checked_hours(args));
    // An expired box's sandbox is gone with its disk, but its volume holds
    // /workspace: it starts afresh from the base image, without an upload.
    if (box.string_or("state") != "paused") box.set("snapshot_id", Json());
    const Json* kept_until = box.find("snapshot_expires_at");
    if (box.string_or("state") == "paused" && kept_until && kept_until->is_number() && kept_until->as_float() < now()) {
        host.warn("The snapshot of '" + name + "' was kept only until " + local_time(kept_until->as_float()) +
                  "; the box starts from a fresh image with its workspace volume.");
        box.set("snapshot_id", Json());
    }
    box.set("upload", false);
    return start_box(host, args, name, box, "resume");
}

int sync(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = box_name(args);
    const Json box = find_box(host, name);
    require_running(host, box, name, true);
    std::vector<std::string> excludes;
    if (const Json* e = box.find("exclude_patterns"); e && e->is_array())
        for (const auto& x : e->as_array()) excludes.push_back(x.as_string());
    mgpux::ProcessRequest req;
    req.program = "rsync";
    req.args =
        rsync_args(args.str("direction") == "push", box.string_or("local_dir"), name, excludes, args.flag("delete"));
    req.output = "inherit";
    if (dry_run(args)) {
        std::string line = "rsync";
        for (const auto& w : req.args) line += " " + w;
        host.text(line + "\n");
        return 0;
    }
    return static_cast<int>(mgpux::Process(host).run(req).exit_code);
}

int down(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = box_name(args);
    Json box = find_box(host, name);
    const bool delete_volume = args.flag("delete-volume");
    const std::string what = delete_volume ? " and delete its workspace volume " + box.string_or("workspace_volume")
                                           : std::string(" (its workspace volume is kept)");
    if (!host.confirm("Remove the dev box '" + name + "'" + what + "?", false, "--yes", true)) return 130;
    if (box.string_or("state") != "running") box.set("sandbox_id", Json());
    if (!run_driver(host, args, "down", name, box)) return 0;
    remove_ssh_entry(places(host), name);
    if (delete_volume) delete_workspace_volume(host, box);
    if (const std::string sid = box.string_or("session_id"); !sid.empty()) {
        mgpux::SessionRecord stopped;
        stopped.state = "stopped";
        mgpux::State(host).session_update(sid, stopped);
    }
    forget_box(host, name);
    if (args.global_flag("json")) {
        host.json(Json::object().set("name", name).set("removed", true).set("volume_deleted", delete_volume));
    } else {
        host.success(
            "Dev box '" + name + "' is gone" +
            (delete_volume ? ", with its volume." : "; its volume " + box.string_or("workspace_volume") + " is kept."));
    }
    return 0;
}

}  // namespace dev::box
