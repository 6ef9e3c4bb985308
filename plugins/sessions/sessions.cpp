// SPDX-License-Identifier: MIT
// `m-gpux sessions`: the sessions the runner recorded after a detached
// launch (sessions.json), reconciled with Modal on request, and the things
// one does with one: show, logs, open, pull its workspace, stop, forget.
// Everything about an app goes by its recorded app id, except a deployment, which goes by
// its name (Modal resolves names only for deployed apps, and `modal deploy` prints no id);
// a session written by the Python tool has only a name and is resolved once through
// `modal app list`.
#include "session_logic.hpp"

#include <mgpux/plugin.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mgpux::sessions {

namespace {

namespace fs = std::filesystem;

constexpr double kListTimeoutS = 15;

const mgpux_option kListOptions[] = {
    mgpux::option("refresh").flag().help(
        "first ask Modal for the state of each session's app (one app list per profile, at once)"),
};
const mgpux_option kIdOnly[] = {
    mgpux::positional("id").help("session id, app id or app name"),
};
const mgpux_option kLogsOptions[] = {
    mgpux::positional("id").help("session id, app id or app name"),
    mgpux::option("follow").alias('f').flag().help("keep streaming new log lines until Ctrl-C"),
};
const mgpux_option kPullOptions[] = {
    mgpux::positional("id").help("session id, app id or app name"),
    mgpux::option("to")
        .kind(MGPUX_OPT_PATH)
        .default_value("m-gpux-workspace")
        .metavar("DIR")
        .help("local directory to download into"),
    mgpux::option("force").flag().help("download into a non-empty DIR, overwriting files of the same name"),
};

int cmd_list(Host& host, const Args& args);
int cmd_show(Host& host, const Args& args);
int cmd_logs(Host& host, const Args& args);
int cmd_open(Host& host, const Args& args);
int cmd_pull(Host& host, const Args& args);
int cmd_stop(Host& host, const Args& args);
int cmd_forget(Host& host, const Args& args);

const mgpux::Commands kCommands{
    mgpux::command("sessions", "List, inspect, stop and pull tracked hub and dev sessions",
                   "A session is recorded when a workload is launched detached (hub, dev, preset):\n"
                   "its profile, compute, workspace volume, app id and, when known, its URL. ID is a\n"
                   "session id, an app id or an app name (the first match wins). Every Modal call is\n"
                   "pinned to the session's own profile.\n"
                   "\n"
                   "Example:\n"
                   "  m-gpux sessions list --refresh\n"
                   "  m-gpux sessions logs sess-1a2b3c4d --follow\n"
                   "  m-gpux sessions stop sess-1a2b3c4d --yes"),
    mgpux::command("sessions list", "Show the tracked sessions", kListOptions, cmd_list)
        .help("Shows every tracked session: id, kind, profile, compute, app id, state, created.\n"
              "States are what was last recorded; --refresh first runs `modal app list` once per\n"
              "profile involved, at once, and records what Modal says: running for a deployed or\n"
              "ephemeral app, stopped for a stopped one or one Modal no longer lists.\n"
              "--json prints {sessions: [...]}, each session with every recorded field.\n"
              "\n"
              "Example:\n"
              "  m-gpux sessions list --refresh --json")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("sessions show", "Show every recorded field of a session", kIdOnly, cmd_show)
        .help("Example:\n"
              "  m-gpux sessions show sess-1a2b3c4d")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("sessions logs", "Show (or follow) the logs of a session's app", kLogsOptions, cmd_logs)
        .help("Runs `modal app logs <app id>` in the session's profile (a deployment: by its app\n"
              "name, in its environment): the last 100 entries, or with --follow everything new\n"
              "until Ctrl-C.\n"
              "\n"
              "Example:\n"
              "  m-gpux sessions logs sess-1a2b3c4d -f"),
    mgpux::command("sessions open", "Print a session's URL and open it in the browser", kIdOnly, cmd_open)
        .help("Prints the URL recorded for the session and opens it with xdg-open when that is\n"
              "available, and says where its credentials are: the 0600 credentials.env in the\n"
              "session's run directory (the Jupyter token, a terminal's login), which is never\n"
              "printed. A session without a URL is an error (exit 1): its address is in the\n"
              "app's logs (`m-gpux sessions logs ID`).\n"
              "\n"
              "Example:\n"
              "  m-gpux sessions open sess-1a2b3c4d")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("sessions pull", "Download a session's workspace volume", kPullOptions, cmd_pull)
        .help("Runs `modal volume get <workspace volume> / DIR` in the session's profile. A DIR\n"
              "that exists and is not empty is refused unless --force is given.\n"
              "\n"
              "Example:\n"
              "  m-gpux sessions pull sess-1a2b3c4d --to ./results")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("sessions stop", "Stop a session's app", kIdOnly, cmd_stop)
        .help("Stops the session's app by app id (`modal app stop --yes <app id>`; a deployment by\n"
              "its app name, in its environment) in its profile after a confirmation (--yes to\n"
              "skip it). The session is marked stopped only when Modal says the app stopped; a\n"
              "failed stop exits 1.\n"
              "\n"
              "Example:\n"
              "  m-gpux sessions stop sess-1a2b3c4d --yes")
        .flags(MGPUX_CMDF_DESTRUCTIVE | MGPUX_CMDF_INTERACTIVE | MGPUX_CMDF_JSON),
    mgpux::command("sessions forget", "Drop sessions from the local list", kIdOnly, cmd_forget)
        .help("Removes every tracked session whose id, app id or app name is ID. Nothing on\n"
              "Modal changes. No match is an error (exit 2).\n"
              "\n"
              "Example:\n"
              "  m-gpux sessions forget sess-1a2b3c4d")
        .flags(MGPUX_CMDF_JSON),
};

// The app a command acts on, with the profile every call about it is pinned to.
struct Target {
    std::string ref;  // how to address the session in State calls
    std::string profile;
    std::string app_id;
    std::string description;
    std::string secret_name;  // a credentials secret an older m-gpux recorded, "" when none
    // A deployment recorded by name: Modal's app commands take the name (with its environment),
    // so no `app list` is needed to find its id.
    bool by_name = false;
    std::string environment;  // the deployment's, "" = the profile's default

