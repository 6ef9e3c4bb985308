// SPDX-License-Identifier: MIT
// The modal runner (plugin.h mgpux.runner/1): takes a run request, owns the
// script file, the summary, the review prompt, --dry-run/--script-out, the
// secrets, the `modal run|serve|deploy` child, the session record and the
// "stop the app now?" question.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <mgpux/contracts.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mgpux {
struct HostContext;
}

namespace mgpux::services {

struct SecretSpec {
    std::string name;
    std::map<std::string, std::string> values;
};

struct RunRequest {
    std::string script;
    std::string app_name;
    std::string mode = "run";  // run | serve | deploy
    bool detach = false;
    bool background = false;
    double ready_timeout_s = 600;
    std::optional<double> wait_timeout_s;  // an attached run: give up (kill the client) after this
    std::string description;
    std::string compute;
    std::optional<double> timeout_s;
    std::vector<std::string> deps;
    std::vector<std::string> uploads;
    std::optional<std::string> profile;
    std::vector<SecretSpec> secrets;
    std::map<std::string, std::string> secret_env;           // only in the modal child's environment
    std::optional<mgpux::SessionRecord> session;             // what the plugin records; the runner adds the rest
    std::vector<std::pair<std::string, std::string>> files;  // extra 0600 files in the run dir
};

// Parses the request text through the SDK's RunRequest contract (the same struct plugins fill)
// and checks what the contract cannot: the mode, the combinations, positive timeouts, file names.
// ServiceError kExitUsage when malformed.
RunRequest parse_run_request(std::string_view text);

// The words after `modal` for a request whose script is at `script`.
std::vector<std::string> modal_command(const RunRequest& r, const std::filesystem::path& script);

// The names of the request's secret_env, never their values.
std::vector<std::string> secret_env_keys(const RunRequest& r);

// The summary rows shown before the review, from the request's own fields.
std::vector<std::pair<std::string, std::string>> summary_rows(const RunRequest& r,
                                                              const std::optional<std::string>& profile,
                                                              const std::string& script_path);

// "20261127-051200-1a2b3c": sortable, unique enough for one user.
std::string new_run_id();

struct RunOutcome {
    int status = 0;     // an exit code (0 ok)
    std::string error;  // the message for a non-zero status
    boost::json::object result;
};

class ModalRunner {
public:
    explicit ModalRunner(HostContext& ctx);
    RunOutcome run(const RunRequest& request);

private:
    HostContext& ctx_;
};

}  // namespace mgpux::services
