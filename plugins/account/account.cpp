// SPDX-License-Identifier: MIT
// `m-gpux account`: Modal profiles in ~/.modal.toml ($MODAL_CONFIG_PATH).
// The profiles service owns the file (line-based edits, 0600, lock); this
// plugin collects input, asks, and reports. Token secrets only travel from
// the user to the profiles service: they are never printed or put on argv.
#include "account_logic.hpp"

#include <mgpux/plugin.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace account {
namespace {

constexpr double kUsageTimeoutS = 60;

const mgpux_option kListOptions[] = {
    mgpux::option("no-usage").flag().help("only list the profiles; do not fetch this month's usage"),
};
const mgpux_option kAddOptions[] = {
    mgpux::option("name").metavar("NAME").help(
        "the profile name: 1 to 64 letters, digits, '.', '_' and '-', starting with a letter or digit "
        "(default: the pasted --profile, else asked)"),
    mgpux::option("token-id").metavar("ID").help("the Modal token id (ak-…)"),
    mgpux::option("token-secret")
        .metavar("VALUE|-")
        .help("the Modal token secret (as-…); '-' reads it from stdin. On the command line it shows in "
              "shell history"),
};
const mgpux_option kNameOptions[] = {
    mgpux::positional("name").help("the profile name"),
};

int list(const mgpux::Host& host, const mgpux::Args& args);
int add(const mgpux::Host& host, const mgpux::Args& args);
int switch_to(const mgpux::Host& host, const mgpux::Args& args);
int remove(const mgpux::Host& host, const mgpux::Args& args);
int current(const mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("account", "Manage your Modal accounts (profiles)",
                   "Lists, adds, switches and removes the Modal profiles in ~/.modal.toml (or\n"
                   "$MODAL_CONFIG_PATH), the file Modal itself reads, and shows each one's usage this month\n"
                   "against the Starter plan's $30 monthly credit.\n"
                   "\n"
                   "Example:\n"
                   "  m-gpux account add --name work --token-id ak-… --token-secret - < secret.txt\n"
                   "  m-gpux account list"),
    mgpux::command("account list", "List profiles with this month's usage and remaining credit", kListOptions, list)
        .help("Shows every profile in the Modal config file, which one is active, and, unless\n"
              "--no-usage, what each workspace used this month and what is left of the $30 Starter\n"
              "credit: `modal billing report --for \"this month\" --json` runs for all profiles at\n"
              "once. A profile whose report fails shows the error in its row, the others are shown\n"
              "in full, and the command exits 1. The profile with the most credit left is marked as\n"
              "the AUTO pick.\n"
              "\n"
              "Example:\n"
              "  m-gpux account list\n"
              "  m-gpux account list --no-usage --json")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("account add", "Add a profile or replace its tokens", kAddOptions, add)
        .help("Asks for what is missing: first for a pasted `modal token set --token-id …\n"
              "--token-secret … --profile=…` line (hidden), then for the token id, the secret (hidden)\n"
              "and the profile name. With stdin not a terminal, stdin is read instead: a pasted\n"
              "`modal token set` line, or else the token secret. The first profile becomes the\n"
              "active one. Tokens are not checked against Modal; `m-gpux account list` shows whether\n"
              "they work.\n"
              "\n"
              "Example:\n"
              "  m-gpux account add\n"
              "  echo \"$SECRET\" | m-gpux account add --name work --token-id ak-123 --token-secret -\n"
              "  pbpaste | m-gpux account add")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE),
    mgpux::command("account switch", "Make a profile the active one", kNameOptions, switch_to)
        .help("Marks NAME as the only active profile in the Modal config file, for m-gpux and for\n"
              "every `modal` command. Use the global --profile to pick a profile for one command\n"
              "instead.\n"
              "\n"
              "Example:\n"
              "  m-gpux account switch work")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("account remove", "Remove a profile and its tokens", kNameOptions, remove)
        .help("Deletes NAME's table from the Modal config file after a confirmation (--yes skips\n"
              "it). When NAME was active, the first remaining profile becomes active.\n"
              "\n"
              "Example:\n"
              "  m-gpux account remove old-team --yes")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_DESTRUCTIVE | MGPUX_CMDF_INTERACTIVE),
    mgpux::command("account current", "Print the profile m-gpux would use", current)
        .help("Prints the global --profile when given, else the active profile. Exits 1 when there\n"
              "is none (no profiles, or none marked active).\n"
              "\n"
              "Example:\n"
              "  m-gpux account current --json")
        .flags(MGPUX_CMDF_JSON),
};

