// SPDX-License-Identifier: MIT
#include "launch_args.hpp"

#include <cstdlib>
#include <fstream>
#include <limits>

namespace mgpux::launch {
namespace {

int32_t positive_int(const Args& args, const char* name, long long max) {
    const long long v = args.integer(name);
    if (v < 1 || v > max)
        throw usage_error(std::string("--") + name + " must be between 1 and " + std::to_string(max) + ", not " +
                          std::to_string(v));
    return static_cast<int32_t>(v);
}

}  // namespace

bool asks_questions(const Args& args) {
    return args.global_flag("interactive") && !args.global_flag("yes") && !args.global_flag("no_input");
}

int ask_gpu_count(const Host& host, const Json& cat, const std::string& name) {
    const Json* gpu = catalog_gpu(cat, name);
    if (!gpu || gpu->int_or("max_count", 1) <= 1) return 1;
    const MenuRows rows = gpu_count_rows(*gpu);
    return 1 + host.select("How many " + name + " GPUs", rows.labels, rows.descriptions, rows.default_index,
                           "--gpu NAME:COUNT");
}

Compute ask_gpu(const Host& host, const Catalog& catalog, const Json& cat, const std::string& title) {
    const MenuRows rows = gpu_menu_rows(cat);
    const int pick = host.select(title, rows.labels, rows.descriptions, rows.default_index, "--gpu");
    const std::string name = rows.labels.at(static_cast<std::size_t>(pick));
    const int count = ask_gpu_count(host, cat, name);
    return compute_from_gpu(catalog.parse_gpu(count > 1 ? name + ":" + std::to_string(count) : name));
}

Compute ask_cpu(const Host& host, const Catalog& catalog, const Json& cat, const std::string& title, int default_row) {
    std::vector<std::string> labels, descriptions;
    std::vector<int32_t> cores;
    for (const auto& c : cat.find("cpus")->as_array()) {
        cores.push_back(static_cast<int>(c.int_or("cores")));
        labels.push_back(cores_text(cores.back()));
        const Json* price = c.find("price_per_hour");
        descriptions.push_back(std::to_string(c.int_or("memory_mb")) + " MB memory" +
                               (price && price->is_number() ? ", " + hourly_price_text(price->as_float()) : ""));
    }
    int default_index = default_row >= 0 ? default_row : static_cast<int>(cat.int_or("default_cpu_index"));
    if (default_index >= static_cast<int>(labels.size())) default_index = 0;
    const int pick = host.select(title, labels, descriptions, default_index, "--cpu");
    return compute_from_cpu(catalog.parse_cpu(cores.at(static_cast<std::size_t>(pick))));
}

std::optional<double> sandbox_price(const Host& host, const Compute& c) {
    const Catalog catalog(host);
    std::optional<double> gpu;
    if (c.gpu) {
        const Json parsed = catalog.parse_gpu(*c.gpu);
        if (const Json* p = parsed.find("price_per_hour"); p && p->is_number()) gpu = p->as_float();
    }
    const Json cat = catalog.get();
    const Json* rates = cat.find("rates");
    return sandbox_price_per_hour(c, gpu, rates ? *rates : Json::object());
}

Compute resolve_compute(const Host& host, const Args& args, const Catalog& catalog, const ComputeChoice& choice) {
    if (args.has("memory") && !args.has("cpu")) throw usage_error("--memory goes with --cpu (a GPU size sets its own)");
    if (args.has("gpu") && args.has("cpu")) throw usage_error("--gpu and --cpu cannot be used together");
    if (args.has("gpu")) return compute_from_gpu(catalog.parse_gpu(args.str("gpu")));
    if (args.has("cpu")) {
        const int32_t cores = positive_int(args, "cpu", 64);
        const int32_t memory = args.has("memory") ? positive_int(args, "memory", 1 << 20) : 0;
        return compute_from_cpu(catalog.parse_cpu(cores, memory));
    }
    const Json cat = catalog.get();
    const std::vector<std::string> kinds =
        choice.prefer_cpu ? std::vector<std::string>{"CPU", "GPU"} : std::vector<std::string>{"GPU", "CPU"};
    const std::vector<std::string> notes =
        choice.prefer_cpu ? std::vector<std::string>{"cheaper; enough for most web apps", "GPU acceleration"}
                          : std::vector<std::string>{"GPU acceleration", "CPU only, cheaper"};
    const int kind = host.select(choice.title + ": compute type", kinds, notes, 0, "--gpu or --cpu");
    const bool cpu = kinds.at(static_cast<std::size_t>(kind)) == "CPU";
    return cpu ? ask_cpu(host, catalog, cat, choice.title + ": CPU size", choice.cpu_index)
               : ask_gpu(host, catalog, cat, choice.title + ": GPU");
}

std::string resolve_python(const Args& args, const Catalog& catalog) {
    return catalog.parse_python(args.str("python"));
}

std::string ask_python(const Host& host, const Args& args, const Catalog& catalog) {
    if (args.has("python")) return resolve_python(args, catalog);
    const MenuRows rows = python_rows(catalog.get());
    if (rows.labels.empty()) return resolve_python(args, catalog);
    std::vector<std::string> notes(rows.labels.size());
    notes.at(static_cast<std::size_t>(rows.default_index)) = "the default";
    const int pick = host.select("Python version in the container", rows.labels, notes, rows.default_index, "--python");
    return catalog.parse_python(rows.labels.at(static_cast<std::size_t>(pick)));
}

std::string choose_profile(const Host& host, const Args& args) {
    const Profiles profiles(host);
    const std::string current = profiles.resolve();  // an unknown --profile fails here
    if (!args.global_str("profile").empty()) return current;
    const Json list = profiles.list();
    std::vector<std::string> names, notes;
    int def = 0;
    if (const Json* ps = list.find("profiles"); ps && ps->is_array())
        for (const auto& p : ps->as_array()) {
            if (p.string_or("name") == current) def = static_cast<int>(names.size());
            names.push_back(p.string_or("name"));
            notes.push_back(p.bool_or("active") ? "active" : "");
        }
    if (names.size() <= 1) return current;
    names.push_back("AUTO");
    notes.push_back("the profile with the most money left this month (over-budget ones skipped)");
    const std::string picked =
        names.at(static_cast<std::size_t>(host.select("Modal profile", names, notes, def, "--profile")));
    return picked == "AUTO" ? profiles.resolve("AUTO") : picked;
}

DepsRequest deps_request(const Args& args, bool auto_requirements) {
    DepsRequest r;
    if (args.has("requirements")) r.requirements = args.str("requirements");
    r.pip = args.list("pip");
    r.no_deps = args.flag("no-deps");
    r.auto_requirements = auto_requirements;
    return r;
}

std::vector<std::string> resolve_excludes(const Args& args, ExcludeDefaults defaults) {
    return resolve_excludes(default_excludes(defaults), args.list("exclude"), args.flag("no-default-excludes"));
}

long long resolve_timeout(const Args& args, long long fallback) {
    if (!args.has("timeout")) return fallback;
    return positive_int(args, "timeout", 7LL * 86400);
}

void require_confirmable_launch(const Args& args) {
    if (args.global_flag("dry_run") || args.global_flag("yes") || args.global_flag("interactive")) return;
    const std::string why = args.global_flag("no_input") ? "--no-input" : "stdin is not a terminal";
    throw usage_error("this starts billable Modal resources and cannot be confirmed (" + why +
                      "); pass --yes to launch it, or --dry-run to only show the script");
}

void require_modal_account(const Host& host, const Args& args) {
    // The local backend runs on this machine: no Modal account is needed.
    if (args.global_flag("dry_run") || args.global_str("backend") == "local") return;
    const Profiles profiles(host);
    if (!profiles.resolve().empty()) return;
    // Modal also reads tokens from the environment (what CI uses); the runner accepts them too.
    if (const char* token = std::getenv("MODAL_TOKEN_ID"); token && *token) return;
    const Json listing = profiles.list();
    const Json* names = listing.find("profiles");
    if (names && names->is_array() && !names->as_array().empty()) return;
    throw Error(MGPUX_E_CONFIG, "no Modal account is set up (" + listing.string_or("path") +
                                    " has no profile): run `m-gpux account add` or `modal setup` first");
}

std::optional<std::string> save_preset_name(const Args& args) {
    if (!args.has("save-preset")) return std::nullopt;
    const std::string name = args.str("save-preset");
    validate_preset_name(name);
    return name;
}

void save_preset(const Host& host, const std::string& name, const PresetInput& input) {
    if (!input.deps.requirements_preset.empty() && !input.deps.packages.empty())
        throw usage_error("--save-preset: a preset holds either a requirements file or --pip packages, not both");
    State(host).preset_save(name, preset_fields(input));
    host.info("Saved preset: " + name + "\n");
}

std::string modal_python(const Host& host) {
    const char* chosen = std::getenv("MGPUX_PYTHON");
    if (chosen && *chosen) return "python3";
    std::ifstream in(Process(host).locate("modal"), std::ios::binary);
    std::string first;
    std::getline(in, first);
    const std::string python = interpreter_from_shebang(first);
    return python.empty() ? "python3" : python;
}

}  // namespace mgpux::launch
