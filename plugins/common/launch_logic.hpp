// SPDX-License-Identifier: MIT
// Pure launch logic shared by the workload plugins (no host calls, so every
// function here is unit-tested): compute values, dependencies, upload
// excludes and their size, names (slugs, workspace volume), random
// credentials, session metadata and the runner request skeleton.
#pragma once

#include <mgpux/plugin.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mgpux::launch {

// ---------------------------------------------------------------- compute

// What a container runs on: a GPU spec ("L4", "H100:2") or a CPU size.
struct Compute {
    std::optional<std::string> gpu;  // Modal's gpu= string, with the count when above 1
    std::string gpu_name;            // "H100" (no count)
    int gpu_count = 0;
    std::optional<int> cores;
    std::optional<int> memory_mb;
    std::string label;  // "H100:2" | "CPU (4 cores, 2048 MB)"
    bool is_gpu() const { return gpu.has_value(); }
};

// "1 core", "8 cores".
std::string cores_text(int cores);

// From the catalog service's parse_gpu / parse_cpu answers.
Compute compute_from_gpu(const Json& parsed);
Compute compute_from_cpu(const Json& parsed);

// ---------------------------------------------------------------- menus

// The rows of one menu and the row it starts on.
struct MenuRows {
    std::vector<std::string> labels;
    std::vector<std::string> descriptions;
    int default_index = 0;
};

// "~$0.80/h"; three decimals under $0.10 ("~$0.051/h").
std::string hourly_price_text(double usd_per_hour);

// "~$0.80/h; 4 h × ~$0.80/h ≈ $3.20 at most": the price and the most `hours` can cost.
std::string cost_text(double usd_per_hour, double hours);

// USD per hour of `c` run as a Modal Sandbox: `gpu_price` (the catalog's
// parse_gpu price, count included) for a GPU, else the cores and memory at
// the sandbox rates of `rates` (the catalog's "rates"); nullopt when unknown.
std::optional<double> sandbox_price_per_hour(const Compute& c, std::optional<double> gpu_price, const Json& rates);

// The catalog's GPUs (from the catalog service's JSON): labels are the
// catalog names, descriptions "<VRAM> GB - <description>, ~$X.XX/h" (no
// price when the catalog has none), starting on the catalog's default GPU.
MenuRows gpu_menu_rows(const Json& catalog);

// How many of one catalog GPU: "1" .. its max_count, each with the hourly
// price of that many when the catalog has one; starts on 1.
MenuRows gpu_count_rows(const Json& gpu);

// The catalog's Python versions, starting on its default.
MenuRows python_rows(const Json& catalog);

// The catalog entry of the GPU named `name`, or nullptr.
const Json* catalog_gpu(const Json& catalog, const std::string& name);

// A comma-separated answer: items trimmed, empty ones dropped.
std::vector<std::string> split_commas(const std::string& text);

// Template context: {"gpu": "H100:2"|null, "cpu": {"cores", "memory_mb"}|null}.
Json compute_context(const Compute& c);

// Preset fields (the state service's structured members).
PresetFields compute_preset_fields(const Compute& c);

// ---------------------------------------------------------------- deps

struct DepsRequest {
    std::optional<std::string> requirements;  // --requirements FILE as typed
    std::vector<std::string> pip;             // --pip values
    bool no_deps = false;
    bool auto_requirements = true;  // use <project>/requirements.txt when nothing is asked
};

struct Deps {
    std::vector<std::string> packages;
    std::string requirements_abs;     // for the upload/image; empty = none
    std::string requirements_preset;  // relative to the project when inside it, else absolute
    bool auto_found = false;          // taken from <project>/requirements.txt unasked
    bool empty() const { return packages.empty() && requirements_abs.empty(); }
};

// Throws mgpux::usage_error naming --pip when `pkg` is not a plain
// requirement: empty, a leading '-', whitespace, quotes or control characters.
void validate_pip_package(const std::string& pkg);

// Validates and resolves: --no-deps with --pip/--requirements is a usage
// error, a --requirements file (relative to `cwd`) must exist, and without
// any flag <project_dir>/requirements.txt is used when it exists.
Deps resolve_deps(const DepsRequest& req, const std::filesystem::path& project_dir, const std::filesystem::path& cwd);

// Summary lines: the packages, then "requirements: <path>".
std::vector<std::string> deps_summary(const Deps& d);

// ---------------------------------------------------------------- excludes

// The default upload excludes. Workspace: hub, dev and preset share one list
// (the original's hub and dev lists differed). Host: the same
// plus .env files, which a hosted site would otherwise publish (workloads W55).
enum class ExcludeDefaults { Workspace, Host };
const std::vector<std::string>& default_excludes(ExcludeDefaults which);

// Always excluded, whatever the user's patterns say.
const std::vector<std::string>& credential_excludes();

// Trims, drops "./" and a trailing "/", and makes a pattern without "/"
// match at any depth ("node_modules" -> "**/node_modules"); a leading "/"
// anchors it at the upload root ("/build" -> "build"). A leading "!"
// (re-include) is kept in front. Blank or a "#" comment gives "". This is the
// only normalisation: templates take the resolved list as it is.
std::string normalise_pattern(const std::string& pattern);