    // The app as `modal app stop/logs` take it.
    std::vector<std::string> app_words() const {
        if (!by_name) return {app_id};
        std::vector<std::string> words{description};
        if (!environment.empty()) words.insert(words.end(), {"--env", environment});
        return words;
    }
    std::string label() const {
        if (by_name)
            return "deployed app " + description + (environment.empty() ? "" : " (environment " + environment + ")");
        return "app " + app_id + (description.empty() ? "" : " (" + description + ")");
    }
};

std::string profile_label(const std::string& profile) { return profile.empty() ? "(active profile)" : profile; }

std::string session_ref(const SessionRecord& s) {
    for (const auto* member : {&s.id, &s.app_id, &s.app_name})
        if (!member->value_or("").empty()) return **member;
    return {};
}

// The update that moves a session to `state`.
SessionRecord state_update(const std::string& state) {
    SessionRecord fields;
    fields.state = state;
    return fields;
}

SessionRecord find_session(Host& host, const std::string& ref) {
    auto s = State(host).session_find(ref);
    if (!s)
        throw usage_error("no tracked session matches '" + ref +
                          "' (a session id, app id or app name); run `m-gpux sessions list` to see them");
    return *s;
}

Json read_sessions(Host& host) {
    const Json doc = State(host).read("sessions");
    if (!doc.is_array()) throw Error(MGPUX_E_CONFIG, "sessions.json does not hold a list of sessions");
    Json out = Json::array();
    for (const Json& s : doc.as_array())
        if (s.is_object()) out.push(s);
    return out;
}

// The app id of a session recorded by name only: the newest live app of
// that name in its profile, remembered in the session from now on.
std::string resolve_by_name(Host& host, const Target& t, const std::string& name) {
    const Json result = Modal(host).call({"app", "list", "--json"}, t.profile, kListTimeoutS);
    const Json* doc = result.find("json");
    const auto app = newest_live_app(stop::parse_app_list(doc ? *doc : Json(), t.profile), name);
    if (!app)
        throw Error(MGPUX_E_FAILED, "no running app named '" + name + "' in profile " + profile_label(t.profile) +
                                        ": the session has ended (`m-gpux sessions forget " + t.ref + "` drops it)");
    host.info("resolved " + name + " to " + app->app_id + " via app list\n");
    SessionRecord fields;
    fields.app_id = app->app_id;
    State(host).session_update(t.ref, fields);
    return app->app_id;
}

Target resolve_target(Host& host, const SessionRecord& s) {
    Target t;
    t.ref = session_ref(s);
    t.profile = s.profile.value_or("");
    t.app_id = s.app_id.value_or("");
    t.description = s.app_name.value_or("");
    // A local session's credentials never became a Modal secret (they are in its run directory).
    if (s.backend != "local") t.secret_name = s.secret_name.value_or("");
    if (!t.app_id.empty()) {
        if (!stop::looks_like_app_id(t.app_id))
            throw Error(MGPUX_E_CONFIG, "session " + t.ref + " records app id '" + t.app_id +
                                            "', which is not a Modal app id; fix or forget the session");
        return t;
    }
    if (t.description.empty())
        throw Error(MGPUX_E_FAILED, "session " + t.ref + " records neither an app id nor an app name");
    if (s.extra.bool_or("deployed") && s.backend != "local") {
        t.by_name = true;
        t.environment = s.extra.string_or("environment");
        return t;
    }
    t.app_id = resolve_by_name(host, t, t.description);
    return t;
}

// ------------------------------------------------------------------ list

// The profiles whose apps --refresh asks for, warning about sessions whose
// profile has left the config file (asking for it would fail every row).
std::vector<std::string> profiles_to_ask(Host& host, const Json& sessions, const std::string& fallback) {
    std::set<std::string> known;
    const Json listed = Profiles(host).list();
    if (const Json* ps = listed.find("profiles"); ps && ps->is_array())
        for (const Json& p : ps->as_array()) known.insert(p.string_or("name"));
    std::set<std::string> wanted, missing;
    for (const Json& s : sessions.as_array()) {
        if (s.string_or("app_id").empty() && s.string_or("app_name").empty()) continue;
        std::string p = s.string_or("profile");
        if (p.empty()) p = fallback;
        if (p.empty()) continue;
        (known.count(p) ? wanted : missing).insert(p);
    }
    for (const std::string& p : missing)
        host.warn("Profile '" + p + "' is not in the Modal config file; its sessions were not refreshed.\n");
    return {wanted.begin(), wanted.end()};
}

Json with_changes(const Json& sessions, const std::vector<StateChange>& changes) {
    std::map<std::string, std::string> to;
    for (const StateChange& c : changes) to[c.ref] = c.to;
    Json out = Json::array();
    for (Json s : sessions.as_array()) {
        const auto it = to.find(!s.string_or("id").empty() ? s.string_or("id") : s.string_or("app_id"));
        if (it != to.end()) s.set("state", it->second);
        out.push(s);
    }
    return out;
}

Json refresh(Host& host, const Args& args, const Json& all_sessions) {
    // Each backend lists only its own apps: the other backend's sessions are left as they are.
    const bool local = args.global_str("backend") == "local";
    const Json sessions = sessions_on_backend(all_sessions, local ? "local" : "modal");
    const std::string fallback = local ? std::string() : Profiles(host).resolve();  // unknown --profile: usage error
    // The local backend's apps are one list, whatever the profiles.
    const std::vector<std::string> profiles =
        local ? std::vector<std::string>{""} : profiles_to_ask(host, sessions, fallback);
    if (profiles.empty()) return all_sessions;
    host.progress("Asking Modal about the apps of the tracked sessions");
    const Json rows = Modal(host).fan_out({"app", "list", "--json"}, profiles, kListTimeoutS);
    host.progress(nullptr);
    std::map<std::string, std::vector<AppRow>> listings;
    for (const Json& row : rows.as_array()) {
        const std::string profile = row.string_or("profile");
        const Json* ok = row.find("ok");
        if (!ok || !ok->is_bool() || !ok->as_bool()) {
            host.warn("Could not refresh the sessions of profile " + profile + ": " + row.string_or("error") + "\n");
            continue;
        }
        const Json* doc = row.find("json");
        listings[profile] = stop::parse_app_list(doc ? *doc : Json(), profile);
    }
    if (listings.empty()) throw Error(MGPUX_E_FAILED, "could not list the apps of any profile; nothing was refreshed");
    const auto changes = reconcile(sessions, listings, fallback);
    State state(host);
    for (const StateChange& c : changes) {
        state.session_update(c.ref, state_update(c.to));
        host.info(c.ref + ": " + (c.from.empty() ? "unknown" : c.from) + " -> " + c.to + "\n");
    }
    // Under --dry-run nothing was written: show what would have been.
    if (changes.empty()) return all_sessions;
    return args.global_flag("dry_run") ? with_changes(all_sessions, changes) : read_sessions(host);
}

int cmd_list(Host& host, const Args& args) {
    Json sessions = read_sessions(host);
    if (args.flag("refresh")) sessions = refresh(host, args, sessions);
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("sessions", sessions);
        host.json(doc);
        return MGPUX_OK;
    }
    if (sessions.as_array().empty()) {
        host.text("No tracked sessions yet.\n", MGPUX_TEXT_WARNING);
        host.info("A session is recorded when `m-gpux dev`, a hub workload or a preset runs detached.\n");
        return MGPUX_OK;
    }
    std::vector<std::vector<Json>> rows;
    for (const Json& s : sessions.as_array()) rows.push_back(list_row(s));
    host.table({"ID", "Kind", "Profile", "Compute", "App ID", "State", "Created"}, rows, "Tracked m-gpux sessions");
    return MGPUX_OK;
}

