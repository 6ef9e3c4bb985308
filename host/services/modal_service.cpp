// SPDX-License-Identifier: MIT
#include "services/modal_service.hpp"

#include "host_context.hpp"
#include "services/console.hpp"
#include "services/local_apps.hpp"
#include "services/modal_output.hpp"
#include "services/process_service.hpp"
#include "services/profile_store.hpp"
#include "services/service_error.hpp"
#include "services/temp_files.hpp"
#include "util/atomic_file.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace mgpux::services {

namespace fs = std::filesystem;

namespace {

bool has_word(const std::vector<std::string>& args, const std::string& w) {
    return std::find(args.begin(), args.end(), w) != args.end();
}

bool starts_with(const std::vector<std::string>& args, std::initializer_list<const char*> words) {
    std::size_t i = 0;
    for (const char* w : words) {
        if (i >= args.size() || args[i] != w) return false;
        ++i;
    }
    return true;
}

std::string command_words(const std::vector<std::string>& args) {
    std::string s = "modal";
    for (std::size_t i = 0; i < args.size() && i < 2; ++i) {
        if (!args[i].empty() && args[i][0] == '-') break;
        s += " " + args[i];
    }
    return s;
}

// The last line that says something: Modal prints errors in a box, whose
// border lines carry no words and whose text lines are framed by bars.
std::string last_line(const std::string& text) {
    std::string best;
    std::size_t end = text.size();
    while (end > 0) {
        std::size_t start = text.rfind('\n', end - 1);
        start = start == std::string::npos ? 0 : start + 1;
        std::string line = text.substr(start, end - start);
        for (const char* frame : {"│", "╭", "╮", "╰", "╯", "─", "┃", "|"}) {
            for (auto pos = line.find(frame); pos != std::string::npos; pos = line.find(frame))
                line.replace(pos, std::strlen(frame), " ");
        }
        const auto first = line.find_first_not_of(" \t\r");
        if (first != std::string::npos) {
            const auto last = line.find_last_not_of(" \t\r");
            best = line.substr(first, last - first + 1);
            if (best != "Error") return best;  // the box title alone says nothing
        }
        if (start == 0) break;
        end = start - 1;
    }
    return best;
}

}  // namespace

std::string describe_failure(const ModalResult& r) {
    std::string msg = "`" + command_words(r.args) + "` ";
    if (r.timed_out) return msg + "timed out";
    if (r.overflow)
        return msg + "printed more than " + std::to_string(util::kDefaultCaptureLimit >> 20) +
               " MiB and was stopped; run it yourself to see what it prints";
    msg += "failed (exit " + std::to_string(r.exit_code) + ")";
    const auto detail = last_line(r.err.empty() ? r.out : r.err);
    if (!detail.empty()) msg += ": " + detail;
    return msg;
}

bool modal_call_changes_state(const std::vector<std::string>& args) {
    return starts_with(args, {"app", "stop"}) || starts_with(args, {"app", "rollback"}) ||
           starts_with(args, {"volume", "put"}) || starts_with(args, {"volume", "rm"}) ||
           starts_with(args, {"volume", "get"}) ||  // writes local files
           starts_with(args, {"volume", "create"}) || starts_with(args, {"volume", "delete"}) ||
           starts_with(args, {"volume", "cp"}) || starts_with(args, {"volume", "rename"}) ||
           starts_with(args, {"secret", "create"}) || starts_with(args, {"secret", "delete"}) ||
           starts_with(args, {"profile", "activate"}) || starts_with(args, {"token", "set"}) ||
           starts_with(args, {"token", "new"}) || starts_with(args, {"run"}) || starts_with(args, {"serve"}) ||
           starts_with(args, {"deploy"});
}

std::vector<std::string> enforce_modal_rules(std::vector<std::string> args) {
    if (starts_with(args, {"app", "stop"}) && !has_word(args, "--yes") && !has_word(args, "-y"))
        args.insert(args.begin() + 2, "--yes");
    if (starts_with(args, {"secret", "create"})) {
        for (std::size_t i = 3; i < args.size(); ++i)
            if (args[i].find('=') != std::string::npos && args[i][0] != '-')
                throw ServiceError(kExitUsage,
                                   "secret values may not go on a command line; use the modal service's secret_create");
    }
    return args;
}