// The final ignore list: defaults (unless `no_defaults`) + `extra`, each
// normalised, duplicates dropped, then the credential patterns last (the
// last matching pattern decides, so they always win).
std::vector<std::string> resolve_excludes(const std::vector<std::string>& defaults,
                                          const std::vector<std::string>& extra, bool no_defaults);

// Dockerignore-style matching as Modal's FilePatternMatcher: * within a
// segment, ? one character, [..] a class, ** any number of segments; a
// pattern matching a directory matches everything below it.
bool pattern_matches(const std::string& pattern, const std::string& rel_path);

// The last matching pattern decides ("!" patterns re-include).
bool is_excluded(const std::vector<std::string>& patterns, const std::string& rel_path);

struct UploadStats {
    uint64_t files = 0;
    uint64_t bytes = 0;
    uint64_t excluded = 0;   // files and directories left out (a pruned directory counts once)
    bool truncated = false;  // stopped after max_entries
};

// What add_local_dir(root, ignore=patterns) would upload.
UploadStats upload_stats(const std::filesystem::path& root, const std::vector<std::string>& patterns,
                         uint64_t max_entries = 200000);

// "512 B", "1.5 KB", "3.2 MB", "1.1 GB" (1024-based).
std::string human_size(uint64_t bytes);

// "<root> (12 files, 3.4 MB)".
std::string upload_summary(const std::string& root, const UploadStats& s);

// ---------------------------------------------------------------- names

// ASCII letters and digits lowercased, everything else "-", runs collapsed,
// "-" trimmed at both ends, cut to `max_len` (and trimmed again). May be "".
std::string slug(const std::string& text, std::size_t max_len = 32);

// m-gpux-workspace-<slug>-<sha1[:10]> (ASCII slug rule; `root`
// is the absolute directory as a string, hashed exactly as given).
std::string workspace_volume_name(const std::string& root);

// Absolute, normalised, no trailing separator (as Python's abspath), with
// "/" separators.
std::string absolute_dir(const std::filesystem::path& dir, const std::filesystem::path& cwd);

// `bytes` random bytes from /dev/urandom as lowercase hex. Throws Error on failure.
std::string random_hex(std::size_t bytes);

// "<action>-<compute label slug>": "jupyter-l4", "bash-cpu-8-cores-4096-mb".
std::string default_preset_name(const std::string& action, const std::string& compute_label);

// The refusal of a gated Hugging Face model launched without a token (hub
// vllm and serve deploy say the same thing).
std::string gated_model_message(const std::string& model);

// Preset names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
// Throws usage_error naming --save-preset.
void validate_preset_name(const std::string& name);

// ---------------------------------------------------------------- session / request

struct SessionInfo {
    std::string kind;  // jupyter, bash, dev, interactive, host, ...
    std::string profile;
    std::string compute;  // label
    std::string workspace_volume;
    std::string local_dir;
    std::string app_name;
    std::optional<std::string> preset;
};

// The runner's "session" member (the state service assigns the id).
SessionRecord session_metadata(const SessionInfo& s);

struct LaunchPlan {
    std::string app_name;
    std::string mode = "run";  // run | serve | deploy
    bool detach = false;
    bool background = false;
    std::string description;
    Compute compute;
    std::optional<long long> timeout_s;
    Deps deps;
    std::string upload_root;  // empty = no upload
    UploadStats upload;
};

// The runner request for `plan` running `script` (the caller adds the
// session, secrets and files as needed).
RunRequest run_request(const LaunchPlan& plan, const std::string& script);

// One entry of a runner request's secrets, from a {"KEY": "value"} object.
RunSecret runner_secret(const std::string& name, const Json& values);

// Adds a session's credentials to a runner request: an ephemeral secret (the
// values reach only the `modal` child's environment, where the script's
// Secret.from_local_environ reads them; no `modal secret create`, nothing to
// delete later) and the 0600 credentials file kept in the run directory.
inline constexpr const char* kCredentialsFile = "credentials.env";
void add_session_credentials(RunRequest& req, const Json& values, const std::string& file_text);

// A run result's optional member in a --json document: its value, or null.
template <class T>
Json or_null(const std::optional<T>& value) {
    return value ? Json(*value) : Json();
}

// A request names a profile only to override the command's own: the one the
// host would take anyway (`default_profile`, from Profiles::resolve) is left
// out, so the host's single precedence decides.
void set_profile_override(RunRequest& req, const std::string& profile, const std::string& default_profile);

// Preset fields for the state service (structured members only).
struct PresetInput {
    std::string action;
    std::string profile;
    Compute compute;
    Deps deps;
    std::string python_version;
    std::vector<std::string> excludes;  // the resolved list (credential patterns are left out)
    std::string script;                 // interactive: the script, relative to the project ("" = none)
    std::string image;                  // --image: a published image's name ("" = build from scratch)
};
PresetFields preset_fields(const PresetInput& p);

// The interpreter a `#!` line names: "#!/usr/bin/python3" -> "/usr/bin/python3",
// "#!/usr/bin/env python3" -> "python3"; "" when the line names none.
std::string interpreter_from_shebang(const std::string& first_line);

}  // namespace mgpux::launch
