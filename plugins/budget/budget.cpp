// SPDX-License-Identifier: MIT
// `m-gpux budget`: monthly spending limits per Modal profile, checked against
// this month's usage (`modal billing report`, fetched for every profile at
// once), with a periodic watch that can stop an over-budget account's apps.
#include "app_list.hpp"
#include "app_stop.hpp"
#include "budget_logic.hpp"

#include <mgpux/plugin.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>

namespace budget {
namespace {

using mgpux::Json;

constexpr double kUsageTimeoutS = 60;
constexpr double kListTimeoutS = 30;

const mgpux_option kSetOptions[] = {
    mgpux::positional("amount").required().metavar("AMOUNT").help("the monthly limit in US dollars (e.g. 25)"),
    mgpux::option("account").alias('a').metavar("PROFILE").help(
        "the profile it applies to (default: every profile without its own limit, stored as \"*\")"),
};
const mgpux_option kClearOptions[] = {
    mgpux::option("account").alias('a').metavar("PROFILE").help("the profile whose limit to remove (default: \"*\")"),
};
const mgpux_option kCheckOptions[] = {
    mgpux::option("stop").flag().help("stop the running m-gpux apps of every account over its budget"),
};
const mgpux_option kWatchOptions[] = {
    mgpux::option("interval")
        .alias('i')
        .kind(MGPUX_OPT_INT)
        .default_value("600")
        .metavar("SECONDS")
        .help("seconds between checks (at least 60)"),
    mgpux::option("stop").negatable().help(
        "stop an over-budget account's m-gpux apps (default; --no-stop only reports)"),
};

int set(const mgpux::Host& host, const mgpux::Args& args);
int clear(const mgpux::Host& host, const mgpux::Args& args);
int show(const mgpux::Host& host, const mgpux::Args& args);
int check(const mgpux::Host& host, const mgpux::Args& args);
int watch(const mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("budget", "Monthly spending limits per Modal account",
                   "Keeps a monthly limit in US dollars per profile in ~/.m-gpux/budgets.json (\"*\" is the\n"
                   "limit of every profile without its own) and checks this month's usage against it.\n"
                   "Launches refuse an account over its budget (--ignore-budget overrides).\n"
                   "\n"
                   "Example:\n"
                   "  m-gpux budget set 25 -a work\n"
                   "  m-gpux budget check --stop"),
    mgpux::command("budget set", "Set a monthly limit", kSetOptions, set)
        .help("Example:\n  m-gpux budget set 25 -a work\n  m-gpux budget set 10        # every other profile")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("budget clear", "Remove a monthly limit", kClearOptions, clear)
        .help("Example:\n  m-gpux budget clear -a work")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("budget show", "Show each account's limit, usage this month and what is left", show)
        .help("Without a limit an account may spend the $30 Starter credit; that is what Left counts.\n\n"
              "Example:\n  m-gpux budget show --json")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("budget check", "Exit 1 when an account is over its budget", kCheckOptions, check)
        .help("Exits 0 when every account with a limit is under it, 1 when one is over (or its usage\n"
              "could not be read). --stop stops the over-budget accounts' running m-gpux apps as\n"
              "`m-gpux stop` does, marking their tracked sessions stopped.\n\n"
              "Example:\n  m-gpux budget check --stop")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("budget watch", "Check the budgets every few minutes until Ctrl-C", kWatchOptions, watch)
        .help("Prints one line per round. A failing billing call is reported and the watch goes on.\n"
              "By default an account over its budget has its m-gpux apps stopped (--no-stop only reports).\n"
              "Ctrl-C ends it at any moment (a modal call under way is ended too): exit 130, with\n"
              "how many rounds ran.\n\n"
              "Example:\n  m-gpux budget watch --interval 300"),
};

// ------------------------------------------------------------ the file

std::string account_key(const mgpux::Args& args) {
    if (!args.has("account")) return kDefaultKey;
    const std::string name = args.str("account");
    if (name.empty()) throw mgpux::usage_error("--account needs a profile name");
    return name;
}

Budgets read_budgets(const mgpux::Host& host) { return parse_budgets(mgpux::State(host).read(kDocument)); }

int set(const mgpux::Host& host, const mgpux::Args& args) {
    const Nanos amount = parse_amount(args.str("amount"));
    const std::string key = account_key(args);
    mgpux::State(host).modify(kDocument, [&](const Json& current, Json& replacement) {
        Budgets budgets = parse_budgets(current);  // a corrupt file is refused before anything is written
        budgets[key] = amount;
        replacement = budgets_json(budgets);
        return true;
    });
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("account", key);
        doc.set("budget", billing::to_dollars(amount));
        host.json(doc);
    } else {
        host.success("Budget for " + (key == kDefaultKey ? std::string("every profile without its own") : key) + ": " +
                     billing::format_usd(amount, 2) + " a month\n");
    }
    return MGPUX_OK;
}

int clear(const mgpux::Host& host, const mgpux::Args& args) {
    const std::string key = account_key(args);
    bool removed = false;
    mgpux::State(host).modify(kDocument, [&](const Json& current, Json& replacement) {
        Budgets budgets = parse_budgets(current);
        removed = budgets.erase(key) > 0;
        replacement = budgets_json(budgets);
        return removed;
    });
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("account", key);
        doc.set("removed", removed);
        host.json(doc);
    } else {
        host.info(removed ? "Removed the budget of " + key + "\n" : "No budget was set for " + key + "\n");
    }
    return MGPUX_OK;
}

