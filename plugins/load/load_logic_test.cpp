// SPDX-License-Identifier: MIT
#include "load_logic.hpp"

#include <gtest/gtest.h>

#include <map>

namespace load {
namespace {

using mgpux::Json;

Compute gpu(const std::string& spec, const std::string& label) {
    Compute c;
    c.gpu = spec;
    c.label = label;
    return c;
}

Compute cpu(int cores, int memory) {
    Compute c;
    c.cores = cores;
    c.memory_mb = memory;
    c.label = "CPU (" + std::to_string(cores) + " cores, " + std::to_string(memory) + " MB)";
    return c;
}

// A run result as the runner answers it.
mgpux::RunResult run_result(const char* text) { return mgpux::RunResult::from_json(Json::parse(text)); }

std::map<std::string, std::string> as_map(const std::vector<std::pair<std::string, std::string>>& rows) {
    return {rows.begin(), rows.end()};
}

TEST(LoadContext, GpuProbeNamesOnlyTheGpu) {
    const Json ctx = render_context(gpu("H100:2", "H100 x2"), "3.12", "0.1.0");
    EXPECT_EQ(ctx.dump(), R"j({"mgpux_version":"0.1.0","template":"load/probe.py","app_name":"m-gpux-load-monitor",)j"
                          R"j("python_version":"3.12","gpu":"H100:2","cpu":null,"timeout_s":120,"base_image":null})j");
}

TEST(LoadContext, CpuProbeNamesCoresAndMemory) {
    const Json ctx = render_context(cpu(8, 4096), "3.12", "0.1.0");
    EXPECT_TRUE(ctx.find("gpu")->is_null());
    EXPECT_EQ(ctx.find("cpu")->dump(), R"j({"cores":8,"memory_mb":4096})j");
}

TEST(LoadRequest, AttachedRunWithDescriptionAndTimeout) {
    // An attached run now says so by leaving "detach" out (the runner's default) rather than false.
    const mgpux::RunRequest req = run_request(gpu("H100:2", "H100 x2"), "print(1)\n");
    EXPECT_EQ(req.app_name, "m-gpux-load-monitor");
    EXPECT_EQ(req.mode, "run");
    EXPECT_FALSE(req.detach);
    EXPECT_EQ(req.description, "load probe on H100:2");
    EXPECT_EQ(req.compute, "H100 x2");
    EXPECT_EQ(req.timeout_s, 120);
    EXPECT_EQ(req.wait_timeout_s, 300);
    EXPECT_EQ(req.script, "print(1)\n");
    EXPECT_EQ(req.to_json().find("timeout_s")->dump(), "120");  // still a whole number on the wire
    EXPECT_EQ(run_request(cpu(4, 2048), "x").description, "load probe on CPU (4 cores, 2048 MB)");
}

TEST(LoadResult, FirstObjectResultIsTheMetrics) {
    EXPECT_EQ(find_metrics(run_result(R"j({"status":"completed","results":[]})j")), nullptr);
    EXPECT_EQ(find_metrics(run_result(R"j({"status":"completed"})j")), nullptr);
    const mgpux::RunResult r = run_result(R"j({"status":"completed","results":[3,"x",{"gpus":[]},{"other":1}]})j");
    ASSERT_NE(find_metrics(r), nullptr);
    EXPECT_EQ(find_metrics(r)->dump(), R"j({"gpus":[]})j");
}

const char* kGpuMetrics = R"j({
  "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "driver": "550.54.15",
            "memory_total_mib": 81559, "memory_used_mib": 1, "memory_free_mib": 81558,
            "utilization_gpu_pct": 0, "utilization_memory_pct": 0, "temperature_c": 31,
            "power_draw_w": 70.26, "power_limit_w": 700}],
  "gpu_error": null,
  "cpu": {"model": "AMD EPYC 9454", "cores": 96, "available": 96, "quota_cores": 2.5, "load_avg": [0.5, 0.25, 0.1]},
  "memory": {"total_gb": 7.8, "used_gb": 1.2, "used_pct": 15, "limit_gb": null},
  "disk": {"total_gib": 512.0, "used_gib": 12.3, "free_gib": 499.7},
  "system": {"python": "3.12.4", "platform": "Linux-4.4.0-x86_64", "uptime_s": 3.5}
})j";

