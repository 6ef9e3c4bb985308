// SPDX-License-Identifier: MIT
// `m-gpux billing`: spend per profile from `modal billing report`, and the
// usage dashboard. Every Modal call goes through the host's modal service,
// one concurrent call per profile; profiles are pinned by the host.
#include "billing_report.hpp"

#include <mgpux/plugin.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace billing {
namespace {

constexpr const char* kDashboardUrl = "https://modal.com/settings/usage";
constexpr double kReportTimeoutS = 60;
constexpr long kMaxDays = 3660;

const mgpux_option kUsageOptions[] = {
    mgpux::option("days")
        .kind(MGPUX_OPT_INT)
        .default_value("30")
        .metavar("N")
        .help("how many days back to report (UTC dates)"),
    mgpux::option("account").alias('a').metavar("PROFILE").exclusive_group("target").repeatable().help(
        "the profile to report on (repeat for several)"),
    mgpux::option("all").flag().exclusive_group("target").help("report on every profile in the Modal config file"),
};

int usage(const mgpux::Host& host, const mgpux::Args& args);
int open_dashboard(const mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("billing", "See what your Modal workspaces spent",
                   "Reports spend per profile from `modal billing report` (modal 1.3.3 or newer), fetched\n"
                   "for all chosen profiles at once, and opens Modal's usage dashboard.\n"
                   "\n"
                   "Example:\n"
                   "  m-gpux billing usage --days 7 --all"),
    mgpux::command("billing usage", "Show spend per profile, environment and app", kUsageOptions, usage)
        .help("Runs `modal billing report --start <date> --json` for each chosen profile\n"
              "concurrently and sums the costs per environment and per app (Modal's description).\n"
              "Without --account or --all it reports on the profile m-gpux would use: --profile,\n"
              "else the active one. A profile whose report fails (or that has no token) is shown\n"
              "with its error and the others in full; the command then exits 1, so a script\n"
              "notices that the total is incomplete.\n"
              "\n"
              "Example:\n"
              "  m-gpux billing usage --days 7 -a work -a personal\n"
              "  m-gpux billing usage --all --json")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("billing open", "Open Modal's usage dashboard in a browser", open_dashboard)
        .help("Prints the dashboard URL (https://modal.com/settings/usage) and opens it with\n"
              "xdg-open when there is one; without a browser it only prints the URL.\n"
              "\n"
              "Example:\n"
              "  m-gpux billing open")
        .flags(MGPUX_CMDF_JSON),
};

// ------------------------------------------------------------ billing usage

struct Target {
    std::string name;
    bool has_token = false;
};

const mgpux::Json* profile_entry(const mgpux::Json& listing, const std::string& name) {
    if (const mgpux::Json* ps = listing.find("profiles"); ps && ps->is_array())
        for (const auto& p : ps->as_array())
            if (const mgpux::Json* n = p.find("name"); n && n->is_string() && n->as_string() == name) return &p;
    return nullptr;
}

bool has_token(const mgpux::Json& entry) {
    const mgpux::Json* t = entry.find("has_token");
    return t && t->is_bool() && t->as_bool();
}

std::vector<std::string> all_names(const mgpux::Json& listing) {
    std::vector<std::string> names;
    if (const mgpux::Json* ps = listing.find("profiles"); ps && ps->is_array())
        for (const auto& p : ps->as_array()) names.push_back(p.find("name")->as_string());
    return names;
}

// The profiles to report on: --all, each --account (checked, in the order
// given, without repeats), or the one m-gpux would use.
std::vector<std::string> chosen_names(const mgpux::Host& host, const mgpux::Args& args, const mgpux::Json& listing) {
    mgpux::Profiles profiles(host);
    const auto known = all_names(listing);
    if (known.empty())
        throw mgpux::Error(MGPUX_E_FAILED, "no Modal profiles in " + listing.find("path")->as_string() +
                                               "; add one with `m-gpux account add`");
    if (args.flag("all")) return known;
    std::vector<std::string> names;
    for (const auto& name : args.list("account")) {
        profiles.resolve(name);  // an unknown name is a usage error naming the known ones
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    if (!names.empty()) return names;
    const std::string current = profiles.resolve();
    if (current.empty())
        throw mgpux::usage_error(
            "no active Modal profile; pass --account PROFILE, --all, or --profile PROFILE "
            "(or make one active with `m-gpux account switch`)");
    return {current};
}

struct ProfileUsage {
    std::string name;
    std::string error;  // empty when the report was read
    Summary summary;
};

ProfileUsage usage_from_row(const std::string& name, const mgpux::Json& row) {
    ProfileUsage u{name, {}, {}};
    const mgpux::Json* ok = row.find("ok");
    if (!ok || !ok->is_bool() || !ok->as_bool()) {
        u.error = describe_fetch_error(row.string_or("error", "the billing report failed"));
        return u;
    }
    try {
        const mgpux::Json* rows = row.find("json");
        u.summary = summarize(rows ? *rows : mgpux::Json());
    } catch (const ReportError& e) {
        u.error = e.what();
    }
    return u;
}

std::vector<ProfileUsage> fetch_usage(const mgpux::Host& host, const std::vector<std::string>& names,
                                      const mgpux::Json& listing, const std::string& since) {
    std::vector<std::string> queried;
    for (const auto& n : names)
        if (const mgpux::Json* e = profile_entry(listing, n); e && has_token(*e)) queried.push_back(n);
    mgpux::Json rows = mgpux::Json::array();
    if (!queried.empty()) {
        host.progress(("Fetching billing reports for " + std::to_string(queried.size()) + " profile(s)").c_str());
        rows = mgpux::Modal(host).fan_out({"billing", "report", "--start", since, "--json"}, queried, kReportTimeoutS);
        host.progress(nullptr);
    }
    std::vector<ProfileUsage> out;
    std::size_t next_row = 0;
    for (const auto& n : names) {
        if (next_row < queried.size() && queried[next_row] == n) {
            out.push_back(usage_from_row(n, rows.as_array().at(next_row)));
            ++next_row;
        } else {
            out.push_back(
                {n, "no token in the Modal config file; add one with `m-gpux account add --name " + n + "`", {}});
        }
    }
    return out;
}

mgpux::Json usage_json(const ProfileUsage& u) {
    mgpux::Json j = mgpux::Json::object();
    const bool ok = u.error.empty();
    j.set("profile", u.name);
    j.set("ok", ok);
    j.set("error", ok ? mgpux::Json() : mgpux::Json(u.error));
    j.set("total", ok ? mgpux::Json(to_dollars(u.summary.total)) : mgpux::Json());
    mgpux::Json envs = mgpux::Json::object();
    for (const auto& [env, cost] : u.summary.by_environment) envs.set(env, to_dollars(cost));
    j.set("by_environment", envs);
    mgpux::Json apps = mgpux::Json::array();
    for (const auto& a : u.summary.by_app) {
        mgpux::Json row = mgpux::Json::object();
        row.set("description", a.description);
        row.set("environment", a.environment);
        row.set("cost", to_dollars(a.cost));
        apps.push(row);
    }
    j.set("by_app", apps);
    return j;
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

void print_profile(const mgpux::Host& host, const ProfileUsage& u, const std::string& since, long days) {
    if (!u.error.empty()) {
        host.warn("Could not fetch billing for '" + u.name + "': " + u.error + "\n");
        return;
    }
    if (u.summary.by_app.empty()) {
        host.text("No charges for '" + u.name + "' since " + since + ".\n");
        return;
    }
    std::vector<std::vector<mgpux::Json>> rows;
    for (const auto& a : u.summary.by_app)
        rows.push_back({or_dash(a.environment), or_dash(a.description), format_usd(a.cost, 4)});
    host.table({"Environment", "App", "Cost (USD)"}, rows,
               "Usage of '" + u.name + "', last " + std::to_string(days) + " days (since " + since + " UTC)");
    std::string line = "Total for '" + u.name + "': " + format_usd(u.summary.total, 4);
    if (u.summary.by_environment.size() > 1) {
        line += "  (";
        for (std::size_t i = 0; i < u.summary.by_environment.size(); ++i)
            line += (i ? ", " : "") + or_dash(u.summary.by_environment[i].first) + " " +
                    format_usd(u.summary.by_environment[i].second, 4);
        line += ")";
    }
    host.text(line + "\n\n");
}

// Why the command fails when some reports are missing: the only error when
// there was one profile, else which profiles (the others were shown).
std::string failure_message(const std::vector<ProfileUsage>& results, std::size_t ok_count) {
    if (results.size() == 1)
        return "could not fetch billing for '" + results.front().name + "': " + results.front().error;
    if (ok_count == 0) return "could not fetch billing for any of the " + std::to_string(results.size()) + " profiles";
    std::string names;
    for (const auto& u : results)
        if (!u.error.empty()) names += (names.empty() ? "" : ", ") + u.name;
    return "could not fetch billing for " + std::to_string(results.size() - ok_count) + " of " +
           std::to_string(results.size()) + " profiles (" + names + "); the total covers the others";
}

int usage(const mgpux::Host& host, const mgpux::Args& args) {
    const long days = static_cast<long>(args.integer("days", 30));
    if (days < 1 || days > kMaxDays)
        throw mgpux::usage_error("--days must be between 1 and " + std::to_string(kMaxDays) + " (got " +
                                 std::to_string(days) + ")");
    const mgpux::Json listing = mgpux::Profiles(host).list();
    const auto names = chosen_names(host, args, listing);
    const std::string since = date_days_before(today_utc(), days);
    const auto results = fetch_usage(host, names, listing, since);

    Nanos total = 0;
    std::size_t ok_count = 0;
    for (const auto& u : results)
        if (u.error.empty()) {
            total += u.summary.total;
            ++ok_count;
        }
    if (args.global_flag("json")) {
        mgpux::Json doc = mgpux::Json::object();
        doc.set("days", static_cast<long long>(days));
        doc.set("since", since);
        mgpux::Json ps = mgpux::Json::array();
        for (const auto& u : results) ps.push(usage_json(u));
        doc.set("profiles", ps);
        doc.set("total", to_dollars(total));
        host.json(doc);
    } else {
        for (const auto& u : results) print_profile(host, u, since, days);
        if (results.size() > 1)
            host.text("Total over " + std::to_string(ok_count) + " of " + std::to_string(results.size()) +
                          " profiles: " + format_usd(total, 4) + "\n",
                      MGPUX_TEXT_HEADING);
        host.text(
            "Each Starter workspace gets $30 of free credit per month; `m-gpux account list` shows what is left.\n",
            MGPUX_TEXT_DIM);
    }
    if (ok_count < results.size()) throw mgpux::Error(MGPUX_E_FAILED, failure_message(results, ok_count));
    return MGPUX_OK;
}

// ------------------------------------------------------------ billing open

// The host opens the URL (detached, through the process service); the
// opener's path is only looked up for the JSON report.
bool open_in_browser(const mgpux::Host& host, std::string& opener) {
    mgpux::Process process(host);
#ifdef __APPLE__
    const char* program = "open";
#else
    const char* program = "xdg-open";
#endif
    try {
        opener = process.locate(program);
    } catch (const mgpux::Error&) {
        return false;  // no opener: printing the URL is enough
    }
    try {
        return process.open_url(kDashboardUrl);
    } catch (const mgpux::Error& e) {
        if (e.code() == MGPUX_E_CANCELLED) throw;
        return false;  // a failed start never fails the command
    }
}

int open_dashboard(const mgpux::Host& host, const mgpux::Args& args) {
    std::string opener;
    const bool dry = args.global_flag("dry_run");
    bool opened = false;
    if (!dry) opened = open_in_browser(host, opener);
    if (args.global_flag("json")) {
        mgpux::Json doc = mgpux::Json::object();
        doc.set("url", kDashboardUrl);
        doc.set("opened", opened);
        doc.set("opener", opener.empty() ? mgpux::Json() : mgpux::Json(opener));
        host.json(doc);
        return MGPUX_OK;
    }
    host.text(std::string("Modal usage dashboard: ") + kDashboardUrl + "\n");
    if (dry) host.info("dry run: no browser opened\n");
    else if (opened) host.info("Opening it in your browser…\n");
    else host.info("No browser opener found; open the URL above yourself.\n");
    return MGPUX_OK;
}

}  // namespace
}  // namespace billing

MGPUX_CPP_PLUGIN_COMMANDS("billing", "0.1.0", "Spend per profile and the usage dashboard", "Accounts",
                          billing::kCommands)
