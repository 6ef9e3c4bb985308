// SPDX-License-Identifier: MIT
// Every `modal` call other than running a script (plugin.h mgpux.modal/1):
// the profile pinned with MODAL_PROFILE only, today's flags enforced, JSON
// read with either key spelling, failures reported with code and stderr.
#pragma once

#include "util/subprocess.hpp"

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mgpux {
struct HostContext;
}

namespace mgpux::services {

struct ModalCall {
    std::vector<std::string> args;       // the words after `modal`
    std::optional<std::string> profile;  // nullopt: the command's --profile, else Modal's active
    double timeout_s = 60;
    bool inherit_output = false;  // `app logs -f`: the user watches it
};

struct ModalResult {
    std::optional<std::string> profile;  // the profile pinned, if any
    std::vector<std::string> args;       // what actually ran (after our rules)
    int exit_code = -1;
    bool timed_out = false;
    bool interrupted = false;
    bool skipped = false;     // --dry-run: a change that was not made
    bool overflow = false;    // stdout passed the capture limit; the call was stopped
    std::string out;          // stdout (up to the capture limit)
    std::string err;          // the end of stderr
    boost::json::value json;  // stdout parsed when --json was asked
    bool ok() const { return skipped || (exit_code == 0 && !timed_out && !overflow); }
};

// "`modal app stop` failed (exit 1): <last stderr line>" and the like.
std::string describe_failure(const ModalResult& r);

// True for calls that change something (not run under --dry-run).
bool modal_call_changes_state(const std::vector<std::string>& args);

// Applies today's Modal rules to a call: `app stop` gets --yes. Throws
// ServiceError(kExitUsage) for calls that would put a secret on argv.
std::vector<std::string> enforce_modal_rules(std::vector<std::string> args);

class ModalService {
public:
    explicit ModalService(HostContext& ctx);

    // The profile to pin: what named_profile names (`requested`, else
    // --profile, else $MODAL_PROFILE), else none (Modal takes the active one).
    // A named profile missing from the profile file is a usage error.
    std::optional<std::string> pin_profile(const std::optional<std::string>& requested) const;

    // The environment edits for a child pinned to `profile`.
    std::map<std::string, std::optional<std::string>> child_env(const std::optional<std::string>& profile) const;

    // Runs one call; never throws for a failing `modal` (see ModalResult),
    // throws ServiceError for a missing program, bad request or Ctrl-C.
    ModalResult call(const ModalCall& call);

    // One call per profile (all profiles when `profiles` is empty), at most
    // 16 at once, results in profile order.
    std::vector<ModalResult> fan_out(const std::vector<std::string>& args, std::vector<std::string> profiles,
                                     double timeout_s);

    // Several different calls at once (at most 16 running), results in
    // request order; a failing one never stops the others.
    std::vector<ModalResult> call_many(const std::vector<ModalCall>& calls);

    ModalResult app_stop(const std::optional<std::string>& profile, const std::string& app_id);
    // Creates the secret through a 0600 dotenv file that is removed afterwards.
    ModalResult secret_create(const std::optional<std::string>& profile, const std::string& name,
                              const std::map<std::string, std::string>& values);
    ModalResult secret_delete(const std::optional<std::string>& profile, const std::string& name);

private:
    ModalResult run(std::vector<std::string> args, const std::optional<std::string>& pinned, double timeout_s,
                    bool inherit_output);
    // The profile names in the profile file, read once per service call
    // (a fan-out pins many calls against the same file).
    const std::vector<std::string>& profile_names() const;
    HostContext& ctx_;
    mutable std::optional<std::vector<std::string>> profile_names_;
};

// The dotenv text for `values` (KEY="value" with \\, \", \n escaped).
// Throws ServiceError(kExitUsage) for a key that is not [A-Za-z_][A-Za-z0-9_]*.
std::string dotenv_text(const std::map<std::string, std::string>& values);

}  // namespace mgpux::services