TEST(LoadRows, GpuMetricsAreShownPerGpu) {
    const auto rows = as_map(metric_rows(Json::parse(kGpuMetrics)));
    EXPECT_EQ(rows.at("GPU 0"), "NVIDIA H100 80GB HBM3 (driver 550.54.15)");
    EXPECT_EQ(rows.at("GPU 0 VRAM"), "1 / 81559 MiB, 81558 MiB free");
    EXPECT_EQ(rows.at("GPU 0 utilisation"), "0 % GPU, 0 % memory");
    EXPECT_EQ(rows.at("GPU 0 temperature"), "31 °C");
    EXPECT_EQ(rows.at("GPU 0 power"), "70.3 / 700 W");
    EXPECT_EQ(rows.at("CPU"), "AMD EPYC 9454 (96 cores visible)");
    EXPECT_EQ(rows.at("CPU quota"), "2.5 cores");
    EXPECT_EQ(rows.at("Load average"), "0.5 0.25 0.1 (1, 5, 15 min)");
    EXPECT_EQ(rows.at("Memory"), "1.2 / 7.8 GB (15 %)");
    EXPECT_EQ(rows.count("Memory limit"), 0u);
    EXPECT_EQ(rows.at("Disk /"), "12.3 / 512 GiB, 499.7 GiB free");
    EXPECT_EQ(rows.at("Python"), "3.12.4");
    EXPECT_EQ(rows.at("Container uptime"), "3.5 s");
}

TEST(LoadRows, NoGpuShowsTheReason) {
    const Json m = Json::parse(R"j({"gpus": [], "gpu_error": "nvidia-smi not found (no GPU in this container)",
                                  "cpu": {"model": null, "cores": 8}, "memory": {}, "disk": {}, "system": {}})j");
    const auto rows = metric_rows(m);
    EXPECT_EQ(rows.front(),
              (std::pair<std::string, std::string>{"GPU", "none (nvidia-smi not found (no GPU in this container))"}));
    const auto map = as_map(rows);
    EXPECT_EQ(map.at("CPU"), "unknown CPU (8 cores visible)");
    EXPECT_EQ(map.at("Memory"), "n/a");
    EXPECT_EQ(map.at("Disk /"), "n/a");
    EXPECT_EQ(map.at("Python"), "n/a");
}

TEST(LoadRows, MissingReadingsAreNotApplicable) {
    const Json m = Json::parse(R"j({"gpus": [{"index": 1, "name": "T4", "power_draw_w": null, "power_limit_w": null,
                                             "temperature_c": null, "memory_used_mib": 5}]})j");
    const auto map = as_map(metric_rows(m));
    EXPECT_EQ(map.at("GPU 1"), "T4");
    EXPECT_EQ(map.at("GPU 1 power"), "n/a");
    EXPECT_EQ(map.at("GPU 1 temperature"), "n/a");
    EXPECT_EQ(map.at("GPU 1 VRAM"), "5 / n/a MiB");
    EXPECT_EQ(map.at("CPU"), "unknown CPU");
}

TEST(LoadDocument, CarriesComputeAppIdAndMetrics) {
    const mgpux::RunResult result = run_result(R"j({"status":"completed","app_id":"ap-123","results":[{"gpus":[]}]})j");
    const Json doc = json_document(cpu(8, 4096), result, find_metrics(result));
    EXPECT_EQ(doc.dump(), R"j({"compute":"CPU (8 cores, 4096 MB)","gpu":null,"cpu":{"cores":8,"memory_mb":4096},)j"
                          R"j("app_id":"ap-123","status":"completed","metrics":{"gpus":[]}})j");
    const Json dry = json_document(gpu("L4", "L4"), run_result(R"j({"status":"dry_run","app_id":null})j"), nullptr);
    EXPECT_EQ(dry.dump(),
              R"j({"compute":"L4","gpu":"L4","cpu":null,"app_id":null,"status":"dry_run","metrics":null})j");
}

}  // namespace
}  // namespace load