// ------------------------------------------------------------ helpers

const mgpux::Json::Array& profile_rows(const mgpux::Json& listing) {
    static const mgpux::Json::Array kNone;
    const mgpux::Json* ps = listing.find("profiles");
    return ps && ps->is_array() ? ps->as_array() : kNone;
}

mgpux::Json money_or_null(const std::optional<Nanos>& v) {
    return v ? mgpux::Json(billing::to_dollars(*v)) : mgpux::Json();
}

std::string money_cell(const std::optional<Nanos>& v, bool has_token, bool fetched) {
    if (v) return billing::format_usd(*v, 2);
    if (!fetched) return "";
    return has_token ? "?" : "N/A";
}

// Whether MODAL_TOKEN_ID or MODAL_TOKEN_SECRET is set (non-empty): `modal`
// then uses it instead of the pinned profile's token.
bool env_tokens_set() {
    for (const char* name : {"MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET"})
        if (const char* v = std::getenv(name); v && *v) return true;
    return false;
}

// ------------------------------------------------------------ account list

// One balance per profile, in file order; empty balances when not fetched.
std::vector<Balance> fetch_balances(const mgpux::Host& host, const mgpux::Json::Array& rows) {
    std::vector<Balance> balances(rows.size());
    std::vector<std::string> queried;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].bool_or("has_token")) {
            queried.push_back(rows[i].string_or("name"));
            index.push_back(i);
        }
    if (queried.empty()) return balances;
    host.progress(("Fetching this month's usage for " + std::to_string(queried.size()) + " profile(s)").c_str());
    const mgpux::Json results =
        mgpux::Modal(host).fan_out({"billing", "report", "--for", "this month", "--json"}, queried, kUsageTimeoutS);
    host.progress(nullptr);
    const auto& out = results.as_array();
    for (std::size_t k = 0; k < index.size() && k < out.size(); ++k) balances[index[k]] = balance_from_row(out[k]);
    return balances;
}

std::optional<std::string> pick_from(const mgpux::Json::Array& rows, const std::vector<Balance>& balances) {
    std::vector<std::pair<std::string, std::optional<Nanos>>> used;
    for (std::size_t i = 0; i < rows.size(); ++i) used.emplace_back(rows[i].string_or("name"), balances[i].used);
    return auto_pick(used);
}

void print_list(const mgpux::Host& host, const mgpux::Json::Array& rows, const std::vector<Balance>& balances,
                const std::optional<std::string>& pick, bool fetched) {
    std::vector<std::vector<mgpux::Json>> table;
    Nanos total_left = 0;
    std::size_t with_figures = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string name = rows[i].string_or("name");
        const bool has_token = rows[i].bool_or("has_token");
        const Balance& b = balances[i];
        if (b.remaining) {
            total_left += *b.remaining;
            ++with_figures;
        }
        table.push_back({name, rows[i].bool_or("active") ? "yes" : "", money_cell(b.used, has_token, fetched),
                         money_cell(b.remaining, has_token, fetched),
                         fetched || !has_token ? balance_note(b, has_token, pick == name) : ""});
    }
    host.table({"Profile", "Active", "Used (month)", "Remaining", "Note"}, table, "Modal profiles");
    if (!fetched) return;
    if (with_figures > 0)
        host.text("Total remaining over " + std::to_string(with_figures) +
                      " profile(s): " + billing::format_usd(total_left, 2) + "\n",
                  MGPUX_TEXT_HEADING);
    host.text("Each Starter workspace gets $30 of credit a month, reset on the 1st (UTC); period: " +
                  month_label(billing::today_utc()) + ".\n",
              MGPUX_TEXT_DIM);
}