// ------------------------------------------------------------------ one session

// Where the session's launch kept its credentials file ("" when it records
// no run directory). The state directory is asked of the host only for a
// session recorded without its script path.
std::string expected_credentials_file(Host& host, const SessionRecord& s) {
    std::string state_dir;
    if (s.script_path.value_or("").empty())
        if (const Json* dirs = host.hostinfo().find("directories")) state_dir = dirs->string_or("state_dir");
    return credentials_path(s, state_dir);
}

bool file_exists(const std::string& path) {
    std::error_code ec;
    return !path.empty() && fs::is_regular_file(path, ec);
}

// Says where to find what the page asks for; only the file's path is shown,
// never the secret (it is printed once, at launch).
void say_where_the_credentials_are(Host& host, const SessionRecord& s, const std::string& file) {
    if (file.empty()) return;
    const std::string words = credentials_words(s.kind.value_or(""));
    if (file_exists(file))
        host.info("The page asks for " + words + ": it is in " + file + " (0600), not printed here.\n");
    else
        host.warn("The session's credentials file " + file + " no longer exists, so " + words +
                  " cannot be looked up; launch a new session for new credentials.\n");
}

int cmd_show(Host& host, const Args& args) {
    const SessionRecord s = find_session(host, args.str("id"));
    Json shown = s.to_json();
    if (args.global_flag("json")) {
        host.json(shown);
        return MGPUX_OK;
    }
    // Shown beside the recorded fields: where the launch kept the login.
    if (const std::string file = expected_credentials_file(host, s); file_exists(file))
        shown.set("credentials_file", file);
    const auto fields = show_fields(shown);
    std::size_t width = 0;
    for (const auto& f : fields) width = std::max(width, f.first.size());
    for (const auto& [key, value] : fields) {
        host.text(key + std::string(width + 2 - key.size(), ' '), MGPUX_TEXT_DIM);
        host.text(value + "\n");
    }
    return MGPUX_OK;
}

