// SPDX-License-Identifier: MIT
#include "load_logic.hpp"

#include "launch_logic.hpp"

#include <cstdio>

namespace load {

using mgpux::Json;

namespace {

const Json* member(const Json* o, const char* key) { return o ? o->find(key) : nullptr; }

bool has_number(const Json* v) { return v && v->is_number(); }

// A number with at most `decimals` places and no trailing zeros ("12", "3.5").
std::string num(const Json* v, int decimals = 1) {
    if (!has_number(v)) return "n/a";
    if (v->kind() == Json::Kind::Int) return std::to_string(v->as_int());
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v->as_float());
    std::string s = buf;
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0') s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    return s;
}

std::string text(const Json* v, const std::string& fallback = "n/a") {
    return v && v->is_string() && !v->as_string().empty() ? v->as_string() : fallback;
}

// "used / total UNIT" with an optional tail; "n/a" when both are unknown.
std::string used_of(const Json* used, const Json* total, const std::string& unit) {
    if (!has_number(used) && !has_number(total)) return "n/a";
    return num(used) + " / " + num(total) + " " + unit;
}

void gpu_rows(const Json& gpu, std::vector<std::pair<std::string, std::string>>& rows) {
    const std::string head = "GPU " + num(member(&gpu, "index"), 0);
    std::string name = text(member(&gpu, "name"), "unknown GPU");
    if (const Json* d = member(&gpu, "driver"); d && d->is_string() && !d->as_string().empty())
        name += " (driver " + d->as_string() + ")";
    rows.emplace_back(head, name);
    std::string vram = used_of(member(&gpu, "memory_used_mib"), member(&gpu, "memory_total_mib"), "MiB");
    if (has_number(member(&gpu, "memory_free_mib"))) vram += ", " + num(member(&gpu, "memory_free_mib")) + " MiB free";
    rows.emplace_back(head + " VRAM", vram);
    rows.emplace_back(head + " utilisation", num(member(&gpu, "utilization_gpu_pct")) + " % GPU, " +
                                                 num(member(&gpu, "utilization_memory_pct")) + " % memory");
    rows.emplace_back(head + " temperature",
                      has_number(member(&gpu, "temperature_c")) ? num(member(&gpu, "temperature_c")) + " °C" : "n/a");
    rows.emplace_back(head + " power", used_of(member(&gpu, "power_draw_w"), member(&gpu, "power_limit_w"), "W"));
}

void cpu_rows(const Json* cpu, std::vector<std::pair<std::string, std::string>>& rows) {
    std::string line = text(member(cpu, "model"), "unknown CPU");
    if (has_number(member(cpu, "cores"))) line += " (" + num(member(cpu, "cores"), 0) + " cores visible)";
    rows.emplace_back("CPU", line);
    if (has_number(member(cpu, "quota_cores")))
        rows.emplace_back("CPU quota", num(member(cpu, "quota_cores"), 2) + " cores");
    if (const Json* load = member(cpu, "load_avg"); load && load->is_array()) {
        std::string avg;
        for (const auto& v : load->as_array()) avg += (avg.empty() ? "" : " ") + num(&v, 2);
        rows.emplace_back("Load average", avg + " (1, 5, 15 min)");
    }
}

void memory_rows(const Json* mem, const Json* disk, std::vector<std::pair<std::string, std::string>>& rows) {
    std::string m = used_of(member(mem, "used_gb"), member(mem, "total_gb"), "GB");
    if (has_number(member(mem, "used_pct"))) m += " (" + num(member(mem, "used_pct"), 0) + " %)";
    rows.emplace_back("Memory", m);
    if (has_number(member(mem, "limit_gb"))) rows.emplace_back("Memory limit", num(member(mem, "limit_gb")) + " GB");
    std::string d = used_of(member(disk, "used_gib"), member(disk, "total_gib"), "GiB");
    if (has_number(member(disk, "free_gib"))) d += ", " + num(member(disk, "free_gib")) + " GiB free";
    rows.emplace_back("Disk /", d);
}

}  // namespace

std::string compute_text(const Compute& c) {
    if (c.gpu) return *c.gpu;
    return c.label;
}

Json render_context(const Compute& c, const std::string& python, const std::string& mgpux_version,
                    const Json& base_image) {
    Json ctx = Json::object();
    ctx.set("mgpux_version", mgpux_version);
    ctx.set("template", kTemplate);
    ctx.set("app_name", kAppName);
    ctx.set("python_version", python);
    // The compute members every template shares ({gpu} or {cpu: {cores, memory_mb}}).
    const Json compute = mgpux::launch::compute_context(c);
    ctx.set("gpu", *compute.find("gpu"));
    ctx.set("cpu", *compute.find("cpu"));
    ctx.set("timeout_s", kTimeoutS);
    ctx.set("base_image", base_image);
    return ctx;
}

mgpux::RunRequest run_request(const Compute& c, const std::string& script) {
    mgpux::RunRequest req;
    req.script = script;
    req.app_name = kAppName;
    req.mode = "run";
    req.description = "load probe on " + compute_text(c);
    req.compute = c.label;
    req.timeout_s = kTimeoutS;
    // The original gave up after 300 s: a probe waiting that long for
    // capacity is better reported than waited on.
    req.wait_timeout_s = 300;
    return req;
}

const Json* find_metrics(const mgpux::RunResult& run_result) {
    for (const auto& r : run_result.results)
        if (r.is_object()) return &r;
    return nullptr;
}

std::vector<std::pair<std::string, std::string>> metric_rows(const Json& metrics) {
    std::vector<std::pair<std::string, std::string>> rows;
    const Json* gpus = metrics.find("gpus");
    if (gpus && gpus->is_array() && !gpus->as_array().empty()) {
        for (const auto& g : gpus->as_array()) gpu_rows(g, rows);
    } else {
        rows.emplace_back("GPU", "none (" + text(metrics.find("gpu_error"), "not reported") + ")");
    }
    cpu_rows(metrics.find("cpu"), rows);
    memory_rows(metrics.find("memory"), metrics.find("disk"), rows);
    const Json* sys = metrics.find("system");
    rows.emplace_back("Python", text(member(sys, "python")));
    rows.emplace_back("Platform", text(member(sys, "platform")));
    if (has_number(member(sys, "uptime_s"))) rows.emplace_back("Container uptime", num(member(sys, "uptime_s")) + " s");
    return rows;
}

Json json_document(const Compute& c, const mgpux::RunResult& run_result, const Json* metrics) {
    Json doc = Json::object();
    doc.set("compute", c.label);
    doc.set("gpu", c.gpu ? Json(*c.gpu) : Json());
    if (c.gpu) {
        doc.set("cpu", Json());
    } else {
        Json cpu = Json::object();
        cpu.set("cores", c.cores.value_or(0));
        cpu.set("memory_mb", c.memory_mb.value_or(0));
        doc.set("cpu", cpu);
    }
    doc.set("app_id", run_result.app_id ? Json(*run_result.app_id) : Json());
    doc.set("status", run_result.status);
    doc.set("metrics", metrics ? *metrics : Json());
    return doc;
}

}  // namespace load
