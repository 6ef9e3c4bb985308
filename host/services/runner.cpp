#include "services/runner.hpp"

#include "host_context.hpp"
#include "services/console.hpp"
#include "services/modal_output.hpp"
#include "services/modal_service.hpp"
#include "services/process_service.hpp"
#include "services/profile_store.hpp"
#include "services/prompts.hpp"
#include "services/service_error.hpp"
#include "services/state_store.hpp"
#include "util/atomic_file.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <ctime>
#include <random>

namespace mgpux::services {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad(const std::string& what) { throw ServiceError(kExitUsage, "run request: " + what); }

const json::value* member(const json::object& o, const char* key) {
    auto it = o.find(key);
    return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::string get_string(const json::object& o, const char* key, bool required = false) {
    const auto* v = member(o, key);
    if (!v) {
        if (required) bad(std::string("\"") + key + "\" is required");
        return {};
    }
    if (!v->is_string()) bad(std::string("\"") + key + "\" must be a string");
    return std::string(v->as_string());
}

bool get_bool(const json::object& o, const char* key) {
    const auto* v = member(o, key);
    if (!v) return false;
    if (!v->is_bool()) bad(std::string("\"") + key + "\" must be true or false");
    return v->as_bool();
}

std::vector<std::string> get_strings(const json::object& o, const char* key) {
    std::vector<std::string> out;
    const auto* v = member(o, key);
    if (!v) return out;
    if (!v->is_array()) bad(std::string("\"") + key + "\" must be a list of strings");
    for (const auto& item : v->as_array()) {
        if (!item.is_string()) bad(std::string("\"") + key + "\" must be a list of strings");
        out.emplace_back(item.as_string());
    }
    return out;
}

std::optional<double> get_number(const json::object& o, const char* key) {
    const auto* v = member(o, key);
    if (!v) return std::nullopt;
    if (!v->is_number() || v->to_number<double>() <= 0) bad(std::string("\"") + key + "\" must be a positive number");
    return v->to_number<double>();
}

bool safe_file_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name != "modal_runner.py" && name != "launch.json";
}

std::string human_seconds(double s) {
    const auto total = static_cast<long long>(s);
    std::string text = std::to_string(total) + " s";
    if (total >= 3600 && total % 3600 == 0) text += " (" + std::to_string(total / 3600) + " h)";
    else if (total >= 60 && total % 60 == 0) text += " (" + std::to_string(total / 60) + " min)";
    return text;
}

std::string join(const std::vector<std::string>& words, const std::string& sep) {
    std::string s;
    for (std::size_t i = 0; i < words.size(); ++i) s += (i ? sep : "") + words[i];
    return s;
}

// $VISUAL / $EDITOR split into words, honouring quotes ("code -w" works).
std::vector<std::string> editor_command() {
    std::string editor = util::env("VISUAL").value_or(util::env("EDITOR").value_or(""));
    if (editor.empty()) editor = "nano";
    std::vector<std::string> words;
    std::string cur;
    char quote = 0;
    bool in_word = false;
    for (char c : editor) {
        if (quote) {
            if (c == quote) quote = 0;
            else cur += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t') {
            if (in_word) words.push_back(cur);
            cur.clear();
            in_word = false;
        } else {
            cur += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(cur);
    return words;
}

std::string quote_arg(const std::string& a) {
    if (!a.empty() && a.find_first_of(" \t\"'$\\`") == std::string::npos) return a;
    std::string q = "'";
    for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// The newest app called `app_name` whose state starts with `state_prefix`,
// from `modal app list --json`; nullopt when the list fails or has none.
std::optional<std::string> newest_app_named(ModalService& modal, const std::optional<std::string>& profile,
                                            const std::string& app_name, const std::string& state_prefix) {
    std::optional<std::string> found;
    try {
        const auto listed = modal.call({{"app", "list", "--json"}, profile, 15, false});
        if (!listed.ok() || !listed.json.is_array()) return std::nullopt;
        std::string newest;
        for (const auto& row : listed.json.as_array()) {
            if (!row.is_object()) continue;
            const auto& o = row.as_object();
            auto str = [&](const char* k) {
                auto it = o.find(k);
                return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
            };
            if (str("description") == app_name && str("state").rfind(state_prefix, 0) == 0 &&
                is_app_id(str("app_id")) && str("created_at") >= newest) {
                newest = str("created_at");
                found = str("app_id");
            }
        }
    } catch (const ServiceError&) {
    }
    return found;
}

}  // namespace

RunRequest parse_run_request(const json::value& v) {
    if (!v.is_object()) bad("expected a JSON object");
    const auto& o = v.as_object();
    RunRequest r;
    r.script = get_string(o, "script", true);
    if (r.script.empty()) bad("\"script\" is empty");
    r.app_name = get_string(o, "app_name", true);
    if (r.app_name.empty()) bad("\"app_name\" is empty");
    if (const auto mode = get_string(o, "mode"); !mode.empty()) r.mode = mode;
    if (r.mode != "run" && r.mode != "serve" && r.mode != "deploy") bad("\"mode\" must be run, serve or deploy");
    r.detach = get_bool(o, "detach");
    if (r.detach && r.mode != "run") bad("\"detach\" applies to mode run only");
    r.background = get_bool(o, "background");
    if (r.background && !(r.mode == "deploy" || (r.mode == "run" && r.detach)))
        bad("\"background\" needs mode run with detach, or deploy (a `modal serve` app ends with its client)");
    if (auto t = get_number(o, "ready_timeout_s")) r.ready_timeout_s = *t;
    r.description = get_string(o, "description");
    if (r.description.empty()) r.description = r.app_name;
    r.compute = get_string(o, "compute");
    r.timeout_s = get_number(o, "timeout_s");
    r.deps = get_strings(o, "deps");
    r.uploads = get_strings(o, "uploads");
    if (const auto p = get_string(o, "profile"); !p.empty()) r.profile = p;
    if (const auto* secrets = member(o, "secrets")) {
        if (!secrets->is_array()) bad("\"secrets\" must be a list");
        for (const auto& s : secrets->as_array()) {
            if (!s.is_object()) bad("each secret must be an object");
            SecretSpec spec;
            spec.name = get_string(s.as_object(), "name", true);
            const auto* values = member(s.as_object(), "values");
            if (!values || !values->is_object() || values->as_object().empty())
                bad("secret '" + spec.name + "' needs \"values\" with at least one key");
            for (const auto& kv : values->as_object()) {
                if (!kv.value().is_string()) bad("secret values must be strings");
                spec.values[std::string(kv.key())] = std::string(kv.value().as_string());
            }
            r.secrets.push_back(std::move(spec));
        }
    }
    if (const auto* session = member(o, "session")) {
        if (!session->is_object()) bad("\"session\" must be an object");
        r.session = session->as_object();
    }
    if (const auto* files = member(o, "files")) {
        if (!files->is_array()) bad("\"files\" must be a list");
        for (const auto& f : files->as_array()) {
            if (!f.is_object()) bad("each file must be an object");
            auto name = get_string(f.as_object(), "name", true);
            if (!safe_file_name(name)) bad("file name '" + name + "' is not a plain file name");
            r.files.emplace_back(std::move(name), get_string(f.as_object(), "content"));
        }
    }
    return r;
}

std::vector<std::string> modal_command(const RunRequest& r, const fs::path& script) {
    std::vector<std::string> args{r.mode};
    if (r.mode == "run" && r.detach) args.push_back("--detach");
    args.push_back(script.string());
    return args;
}

std::vector<std::pair<std::string, std::string>> summary_rows(const RunRequest& r,
                                                              const std::optional<std::string>& profile,
                                                              const std::string& script_path) {
    std::vector<std::pair<std::string, std::string>> rows;
    rows.emplace_back("app", r.app_name);
    std::string mode = "modal " + r.mode;
    if (r.detach) mode += " --detach";
    if (r.background) mode += " (in the background)";
    rows.emplace_back("mode", mode);
    rows.emplace_back("profile", profile ? *profile : "(Modal's active profile)");
    if (!r.compute.empty()) rows.emplace_back("compute", r.compute);
    if (r.timeout_s) rows.emplace_back("timeout", human_seconds(*r.timeout_s));
    if (!r.deps.empty()) {
        std::vector<std::string> shown(r.deps.begin(), r.deps.begin() + std::min<std::size_t>(r.deps.size(), 5));
        std::string deps = join(shown, ", ");
        if (r.deps.size() > 5) deps += " … (" + std::to_string(r.deps.size()) + " in all)";
        rows.emplace_back("deps", deps);
    }
    if (!r.uploads.empty()) rows.emplace_back("uploads", join(r.uploads, ", "));
    if (!r.secrets.empty()) {
        std::vector<std::string> names;
        for (const auto& s : r.secrets) names.push_back(s.name);
        rows.emplace_back("secrets", join(names, ", "));
    }
    rows.emplace_back("script", script_path);
    return rows;
}

std::string new_run_id() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    std::random_device rd;
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffffu);
    return std::string(stamp) + "-" + suffix;
}

ModalRunner::ModalRunner(HostContext& ctx) : ctx_(ctx) {}

RunOutcome ModalRunner::run(const RunRequest& request) {
    if (ctx_.globals.backend && *ctx_.globals.backend == "local")
        throw ServiceError(kExitFailed,
                           "the local backend cannot run this workload yet; run it on Modal (leave out --backend local)");
    Console& console = *ctx_.console;
    ModalService modal(ctx_);
    std::optional<std::string> profile = modal.pin_profile(request.profile);
    if (!profile) profile = ProfileStore(modal_config_path()).active();

    RunOutcome outcome;
    auto& res = outcome.result;
    const bool dry = ctx_.globals.dry_run;
    const std::string run_id = new_run_id();
    const fs::path run_dir = state_dir() / "runs" / run_id;
    const fs::path script_path = run_dir / "modal_runner.py";
    const auto args = modal_command(request, script_path);
    std::vector<std::string> command{"modal"};
    command.insert(command.end(), args.begin(), args.end());
    res["status"] = nullptr;
    res["exit_code"] = nullptr;
    res["app_id"] = nullptr;
    res["url"] = nullptr;
    res["ready"] = json::array();
    res["results"] = json::array();
    res["run_id"] = dry ? json::value(nullptr) : json::value(run_id);
    res["run_dir"] = dry ? json::value(nullptr) : json::value(run_dir.string());
    res["script_path"] = dry ? json::value(nullptr) : json::value(script_path.string());
    json::array cmd_json;
    for (const auto& w : command) cmd_json.emplace_back(w);
    res["command"] = cmd_json;
    res["profile"] = profile ? json::value(*profile) : json::value(nullptr);
    res["session_id"] = nullptr;
    res["stopped"] = false;

    // Summary, from the request's own fields.
    Table summary;
    summary.title = "Generated Modal runner";
    summary.columns = {"", ""};
    for (auto& [k, v] : summary_rows(request, profile, dry ? "(not written: --dry-run)" : script_path.string()))
        summary.rows.push_back({k, v});
    console.text(TextKind::Heading, "\n" + summary.title + "\n");
    summary.title.clear();
    std::string table_text = format_table(summary);
    // The header row of an untitled two-column grid is empty: drop it.
    if (auto nl = table_text.find('\n'); nl != std::string::npos && table_text.substr(0, nl).find_first_not_of(" -") == std::string::npos)
        table_text.erase(0, nl + 1);
    if (auto nl = table_text.find('\n'); nl != std::string::npos && table_text.substr(0, nl).find_first_not_of(" -") == std::string::npos)
        table_text.erase(0, nl + 1);
    console.text(TextKind::Info, table_text);

    if (ctx_.globals.script_out) {
        const fs::path out = *ctx_.globals.script_out;
        util::write_file_atomic(out, request.script, 0644);
        console.text(TextKind::Info, "script written to " + out.string() + "\n");
    }
    const std::string command_line = (profile ? "MODAL_PROFILE=" + quote_arg(*profile) + " " : std::string()) +
                                     [&] {
                                         std::vector<std::string> q;
                                         for (const auto& w : command) q.push_back(quote_arg(w));
                                         return join(q, " ");
                                     }();
    if (dry) {
        console.text(TextKind::Plain, request.script + (request.script.back() == '\n' ? "" : "\n"));
        for (const auto& s : request.secrets)
            console.text(TextKind::Info, "dry run: would create secret " + s.name + " from a 0600 file\n");
        console.text(TextKind::Info, "dry run: would run " + command_line + "\n");
        res["status"] = "dry_run";
        res["script"] = request.script;
        return outcome;
    }

    util::ensure_private_dir(state_dir());
    util::ensure_private_dir(state_dir() / "runs");
    util::ensure_private_dir(run_dir);
    util::write_file_atomic(script_path, request.script, 0600);
    for (const auto& [name, content] : request.files) util::write_file_atomic(run_dir / name, content, 0600);
    {
        json::object launch{{"run_id", run_id}, {"app_name", request.app_name}, {"mode", request.mode},
                            {"detach", request.detach}, {"description", request.description},
                            {"compute", request.compute}, {"command", cmd_json}};
        launch["profile"] = profile ? json::value(*profile) : json::value(nullptr);
        json::array secret_names;
        for (const auto& s : request.secrets) secret_names.emplace_back(s.name);
        launch["secrets"] = secret_names;
        util::write_file_atomic(run_dir / "launch.json", util::pretty_json(launch, true), 0600);
    }

    // Review: run / view / edit / cancel (--yes and --no-input take "run").
    std::string script = request.script;
    for (;;) {
        const int choice = ctx_.prompter->select("Run this script?",
                                                 {"Run", "View the script", "Edit it in $EDITOR", "Cancel"},
                                                 {command_line, "", script_path.string(), "keep the script, run nothing"},
                                                 0, "--yes");
        if (choice == 0) break;
        if (choice == 1) {
            console.text(TextKind::Plain, script + (script.empty() || script.back() == '\n' ? "" : "\n"));
            continue;
        }
        if (choice == 2) {
            auto words = editor_command();
            util::ProcessSpec spec;
            spec.exe = require_program(words.front());
            spec.args.assign(words.begin() + 1, words.end());
            spec.args.push_back(script_path.string());
            spec.stdin_mode = util::StdinMode::Inherit;
            spec.output = util::OutputMode::Inherit;
            const auto r = run_process_request(ctx_, spec, {});
            if (r.exit_code != 0)
                console.text(TextKind::Warning, "the editor exited with " + std::to_string(r.exit_code) + "\n");
            script = util::read_file_if_exists(script_path).value_or(script);
            if (script.find(request.app_name) == std::string::npos)
                console.text(TextKind::Warning, "the edited script no longer mentions the app name '" + request.app_name +
                                                    "'; the summary, session and stop still use it\n");
            continue;
        }
        res["status"] = "cancelled";
        outcome.status = kExitCancelled;
        outcome.error = "cancelled; nothing ran (the script is kept at " + script_path.string() + ")";
        return outcome;
    }

    for (const auto& s : request.secrets) {
        console.progress(("creating secret " + s.name).c_str());
        const auto r = modal.secret_create(profile, s.name, s.values);
        console.progress(nullptr);
        if (!r.ok()) {
            res["status"] = "failed";
            outcome.status = kExitFailed;
            outcome.error = "could not create secret " + s.name + ": " + describe_failure(r);
            return outcome;
        }
    }

    // The launch. Output passes through while the markers are watched.
    console.text(TextKind::Success, "Starting " + request.description + "…\n");
    if (request.detach)
        console.text(TextKind::Dim, "The app keeps running when this terminal closes; stop it with `m-gpux stop`.\n");
    StateStore state(state_dir());
    MarkerScanner scan;
    std::optional<std::string> session_id;
    bool stopped_for_background = false;
    auto record_session = [&](const std::string& app_id) {
        if (!request.detach || !request.session) return;
        json::object s = *request.session;
        if (session_id) s["id"] = *session_id;
        s["description"] = request.description;
        if (!s.contains("app_name")) s["app_name"] = request.app_name;
        if (!s.contains("compute")) s["compute"] = request.compute;
        if (!s.contains("profile")) s["profile"] = profile ? *profile : std::string();
        s["state"] = "running";
        s["app_id"] = app_id;
        s["url"] = scan.ready_urls().empty() ? json::value(nullptr) : json::value(scan.ready_urls().front());
        s["script_path"] = script_path.string();
        s["run_id"] = run_id;
        s["backend"] = "modal";
        const auto saved = state.save_session(s);
        if (auto it = saved.find("id"); it != saved.end() && it->value().is_string())
            session_id = std::string(it->value().as_string());
    };
    std::optional<std::string> recorded_app;
    std::size_t recorded_urls = 0;
    util::ProcessSpec spec;
    spec.exe = require_program("modal");
    spec.args = args;
    spec.env = modal.child_env(profile);
    spec.output = util::OutputMode::Watch;
    spec.cwd = fs::current_path();
    if (request.background) spec.timeout = std::chrono::milliseconds(static_cast<long long>(request.ready_timeout_s * 1000));
    auto on_line = [&](int, std::string_view line) {
        scan.feed(line);
        if (scan.app_id() && (!recorded_app || recorded_urls != scan.ready_urls().size())) {
            // Recorded as soon as Modal names the app, not when the run ends.
            record_session(*scan.app_id());
            recorded_app = scan.app_id();
            recorded_urls = scan.ready_urls().size();
        }
        if (request.background && request.mode == "run" && scan.app_id() && !scan.ready_urls().empty()) {
            stopped_for_background = true;
            return util::LineAction::Stop;  // the detached app keeps running
        }
        return util::LineAction::Continue;
    };
    const auto r = run_process_request(ctx_, spec, on_line);

    std::optional<std::string> app_id = scan.app_id();
    if (!app_id && (request.detach || request.mode == "deploy") && (r.exit_code == 0 || r.interrupted)) {
        // Modal did not name it in a line we saw (deploy never does): ask.
        app_id = newest_app_named(modal, profile, request.app_name, request.mode == "deploy" ? "deployed" : "ephemeral");
        if (app_id) record_session(*app_id);
    }
    if (app_id && is_app_id(*app_id)) res["app_id"] = *app_id;
    json::array ready;
    for (const auto& u : scan.ready_urls()) ready.emplace_back(u);
    res["ready"] = ready;
    json::array results;
    for (const auto& v : scan.results()) results.push_back(v);
    res["results"] = results;
    if (!scan.ready_urls().empty()) res["url"] = scan.ready_urls().front();
    else if (!scan.web_urls().empty()) res["url"] = scan.web_urls().front();
    res["exit_code"] = r.exit_code;
    res["session_id"] = session_id ? json::value(*session_id) : json::value(nullptr);
    for (const auto& b : scan.bad_results())
        console.text(TextKind::Warning, "a RESULT line was not JSON: " + b + "\n");

    const std::string app_text = app_id ? *app_id : std::string("the app");
    // "Stop the app now?" after a detached run was left: by id, default keep.
    auto offer_stop = [&](const std::string& id) {
        const bool stop = ctx_.prompter->confirm("Stop " + id + " (" + request.app_name + ") now to release its compute?",
                                                 false, false, "--yes keeps it running");
        if (!stop) {
            console.text(TextKind::Info, "It keeps running; stop it later with `m-gpux stop` or `modal app stop " + id + "`.\n");
            return;
        }
        const auto sr = modal.app_stop(profile, id);
        if (sr.ok()) {
            res["stopped"] = true;
            console.text(TextKind::Success, "Stopped " + id + ".\n");
            if (session_id) state.update_session(*session_id, json::object{{"state", "stopped"}});
        } else {
            outcome.status = kExitFailed;
            outcome.error = "could not stop " + id + ", it is still running: " + describe_failure(sr);
        }
    };
    if (stopped_for_background) {
        res["status"] = "background";
        console.text(TextKind::Success, request.description + " is up: " + scan.ready_urls().front() + "\n");
        console.text(TextKind::Info, "It keeps running in the background (" + app_text + "); stop it with `m-gpux stop`.\n");
        return outcome;
    }
    if (r.timed_out) {
        res["status"] = "failed";
        outcome.status = kExitFailed;
        outcome.error = "no READY line from " + request.description + " within " + human_seconds(request.ready_timeout_s) +
                        "; " + app_text + " may still be running (stop it with `m-gpux stop`)";
        return outcome;
    }
    if (r.interrupted) {
        res["status"] = "interrupted";
        if (!request.detach) {
            outcome.status = kExitCancelled;
            outcome.error = "interrupted; Modal stops " + request.description + " in a few seconds";
            return outcome;
        }
        console.text(TextKind::Warning, "Disconnected locally; " + app_text + " keeps running on Modal.\n");
        if (app_id) offer_stop(*app_id);
        else console.text(TextKind::Info, "Find it with `modal app list` and stop it with `modal app stop <app-id>`.\n");
        return outcome;
    }
    if (r.exit_code != 0) {
        res["status"] = "failed";
        outcome.status = kExitFailed;
        ModalResult mr;
        mr.args = args;
        mr.exit_code = r.exit_code;
        mr.err = r.err;
        outcome.error = describe_failure(mr);
        if (session_id) state.update_session(*session_id, json::object{{"state", "failed"}});
        return outcome;
    }
    res["status"] = "completed";
    // A detached run that returns by itself has finished its function: the
    // app is no longer running.
    if (session_id) state.update_session(*session_id, json::object{{"state", "stopped"}});
    return outcome;
}

}  // namespace mgpux::services
