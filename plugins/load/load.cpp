// SPDX-License-Identifier: MIT
// `m-gpux load probe`: starts one short container on a GPU or CPU size,
// measures it (GPU, CPU, memory, disk) and shows what it found.
#include "image_store.hpp"
#include "launch_args.hpp"
#include "load_logic.hpp"

#include <mgpux/plugin.hpp>

#include <limits>
#include <string>
#include <vector>

namespace load {
namespace {

using mgpux::Json;

const std::vector<mgpux_option> kProbeOptions =
    mgpux::launch::with_shared({mgpux::option("gpu").alias('g').metavar("GPU").exclusive_group("compute").help(
                                    "GPU type to probe, optionally with a count: L4, A100-80GB, H100:2"),
                                mgpux::option("cpu")
                                    .alias('c')
                                    .kind(MGPUX_OPT_INT)
                                    .metavar("CORES")
                                    .exclusive_group("compute")
                                    .help("probe a CPU-only container with this many cores (512 MB each)")},
                               mgpux::launch::kImage);

int probe(mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("load", "Measure a fresh container's GPU, CPU, memory and disk",
                   "Starts a short-lived container on Modal and reports what it sees.\n\n"
                   "Example:\n  m-gpux load probe --gpu H100:2"),
    mgpux::command("load probe", "Start a container and report its hardware and load", kProbeOptions, probe)
        .help("Runs `modal run` on a small generated script (app m-gpux-load-monitor, 120 s\n"
              "limit) on the GPU or CPU size asked for, and shows per GPU the utilisation,\n"
              "VRAM, temperature and power (from nvidia-smi), then the CPU model, cores and\n"
              "load average, memory, disk, Python and platform. Without --gpu or --cpu it\n"
              "asks; under --yes or --no-input it probes an L4. --image NAME starts from a\n"
              "published image (it must have Python) instead of debian_slim. --json prints\n"
              "{\"compute\", \"gpu\", \"cpu\", \"app_id\", \"status\", \"metrics\"}.\n\n"
              "Example:\n"
              "  m-gpux load probe --gpu A100-80GB\n"
              "  m-gpux --profile work --yes --json load probe --cpu 8")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE),
};

// --gpu or --cpu (the host refuses both), else the menus; the catalog
// validates every answer (an unknown GPU is exit 2).
Compute choose_compute(const mgpux::Host& host, const mgpux::Args& args, const mgpux::Catalog& catalog) {
    if (args.has("gpu")) return mgpux::launch::compute_from_gpu(catalog.parse_gpu(args.str("gpu")));
    if (args.has("cpu")) {
        const long long cores = args.integer("cpu");
        if (cores < 1 || cores > std::numeric_limits<int32_t>::max())
            throw mgpux::usage_error("--cpu must be a positive number of cores, not " + std::to_string(cores));
        return mgpux::launch::compute_from_cpu(catalog.parse_cpu(static_cast<int32_t>(cores)));
    }
    const Json cat = catalog.get();
    const int kind = host.select("Compute type to probe", {"GPU", "CPU"},
                                 {"Probe a GPU container", "Probe a CPU-only container"}, 0, "--gpu or --cpu");
    return kind == 0 ? mgpux::launch::ask_gpu(host, catalog, cat, "Select GPU to probe")
                     : mgpux::launch::ask_cpu(host, catalog, cat, "Select CPU size to probe");
}

void show(const mgpux::Host& host, const Compute& c, const mgpux::RunResult& result, const Json& metrics) {
    std::vector<std::vector<Json>> rows;
    for (const auto& [name, value] : metric_rows(metrics)) rows.push_back({Json(name), Json(value)});
    host.table({"Metric", "Value"}, rows, "m-gpux load — " + c.label);
    if (result.app_id) host.info("app " + *result.app_id + "\n");
}

int probe(mgpux::Host& host, const mgpux::Args& args) {
    const std::string profile = mgpux::Profiles(host).resolve();  // an unknown --profile fails before any question
    mgpux::launch::require_modal_account(host, args);
    const mgpux::Catalog catalog(host);
    const Compute c = choose_compute(host, args, catalog);
    const auto image = mgpux::images::choose_image(host, args, profile);
    const std::string python = catalog.parse_python();
    const std::string script = host.render(
        kTemplate, render_context(c, python, host.raw()->host_version, mgpux::images::base_image_context(image)));
    host.info("Probing " + c.label + ": starting a container...\n");
    const mgpux::RunResult result = mgpux::Runner(host).run(run_request(c, script));
    const bool json = args.global_flag("json");
    if (result.status == "dry_run") {
        if (json) host.json(json_document(c, result, nullptr));
        return MGPUX_OK;
    }
    const Json* metrics = find_metrics(result);
    if (!metrics)
        throw mgpux::Error(MGPUX_E_FAILED,
                           "the probe container printed no `[m-gpux] RESULT` line, so there is nothing "
                           "to show (its output is above)");
    if (json) host.json(json_document(c, result, metrics));
    else show(host, c, result, *metrics);
    return MGPUX_OK;
}

}  // namespace
}  // namespace load

MGPUX_CPP_PLUGIN_COMMANDS("load", "0.1.0", "Probe a container's GPU, CPU, memory and disk", "Compute Engine",
                          load::kCommands)