std::string dotenv_text(const std::map<std::string, std::string>& values) {
    std::string out;
    for (const auto& [key, value] : values) {
        const bool key_ok = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                            std::all_of(key.begin(), key.end(),
                                        [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
        if (!key_ok)
            throw ServiceError(kExitUsage, "secret key '" + key + "' is not a valid environment variable name");
        out += key + "=\"";
        for (char c : value) {
            if (c == '\\') out += "\\\\";
            else if (c == '"') out += "\\\"";
            else if (c == '\n') out += "\\n";
            else if (c == '\r') out += "\\r";
            else out += c;
        }
        out += "\"\n";
    }
    return out;
}

ModalService::ModalService(HostContext& ctx) : ctx_(ctx) {}

std::optional<std::string> ModalService::pin_profile(const std::optional<std::string>& requested) const {
    const auto name = named_profile(requested, ctx_.globals.profile);
    if (!name) return std::nullopt;  // Modal takes the active profile itself
    const auto& known = profile_names();
    if (std::find(known.begin(), known.end(), *name) == known.end())
        return ProfileStore(modal_config_path()).resolve(name);  // throws the usage error naming the known ones
    return name;
}

const std::vector<std::string>& ModalService::profile_names() const {
    if (!profile_names_) {
        profile_names_.emplace();
        for (const auto& p : ProfileStore(modal_config_path()).list()) profile_names_->push_back(p.name);
    }
    return *profile_names_;
}

std::map<std::string, std::optional<std::string>> ModalService::child_env(
    const std::optional<std::string>& profile) const {
    std::map<std::string, std::optional<std::string>> env;
    if (profile) env["MODAL_PROFILE"] = *profile;
    // Modal lets token variables win over any profile: say so once.
    static std::once_flag warned;
    if (profile && (util::env("MODAL_TOKEN_ID") || util::env("MODAL_TOKEN_SECRET")) && ctx_.console)
        std::call_once(warned, [&] {
            ctx_.console->text(TextKind::Warning,
                               "MODAL_TOKEN_ID / MODAL_TOKEN_SECRET are set in the environment; "
                               "Modal uses them instead of the tokens of profile '" +
                                   *profile + "'\n");
        });
    add_python_utf8_defaults(env);
    return env;
}

ModalResult ModalService::run(std::vector<std::string> args, const std::optional<std::string>& pinned, double timeout_s,
                              bool inherit_output) {
    ModalResult r;
    r.profile = pinned;
    r.args = enforce_modal_rules(std::move(args));
    if (auto local = answer_locally(ctx_, r.args, inherit_output)) {
        local->profile = pinned;
        return std::move(*local);
    }
    if (ctx_.globals.dry_run && modal_call_changes_state(r.args)) {
        r.skipped = true;
        r.exit_code = 0;
        if (ctx_.console) {
            std::string line = "dry run: would run modal";
            for (const auto& a : r.args) line += " " + a;
            if (pinned) line += "  (MODAL_PROFILE=" + *pinned + ")";
            ctx_.console->text(TextKind::Info, line + "\n");
        }
        return r;
    }
    util::ProcessSpec spec;
    spec.exe = require_program("modal");
    spec.args = r.args;
    spec.env = child_env(pinned);
    // `profile list` appends a line when token variables are set, which
    // breaks its JSON.
    if (starts_with(r.args, {"profile", "list"})) {
        spec.env["MODAL_TOKEN_ID"] = std::nullopt;
        spec.env["MODAL_TOKEN_SECRET"] = std::nullopt;
    }
    spec.output = inherit_output ? util::OutputMode::Inherit : util::OutputMode::Capture;
    spec.stdin_mode = inherit_output ? util::StdinMode::Inherit : util::StdinMode::Null;
    if (timeout_s > 0 && !inherit_output)
        spec.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
    // A child that writes to the terminal itself starts on a clean line, with no spinner redrawing over it.
    if (inherit_output && ctx_.console) ctx_.console->progress(nullptr);
    util::CaptureResult c;
    try {
        c = util::run_process(spec);
    } catch (const std::system_error& e) {
        throw_start_failure(spec.exe, e);
    }
    r.exit_code = c.exit_code;
    r.timed_out = c.timed_out;
    r.interrupted = c.interrupted;
    r.overflow = c.out_overflow;
    r.out = std::move(c.out);
    r.err = std::move(c.err);
    if (r.ok() && has_word(r.args, "--json")) {
        try {
            r.json = normalise_keys(util::parse_json(r.out));
        } catch (const util::JsonParseError& e) {
            r.exit_code = r.exit_code == 0 ? -1 : r.exit_code;
            r.err += (r.err.empty() ? "" : "\n") + std::string("its output is not JSON ") + e.what();
        }
    }
    return r;
}

ModalResult ModalService::call(const ModalCall& c) {
    if (c.args.empty()) throw ServiceError(kExitUsage, "modal call: \"args\" is empty");
    auto r = run(c.args, pin_profile(c.profile), c.timeout_s, c.inherit_output);
    if (r.interrupted && !r.ok()) throw ServiceError(kExitCancelled, "interrupted");
    return r;
}

std::vector<ModalResult> ModalService::fan_out(const std::vector<std::string>& args, std::vector<std::string> profiles,
                                               double timeout_s) {
    if (args.empty()) throw ServiceError(kExitUsage, "modal fan-out: \"args\" is empty");
    // Local apps are one list, whatever the Modal profiles.
    if (auto local = local_backend(ctx_) ? answer_locally(ctx_, args, false) : std::nullopt) return {std::move(*local)};
    if (profiles.empty()) profiles = profile_names();
    std::vector<ModalCall> calls;
    for (const auto& p : profiles) calls.push_back({args, p, timeout_s, false});
    return call_many(calls);
}

std::vector<ModalResult> ModalService::call_many(const std::vector<ModalCall>& calls) {
    // Checked up front, so a bad name or a missing modal is one error, not one per row.
    std::vector<std::optional<std::string>> pinned;
    for (const auto& c : calls) {
        if (c.args.empty()) throw ServiceError(kExitUsage, "modal call: \"args\" is empty");
        if (c.inherit_output) throw ServiceError(kExitUsage, "concurrent modal calls cannot share the terminal");
        pinned.push_back(pin_profile(c.profile));
    }
    if (!calls.empty() && !local_backend(ctx_)) require_program("modal");
    std::vector<ModalResult> results(calls.size());
    std::atomic<std::size_t> next{0};
    const std::size_t workers = std::min<std::size_t>(calls.size(), 16);
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < workers; ++w) {
        pool.emplace_back([&] {
            for (std::size_t i = next++; i < calls.size(); i = next++) {
                try {
                    results[i] = run(calls[i].args, pinned[i], calls[i].timeout_s, false);
                } catch (const std::exception& e) {
                    results[i].profile = pinned[i];
                    results[i].args = calls[i].args;
                    results[i].err = e.what();
                }
            }
        });
    }
    for (auto& t : pool) t.join();
    for (const auto& r : results)
        if (r.interrupted && !r.ok()) throw ServiceError(kExitCancelled, "interrupted");
    return results;
}

ModalResult ModalService::app_stop(const std::optional<std::string>& profile, const std::string& app_id) {
    if (!is_app_id(app_id))
        throw ServiceError(kExitUsage, "'" + app_id + "' is not a Modal app id (ap- followed by 22 letters or digits)");
    return run({"app", "stop", "--yes", app_id}, pin_profile(profile), 60, false);
}

ModalResult ModalService::secret_create(const std::optional<std::string>& profile, const std::string& name,
                                        const std::map<std::string, std::string>& values) {
    if (values.empty()) throw ServiceError(kExitUsage, "secret '" + name + "' needs at least one key");
    const auto text = dotenv_text(values);
    const auto pinned = pin_profile(profile);
    if (ctx_.globals.dry_run)
        return run({"secret", "create", name, "--from-dotenv", "<0600 file>", "--force"}, pinned, 60, false);
    // In a private directory under the state dir (not $TMPDIR), removed as soon
    // as `modal secret create` has returned; a sweep at start removes one that a
    // killed m-gpux left.
    PrivateTempDir dir("secret");
    const auto file = dir.path() / "secret.env";
    util::write_file_atomic(file, text, 0600);
    return run({"secret", "create", name, "--from-dotenv", file.string(), "--force"}, pinned, 60, false);
}

ModalResult ModalService::secret_delete(const std::optional<std::string>& profile, const std::string& name) {
    return run({"secret", "delete", name, "--yes", "--allow-missing"}, pin_profile(profile), 60, false);
}

}  // namespace mgpux::services
