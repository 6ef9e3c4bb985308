// SPDX-License-Identifier: MIT
// The workspace launches shared by `hub jupyter|bash|interactive`, `dev` and
// `preset run`: one description of what to start (WorkspaceSpec) becomes the
// same template context, runner request, session record and credentials,
// whichever command resolved it. The pure part (context, request, names) is
// unit-tested; launch_workspace() adds the host calls (render, run, report).
#pragma once

#include "image_store.hpp"
#include "launch_args.hpp"
#include "launch_logic.hpp"

#include <mgpux/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mgpux::launch {

enum class Workspace { Jupyter, Bash, Dev, Interactive };

// "jupyter", "bash", "dev", "interactive" (the session kind and preset action).
const char* workspace_kind(Workspace w);
std::optional<Workspace> workspace_from_kind(const std::string& kind);
// "hub/jupyter.py", "hub/bash.py", "dev/shell.py", "hub/interactive.py".
const char* workspace_template(Workspace w);
// m-gpux-jupyter, m-gpux-shell (bash, dev), m-gpux-interactive.
const char* workspace_app_name(Workspace w);

// Everything a workspace launch needs, already resolved and validated.
struct WorkspaceSpec {
    Workspace kind = Workspace::Bash;
    std::string profile;  // the resolved profile (pinned with MODAL_PROFILE)
    Compute compute;
    std::string python_version;
    Deps deps;
    std::vector<std::string> excludes;  // the final list (resolve_excludes), given to the template as is
    std::string local_dir;              // absolute project folder
    long long timeout_s = 86400;
    std::string script_path;            // interactive: relative to local_dir, "/"-separated
    std::optional<std::string> preset;  // the preset launched or saved, for the session
    std::string description;            // empty: the kind's default
    bool background = false;
    std::optional<images::PublishedImage> base_image;  // --image: start from it instead of debian_slim
};

// The session's login. Jupyter: a token; terminals: ttyd's "user:password".
struct Credentials {
    std::string key;     // JUPYTER_TOKEN | TTYD_CREDENTIAL
    std::string user;    // terminals only
    std::string secret;  // the token or the password
    std::string value() const { return user.empty() ? secret : user + ":" + secret; }
};

// Fresh random credentials for `kind` (reads /dev/urandom).
Credentials new_credentials(Workspace kind);

// "Jupyter Lab on L4", "Web Bash Shell on L4", "Dev Container on L4",
// "Interactive terminal for main.py on L4".
std::string default_description(const WorkspaceSpec& s);

// The template context (templates/hub/README.md).
Json workspace_context(const WorkspaceSpec& s, const std::string& mgpux_version);

// The runner request: detached `modal run`, the session, the credentials as an
// ephemeral secret (secret_env) and a 0600 credentials file in the run directory.
RunRequest workspace_request(const WorkspaceSpec& s, const std::string& script, const Credentials& c,
                             const UploadStats& upload);

// The credentials file kept in the run directory (dotenv lines).
std::string credentials_file(const Credentials& c);

// The URL to open: Jupyter's carries the token (?token=...).
std::string access_url(Workspace kind, const std::string& url, const Credentials& c);

// Checks an interactive script path: a file inside `local_dir`; returns it
// relative to it with "/" separators. Throws usage_error naming `flag`.
std::string script_inside(const std::string& local_dir, const std::string& path, const std::string& cwd,
                          const std::string& flag);

// ---------------------------------------------------------------- host side

// The shared flags of a workspace command, validated before any question:
// --python, deps, excludes, --timeout (default 86400), then the compute
// (menus when neither --gpu nor --cpu is given) and the Python version (a
// menu without --python; a --image image brings its own Python). The profile is resolved first, so an unknown
// --profile fails before anything else. `local_dir` is the current folder.
WorkspaceSpec workspace_from_args(const Host& host, const Args& args, Workspace kind, const ComputeChoice& choice);

// The stored preset `name` for a launch (the state service's preset_get); a
// preset whose stored fields the host refuses (exit 3) says how to repair it.
std::optional<PresetFields> read_preset(const Host& host, const std::string& name);

// Asked on a terminal only, each skipped by its flags: the project's
// requirements.txt (default yes), else extra pip packages (default none;
// skipped by --requirements, --pip, --no-deps) ...
void ask_deps(const Host& host, const Args& args, WorkspaceSpec& spec);
// ... and the upload excludes, after showing the upload's size (skipped by
// --exclude, --no-default-excludes).
void ask_excludes(const Host& host, const Args& args, WorkspaceSpec& spec);

// A saved preset as a launch in the current folder: its compute (CPU 4 cores,
// 2048 MB when it names none), Python, packages or requirements (relative to
// the current folder), excludes (the workspace defaults when it has none),
// profile (--profile, passed as `cli_profile`, wins) and, for interactive, its script. `kind` overrides its action
// (`dev --preset`). Throws usage_error for an unusable preset, naming the preset
// and its field that no longer works (a requirements file or script that is
// gone, a GPU or Python the catalog refuses, a profile no longer configured).
WorkspaceSpec workspace_from_preset(const Host& host, const std::string& name,
                                    const std::optional<PresetFields>& preset, std::optional<Workspace> kind,
                                    const std::string& cli_profile);

// --save-preset NAME, or (on a terminal, without --yes/--no-input) the
// question "Save this workload as a preset?" with a default name. Saves it and
// records the name in `spec.preset`.
void offer_preset(const Host& host, const Args& args, WorkspaceSpec& spec, bool ask);

// Renders, runs and reports one workspace launch (host calls). Prints the
// credentials once; with --json writes one document. Returns the exit status.
int launch_workspace(const Host& host, const WorkspaceSpec& spec, bool json);

}  // namespace mgpux::launch