// After the full listing: exit 1 when a profile's report failed (a profile
// without a token was never asked, so it is no failure).
void fail_on_missing_reports(const mgpux::Json::Array& rows, const std::vector<Balance>& balances) {
    std::string names;
    std::size_t failed = 0, asked = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].bool_or("has_token")) ++asked;
        if (balances[i].error.empty()) continue;
        ++failed;
        names += (names.empty() ? "" : ", ") + rows[i].string_or("name");
    }
    if (failed == 0) return;
    throw mgpux::Error(MGPUX_E_FAILED, "could not fetch this month's usage for " + std::to_string(failed) + " of " +
                                           std::to_string(asked) + " profiles (" + names + "); see their rows");
}

int list(const mgpux::Host& host, const mgpux::Args& args) {
    const mgpux::Json listing = mgpux::Profiles(host).list();
    const std::string path = listing.string_or("path");
    const auto& rows = profile_rows(listing);
    const bool fetch = !args.flag("no-usage");
    const std::vector<Balance> balances = fetch ? fetch_balances(host, rows) : std::vector<Balance>(rows.size());
    const auto pick = pick_from(rows, balances);
    const bool env_tokens = env_tokens_set();
    if (env_tokens) {
        host.warn(env_tokens_note(listing.string_or("active"), true));
        if (fetch && !rows.empty()) host.warn("The usage in every row is that of the tokens' workspace.\n");
    }
    if (args.global_flag("json")) {
        mgpux::Json ps = mgpux::Json::array();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            mgpux::Json p = mgpux::Json::object();
            p.set("name", rows[i].string_or("name"));
            p.set("active", rows[i].bool_or("active"));
            p.set("has_token", rows[i].bool_or("has_token"));
            p.set("used", money_or_null(balances[i].used));
            p.set("remaining", money_or_null(balances[i].remaining));
            p.set("error", balances[i].error.empty() ? mgpux::Json() : mgpux::Json(balances[i].error));
            ps.push(p);
        }
        mgpux::Json doc = mgpux::Json::object();
        doc.set("profiles", ps);
        doc.set("path", path);
        doc.set("auto_pick", pick ? mgpux::Json(*pick) : mgpux::Json());
        doc.set("env_tokens_override", env_tokens);
        host.json(doc);
        fail_on_missing_reports(rows, balances);
        return MGPUX_OK;
    }
    if (rows.empty()) {
        host.info("No Modal profiles in " + path + ". Add one with `m-gpux account add`.\n");
        return MGPUX_OK;
    }
    print_list(host, rows, balances, pick, fetch);
    fail_on_missing_reports(rows, balances);
    return MGPUX_OK;
}

// ------------------------------------------------------------ account add

// All of stdin, or "" when stdin is a terminal (then prompts are the way in).
std::string piped_stdin(const mgpux::Process& process) {
    try {
        return process.read_stdin();
    } catch (const mgpux::Error& e) {
        if (e.code() == MGPUX_E_USAGE) return std::string();
        throw;
    }
}

// Non-interactive input: stdin is a pasted `modal token set` line, or else
// the secret itself.
void read_piped(const mgpux::Host& host, const mgpux::Process& process, Credentials& c) {
    const std::string text = trim(piped_stdin(process));
    if (text.empty()) return;
    if (apply_paste(c, mgpux::Profiles(host).parse_token_command(text))) {
        host.info("Read a `modal token set` line from stdin.\n");
        return;
    }
    if (!c.token_secret.empty()) {
        host.warn("Ignored stdin: it is not a `modal token set` line and the secret was already given.\n");
        return;
    }
    if (text.find_first_of(" \t\r\n") != std::string::npos)
        throw mgpux::usage_error(
            "stdin is neither a `modal token set --token-id … --token-secret …` line nor a "
            "token secret");
    c.token_secret = text;
}

