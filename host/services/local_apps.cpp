// SPDX-License-Identifier: MIT
#include "services/local_apps.hpp"

#include "host_context.hpp"
#include "util/atomic_file.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"
#include "util/subprocess.hpp"

#include <boost/json.hpp>

#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <signal.h>
#include <unistd.h>

namespace mgpux::services {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

struct LocalApp {
    fs::path file;
    json::object record;
    std::string str(const char* key) const {
        auto it = record.find(key);
        return it != record.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
    }
    pid_t pid() const {
        auto it = record.find("pid");
        return it != record.end() && it->value().is_int64() ? static_cast<pid_t>(it->value().as_int64()) : 0;
    }
};

fs::path apps_dir() { return local_home() / "apps"; }

std::optional<LocalApp> read_app(const fs::path& file) {
    const auto text = util::read_file_if_exists(file);
    if (!text) return std::nullopt;
    try {
        auto v = util::parse_json(*text);
        if (v.is_object()) return LocalApp{file, std::move(v.as_object())};
    } catch (const std::exception&) {}
    return std::nullopt;
}

std::optional<LocalApp> find_app(const std::string& app_id) {
    if (app_id.find('/') != std::string::npos || app_id.empty()) return std::nullopt;
    return read_app(apps_dir() / (app_id + ".json"));
}

// The process group leader is the runtime's worker for this app (a pid can be reused).
bool worker_alive(const LocalApp& app) {
    const pid_t pid = app.pid();
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);  // empty for a zombie
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return cmdline.find("modal_shim") != std::string::npos && cmdline.find(app.str("app_id")) != std::string::npos;
}

// Whether a process other than a zombie is still in process group `pgid` (a zombie waits
// for a parent that may never reap it, and runs nothing).
bool group_alive(pid_t pgid) {
    if (pgid <= 0 || ::kill(-pgid, 0) != 0) return false;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        std::ifstream in(entry.path() / "stat");
        std::string stat;
        if (!in || !std::getline(in, stat)) continue;
        const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
        if (close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 1));
        std::string state;
        long ppid = 0, pgrp = 0;
        if (fields >> state >> ppid >> pgrp && pgrp == pgid && state != "Z" && state != "X") return true;
    }
    return false;
}

std::string state_of(const LocalApp& app) {
    const std::string state = app.str("state");
    if (state != "stopped" && !worker_alive(app)) return "stopped";
    return state;
}

std::vector<LocalApp> all_apps() {
    std::vector<LocalApp> apps;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(apps_dir(), ec))
        if (entry.path().extension() == ".json")
            if (auto app = read_app(entry.path())) apps.push_back(std::move(*app));
    return apps;
}

ModalResult json_result(std::vector<std::string> args, json::value doc) {
    ModalResult r;
    r.args = std::move(args);
    r.exit_code = 0;
    r.out = json::serialize(doc);
    r.json = std::move(doc);
    return r;
}

ModalResult list_apps(std::vector<std::string> args) {
    json::array rows;
    for (const auto& app : all_apps())
        rows.push_back(json::object{{"app_id", app.str("app_id")},
                                    {"description", app.str("description")},
                                    {"state", state_of(app)},
                                    {"tasks", worker_alive(app) ? 1 : 0},
                                    {"created_at", app.str("created_at")},
                                    {"stopped_at", nullptr}});
    return json_result(std::move(args), std::move(rows));
}

ModalResult failed(std::vector<std::string> args, std::string why) {
    ModalResult r;
    r.args = std::move(args);
    r.exit_code = 1;
    r.err = std::move(why);
    return r;
}

ModalResult stop_app(std::vector<std::string> args, const std::string& app_id) {
    ModalResult r;
    r.args = std::move(args);
    r.exit_code = stop_local_app(app_id) ? 0 : 1;
    if (r.exit_code != 0) r.err = "a process of local app " + app_id + " is still running after SIGKILL";
    return r;
}

// The app's log (its whole output so far); with follow, new lines until the app ends.
ModalResult show_logs(std::vector<std::string> args, const LocalApp& app, bool follow, bool inherit_output) {
    ModalResult r;
    r.args = std::move(args);
    r.exit_code = 0;
    std::ifstream in(app.str("log"), std::ios::binary);
    if (!in) return failed(r.args, "local app " + app.str("app_id") + " has no log at " + app.str("log"));
    std::string chunk;
    auto drain = [&] {
        std::ostringstream buf;
        buf << in.rdbuf();
        in.clear();
        chunk = buf.str();
        if (inherit_output) std::cout << chunk << std::flush;
        else r.out += chunk;
    };
    drain();
    while (follow && worker_alive(app) && !util::termination_signal()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        drain();
    }
    drain();
    return r;
}

bool has(const std::vector<std::string>& args, const char* word) {
    for (const auto& a : args)
        if (a == word) return true;
    return false;
}

// The first argument after `app <verb>` that is not an option.
std::string target_of(const std::vector<std::string>& args) {
    for (std::size_t i = 2; i < args.size(); ++i)
        if (!args[i].empty() && args[i][0] != '-') return args[i];
    return {};
}

// ---- volumes: folders under <local home>/volumes/<name>, answered like `modal volume ls|get`

