// SPDX-License-Identifier: MIT
// `m-gpux preset …`: saved workload settings (action, compute, Python,
// packages, upload excludes, profile) in ~/.m-gpux/presets.json, kept by the
// host's state service in the original tool's format plus structured fields.
#include "image_store.hpp"
#include "preset_logic.hpp"
#include "workspace_launch.hpp"

#include <mgpux/plugin.hpp>

#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

namespace preset {
namespace {

using mgpux::Json;
namespace fs = std::filesystem;

const char* const kActionChoices[] = {"bash", "jupyter", "dev", "interactive", nullptr};

int list(mgpux::Host& host, const mgpux::Args& args);
int show(mgpux::Host& host, const mgpux::Args& args);
int create(mgpux::Host& host, const mgpux::Args& args);
int remove(mgpux::Host& host, const mgpux::Args& args);
int run_preset(mgpux::Host& host, const mgpux::Args& args);

constexpr mgpux::OptionBuilder kName = mgpux::positional("name").help("the preset's name");

const mgpux::Commands kCommands{
    mgpux::command("preset", "Save workload settings and launch them again by name",
                   "A preset remembers what to launch (bash, jupyter, dev or interactive), on which\n"
                   "GPU or CPU size, with which Python, packages, upload excludes and Modal profile.\n"
                   "Presets live in ~/.m-gpux/presets.json, readable by the original m-gpux too.\n\n"
                   "Example:\n"
                   "  m-gpux --profile work preset create train-h100 --action dev --gpu H100:2 --pip torch\n"
                   "  m-gpux preset list"),
    mgpux::command("preset list", "List saved presets", list)
        .help("One row per preset: name, action, compute, Python, profile and when it was last\n"
              "saved. A preset that cannot be read is listed with the reason. --json prints\n"
              "{presets: [...]}, each preset with its name and every stored field.\n\n"
              "Example:\n  m-gpux preset list --json")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("preset show", "Show every field of one preset", {kName}, show)
        .help("Prints the stored fields of a preset, sorted by name, including the original\n"
              "tool's compute_spec / pip_section, which m-gpux regenerates from the fields.\n\n"
              "Example:\n  m-gpux preset show train-h100 --json")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("preset create", "Save a new preset (every question has a flag)",
                   {
                       mgpux::positional("name").optional().help(
                           "the preset's name (asked when left out; default <action>-<compute>)"),
                       mgpux::option("action")
                           .alias('a')
                           .choices(kActionChoices)
                           .metavar("ACTION")
                           .help("what the preset launches (asked when left out; default bash)"),
                       mgpux::option("gpu").alias('g').metavar("GPU").exclusive_group("compute").help(
                           "GPU type, optionally with a count: L4, A100-80GB, H100:4"),
                       mgpux::option("cpu")
                           .kind(MGPUX_OPT_INT)
                           .alias('c')
                           .metavar("CORES")
                           .exclusive_group("compute")
                           .help("a CPU-only container with this many cores (1-64)"),
                       mgpux::option("memory")
                           .kind(MGPUX_OPT_INT)
                           .metavar("MB")
                           .help("memory in MB with --cpu (default 512 per core)"),
                       mgpux::option("python").metavar("VERSION").help(
                           "Python in the container image: 3.10 to 3.14 (default 3.12)"),
                       mgpux::option("pip").repeatable().metavar("PACKAGE").exclusive_group("deps").help(
                           "a pip package to install, one per option (repeatable)"),
                       mgpux::option("requirements")
                           .kind(MGPUX_OPT_PATH)
                           .metavar("PATH")
                           .exclusive_group("deps")
                           .help("install from this requirements file instead"),
                       mgpux::option("exclude").repeatable().metavar("PATTERN").help(
                           "an upload exclude pattern (repeatable; default .venv venv "
                           "__pycache__ .git node_modules; '' for none)"),
                       mgpux::option("script")
                           .kind(MGPUX_OPT_PATH)
                           .metavar("PATH")
                           .help("the script an interactive preset runs (inside this folder)"),
                       mgpux::option("image").metavar("NAME").help(
                           "start from this published image (`m-gpux image build`); it brings its own Python"),
                   },
                   create)
        .help("Asks for what is not given on the command line: the Modal profile (when there\n"
              "are several; default the active one, --profile skips it), the action, the\n"
              "compute (a GPU from the catalog, default L4, and how many; or a CPU size,\n"
              "default 8 cores), the Python version, pip packages, upload excludes, for\n"
              "interactive presets the script, and the name. A requirements file\n"
              "or script inside the current folder is stored relative to it, so the preset\n"
              "works from any copy of the project; a file elsewhere is stored absolute.\n"
              "Replacing an existing preset asks first (--yes replaces it).\n\n"
              "Example:\n"
              "  m-gpux --profile work preset create nb-a100 --action jupyter --gpu A100-80GB \\\n"
              "      --python 3.11 --requirements requirements.txt --yes")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE | MGPUX_CMDF_DESTRUCTIVE),
    mgpux::command("preset delete", "Delete a preset", {kName}, remove)
        .help("Removes a preset from presets.json after asking (--yes deletes without asking).\n"
              "A preset that does not exist is an error (exit 2).\n\n"
              "Example:\n  m-gpux preset delete nb-a100 --yes")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_DESTRUCTIVE),
    mgpux::command("preset run", "Launch a preset",
                   {kName, mgpux::option("background")
                               .flag()
                               .help("return once the app id and URL are known (the app keeps running until stopped)")},
                   run_preset)
        .help("Launches the preset's action in the current folder, as `hub jupyter`, `hub bash`,\n"
              "`hub interactive` (its script) or `dev` would with the same settings: a detached\n"
              "session with generated credentials, printed once. The preset's profile is used\n"
              "unless --profile names another; its requirements file is looked up from here.\n"
              "A stored setting that no longer works is named with the preset and its field.\n"
              "--json prints {session_id, app_id, app_name, url, kind, profile, ...}.\n\n"
              "Example:\n  m-gpux preset run train-h100\n  m-gpux --yes --json preset run nb-l4 --background")
        .flags(MGPUX_CMDF_INTERACTIVE | MGPUX_CMDF_JSON),
};