// Interactive input: a hidden paste prompt, then the values still missing.
void ask_paste(const mgpux::Host& host, Credentials& c) {
    host.info(
        "Tip: paste the whole `modal token set --token-id … --token-secret … --profile=…` line from\n"
        "Modal's dashboard (input is hidden), or press Enter to type the values one by one.\n");
    const std::string text = trim(host.ask("Paste command or press Enter", "", "--token-id and --token-secret", true));
    if (text.empty()) return;
    if (apply_paste(c, mgpux::Profiles(host).parse_token_command(text))) host.success("Parsed the token command.\n");
    else host.warn("That is not a `modal token set --token-id … --token-secret …` line; enter the values instead.\n");
}

Credentials collect_credentials(const mgpux::Host& host, const mgpux::Args& args) {
    Credentials c{trim(args.str("name")), trim(args.str("token-id")), args.str("token-secret")};
    mgpux::Process process(host);
    const bool secret_from_stdin = c.token_secret == "-";
    if (secret_from_stdin) {
        c.token_secret = trim(process.read_stdin());  // a terminal is a usage error naming why
        if (c.token_secret.empty()) throw mgpux::usage_error("--token-secret -: nothing was read from stdin");
    } else if (!c.token_secret.empty()) {
        c.token_secret = trim(c.token_secret);
        host.warn(
            "Warning: a secret given on the command line shows in shell history and `ps`; "
            "use --token-secret - and pipe it instead.\n");
    }
    if (c.token_id.empty() || c.token_secret.empty()) {
        if (!args.global_flag("interactive")) {
            if (!secret_from_stdin) read_piped(host, process, c);
        } else {
            ask_paste(host, c);
        }
        if (c.token_id.empty()) c.token_id = trim(host.ask("Modal token ID", nullptr, "--token-id"));
        if (c.token_secret.empty())
            c.token_secret = trim(host.ask("Modal token secret (hidden)", nullptr, "--token-secret", true));
    }
    // A --name given empty is not asked again: the profiles service refuses it
    // with the naming rule, as any other name it cannot take.
    if (c.name.empty() && !args.has("name")) c.name = trim(host.ask("Profile name", nullptr, "--name"));
    if (c.token_id.find_first_of(" \t") != std::string::npos ||
        c.token_secret.find_first_of(" \t") != std::string::npos)
        throw mgpux::usage_error("a Modal token id or secret has no spaces in it; check what was pasted");
    return c;
}

int add(const mgpux::Host& host, const mgpux::Args& args) {
    const Credentials c = collect_credentials(host, args);
    for (const auto& w : token_warnings(c)) host.warn("Warning: " + w + ".\n");
    mgpux::Profiles profiles(host);
    const bool was_empty = profile_rows(profiles.list()).empty();
    const bool created = profiles.upsert(c.name, c.token_id, c.token_secret, false);
    const mgpux::Json listing = profiles.list();
    const bool dry = args.global_flag("dry_run");
    const bool active = dry ? was_empty : listing.string_or("active") == c.name;
    if (args.global_flag("json")) {
        mgpux::Json doc = mgpux::Json::object();
        doc.set("profile", c.name);
        doc.set("created", created);
        doc.set("active", active);
        doc.set("path", listing.string_or("path"));
        doc.set("dry_run", dry);
        host.json(doc);
        return MGPUX_OK;
    }
    const std::string what =
        created ? "Added profile '" + c.name + "'" : "Updated the tokens of profile '" + c.name + "'";
    if (dry) host.info("dry run: " + what + " would be written to " + listing.string_or("path") + ".\n");
    else host.success(what + " in " + listing.string_or("path") + ".\n");
    if (active) host.text("It is the active profile.\n");
    else
        host.text("Make it the active one with `m-gpux account switch " + c.name + "`, or use --profile " + c.name +
                  ".\n");
    return MGPUX_OK;
}

