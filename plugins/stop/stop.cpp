// SPDX-License-Identifier: MIT
// `m-gpux stop`: find the m-gpux apps still running on Modal (in the current
// profile, or in every profile at once with --all), let the user pick which
// to stop, stop them by app id, and say truthfully which stops worked.
#include "app_list.hpp"
#include "app_stop.hpp"
#include "stop_logic.hpp"

#include <mgpux/plugin.hpp>

#include <string>
#include <vector>

namespace mgpux::stop {

namespace {

constexpr double kListTimeoutS = 15;  // as the original's app list
const char* const kChoiceQuestion = "Stop which apps? (numbers like 1,3 or 'all')";

const mgpux_option kStopOptions[] = {
    mgpux::option("all").flag().help("look in every profile of the Modal config file, concurrently"),
    mgpux::option("app").metavar("NAME|ID").help(
        "stop only the apps with this app id or description (no selection prompt)"),
    mgpux::option("select")
        .metavar("all|LIST")
        .help("which of the listed apps to stop, as the prompt takes it: 'all', or numbers and ranges like 1,3 or 2-4"),
    mgpux::option("env").alias('e').metavar("ENV").help("Modal environment to look in (default: each profile's own)"),
};

int run(Host& host, const Args& args);

const mgpux::Commands kCommands{
    mgpux::command("stop", "Stop running m-gpux apps and release their GPUs", kStopOptions, run)
        .help("Lists the m-gpux apps that are still running on Modal (description starting with\n"
              "\"m-gpux\"; state deployed, ephemeral, ephemeral (detached) or initializing...) in\n"
              "the current profile, or with --all in every profile at once, and asks which to\n"
              "stop; Enter alone stops nothing. Apps are stopped by app id, each in its own\n"
              "profile; the report counts real successes, and tracked sessions of the stopped\n"
              "apps are marked stopped (with any secret an older m-gpux made for them).\n"
              "Without a terminal, say which apps with --select all|LIST or --app NAME|ID. --yes\n"
              "skips the confirmation but never chooses: `stop --yes` alone is a usage error.\n"
              "--dry-run lists what would be stopped and stops nothing.\n"
              "Exit status 1 when any stop failed or --app matches no running app; 3 when\n"
              "sessions.json cannot be read (checked before anything is stopped).\n"
              "\n"
              "Example:\n"
              "  m-gpux stop --all --select all --yes\n"
              "  m-gpux stop --app m-gpux-jupyter --profile work")
        .flags(MGPUX_CMDF_DESTRUCTIVE | MGPUX_CMDF_INTERACTIVE | MGPUX_CMDF_JSON),
};

struct ScanError {
    std::string profile;
    std::string error;
};

struct Scan {
    std::vector<AppRow> rows;
    std::vector<ScanError> errors;
    std::size_t profiles = 0;
};

std::vector<std::string> list_args(const std::string& env) {
    std::vector<std::string> args{"app", "list", "--json"};
    if (!env.empty()) {
        args.push_back("--env");
        args.push_back(env);
    }
    return args;
}

Scan scan_current(Host& host, const std::string& env) {
    Scan scan;
    scan.profiles = 1;
    // resolve() turns an unknown --profile into a usage error before any call.
    const std::string profile = Profiles(host).resolve();
    const Json result = Modal(host).call(list_args(env), profile, kListTimeoutS);
    const Json* doc = result.find("json");
    scan.rows = parse_app_list(doc ? *doc : Json(), profile);
    return scan;
}

Scan scan_all(Host& host, const std::string& env) {
    Scan scan;
    const Json rows = Modal(host).fan_out(list_args(env), {}, kListTimeoutS);
    for (const Json& row : rows.as_array()) {
        ++scan.profiles;
        const std::string profile = row.string_or("profile");
        if (!row.bool_or("ok")) {
            scan.errors.push_back({profile, row.string_or("error")});
            continue;
        }
        const Json* doc = row.find("json");
        for (AppRow& app : parse_app_list(doc ? *doc : Json(), profile)) scan.rows.push_back(std::move(app));
    }
    return scan;
}

void show_table(Host& host, const std::vector<AppRow>& apps) {
    std::vector<std::vector<Json>> rows;
    for (std::size_t i = 0; i < apps.size(); ++i) {
        const AppRow& a = apps[i];
        rows.push_back({Json(static_cast<long long>(i + 1)), Json(place_label(a)), Json(a.app_id), Json(a.description),
                        Json(a.state), Json(short_time(a.created_at))});
    }
    host.table({"#", "Profile", "App ID", "Description", "State", "Created"}, rows, "Running m-gpux apps");
}

std::vector<AppRow> picked_by(const std::vector<AppRow>& apps, const Selection& sel) {
    std::vector<AppRow> picked;
    for (std::size_t i : sel.indices) picked.push_back(apps[i]);
    return picked;
}

// Asks on a terminal (without --yes) before stopping what a flag picked.
void confirm_picked(Host& host, const Args& args, const std::vector<AppRow>& picked) {
    if (picked.empty() || args.global_flag("dry_run") || !args.global_flag("interactive")) return;
    if (!host.confirm("Stop " + std::to_string(picked.size()) + " app(s)?", true, "--yes", true))
        throw Error(MGPUX_E_CANCELLED, "cancelled: nothing was stopped");
}

std::vector<AppRow> ask_selection(Host& host, const std::vector<AppRow>& apps) {
    while (true) {
        // The default is "none": Enter alone never stops anything.
        const std::string answer = host.ask(kChoiceQuestion, "none", "--select or --app");
        const Selection sel = parse_selection(answer, apps.size());
        if (sel.error.empty()) return picked_by(apps, sel);
        host.warn(sel.error + "\n");
    }
}

// Which of `apps` to stop. --select and --app are explicit answers; under
// --dry-run everything listed is shown as what would stop; otherwise only a
// terminal is asked. --yes confirms but never chooses, so that `stop --yes`
// alone cannot stop every app by accident.
std::vector<AppRow> choose(Host& host, const Args& args, const std::vector<AppRow>& apps) {
    if (args.has("select")) {
        const Selection sel = parse_selection(args.str("select"), apps.size());
        if (!sel.error.empty()) throw usage_error("--select: " + sel.error);
        const std::vector<AppRow> picked = picked_by(apps, sel);
        confirm_picked(host, args, picked);
        return picked;
    }
    if (args.has("app")) {
        confirm_picked(host, args, apps);
        return apps;
    }
    if (args.global_flag("dry_run")) return apps;
    if (args.global_flag("yes"))
        throw usage_error(
            "--yes confirms a stop but does not choose which apps: add --select all to stop every app "
            "listed, --select 1,3 for some of them, or --app NAME|ID");
    if (!args.global_flag("interactive"))
        throw usage_error(std::string("cannot ask \"") + kChoiceQuestion +
                          "\" (no terminal, or --no-input); stopping apps is destructive, so it is never "
                          "assumed; pass --select all|LIST or --app NAME|ID");
    return ask_selection(host, apps);
}

Json result_json(const std::vector<AppRow>& listed, const std::vector<StopOutcome>& outcomes, const Scan& scan,
                 bool dry_run) {
    Json apps = Json::array(), failed = Json::array(), errors = Json::array();
    Json would_stop = Json::array();
    for (const AppRow& a : listed) apps.push(app_json(a));
    for (const StopOutcome& o : outcomes) {
        if (o.dry) would_stop.push(app_json(o.app));
        else if (!o.ok) failed.push(failure_json(o));
    }
    for (const ScanError& e : scan.errors) {
        Json j = Json::object();
        j.set("profile", e.profile);
        j.set("error", e.error);
        errors.push(j);
    }
    Json doc = Json::object();
    doc.set("apps", apps);
    doc.set("stopped", stopped_json(outcomes));
    doc.set("failed", failed);
    doc.set("scan_errors", errors);
    if (dry_run) {
        doc.set("would_stop", would_stop);
        doc.set("dry_run", true);
    }
    return doc;
}

Scan scan(Host& host, const Args& args) {
    if (args.flag("all") && !args.global_str("profile").empty())
        host.info("--all looks in every profile; --profile is not used for the listing.\n");
    host.progress("Scanning for running m-gpux apps");
    Scan found = args.flag("all") ? scan_all(host, args.str("env")) : scan_current(host, args.str("env"));
    host.progress(nullptr);
    for (const ScanError& e : found.errors)
        host.warn("Could not list the apps of profile " + e.profile + ": " + e.error + "\n");
    if (found.profiles > 0 && found.errors.size() == found.profiles)
        throw Error(MGPUX_E_FAILED, "could not list the apps of any profile");
    return found;
}

// Nothing to stop: fine when nothing runs, a failure when --app named an app
// that is not running (a script asked for something that did not happen).
int nothing_running(Host& host, const Args& args, const Scan& found) {
    if (args.global_flag("json")) host.json(result_json({}, {}, found, false));
    const std::string tip = args.flag("all") ? "" : " (--all looks in every profile)";
    if (args.has("app"))
        throw Error(MGPUX_E_FAILED, "no running m-gpux app matches '" + args.str("app") +
                                        "' (an app id or description)" + tip + "; nothing was stopped");
    host.text("No running m-gpux apps found.\n", MGPUX_TEXT_WARNING);
    if (!args.flag("all")) host.info("Tip: --all looks in every profile.\n");
    return MGPUX_OK;
}

int run(Host& host, const Args& args) {
    const bool json = args.global_flag("json");
    require_readable_sessions(host, "m-gpux stop");
    const Scan found = scan(host, args);
    std::vector<AppRow> apps = live_mgpux_apps(found.rows);
    if (args.has("app")) apps = filter_by_ref(apps, args.str("app"));
    if (apps.empty()) return nothing_running(host, args, found);
    show_table(host, apps);
    const std::vector<AppRow> targets = choose(host, args, apps);
    if (targets.empty()) {
        if (json) host.json(result_json(apps, {}, found, args.global_flag("dry_run")));
        host.text("Nothing selected; nothing was stopped.\n");
        return MGPUX_OK;
    }
    const std::vector<StopOutcome> outcomes = stop_apps(host, targets);
    const int32_t state_status = record_stops(host, outcomes);
    report_stops(host, outcomes);
    if (json) host.json(result_json(apps, outcomes, found, args.global_flag("dry_run")));

    std::size_t failed = 0;
    for (const StopOutcome& o : outcomes) failed += o.ok ? 0 : 1;
    if (failed) {
        if (state_status != MGPUX_OK)
            host.warn("The tracked sessions were not updated: the state file could not be read.\n");
        throw Error(MGPUX_E_FAILED,
                    std::to_string(failed) + " of " + std::to_string(outcomes.size()) + " app(s) could not be stopped");
    }
    // The state service already recorded its message (file and position).
    if (state_status != MGPUX_OK) throw Error(state_status, "");
    return MGPUX_OK;
}

}  // namespace

}  // namespace mgpux::stop

MGPUX_CPP_PLUGIN_COMMANDS("stop", "0.1.0", "Stop running m-gpux apps and release their GPUs", "Utility",
                          mgpux::stop::kCommands)