// An int option as a catalog argument; values beyond int32 are refused here
// rather than wrapped around.
int32_t int_option(const mgpux::Args& args, const char* name) {
    const long long v = args.integer(name);
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        throw mgpux::usage_error("--" + std::string(name) + " " + std::to_string(v) + " is out of range");
    return static_cast<int32_t>(v);
}

bool file_exists(const fs::path& cwd, const std::string& stored) {
    std::error_code ec;
    const fs::path p = fs::path(stored).is_absolute() ? fs::path(stored) : cwd / stored;
    return fs::is_regular_file(p, ec);
}

// ------------------------------------------------------------------ create

std::string choose_action(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("action")) return args.str("action");
    return actions()[static_cast<std::size_t>(
        host.select("Preset action", actions(), action_descriptions(), 0, "--action"))];
}

Compute gpu_compute(const Json& parsed) {
    Compute c;
    c.gpu = parsed.string_or("name");
    c.gpu_count = static_cast<int>(parsed.int_or("count", 1));
    return c;
}

Compute cpu_compute(const Json& parsed) {
    Compute c;
    c.cpu = static_cast<int>(parsed.find("cores")->as_int());
    c.memory_mb = static_cast<int>(parsed.find("memory_mb")->as_int());
    return c;
}

// The launches' menus (GPU, then how many; or a CPU size), stored as preset fields.
Compute menu_compute(const mgpux::Host& host, const mgpux::Catalog& catalog) {
    const int kind =
        host.select("Compute type", {"GPU", "CPU"}, {"GPU acceleration", "CPU-only container"}, 0, "--gpu or --cpu");
    const Json cat = catalog.get();
    if (kind == 0) {
        const mgpux::launch::Compute g = mgpux::launch::ask_gpu(host, catalog, cat, "GPU");
        Compute c;
        c.gpu = g.gpu_name;
        c.gpu_count = g.gpu_count < 1 ? 1 : g.gpu_count;
        return c;
    }
    const mgpux::launch::Compute cpu = mgpux::launch::ask_cpu(host, catalog, cat, "CPU size");
    Compute c;
    c.cpu = cpu.cores;
    c.memory_mb = cpu.memory_mb;
    return c;
}

