#include "launch_args.hpp"

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

Compute ask_gpu(const Host& host, const Catalog& catalog, const Json& cat, const std::string& title) {
    std::vector<std::string> labels, descriptions;
    int default_index = 0;
    for (const auto& g : cat.find("gpus")->as_array()) {
        if (g.string_or("name") == cat.string_or("default_gpu")) default_index = static_cast<int>(labels.size());
        labels.push_back(g.string_or("name"));
        descriptions.push_back(std::to_string(g.int_or("vram_gb")) + " GB - " + g.string_or("description"));
    }
    const int pick = host.select(title, labels, descriptions, default_index, "--gpu");
    return compute_from_gpu(catalog.parse_gpu(labels.at(static_cast<std::size_t>(pick))));
}

Compute ask_cpu(const Host& host, const Catalog& catalog, const Json& cat, const std::string& title, int default_row) {
    std::vector<std::string> labels, descriptions;
    std::vector<int32_t> cores;
    for (const auto& c : cat.find("cpus")->as_array()) {
        cores.push_back(static_cast<int>(c.int_or("cores")));
        labels.push_back(cores_text(cores.back()));
        descriptions.push_back(std::to_string(c.int_or("memory_mb")) + " MB memory");
    }
    int default_index = default_row >= 0 ? default_row : static_cast<int>(cat.int_or("default_cpu_index"));
    if (default_index >= static_cast<int>(labels.size())) default_index = 0;
    const int pick = host.select(title, labels, descriptions, default_index, "--cpu");
    return compute_from_cpu(catalog.parse_cpu(cores.at(static_cast<std::size_t>(pick))));
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
    const std::vector<std::string> kinds = choice.prefer_cpu ? std::vector<std::string>{"CPU", "GPU"}
                                                             : std::vector<std::string>{"GPU", "CPU"};
    const std::vector<std::string> notes = choice.prefer_cpu
                                               ? std::vector<std::string>{"cheaper; enough for most web apps", "GPU acceleration"}
                                               : std::vector<std::string>{"GPU acceleration", "CPU only, cheaper"};
    const int kind = host.select(choice.title + ": compute type", kinds, notes, 0, "--gpu or --cpu");
    const bool cpu = kinds.at(static_cast<std::size_t>(kind)) == "CPU";
    return cpu ? ask_cpu(host, catalog, cat, choice.title + ": CPU size", choice.cpu_index)
               : ask_gpu(host, catalog, cat, choice.title + ": GPU");
}

std::string resolve_python(const Args& args, const Catalog& catalog) {
    return catalog.parse_python(args.str("python"));
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

}  // namespace mgpux::launch
