// SPDX-License-Identifier: MIT
#include "services/runner.hpp"

#include "host_context.hpp"
#include "services/catalog.hpp"
#include "services/console.hpp"
#include "services/local_apps.hpp"
#include "services/modal_output.hpp"
#include "services/modal_service.hpp"
#include "services/process_service.hpp"
#include "services/profile_store.hpp"
#include "services/prompts.hpp"
#include "services/service_error.hpp"
#include "services/spend.hpp"
#include "services/state_store.hpp"
#include "util/atomic_file.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"

#include <boost/json.hpp>
#include <mgpux/contracts.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <ctime>
#include <random>

namespace mgpux::services {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad(const std::string& what) { throw ServiceError(kExitUsage, "run request: " + what); }

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
    } catch (const ServiceError&) {}
    return found;
}

}  // namespace

namespace {

void require_positive(const char* key, const std::optional<double>& v) {
    if (v && !(*v > 0)) bad(std::string("\"") + key + "\" must be a positive number");
}

// A secret_env key becomes a variable of the `modal` child: a plain name that cannot
// change how modal or Python runs (those come from the profile and the host).
void check_secret_env_key(const std::string& key) {
    const bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                       std::all_of(key.begin(), key.end(),
                                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!plain) bad("secret_env key '" + key + "' is not an environment variable name");
    for (const char* reserved : {"MODAL_", "PYTHON", "LD_", "MGPUX_"})
        if (key.rfind(reserved, 0) == 0) bad("secret_env key '" + key + "' is reserved (" + reserved + "…)");
    if (key == "PATH" || key == "HOME") bad("secret_env key '" + key + "' is reserved");
}

// The contract's members checked against each other, as the runner needs them.
void check_request(const RunRequest& r) {
    if (r.script.empty()) bad("\"script\" is empty");
    if (r.app_name.empty()) bad("\"app_name\" is empty");
    if (r.mode != "run" && r.mode != "serve" && r.mode != "deploy") bad("\"mode\" must be run, serve or deploy");
    if (r.detach && r.mode != "run") bad("\"detach\" applies to mode run only");
    if (r.background && !(r.mode == "deploy" || (r.mode == "run" && r.detach)))
        bad("\"background\" needs mode run with detach, or deploy (a `modal serve` app ends with its client)");
    if (r.wait_timeout_s && (r.background || r.detach))
        bad("\"wait_timeout_s\" is for attached runs (a detached or background run is left running)");
    for (const auto& s : r.secrets)
        if (s.values.empty()) bad("secret '" + s.name + "' needs \"values\" with at least one key");
    for (const auto& [key, value] : r.secret_env) check_secret_env_key(key);
    for (const auto& [name, content] : r.files)
        if (!safe_file_name(name)) bad("file name '" + name + "' is not a plain file name");
}

// The SDK struct in the runner's own terms.
RunRequest from_contract(mgpux::RunRequest&& c) {
    RunRequest r;
    r.script = std::move(c.script);
    r.app_name = std::move(c.app_name);
    r.mode = std::move(c.mode);
    r.detach = c.detach;
    r.background = c.background;
    require_positive("ready_timeout_s", c.ready_timeout_s);
    require_positive("wait_timeout_s", c.wait_timeout_s);
    require_positive("timeout_s", c.timeout_s);
    if (c.ready_timeout_s) r.ready_timeout_s = *c.ready_timeout_s;
    r.wait_timeout_s = c.wait_timeout_s;
    r.description = c.description.value_or("");
    if (r.description.empty()) r.description = r.app_name;
    r.compute = c.compute.value_or("");
    r.timeout_s = c.timeout_s;
    r.deps = std::move(c.deps);
    r.uploads = std::move(c.uploads);
    if (c.profile && !c.profile->empty()) r.profile = std::move(c.profile);
    for (auto& s : c.secrets) r.secrets.push_back({std::move(s.name), std::move(s.values)});
    r.secret_env = std::move(c.secret_env);
    r.session = std::move(c.session);
    for (auto& f : c.files) r.files.emplace_back(std::move(f.name), std::move(f.content));
    return r;
}

}  // namespace