// ------------------------------------------------------------ switch, remove, current

int switch_to(const mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    mgpux::Profiles profiles(host);
    profiles.resolve(name);  // an unknown name is a usage error naming the known ones
    const bool already = profiles.list().string_or("active") == name;
    profiles.set_active(name);
    if (args.global_flag("json")) {
        mgpux::Json doc = mgpux::Json::object();
        doc.set("active", name);
        doc.set("changed", !already && !args.global_flag("dry_run"));
        doc.set("env_tokens_override", env_tokens_set());
        host.json(doc);
    } else if (already) {
        host.text("Profile '" + name + "' is already the active one.\n");
    } else if (!args.global_flag("dry_run")) {
        host.success("Switched to profile '" + name + "'.\n");
    }
    if (env_tokens_set()) host.warn(env_tokens_note(name, false));
    return MGPUX_OK;
}

int remove(const mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    mgpux::Profiles profiles(host);
    profiles.resolve(name);
    const std::string path = profiles.list().string_or("path");
    if (!host.confirm("Remove profile '" + name + "' and its tokens from " + path + "?", false, "--yes", true))
        throw mgpux::Error(MGPUX_E_CANCELLED, "cancelled; profile '" + name + "' was kept");
    const std::string promoted = profiles.remove(name);
    const bool dry = args.global_flag("dry_run");
    if (args.global_flag("json")) {
        mgpux::Json doc = mgpux::Json::object();
        doc.set("removed", name);
        doc.set("new_active", promoted.empty() ? mgpux::Json() : mgpux::Json(promoted));
        doc.set("dry_run", dry);
        host.json(doc);
        return MGPUX_OK;
    }
    if (dry) return MGPUX_OK;  // the host said what it did not do
    host.success("Removed profile '" + name + "'.\n");
    if (!promoted.empty()) host.warn("'" + promoted + "' is now the active profile.\n");
    if (profile_rows(profiles.list()).empty()) host.info("No profiles left; add one with `m-gpux account add`.\n");
    return MGPUX_OK;
}

int current(const mgpux::Host& host, const mgpux::Args& args) {
    mgpux::Profiles profiles(host);
    const std::string name = profiles.resolve();  // --profile (checked), else the active one
    const bool from_option = !args.global_str("profile").empty();
    if (args.global_flag("json")) {
        mgpux::Json doc = mgpux::Json::object();
        doc.set("profile", name.empty() ? mgpux::Json() : mgpux::Json(name));
        doc.set("source", name.empty() ? mgpux::Json() : mgpux::Json(from_option ? "--profile" : "active"));
        doc.set("env_tokens_override", env_tokens_set());
        host.json(doc);
    } else if (!name.empty()) {
        host.text(name + "\n");
    }
    if (env_tokens_set()) host.warn(env_tokens_note(name, false));
    // Modal commands run outside m-gpux follow MODAL_PROFILE; say when it differs.
    if (const char* env = std::getenv("MODAL_PROFILE"); env && *env && name != env && !from_option)
        host.warn("Note: MODAL_PROFILE=" + std::string(env) + " is set; `modal` commands you run yourself use it.\n");
    if (name.empty())
        throw mgpux::Error(MGPUX_E_FAILED, "no active Modal profile in " + profiles.list().string_or("path") +
                                               "; add one with `m-gpux account add` or choose one with "
                                               "`m-gpux account switch NAME`");
    return MGPUX_OK;
}

}  // namespace
}  // namespace account

MGPUX_CPP_PLUGIN_COMMANDS("account", "0.1.0", "Manage Modal profiles and see their credit", "Accounts",
                          account::kCommands)