Compute choose_compute(const mgpux::Host& host, const mgpux::Args& args, const mgpux::Catalog& catalog) {
    if (args.has("memory") && !args.has("cpu"))
        throw mgpux::usage_error("--memory goes with --cpu (a GPU container's memory is not set here)");
    if (args.has("gpu")) return gpu_compute(catalog.parse_gpu(args.str("gpu")));
    if (args.has("cpu"))
        return cpu_compute(
            catalog.parse_cpu(int_option(args, "cpu"), args.has("memory") ? int_option(args, "memory") : 0));
    return menu_compute(host, catalog);
}

void choose_deps(const mgpux::Host& host, const mgpux::Args& args, const fs::path& cwd, Choice& c) {
    if (args.has("requirements")) {
        c.requirements = stored_path(cwd, args.str("requirements"));
        if (!file_exists(cwd, *c.requirements))
            host.warn("note: " + *c.requirements + " does not exist here; it is read when the preset runs\n");
        return;
    }
    if (args.has("pip")) {
        c.packages = args.list("pip");
        return;
    }
    c.packages = split_list(host.ask("Pip packages (comma-separated, blank for none)", "", "--pip or --requirements"));
}

std::vector<std::string> choose_excludes(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("exclude")) {
        // `--exclude ''` alone means no excludes at all.
        std::vector<std::string> patterns;
        for (auto& p : args.list("exclude"))
            if (!p.empty()) patterns.push_back(std::move(p));
        return patterns;
    }
    std::string joined;
    for (const auto& p : default_excludes()) joined += (joined.empty() ? "" : ",") + p;
    return split_list(host.ask("Upload exclude patterns (comma-separated)", joined.c_str(), "--exclude"));
}

std::optional<std::string> choose_script(const mgpux::Host& host, const mgpux::Args& args, const fs::path& cwd,
                                         const std::string& action) {
    if (action != "interactive") {
        if (args.has("script")) throw mgpux::usage_error("--script is only for --action interactive");
        return std::nullopt;
    }
    const std::string given = args.has("script")
                                  ? args.str("script")
                                  : host.ask("Script to run (a path inside this folder)", nullptr, "--script");
    const auto rel = project_path(cwd, given);
    if (!rel)
        throw mgpux::usage_error("the script '" + given + "' is not inside the current folder " + cwd.string() +
                                 "; only this folder is uploaded");
    if (!file_exists(cwd, *rel))
        host.warn("note: " + *rel + " does not exist here; it is looked up when the preset runs\n");
    return rel;
}

std::string choose_name(const mgpux::Host& host, const mgpux::Args& args, const Choice& c) {
    std::string name = args.has("name")
                           ? args.str("name")
                           : host.ask("Preset name", default_name(c.action, c.compute).c_str(), "a NAME argument");
    if (const auto problem = name_problem(name))
        throw mgpux::usage_error("invalid preset name '" + name + "': " + *problem);
    return name;
}

// An existing preset of that name is replaced only when the user says so.
void confirm_replace(const mgpux::Host& host, const mgpux::State& state, const std::string& name) {
    const Json presets = state.preset_list();
    const Json* old = presets.find(name);
    if (!old) return;
    const std::string what = old->string_or("action", "?") + " on " + old->string_or("compute_label", "?");
    if (!host.confirm("Preset '" + name + "' exists (" + what + "). Replace it?", false, "--yes", true))
        throw mgpux::Error(MGPUX_E_CANCELLED, "kept preset '" + name + "'; nothing was saved");
}

std::string compute_text(const Compute& c) {
    if (c.gpu) return c.gpu_count > 1 ? *c.gpu + ":" + std::to_string(c.gpu_count) : *c.gpu;
    return "CPU (" + mgpux::launch::cores_text(c.cpu.value_or(0)) + ", " + std::to_string(c.memory_mb.value_or(0)) +
           " MB)";
}