// The folder of a path inside a local volume; nullopt for a name or path that could leave it.
std::optional<fs::path> volume_path(const std::string& volume, const std::string& inside) {
    if (volume.empty() || volume.find('/') != std::string::npos || volume == "." || volume == "..") return std::nullopt;
    fs::path p = local_home() / "volumes" / volume;
    for (const auto& part : fs::path(inside)) {
        const std::string s = part.string();
        if (s == "..") return std::nullopt;
        if (s.empty() || s == "/" || s == ".") continue;
        p /= part;
    }
    return p;
}

std::string modified_text(const fs::path& p) {
    std::error_code ec;
    const auto when = fs::last_write_time(p, ec);
    if (ec) return {};
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::file_clock::to_sys(when).time_since_epoch());
    const std::time_t tt = secs.count();
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

ModalResult volume_ls(std::vector<std::string> args) {
    const std::string volume = args.size() > 2 ? args[2] : "";
    const std::string inside = args.size() > 3 && args[3].rfind("--", 0) != 0 ? args[3] : "";
    const auto dir = volume_path(volume, inside);
    std::error_code ec;
    if (!dir || !fs::is_directory(*dir, ec))
        return failed(std::move(args), "No such file or directory: " + inside + " (local volume " + volume + ")");
    const fs::path root = local_home() / "volumes" / volume;
    json::array rows;
    for (const auto& entry : fs::directory_iterator(*dir, ec)) {
        const bool is_dir = entry.is_directory(ec);
        rows.push_back(json::object{{"Filename", fs::relative(entry.path(), root, ec).generic_string()},
                                    {"Type", is_dir ? "dir" : "file"},
                                    {"Created/Modified", modified_text(entry.path())},
                                    {"Size", is_dir ? 0 : static_cast<std::int64_t>(entry.file_size(ec))}});
    }
    return json_result(std::move(args), std::move(rows));
}

// `volume get NAME REMOTE LOCAL [--force]`: into LOCAL/<name of REMOTE> when LOCAL is a folder.
ModalResult volume_get(std::vector<std::string> args) {
    std::vector<std::string> words;
    for (std::size_t i = 2; i < args.size(); ++i)
        if (args[i].rfind("--", 0) != 0) words.push_back(args[i]);
    if (words.size() != 3) return failed(std::move(args), "usage: volume get NAME REMOTE LOCAL");
    const auto source = volume_path(words[0], words[1]);
    std::error_code ec;
    if (!source || !fs::exists(*source, ec))
        return failed(std::move(args), "No such file or directory: " + words[1] + " (local volume " + words[0] + ")");
    fs::path target = words[2];
    if (fs::is_directory(target, ec)) target /= source->filename();
    const bool force = has(args, "--force");
    if (fs::exists(target, ec) && !fs::is_directory(target, ec) && !force)
        return failed(std::move(args), target.string() + " already exists (pass --force to overwrite)");
    auto options =
        fs::copy_options::recursive | (force ? fs::copy_options::overwrite_existing : fs::copy_options::skip_existing);
    fs::create_directories(target.parent_path(), ec);
    fs::copy(*source, target, options, ec);
    if (ec)
        return failed(std::move(args), "could not copy " + words[1] + " to " + target.string() + ": " + ec.message());
    ModalResult r;
    r.args = std::move(args);
    r.exit_code = 0;
    return r;
}

}  // namespace

bool local_backend(const HostContext& ctx) {
    if (ctx.globals.backend) return *ctx.globals.backend == "local";
    return util::env("MGPUX_BACKEND").value_or("") == "local";
}

fs::path local_home() { return state_dir() / "local"; }

std::optional<ModalResult> answer_locally(const HostContext& ctx, const std::vector<std::string>& args,
                                          bool inherit_output) {
    if (args.size() >= 2 && args[0] == "volume" && local_backend(ctx)) {
        if (args[1] == "ls") return volume_ls(args);
        if (args[1] == "get") return volume_get(args);
        return failed(args, "`volume " + args[1] +
                                "` is not available with the local backend; its volumes are folders in " +
                                (local_home() / "volumes").string());
    }
    if (args.size() < 2 || args[0] != "app") return std::nullopt;
    const std::string& verb = args[1];
    if (verb == "list") return local_backend(ctx) ? std::optional(list_apps(args)) : std::nullopt;
    if (verb != "stop" && verb != "logs") return std::nullopt;
    const std::string id = target_of(args);
    const auto app = find_app(id);
    if (!app) {
        if (local_backend(ctx)) return failed(args, "no local app " + id + " (see `m-gpux sessions list`)");
        return std::nullopt;
    }
    if (verb == "stop") return stop_app(args, id);
    return show_logs(args, *app, has(args, "-f") || has(args, "--follow"), inherit_output);
}

bool stop_local_app(const std::string& app_id) {
    auto app = find_app(app_id);
    if (!app) return true;
    const pid_t pgid = app->pid();
    const bool ours = worker_alive(*app);
    if (ours) {
        ::kill(-pgid, SIGTERM);
        for (int i = 0; i < 50 && group_alive(pgid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (group_alive(pgid)) ::kill(-pgid, SIGKILL);
        for (int i = 0; i < 20 && group_alive(pgid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // The worker marks itself stopped on SIGTERM; after SIGKILL it cannot.
    if (auto now = find_app(app_id); now && now->str("state") != "stopped") {
        now->record["state"] = "stopped";
        util::write_file_atomic(now->file, json::serialize(now->record), 0600);
    }
    return !ours || !group_alive(pgid);
}

}  // namespace mgpux::services
