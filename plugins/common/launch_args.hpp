// SPDX-License-Identifier: MIT
// The shared options read from a command's Args, with the host services they
// need (catalog, prompts, presets). Each prompt appears only when its flag is
// missing and names that flag, so every launch can run from a script.
#pragma once

#include "launch_logic.hpp"
#include "launch_options.hpp"

#include <mgpux/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mgpux::launch {

// USD per hour of `c` as a Modal Sandbox, at the catalog's current rates; nullopt when unknown.
std::optional<double> sandbox_price(const Host& host, const Compute& c);

// Defaults of the compute question when neither --gpu nor --cpu is given.
struct ComputeChoice {
    bool prefer_cpu = false;  // which answer of "GPU or CPU?" is the default
    int cpu_index = -1;       // default row of the CPU menu; -1 = the catalog's (3)
    std::string title = "Compute";
};

// --gpu / --cpu [--memory] through the catalog (an unknown GPU or a bad
// count is exit 2), else the menus. --memory without --cpu is a usage error.
Compute resolve_compute(const Host& host, const Args& args, const Catalog& catalog, const ComputeChoice& choice);

// True when questions are asked: a terminal, and neither --yes nor --no-input.
bool asks_questions(const Args& args);

// The catalog's GPU menu (its default GPU first chosen), then how many of
// that GPU when more than one fits in a container; and the CPU-size menu (row
// `default_row`, or the catalog's default when -1), asked as `title`. The
// answer goes through the catalog like a flag would.
Compute ask_gpu(const Host& host, const Catalog& catalog, const Json& cat, const std::string& title);
Compute ask_cpu(const Host& host, const Catalog& catalog, const Json& cat, const std::string& title,
                int default_row = -1);

// How many `name` GPUs (1 when only one fits): the flag --gpu NAME:COUNT skips it.
int ask_gpu_count(const Host& host, const Json& cat, const std::string& name);

// --python through the catalog; the catalog's default without it (no question).
std::string resolve_python(const Args& args, const Catalog& catalog);

// --python, else the question "Python version" (default the catalog's). Asked
// after the compute, as the original asked it.
std::string ask_python(const Host& host, const Args& args, const Catalog& catalog);

// The Modal profile: --profile, or the only one, or a menu of them starting
// on the one m-gpux would use ($MODAL_PROFILE, else the active one), with a
// last row AUTO (the host picks the profile with the most money left).
std::string choose_profile(const Host& host, const Args& args);

// The --requirements / --pip / --no-deps values (not yet resolved).
DepsRequest deps_request(const Args& args, bool auto_requirements = true);

// The final ignore list from --exclude / --no-default-excludes.
std::vector<std::string> resolve_excludes(const Args& args, ExcludeDefaults defaults);

// --timeout, checked to be 1..86400*7 seconds; `fallback` when absent.
long long resolve_timeout(const Args& args, long long fallback);

// The runner confirms a billable launch only on a terminal or with --yes
// (--dry-run launches nothing). A plugin that writes something before handing
// over its run request (a key, a preset) calls this first, so a launch the
// runner would refuse leaves nothing behind. Exit 2 naming --yes.
void require_confirmable_launch(const Args& args);

// Modal can run nothing without an account: with no profile (and no
// MODAL_TOKEN_ID in the environment) a launch fails first, exit 3 saying how
// to add one, before any question, rendering or file (a run directory, a
// preset, a key, a --script-out copy). --dry-run renders without one. An
// unknown --profile is a usage error here too.
void require_modal_account(const Host& host, const Args& args);

// --save-preset NAME, validated; nullopt without it.
std::optional<std::string> save_preset_name(const Args& args);

// Saves the preset through the state service (which changes nothing under
// --dry-run) and says so.
void save_preset(const Host& host, const std::string& name, const PresetInput& input);

// The Python that has `modal` installed, for driver scripts that import it:
// the interpreter `modal`'s own #! line names; "python3" (which MGPUX_PYTHON
// overrides) when MGPUX_PYTHON is set or the line names none.
std::string modal_python(const Host& host);

}  // namespace mgpux::launch