int cmd_logs(Host& host, const Args& args) {
    const Target t = resolve_target(host, find_session(host, args.str("id")));
    std::vector<std::string> argv{"app", "logs"};
    for (const auto& w : t.app_words()) argv.push_back(w);
    if (args.flag("follow")) argv.push_back("--follow");
    // The terminal is the child's: logs stream as Modal prints them.
    Modal(host).call(argv, t.profile, 0, true);
    return MGPUX_OK;
}

// The host's opener (detached); any failure just means "not opened".
bool open_in_browser(Host& host, const std::string& url) {
    try {
        return Process(host).open_url(url);
    } catch (const Error& e) {
        if (e.code() == MGPUX_E_CANCELLED) throw;
        return false;
    }
}

int cmd_open(Host& host, const Args& args) {
    const SessionRecord s = find_session(host, args.str("id"));
    const std::string ref = session_ref(s);
    const std::string url = s.url.value_or("");
    if (url.empty())
        throw Error(MGPUX_E_FAILED, "session " + ref + " has no recorded URL; its address appears in the app's logs: " +
                                        "m-gpux sessions logs " + ref);
    host.text(url + "\n");
    const std::string file = expected_credentials_file(host, s);
    say_where_the_credentials_are(host, s, file);
    const std::string credentials = file_exists(file) ? file : std::string();
    bool opened = false;
    if (!is_web_url(url)) host.warn("Not opening it: only http:// and https:// URLs are handed to a browser.\n");
    else if (!args.global_flag("dry_run")) opened = open_in_browser(host, url);
    host.info(opened ? "Opened " + url + " in the browser.\n" : "Open it in your browser.\n");
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("id", ref);
        doc.set("url", url);
        doc.set("opened", opened);
        doc.set("credentials_file", credentials.empty() ? Json() : Json(credentials));
        host.json(doc);
    }
    return MGPUX_OK;
}