// ------------------------------------------------------------ standings

// Every profile with a token, this month's usage fetched for all at once.
std::vector<Standing> standings(const mgpux::Host& host, const Budgets& budgets) {
    std::vector<Standing> out;
    std::vector<std::string> names;
    const Json listing = mgpux::Profiles(host).list();
    if (const Json* ps = listing.find("profiles"); ps && ps->is_array())
        for (const Json& p : ps->as_array())
            if (p.bool_or("has_token")) names.push_back(p.string_or("name"));
    if (names.empty()) return out;
    host.progress(("Fetching this month's usage for " + std::to_string(names.size()) + " profile(s)").c_str());
    Json rows;
    try {
        rows =
            mgpux::Modal(host).fan_out({"billing", "report", "--for", "this month", "--json"}, names, kUsageTimeoutS);
    } catch (const mgpux::Error&) {
        host.progress(nullptr);  // an interrupted call leaves no spinner line behind
        throw;
    }
    host.progress(nullptr);
    for (std::size_t i = 0; i < names.size(); ++i) {
        Standing s;
        s.profile = names[i];
        s.limit = limit_for(budgets, s.profile);
        const Json* row = rows.is_array() && i < rows.as_array().size() ? &rows.as_array()[i] : nullptr;
        if (!row || !row->bool_or("ok")) {
            s.error = billing::describe_fetch_error(row ? row->string_or("error") : "no answer");
        } else {
            try {
                const Json* report = row->find("json");
                s.used = billing::summarize(report ? *report : Json()).total;
            } catch (const billing::ReportError& e) {
                s.error = e.what();
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

Json money_cell(const std::optional<Nanos>& n) { return n ? Json(billing::format_usd(*n, 2)) : Json("-"); }

void print_table(const mgpux::Host& host, const std::vector<Standing>& all) {
    std::vector<std::vector<Json>> rows;
    for (const Standing& s : all) {
        const std::string limit =
            s.limit.amount ? billing::format_usd(*s.limit.amount, 2) + (s.limit.source == "own" ? "" : " (*)")
                           : "none ($30 credit)";
        rows.push_back({Json(s.profile), Json(limit), money_cell(s.used), money_cell(s.spendable()),
                        Json(s.error.empty() ? status_word(s) : status_word(s) + ": " + s.error)});
    }
    host.table({"Profile", "Budget", "Used (month)", "Left", "Status"}, rows, "Budgets");
}

Json standings_json(const std::vector<Standing>& all) {
    Json arr = Json::array();
    for (const Standing& s : all) arr.push(standing_json(s));
    return arr;
}

int show(const mgpux::Host& host, const mgpux::Args& args) {
    const Budgets budgets = read_budgets(host);
    const std::vector<Standing> all = standings(host, budgets);
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("accounts", standings_json(all));
        host.json(doc);
    } else if (all.empty()) {
        host.info("No profile with a token: add one with `m-gpux account add`\n");
    } else {
        print_table(host, all);
    }
    return MGPUX_OK;
}

// ------------------------------------------------------------ stopping

// What --stop did to the over-budget accounts' apps, and the state file's
// status once their sessions were recorded (the apps are stopped regardless).
struct Stops {
    std::vector<mgpux::stop::StopOutcome> outcomes;
    int32_t state_status = MGPUX_OK;
};

// Stops the account's running m-gpux apps as `m-gpux stop` does (by id, in
// that profile; their sessions marked stopped, older sessions' secrets
// deleted) and reports each.
void stop_account(const mgpux::Host& host, const std::string& profile, Stops& stops) {
    const Json listed = mgpux::Modal(host).call({"app", "list", "--json"}, profile, kListTimeoutS);
    if (!listed.bool_or("ok")) {
        host.warn(profile + ": could not list its apps: " + listed.string_or("error") + "\n");
        return;
    }
    const Json* doc = listed.find("json");
    const auto apps = mgpux::stop::live_mgpux_apps(mgpux::stop::parse_app_list(doc ? *doc : Json(), profile));
    if (apps.empty()) {
        host.info(profile + ": no running m-gpux app to stop\n");
        return;
    }
    const auto outcomes = mgpux::stop::stop_apps(host, apps);
    const int32_t status = mgpux::stop::record_stops(host, outcomes);
    if (status != MGPUX_OK) stops.state_status = status;
    mgpux::stop::report_stops(host, outcomes);
    stops.outcomes.insert(stops.outcomes.end(), outcomes.begin(), outcomes.end());
}

Json stops_json(const Stops& stops, Json doc) {
    Json failed = Json::array();
    for (const auto& o : stops.outcomes)
        if (!o.ok) failed.push(mgpux::stop::failure_json(o));
    doc.set("stopped", mgpux::stop::stopped_json(stops.outcomes));
    doc.set("failed", failed);
    return doc;
}

int check(const mgpux::Host& host, const mgpux::Args& args) {
    const bool json = args.global_flag("json");
    const bool stop = args.flag("stop");
    const Budgets budgets = read_budgets(host);
    if (stop) mgpux::stop::require_readable_sessions(host, "m-gpux budget check --stop");
    const std::vector<Standing> all = standings(host, budgets);
    bool failed = false;
    Stops stops;
    for (const Standing& s : all) {
        if (s.over() && stop) stop_account(host, s.profile, stops);
        failed = failed || s.over() || (!s.used && s.limit.amount);
    }
    if (json) {
        Json doc = Json::object();
        doc.set("accounts", standings_json(all));
        doc.set("over_budget", failed);
        host.json(stops_json(stops, doc));
    } else {
        print_table(host, all);
    }
    // The state service already recorded its message (file and position).
    if (stops.state_status != MGPUX_OK) throw mgpux::Error(stops.state_status, "");
    return failed ? MGPUX_E_FAILED : MGPUX_OK;
}

// ------------------------------------------------------------ watch

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }

// Ctrl-C between modal calls only notes the interruption. Set again after
// every modal call: the host's call forwards SIGINT to the modal child while
// it runs and leaves the default disposition behind.
void catch_interrupts() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
}

std::string clock_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
}