RunRequest parse_run_request(std::string_view text) {
    mgpux::Json doc;
    try {
        doc = mgpux::Json::parse(text);
    } catch (const mgpux::JsonError& e) {
        bad(std::string("malformed JSON: ") + e.what());
    }
    try {
        RunRequest r = from_contract(mgpux::RunRequest::from_json(doc));
        check_request(r);
        return r;
    } catch (const mgpux::ContractError& e) {
        throw ServiceError(kExitUsage, e.what());  // already "run request: \"member\" ..."
    }
}

std::vector<std::string> modal_command(const RunRequest& r, const fs::path& script) {
    std::vector<std::string> args{r.mode};
    if (r.mode == "run" && r.detach) args.push_back("--detach");
    args.push_back(script.string());
    return args;
}

std::vector<std::string> secret_env_keys(const RunRequest& r) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : r.secret_env) keys.push_back(key);
    return keys;
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
    if (!r.secrets.empty() || !r.secret_env.empty()) {
        std::vector<std::string> names;
        for (const auto& s : r.secrets) names.push_back(s.name);
        if (!r.secret_env.empty()) names.push_back("ephemeral (" + join(secret_env_keys(r), ", ") + ")");
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

namespace {

// One launch, step by step. Each step either moves on or settles the outcome.
class Launch {
public:
    Launch(HostContext& ctx, const RunRequest& request)
        : ctx_(ctx),
          req_(request),
          console_(*ctx.console),
          modal_(ctx),
          state_(state_dir()),
          local_(local_backend(ctx)) {
        // The local backend runs on this machine: no Modal profile is involved.
        if (!local_) profile_ = modal_.pin_profile(req_.profile);
        if (!profile_ && !local_) profile_ = ProfileStore(modal_config_path()).active();
        run_id_ = new_run_id();
        run_dir_ = state_dir() / "runs" / run_id_;
        script_path_ = run_dir_ / "modal_runner.py";
        args_ = modal_command(req_, script_path_);
        if (local_) args_.insert(args_.begin(), {"-m", "modal_shim"});
        command_ = {local_ ? "python3" : "modal"};
        command_.insert(command_.end(), args_.begin(), args_.end());
        std::vector<std::string> quoted;
        for (const auto& w : command_) quoted.push_back(quote_arg(w));
        // The line shown can be pasted into a shell: the local runtime needs its folder on PYTHONPATH.
        const std::string prefix = local_     ? "PYTHONPATH=" + quote_arg(system_runtime_dir().string()) + " "
                                   : profile_ ? "MODAL_PROFILE=" + quote_arg(*profile_) + " "
                                              : std::string();
        command_line_ = prefix + join(quoted, " ");
    }

    RunOutcome run() {
        init_result();
        show_summary();
        write_script_out();
        if (ctx_.globals.dry_run) return dry_run();
        if (!billable_launch_confirmable()) return std::move(outcome_);
        if (!budget_allows()) return std::move(outcome_);
        prepare_run_dir();
        if (!review()) return std::move(outcome_);
        if (!create_secrets()) {
            delete_created_secrets();
            return std::move(outcome_);
        }
        const auto r = launch();
        collect(r);
        finish(r);
        if (secrets_orphaned()) delete_created_secrets();
        return std::move(outcome_);
    }

private:
    json::object& res() { return outcome_.result; }
    const json::object& res() const { return outcome_.result; }

    void settle(const char* status, int code = kExitOk, std::string error = {}) {
        res()["status"] = status;
        outcome_.status = code;
        outcome_.error = std::move(error);
    }

    void init_result() {
        const bool dry = ctx_.globals.dry_run;
        json::array cmd;
        for (const auto& w : command_) cmd.emplace_back(w);
        res() = json::object{{"status", nullptr}, {"exit_code", nullptr},   {"app_id", nullptr},
                             {"url", nullptr},    {"ready", json::array()}, {"results", json::array()},
                             {"command", cmd},    {"session_id", nullptr},  {"stopped", false}};
        res()["run_id"] = dry ? json::value(nullptr) : json::value(run_id_);
        res()["run_dir"] = dry ? json::value(nullptr) : json::value(run_dir_.string());
        res()["script_path"] = dry ? json::value(nullptr) : json::value(script_path_.string());
        res()["profile"] = profile_ ? json::value(*profile_) : json::value(nullptr);
    }

    // The summary comes from the request's own fields, never from the script.
    void show_summary() {
        Table summary;
        summary.columns = {"", ""};
        for (auto& [k, v] :
             summary_rows(req_, profile_, ctx_.globals.dry_run ? "(not written: --dry-run)" : script_path_.string())) {
            if (local_ && k == "profile") {
                summary.rows.push_back({"backend", "local (this machine, in a bubblewrap container per function)"});
                continue;
            }
            summary.rows.push_back({k, v});
        }
        for (auto& row : price_rows()) summary.rows.push_back(std::move(row));
        std::string text = format_table(summary);
        // An untitled grid has an empty header row and rule: drop them.
        for (int i = 0; i < 2; ++i) {
            const auto nl = text.find('\n');
            if (nl != std::string::npos && text.substr(0, nl).find_first_not_of(" -") == std::string::npos)
                text.erase(0, nl + 1);
        }
        console_.text(TextKind::Heading,
                      local_ ? "\nGenerated Modal runner (local backend)\n" : "\nGenerated Modal runner\n");
        console_.text(TextKind::Info, text);
    }

    // What the run costs: the compute's hourly price and, with a timeout, the
    // most it can cost. The local backend costs nothing.
    std::vector<std::vector<std::string>> price_rows() {
        if (local_) return {{"price", "local: no charge"}};
        per_hour_ = spend::hourly_price(req_.compute, current_rates());
        if (!per_hour_) return {};
        if (req_.compute == spend::kDefaultContainerLabel) {
            const std::string price = price_text(per_hour_);
            per_hour_.reset();  // billed for use above its reservation too: no worst case to promise or warn about
            return {
                {"price", price + " (Modal's default reservation of 0.125 cores and 128 MiB; more if it uses more)"}};
        }
        std::vector<std::vector<std::string>> rows{{"price", price_text(per_hour_)}};
        if (req_.timeout_s)
            rows.push_back({"at most", spend::worst_case_text(static_cast<long long>(*req_.timeout_s), *per_hour_)});
        return rows;
    }

    // The launch guard: a Modal profile over its monthly budget is refused
    // with the figures (--ignore-budget overrides), and a run whose worst case
    // would cross what is left is warned about before the review. Without a
    // budget for the profile nothing is fetched.
    bool budget_allows() {
        if (local_ || !profile_) return true;
        const auto budgets = spend::parse_budgets(state_.read("budgets"), state_dir() / "budgets.json");
        const auto limit = spend::limit_for(budgets, *profile_);
        if (!limit) return true;
        const auto r = modal_.call({{"billing", "report", "--for", "this month", "--json"}, profile_, 60});
        const auto used = r.ok() ? spend::month_used(r.json) : std::nullopt;
        if (!used)
            return unchecked_budget_allows(r.ok() ? "the billing report is not a list of costs" : describe_failure(r));
        const std::string figures = spend::usd(*used) + " used of its " + spend::usd(*limit) + " budget this month";
        if (*used >= *limit) {
            if (ctx_.globals.ignore_budget) {
                console_.text(TextKind::Warning, "profile '" + *profile_ + "' is over its budget (" + figures +
                                                     "); launching anyway (--ignore-budget)\n");
                return true;
            }
            settle("refused", kExitFailed,
                   "profile '" + *profile_ + "' is over its budget: " + figures +
                       "; raise it (`m-gpux budget set AMOUNT -a " + *profile_ +
                       "`), use another profile (--profile AUTO picks the one with the most left), or pass "
                       "--ignore-budget");
            return false;
        }
        if (per_hour_ && req_.timeout_s) {
            const double worst = *per_hour_ * *req_.timeout_s / 3600.0;
            if (worst > *limit - *used)
                console_.text(TextKind::Warning, "this run could cost up to " + spend::usd(worst) + ", more than the " +
                                                     spend::usd(*limit - *used) + " left of '" + *profile_ +
                                                     "''s budget (" + figures + ")\n");
        }
        return true;
    }

    // The profile has a budget but its usage could not be read: an unknown
    // figure may be over the budget, so only --ignore-budget launches.
    bool unchecked_budget_allows(const std::string& why) {
        const std::string what =
            "profile '" + *profile_ + "' has a budget but its usage this month could not be checked (" + why + ")";
        if (ctx_.globals.ignore_budget) {
            console_.text(TextKind::Warning, what + "; launching anyway (--ignore-budget)\n");
            return true;
        }
        settle(
            "refused", kExitFailed,
            what +
                "; try again, check the account with `m-gpux budget show`, or pass --ignore-budget to launch anyway");
        return false;
    }

    void write_script_out() {
        if (!ctx_.globals.script_out) return;
        const fs::path out = *ctx_.globals.script_out;
        util::write_file_atomic(out, req_.script, 0644);
        console_.text(TextKind::Info, "script written to " + out.string() + "\n");
    }

    RunOutcome dry_run() {
        console_.text(TextKind::Plain, with_newline(req_.script));
        for (const auto& s : req_.secrets)
            console_.text(TextKind::Info, local_ ? "dry run: would pass secret " + s.name +
                                                       " to the local run through a 0600 file in its run directory\n"
                                                 : "dry run: would create secret " + s.name + " from a 0600 file\n");
        if (!req_.secret_env.empty())
            console_.text(TextKind::Info, "dry run: would pass " + join(secret_env_keys(req_), ", ") +
                                              " in the environment of `" + command_.front() +
                                              "` only (the script's ephemeral secret)\n");
        console_.text(TextKind::Info, "dry run: would run " + command_line_ + "\n");
        settle("dry_run");
        res()["script"] = req_.script;
        return std::move(outcome_);
    }

    // Without a profile or token variables Modal cannot run anything: say
    // how to set one up before asking or creating anything.
    void require_credentials() {
        if (profile_ || util::env("MODAL_TOKEN_ID")) return;
        if (!ProfileStore(modal_config_path()).list().empty()) return;
        throw ServiceError(kExitConfig, "no Modal account is set up (" + modal_config_path().string() +
                                            " has no profile): run `m-gpux account add` or `modal setup` first");
    }

    void prepare_run_dir() {
        if (local_) require_container_support();
        else require_credentials();
        // A session will be recorded: an unreadable sessions.json stops us
        // here (exit 3), before anything is launched, not after.
        if (records_session()) state_.read("sessions");
        util::ensure_private_dir(state_dir());
        util::ensure_private_dir(state_dir() / "runs");
        util::ensure_private_dir(run_dir_);
        if (local_) util::ensure_private_dir(local_home());  // volumes and the app registry
        util::write_file_atomic(script_path_, req_.script, 0600);
        for (const auto& [name, content] : req_.files) util::write_file_atomic(run_dir_ / name, content, 0600);
        json::object launch{{"run_id", run_id_},          {"app_name", req_.app_name},       {"mode", req_.mode},
                            {"detach", req_.detach},      {"description", req_.description}, {"compute", req_.compute},
                            {"command", res()["command"]}};
        launch["profile"] = profile_ ? json::value(*profile_) : json::value(nullptr);
        json::array secret_names;
        for (const auto& s : req_.secrets) secret_names.emplace_back(s.name);
        launch["secrets"] = secret_names;
        json::array env_keys;  // names only: the values live in the child's environment alone
        for (const auto& key : secret_env_keys(req_)) env_keys.emplace_back(key);
        launch["secret_env_keys"] = env_keys;
        util::write_file_atomic(run_dir_ / "launch.json", util::pretty_json(launch, true), 0600);
    }

    // The local backend never runs a function outside a container: without bubblewrap, or where
    // it cannot create namespaces, stop before anything is written.
    void require_container_support() {
        require_program("python3");
        util::ProcessSpec probe;
        probe.exe = require_program("bwrap");
        probe.args = {"--ro-bind", "/", "/", "--unshare-all", "true"};
        probe.output = util::OutputMode::Capture;
        probe.timeout = std::chrono::milliseconds(10000);
        const auto r = util::run_process(probe);
        if (r.exit_code != 0)
            throw ServiceError(kExitMissingProgram,
                               "bubblewrap cannot create a container here (" + first_line(r.err) +
                                   "); the local backend needs unprivileged user namespaces "
                                   "(sysctl kernel.unprivileged_userns_clone=1), or run it on Modal");
    }

    static std::string first_line(const std::string& text) {
        const auto nl = text.find('\n');
        return nl == std::string::npos ? text : text.substr(0, nl);
    }

    // Spending money counts as destructive: without a terminal to answer the
    // review (stdin not a terminal, or --no-input), only --yes launches. This
    // is checked before the run directory is written, so a refused launch
    // leaves nothing behind.
    bool billable_launch_confirmable() {
        if (ctx_.globals.yes || ctx_.prompter->interactive()) return true;
        const std::string why = ctx_.globals.no_input ? "--no-input" : "stdin is not a terminal";
        const std::string what = local_ ? "this runs code on this machine (" : "this starts billable Modal resources (";
        settle("refused", kExitUsage,
               what + describe_launch() + ") and cannot be confirmed (" + why +
                   "); pass --yes to launch it, or --dry-run to only show the script");
        return false;
    }

    std::string describe_launch() const {
        std::string what = req_.mode == "deploy" ? "deploy" : req_.mode == "serve" ? "serve" : "run";
        what += " of app '" + req_.app_name + "'";
        if (!req_.compute.empty()) what += " on " + req_.compute;
        return what;
    }

    // Run / view / edit / cancel; --yes takes "run" (a terminal is needed otherwise).
    bool review() {
        std::string script = req_.script;
        for (;;) {
            const int choice =
                ctx_.prompter->select("Run this script?", {"Run", "View the script", "Edit it in $EDITOR", "Cancel"},
                                      {visible_controls(command_line_, false), "",
                                       visible_controls(script_path_.string(), false), "keep the script, run nothing"},
                                      0, "--yes");
            if (choice == 0) return true;
            if (choice == 1) console_.text(TextKind::Plain, with_newline(script));
            else if (choice == 2) script = edit();
            else {
                settle("cancelled", kExitCancelled,
                       "cancelled; nothing ran (the script is kept at " + script_path_.string() + ")");
                return false;
            }
        }
    }

    std::string edit() {
        const auto words = editor_command();
        util::ProcessSpec spec;
        spec.exe = require_program(words.front());
        spec.args.assign(words.begin() + 1, words.end());
        spec.args.push_back(script_path_.string());
        spec.stdin_mode = util::StdinMode::Inherit;
        spec.output = util::OutputMode::Inherit;
        const auto r = run_process_request(ctx_, spec, {});
        if (r.exit_code != 0)
            console_.text(TextKind::Warning, "the editor exited with " + std::to_string(r.exit_code) + "\n");
        const std::string script = util::read_file_if_exists(script_path_).value_or(req_.script);
        if (script.find(req_.app_name) == std::string::npos)
            console_.text(TextKind::Warning, "the edited script no longer mentions the app name '" + req_.app_name +
                                                 "'; the summary, session and stop still use it\n");
        return script;
    }

    bool create_secrets() {
        if (local_) return write_local_secrets();
        for (const auto& s : req_.secrets) {
            console_.progress(("creating secret " + s.name).c_str());
            const auto r = modal_.secret_create(profile_, s.name, s.values);
            console_.progress(nullptr);
            if (r.interrupted && !r.ok()) {
                created_secrets_.push_back(s.name);  // it may exist by now
                settle("cancelled", kExitCancelled,
                       "interrupted while creating secret " + s.name + "; nothing was launched");
                return false;
            }
            if (!r.ok()) {
                settle("failed", kExitFailed, "could not create secret " + s.name + ": " + describe_failure(r));
                return false;
            }
            created_secrets_.push_back(s.name);
        }
        return true;
    }

    // The local runtime reads the secrets' values from a 0600 file in the run directory, which
    // holds the session's other credential files too.
    bool write_local_secrets() {
        json::object all;
        for (const auto& s : req_.secrets) {
            json::object values;
            for (const auto& [k, v] : s.values) values[k] = v;
            all[s.name] = std::move(values);
        }
        util::write_file_atomic(run_dir_ / "local_secrets.json", json::serialize(all), 0600);
        return true;
    }

    // Whether the secrets this launch created are needed by nothing: no app
    // is left running with them and no session holds them (a session's stop
    // deletes its secret).
    bool secrets_orphaned() const {
        const auto& status = res().at("status");
        if (status == "failed") return !session_left_running_;
        if (status == "cancelled") return !created_secrets_.empty();  // stopped while creating them
        if (status == "interrupted") return !req_.detach;             // an attached app ends with its client
        // A run that returned by itself is over: an attached one always, a detached one when
        // no app id lets a session record it.
        return status == "completed" && req_.mode == "run" && (!req_.detach || !app_id_);
    }

    // Deletes what create_secrets made; a secret that cannot be deleted is
    // reported with the command that removes it.
    void delete_created_secrets() {
        json::array deleted, left;
        for (const auto& name : created_secrets_) {
            const std::string why_not = delete_secret(name);
            if (why_not.empty()) {
                deleted.emplace_back(name);
                continue;
            }
            left.emplace_back(name);
            console_.text(TextKind::Warning, "could not delete secret " + name + " that this launch created (" +
                                                 why_not + "); remove it with `modal secret delete " + name + "`\n");
        }
        res()["secrets_deleted"] = std::move(deleted);
        res()["secrets_left"] = std::move(left);
    }

    // "" when the secret is gone, else why it is not.
    std::string delete_secret(const std::string& name) {
        if (util::termination_signal()) return "m-gpux is stopping on a signal and starts nothing more";
        try {
            const auto r = modal_.secret_delete(profile_, name);
            return r.ok() ? std::string() : describe_failure(r);
        } catch (const ServiceError& e) {
            return e.what();
        }
    }

    // The child's output passes through while the markers are watched; the
    // session is recorded as soon as Modal names the app, not when it ends.
    util::CaptureResult launch() {
        console_.text(TextKind::Success, "Starting " + req_.description + "…\n");
        if (req_.detach)
            console_.text(TextKind::Dim,
                          "The app keeps running when this terminal closes; stop it with `m-gpux stop`.\n");
        util::ProcessSpec spec;
        spec.exe = require_program(local_ ? "python3" : "modal");
        spec.args = args_;
        spec.env = local_ ? local_env() : modal_.child_env(profile_);
        // The script's Secret.from_local_environ reads these when `modal` imports it.
        for (const auto& [key, value] : req_.secret_env) spec.env[key] = value;
        spec.output = util::OutputMode::Watch;
        spec.cwd = fs::current_path();
        if (req_.background)
            spec.timeout = std::chrono::milliseconds(static_cast<long long>(req_.ready_timeout_s * 1000));
        else if (req_.wait_timeout_s)
            spec.timeout = std::chrono::milliseconds(static_cast<long long>(*req_.wait_timeout_s * 1000));
        std::optional<std::string> recorded_app;
        std::size_t recorded_urls = 0;
        return run_process_request(ctx_, spec, [&](int, std::string_view line) {
            scan_.feed(line);
            const std::size_t urls = scan_.ready_urls().size() + scan_.web_urls().size();
            if (scan_.app_id() && (!recorded_app || recorded_urls != urls)) {
                record_session(*scan_.app_id());
                recorded_app = scan_.app_id();
                recorded_urls = urls;
            }
            if (req_.background && req_.mode == "run" && scan_.app_id() && !scan_.ready_urls().empty()) {
                left_in_background_ = true;
                return util::LineAction::Stop;  // the detached app keeps running
            }
            return util::LineAction::Continue;
        });
    }

    std::map<std::string, std::optional<std::string>> local_env() const {
        std::map<std::string, std::optional<std::string>> env;
        env["PYTHONPATH"] = system_runtime_dir().string();
        env["PYTHONDONTWRITEBYTECODE"] = "1";
        env["MGPUX_LOCAL_HOME"] = local_home().string();
        env["MGPUX_LOCAL_RUN_DIR"] = run_dir_.string();
        env["MGPUX_LOCAL_SECRETS"] = (run_dir_ / "local_secrets.json").string();
        env["MGPUX_LOCAL_APP_NAME"] = req_.app_name;
        env["MGPUX_LOCAL_IGNORE_MISSING"] = ctx_.globals.ignore_missing ? "1" : "0";
        // Programs m-gpux installs beside itself that an image step would build in the
        // container (serve deploy compiles mgpux-proxy): the local runtime lends them instead.
        const fs::path proxy = util::executable_path().parent_path() / "mgpux-proxy";
        std::error_code ec;
        if (fs::is_regular_file(proxy, ec)) env["MGPUX_LOCAL_PROGRAMS"] = proxy.string();
        return env;
    }

    // Detached runs and deployments keep running after we return: both are
    // sessions. An attached run is over when we return, so it is not one.
    bool records_session() const { return req_.session && (req_.detach || req_.mode == "deploy"); }

    // A deployment Modal names no app id for is recorded by its name: a deployed app is the
    // only one of that name in its environment, and `modal app stop/logs` take the name.
    void record_session(const std::optional<std::string>& app_id) {
        if (!records_session()) return;
        mgpux::SessionRecord s = *req_.session;
        if (session_id_) s.id = *session_id_;
        s.description = req_.description;
        if (!s.app_name) s.app_name = req_.app_name;
        if (!s.compute) s.compute = req_.compute;
        if (!s.profile || s.profile->empty()) s.profile = profile_ ? *profile_ : std::string();  // the one pinned
        s.state = "running";
        if (app_id) s.app_id = *app_id;
        else record_deployment_by_name(s);
        // The endpoint: a READY line, else the web URL Modal printed (deploys).
        if (!scan_.ready_urls().empty()) s.url = scan_.ready_urls().front();
        else if (!scan_.web_urls().empty()) s.url = scan_.web_urls().front();
        else s.set_null("url");
        s.script_path = script_path_.string();
        s.run_id = run_id_;
        s.backend = local_ ? "local" : "modal";
        const auto saved = state_.save_session(session_object(s));
        if (auto it = saved.find("id"); it != saved.end() && it->value().is_string())
            session_id_ = std::string(it->value().as_string());
        session_left_running_ = true;
    }

    void record_deployment_by_name(mgpux::SessionRecord& s) const {
        s.set_null("app_id");
        s.extra.set("deployed", true);
        const auto& page = scan_.deployment_url();
        if (page) s.extra.set("deployment_url", *page);
        if (const auto env = page ? environment_of_deployment(*page) : std::nullopt) s.extra.set("environment", *env);
    }

    void set_session_state(const char* state) {
        if (!session_id_) return;
        mgpux::SessionRecord update;
        update.state = state;
        state_.update_session(*session_id_, session_object(update));
        session_left_running_ = false;
    }

    void collect(const util::CaptureResult& r) {
        app_id_ = scan_.app_id();
        if (!app_id_ && req_.mode == "deploy") {
            // `modal deploy` prints no app id; its deployment page says the app is up.
            if (r.exit_code == 0 || scan_.deployment_url()) record_session(std::nullopt);
        } else if (!app_id_ && req_.detach && (r.exit_code == 0 || r.interrupted)) {
            // Modal did not name it in a line we saw: ask.
            app_id_ = newest_app_named(modal_, profile_, req_.app_name, "ephemeral");
            if (app_id_) record_session(*app_id_);
        }
        if (app_id_) res()["app_id"] = *app_id_;
        json::array ready, results;
        for (const auto& u : scan_.ready_urls()) ready.emplace_back(u);
        for (const auto& v : scan_.results()) results.push_back(v);
        res()["ready"] = ready;
        res()["results"] = results;
        if (!scan_.ready_urls().empty()) res()["url"] = scan_.ready_urls().front();
        else if (!scan_.web_urls().empty()) res()["url"] = scan_.web_urls().front();
        res()["exit_code"] = r.exit_code;
        res()["session_id"] = session_id_ ? json::value(*session_id_) : json::value(nullptr);
        for (const auto& b : scan_.bad_results())
            console_.text(TextKind::Warning, "a RESULT line was not JSON: " + b + "\n");
    }

    void finish(const util::CaptureResult& r) {
        const std::string app_text = app_id_                 ? *app_id_
                                     : req_.mode == "deploy" ? "the app " + req_.app_name
                                                             : std::string("the app");
        if (const int sig = util::termination_signal()) {
            const bool left_running = req_.detach || req_.mode == "deploy";
            settle("interrupted", kExitCancelled,
                   std::string("stopped by ") + (sig == SIGHUP ? "SIGHUP" : "SIGTERM") + "; " +
                       (left_running ? app_text + " keeps running " + where() + " (stop it with `m-gpux stop`)"
                                     : ender() + " stops " + req_.description + " in a few seconds"));
        } else if (left_in_background_) {
            settle("background");
            console_.text(TextKind::Success, req_.description + " is up: " + scan_.ready_urls().front() + "\n");
            console_.text(TextKind::Info,
                          "It keeps running in the background (" + app_text + "); stop it with `m-gpux stop`.\n");
        } else if (r.timed_out && !req_.background) {
            settle("failed", kExitFailed,
                   "`modal " + req_.mode + "` did not finish within " + human_seconds(*req_.wait_timeout_s) +
                       "; it was stopped (an attached app ends with its client)");
        } else if (r.timed_out) {
            settle("failed", kExitFailed,
                   "no READY line from " + req_.description + " within " + human_seconds(req_.ready_timeout_s) + "; " +
                       app_text + " may still be running (stop it with `m-gpux stop`)");
        } else if (r.interrupted && !req_.detach) {
            settle("interrupted", kExitCancelled,
                   "interrupted; " + ender() + " stops " + req_.description + " in a few seconds");
        } else if (r.interrupted) {
            settle("interrupted");
            console_.text(TextKind::Warning, std::string(local_ ? "Disconnected; " : "Disconnected locally; ") +
                                                 app_text + " keeps running " + where() + ".\n");
            if (app_id_) offer_stop(*app_id_);
            else
                console_.text(TextKind::Info,
                              "Find it with `modal app list` and stop it with `modal app stop <app-id>`.\n");
        } else if (r.exit_code == 0 && req_.background && req_.mode == "run" && !app_id_) {
            settle("failed", kExitFailed,
                   "`modal run --detach` ended without naming its app (no \"View run at\" line, and `modal app list` "
                   "shows no app called '" +
                       req_.app_name +
                       "'), so it has no app id and no session was recorded; "
                       "check `modal app list` for it and stop it with `modal app stop <app-id>` if it runs");
        } else if (r.exit_code != 0) {
            ModalResult mr;
            mr.args = args_;
            mr.exit_code = r.exit_code;
            mr.err = r.err;
            settle("failed", kExitFailed,
                   local_ ? "the local " + req_.mode + " failed (exit " + std::to_string(r.exit_code) +
                                "); its output is above"
                          : describe_failure(mr));
            set_session_state("failed");
        } else {
            settle("completed");
            // A detached run that returns by itself has finished its function;
            // a deployment stays up.
            if (req_.mode == "run") set_session_state("stopped");
            if (records_session() && !session_id_)
                console_.text(TextKind::Warning,
                              "Modal did not name the app, so no session was recorded; find it with "
                              "`modal app list`.\n");
        }
    }

    // "Stop the app now?" after a detached run was left: by id, default keep.
    void offer_stop(const std::string& id) {
        const bool stop = ctx_.prompter->confirm(
            "Stop " + id + " (" + visible_controls(req_.app_name) + ") now to release its compute?", false, false,
            "--yes keeps it running");
        if (!stop) {
            console_.text(TextKind::Info,
                          "It keeps running; stop it later with `m-gpux stop` or `modal app stop " + id + "`.\n");
            return;
        }
        const auto sr = modal_.app_stop(profile_, id);
        if (!sr.ok()) {
            outcome_.status = kExitFailed;
            outcome_.error = "could not stop " + id + ", it is still running: " + describe_failure(sr);
            return;
        }
        res()["stopped"] = true;
        console_.text(TextKind::Success, "Stopped " + id + ".\n");
        set_session_state("stopped");
    }

    // Where the app runs, and who ends an attached one, for the messages.
    std::string where() const { return local_ ? "on this machine" : "on Modal"; }
    std::string ender() const { return local_ ? "the local runtime" : "Modal"; }

    static std::string with_newline(const std::string& s) { return s.empty() || s.back() == '\n' ? s : s + "\n"; }

    HostContext& ctx_;
    const RunRequest& req_;
    Console& console_;
    ModalService modal_;
    StateStore state_;
    bool local_ = false;
    std::optional<std::string> profile_;
    std::optional<double> per_hour_;  // the compute's price, when the catalog knows it
    std::string run_id_;
    fs::path run_dir_;
    fs::path script_path_;
    std::vector<std::string> args_;
    std::vector<std::string> command_;
    std::string command_line_;
    RunOutcome outcome_;
    MarkerScanner scan_;
    std::optional<std::string> session_id_;
    std::optional<std::string> app_id_;
    bool left_in_background_ = false;
    bool session_left_running_ = false;
    std::vector<std::string> created_secrets_;
};

}  // namespace

ModalRunner::ModalRunner(HostContext& ctx) : ctx_(ctx) {}

RunOutcome ModalRunner::run(const RunRequest& request) { return Launch(ctx_, request).run(); }

}  // namespace mgpux::services