int create(mgpux::Host& host, const mgpux::Args& args) {
    const mgpux::Catalog catalog(host);
    const mgpux::State state(host);
    const fs::path cwd = fs::current_path();
    Choice c;
    // Checked first, so a bad --profile, name or --python fails before any question.
    mgpux::Profiles(host).resolve();
    if (args.has("name"))
        if (const auto problem = name_problem(args.str("name")))
            throw mgpux::usage_error("invalid preset name '" + args.str("name") + "': " + *problem);
    mgpux::launch::resolve_python(args, catalog);
    const std::string profile = mgpux::launch::choose_profile(host, args);
    if (!profile.empty()) c.profile = profile;
    c.action = choose_action(host, args);
    c.compute = choose_compute(host, args, catalog);
    const auto image = mgpux::images::choose_image(host, args, profile);
    if (image) c.image = image->name;
    // A published image already holds its Python; the menu would only mislead.
    c.python = image && !image->python.empty() ? image->python : mgpux::launch::ask_python(host, args, catalog);
    choose_deps(host, args, cwd, c);
    c.excludes = choose_excludes(host, args);
    c.script = choose_script(host, args, cwd, c.action);
    const std::string name = choose_name(host, args, c);
    confirm_replace(host, state, name);
    const mgpux::PresetFields saved = state.preset_save(name, fields(c));
    if (args.global_flag("json")) {
        host.json(saved.to_json());
        return MGPUX_OK;
    }
    if (args.global_flag("dry_run")) return MGPUX_OK;  // the host said what it did not save
    host.success("Saved preset " + name + ": " + c.action + " on " +
                 saved.compute_label.value_or(compute_text(c.compute)) + ", Python " + c.python +
                 (c.profile ? ", profile " + *c.profile : std::string()) + "\n");
    return MGPUX_OK;
}

// ------------------------------------------------------------------ list, show, delete, run

int list(mgpux::Host& host, const mgpux::Args& args) {
    const Json presets = mgpux::State(host).preset_list();
    if (args.global_flag("json")) {
        host.json(list_document(presets));
        return MGPUX_OK;
    }
    if (!presets.is_object() || presets.as_object().empty()) {
        host.warn("No presets saved yet. Create one with: m-gpux preset create\n");
        return MGPUX_OK;
    }
    host.table(list_columns(), list_rows(presets), "M-GPUX Workload Presets");
    for (const auto& [name, error] : broken_presets(presets))
        host.warn("preset " + name + " cannot be used: " + error + "\n");
    return MGPUX_OK;
}

int show(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    const Json p = mgpux::State(host).preset_get(name);
    if (args.global_flag("json")) {
        host.json(p);
        return MGPUX_OK;
    }
    std::vector<std::vector<Json>> rows;
    for (const auto& [field, value] : show_rows(p)) rows.push_back({Json(field), Json(value)});
    host.table({"Field", "Value"}, rows, "Preset " + name);
    return MGPUX_OK;
}

int remove(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    const mgpux::State state(host);
    const Json presets = state.preset_list();
    const Json* old = presets.find(name);
    if (!old) throw mgpux::usage_error("no preset named '" + name + "' (see `m-gpux preset list`)");
    if (!host.confirm("Delete preset '" + name + "' (" + old->string_or("action", "?") + " on " +
                          old->string_or("compute_label", "?") + ")?",
                      false, "--yes", true))
        throw mgpux::Error(MGPUX_E_CANCELLED, "kept preset '" + name + "'");
    // Another m-gpux may have removed it since the listing.
    if (!state.preset_delete(name)) throw mgpux::usage_error("no preset named '" + name + "'");
    const bool dry = args.global_flag("dry_run");
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("deleted", name);
        doc.set("dry_run", dry);
        host.json(doc);
    } else if (!dry) {
        host.success("Deleted preset " + name + "\n");
    }
    return MGPUX_OK;
}

// The same launch as `hub jupyter|bash|interactive` and `dev` (plugins/common
// workspace_launch), in the current folder, with the preset's settings.
int run_preset(mgpux::Host& host, const mgpux::Args& args) {
    mgpux::launch::require_modal_account(host, args);
    const std::string name = args.str("name");
    const auto p = mgpux::launch::read_preset(host, name);
    mgpux::launch::WorkspaceSpec spec =
        mgpux::launch::workspace_from_preset(host, name, p, std::nullopt, args.global_str("profile"));
    spec.background = args.flag("background");
    return mgpux::launch::launch_workspace(host, spec, args.global_flag("json"));
}

}  // namespace
}  // namespace preset

MGPUX_CPP_PLUGIN_COMMANDS("preset", "0.1.0", "Saved workload presets", "Workspace", preset::kCommands)
