#include "services/local_apps.hpp"

#include "host_context.hpp"
#include "util/atomic_file.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"
#include "util/subprocess.hpp"

#include <boost/json.hpp>

#include <csignal>
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

}  // namespace

bool local_backend(const HostContext& ctx) {
    if (ctx.globals.backend) return *ctx.globals.backend == "local";
    return util::env("MGPUX_BACKEND").value_or("") == "local";
}

fs::path local_home() { return state_dir() / "local"; }

std::optional<ModalResult> answer_locally(const HostContext& ctx, const std::vector<std::string>& args,
                                          bool inherit_output) {
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