// Sleeps `seconds` in short steps so that Ctrl-C ends the watch promptly.
void wait_interruptibly(long long seconds) {
    catch_interrupts();
    for (long long i = 0; i < seconds * 4 && !g_interrupted; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
}

struct WatchTally {
    int rounds = 0;  // rounds that printed their line
    std::size_t stopped = 0;
};

// One round: the line of standings, then the over-budget accounts' apps
// stopped. A Ctrl-C during a modal call (which ends that call's child) ends
// the watch; any other failure is reported and the next round tries again.
void watch_round(const mgpux::Host& host, bool stop, WatchTally& tally) {
    try {
        const std::vector<Standing> all = standings(host, read_budgets(host));
        catch_interrupts();
        host.text(watch_line(clock_now(), all) + "\n");
        ++tally.rounds;
        if (!stop) return;
        Stops stops;
        for (const Standing& s : all)
            if (s.over() && !g_interrupted) stop_account(host, s.profile, stops);
        catch_interrupts();
        for (const auto& o : stops.outcomes) tally.stopped += o.ok ? 1 : 0;
        if (stops.state_status != MGPUX_OK) throw mgpux::Error(stops.state_status, "");
    } catch (const mgpux::Error& e) {
        catch_interrupts();
        if (e.code() == MGPUX_E_CANCELLED) {
            g_interrupted = 1;
            return;
        }
        if (e.code() == MGPUX_E_CONFIG) throw;  // a broken budgets file will not fix itself
        host.warn(clock_now() + " this round failed (" + e.what() + "); trying again next round\n");
    }
}

std::string tally_text(const WatchTally& tally, bool stop) {
    std::string text =
        "budget watch stopped after " + std::to_string(tally.rounds) + (tally.rounds == 1 ? " round" : " rounds");
    if (stop) text += ", " + std::to_string(tally.stopped) + " app(s) stopped";
    return text;
}

int watch(const mgpux::Host& host, const mgpux::Args& args) {
    const long long interval = args.integer("interval");
    if (interval < 60)
        throw mgpux::usage_error("--interval must be at least 60 seconds, not " + std::to_string(interval));
    const bool stop = args.optional_flag("stop").value_or(true);
    struct sigaction previous {};
    sigaction(SIGINT, nullptr, &previous);
    g_interrupted = 0;
    catch_interrupts();
    host.info("Watching the budgets every " + std::to_string(interval) + " s" +
              (stop ? " (over-budget accounts get their apps stopped)" : "") + "; Ctrl-C ends it\n");
    WatchTally tally;
    while (!g_interrupted) {
        watch_round(host, stop, tally);
        if (!g_interrupted) wait_interruptibly(interval);
    }
    sigaction(SIGINT, &previous, nullptr);
    throw mgpux::Error(MGPUX_E_CANCELLED, tally_text(tally, stop));
}

}  // namespace
}  // namespace budget

MGPUX_CPP_PLUGIN_COMMANDS("budget", "0.1.0", "Monthly spending limits per Modal account", "Accounts", budget::kCommands)