// DIR must be a directory that is missing or empty, unless --force.
fs::path pull_destination(const Args& args) {
    if (args.str("to", "m-gpux-workspace").empty()) throw usage_error("--to needs a directory");
    std::error_code ec;
    const fs::path dir = fs::absolute(args.str("to", "m-gpux-workspace"), ec);
    if (ec) throw usage_error("cannot use '" + args.str("to") + "' as a directory: " + ec.message());
    const auto st = fs::status(dir, ec);
    if (!fs::exists(st)) return dir;
    if (!fs::is_directory(st)) throw usage_error(dir.string() + " exists and is not a directory");
    const bool empty = fs::directory_iterator(dir, ec) == fs::directory_iterator();
    if (ec) throw usage_error("cannot read " + dir.string() + ": " + ec.message());
    if (!empty && !args.flag("force"))
        throw usage_error(dir.string() +
                          " is not empty; pass --force to download into it (files of the same name are "
                          "overwritten) or choose another --to");
    return dir;
}

int cmd_pull(Host& host, const Args& args) {
    const SessionRecord s = find_session(host, args.str("id"));
    const std::string ref = session_ref(s), profile = s.profile.value_or("");
    const std::string volume = s.workspace_volume.value_or("");
    if (volume.empty()) throw Error(MGPUX_E_FAILED, "session " + ref + " has no workspace volume to pull");
    if (!is_volume_name(volume))
        throw Error(MGPUX_E_CONFIG, "session " + ref + " records workspace volume '" + volume +
                                        "', which is not a Modal volume name; fix or forget the session");
    const fs::path dir = pull_destination(args);
    std::vector<std::string> argv{"volume", "get", volume, "/", dir.string()};
    if (args.flag("force")) argv.push_back("--force");
    const bool json = args.global_flag("json");
    if (args.global_flag("dry_run")) {
        std::string line = "dry run: would run modal";
        for (const auto& a : argv) line += " " + a;
        host.info(line + "  (MODAL_PROFILE=" + profile_label(profile) + ")\n");
    } else {
        // On a terminal Modal shows its own progress; under --json stdout is the document's.
        Modal(host).call(argv, profile, 0, !json);
        host.success("Pulled volume " + volume + " into " + dir.string() + "\n");
    }
    if (json) {
        Json doc = Json::object();
        doc.set("id", ref);
        doc.set("volume", volume);
        doc.set("to", dir.string());
        doc.set("force", args.flag("force"));
        doc.set("dry_run", args.global_flag("dry_run"));
        host.json(doc);
    }
    return MGPUX_OK;
}

// `modal app stop --yes <id>` keeping the result of a failing stop, so that
// "already stopped" (the goal, reached earlier) is told apart from a failure.
// Returns true when Modal reported it already stopped; throws on a real failure.
bool stop_app(Host& host, const Target& t) {
    if (t.by_name) {
        std::vector<std::string> argv{"app", "stop", "--yes"};
        for (const auto& w : t.app_words()) argv.push_back(w);
        const Json r = Modal(host).try_call(argv, t.profile, 60);
        if (r.bool_or("ok")) return false;
        if (r.string_or("stderr").find("already stopped") != std::string::npos) return true;
        throw Error(MGPUX_E_FAILED, "");  // the host recorded what failed
    }
    const auto* modal = host.service<mgpux_modal_service>(MGPUX_SERVICE_MODAL);
    if (!modal) throw Error(MGPUX_E_FAILED, "this m-gpux host does not provide the modal service; update m-gpux");
    const char* out = nullptr;
    const int32_t status =
        modal->app_stop(host.raw(), t.profile.empty() ? nullptr : t.profile.c_str(), t.app_id.c_str(), &out);
    if (status == MGPUX_OK) return false;
    if (status == MGPUX_E_FAILED && out) {
        const Json r = Json::parse(out);
        if (r.string_or("stderr").find("already stopped") != std::string::npos) return true;
    }
    throw Error(status, "");  // the host recorded what failed
}

// Once the app is stopped its credentials are useless: the session's Modal
// Secret goes too. A failure here only warns (the app, what costs money, is
// stopped); the secret can be removed with `modal secret delete`.
bool delete_session_secret(Host& host, const Target& t) {
    if (t.secret_name.empty()) return false;
    try {
        Modal(host).secret_delete(t.secret_name, t.profile);
    } catch (const Error& e) {
        if (e.code() == MGPUX_E_CANCELLED) throw;
        host.warn("Could not delete the session's secret " + t.secret_name + "; remove it with `modal secret delete " +
                  t.secret_name + "`.\n");
        return false;
    }
    return true;
}

int cmd_stop(Host& host, const Args& args) {
    const Target t = resolve_target(host, find_session(host, args.str("id")));
    const std::string what = t.label() + " of session " + t.ref + " in profile " + profile_label(t.profile);
    if (!host.confirm("Stop " + what + "?", true, "--yes", true))
        throw Error(MGPUX_E_CANCELLED, "cancelled: the app was not stopped");
    const bool already = stop_app(host, t);
    const bool dry = args.global_flag("dry_run");
    State(host).session_update(t.ref, state_update("stopped"));
    if (dry) host.info("Would stop " + what + "\n");
    else host.success((already ? "Already stopped: " : "Stopped ") + what + "\n");
    const bool secret_deleted = delete_session_secret(host, t);
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("id", t.ref);
        doc.set("app_id", t.app_id.empty() ? Json() : Json(t.app_id));
        doc.set("app_name", t.description.empty() ? Json() : Json(t.description));
        doc.set("profile", t.profile);
        doc.set("stopped", !dry);
        doc.set("already_stopped", already);
        doc.set("secret_name", t.secret_name.empty() ? Json() : Json(t.secret_name));
        doc.set("secret_deleted", secret_deleted);
        doc.set("dry_run", dry);
        host.json(doc);
    }
    return MGPUX_OK;
}

int cmd_forget(Host& host, const Args& args) {
    const std::string ref = args.str("id");
    const uint32_t n = State(host).session_forget(ref);
    if (n == 0) throw usage_error("no tracked session matches '" + ref + "'; run `m-gpux sessions list` to see them");
    const std::string count = std::to_string(n) + " session" + (n == 1 ? "" : "s");
    if (args.global_flag("dry_run")) host.info("Would forget " + count + " matching " + ref + ".\n");
    else host.success("Forgot " + count + " matching " + ref + ".\n");
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("ref", ref);
        doc.set("forgotten", static_cast<long long>(n));
        host.json(doc);
    }
    return MGPUX_OK;
}

}  // namespace

}  // namespace mgpux::sessions

MGPUX_CPP_PLUGIN_COMMANDS("sessions", "0.1.0", "List, inspect, stop and pull tracked hub and dev sessions", "Workspace",
                          mgpux::sessions::kCommands)
