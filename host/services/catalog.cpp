// SPDX-License-Identifier: MIT
#include "services/catalog.hpp"

#include "services/service_error.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>

namespace mgpux::services {

namespace {

constexpr int kMaxCpuCores = 64;
constexpr int kMemoryMbPerCore = 512;

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

template <typename T, typename Fn>
std::string join(const std::vector<T>& items, Fn text) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += text(item);
    }
    return out;
}

std::string gpu_names() {
    return join(gpu_catalog(), [](const GpuInfo& g) { return g.name; });
}

// A count is plain decimal digits; anything else ("", "+2", "2x") is malformed.
std::optional<int> parse_count(std::string_view s) {
    int value = 0;
    if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc::result_out_of_range) return std::numeric_limits<int>::max();
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
}

std::string json_string(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

// Shortest text that reads back as the same double ("0.8", not Boost's "8E-1").
std::string json_number(double v) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : "null";
}

std::string source_json(bool live) { return live ? "\"live\"" : "\"static\""; }

std::string gpu_json(const GpuInfo& g, const RateTable& rates) {
    const auto price = rates.gpu_price(g.name);
    const auto live = rates.gpu_live(g.name);
    return "{\"name\":" + json_string(g.name) + ",\"vram_gb\":" + std::to_string(g.vram_gb) +
           ",\"max_count\":" + std::to_string(g.max_count) +
           ",\"price_per_hour\":" + (price ? json_number(*price) : "null") +
           ",\"price_source\":" + (live ? source_json(*live) : "null") +
           ",\"description\":" + json_string(g.description) + "}";
}

std::string cpu_json(int cores, const RateTable& rates) {
    const int memory = cores * kMemoryMbPerCore;
    return "{\"cores\":" + std::to_string(cores) + ",\"memory_mb\":" + std::to_string(memory) +
           ",\"price_per_hour\":" + json_number(cpu_price_per_hour(cores, memory, rates)) + "}";
}

std::string rates_json(const RateTable& r) {
    const std::pair<const char*, const Rate*> named[] = {{"cpu_core_hour", &r.cpu_core_hour},
                                                         {"memory_gib_hour", &r.memory_gib_hour},
                                                         {"sandbox_cpu_core_hour", &r.sandbox_cpu_core_hour},
                                                         {"sandbox_memory_gib_hour", &r.sandbox_memory_gib_hour},
                                                         {"volume_gib_month", &r.volume_gib_month}};
    std::string out = "{", sources;
    for (const auto& [key, rate] : named) {
        out += json_string(key) + ":" + json_number(rate->usd) + ",";
        sources += (sources.empty() ? "" : ",") + json_string(key) + ":" + source_json(rate->live);
    }
    out += "\"source\":" + json_string(r.source()) + ",\"sources\":{" + sources + "}";
    const long long now = static_cast<long long>(std::time(nullptr));
    out += ",\"live_fetched_at\":" + (r.live_fetched_at ? std::to_string(*r.live_fetched_at) : "null");
    out += ",\"live_age_s\":" + (r.live_fetched_at ? std::to_string(now - *r.live_fetched_at) : "null");
    out += ",\"recognised\":{" +
           join(r.recognised, [](const auto& p) { return json_string(p.first) + ":" + json_string(p.second); }) + "}";
    out += ",\"unrecognised\":[" + join(r.unrecognised, json_string) + "]}";
    return out;
}

}  // namespace

const std::vector<GpuInfo>& gpu_catalog() {
    // Prices: the original's later static rate table (USD per GPU-hour). A100,
    // H100! and B200+ have no rate of their own there, so none is shown.
    static const std::vector<GpuInfo> catalog = {
        {"T4", 16, 8, 0.59, "Turing: notebooks and light inference"},
        {"L4", 24, 8, 0.80, "Ada Lovelace: best price/performance for inference"},
        {"A10", 24, 4, 1.10, "Ampere: training and inference (formerly A10G)"},
        {"L40S", 48, 8, 1.95, "Ada Lovelace: larger-model inference"},
        {"A100", 40, 8, std::nullopt, "Ampere; Modal may place it on an 80 GB card"},
        {"A100-40GB", 40, 8, 2.10, "Ampere, never moved to an 80 GB card"},
        {"A100-80GB", 80, 8, 2.50, "Ampere: large training runs"},
        {"RTX-PRO-6000", 96, 8, 3.03, "Blackwell workstation card"},
        {"H100", 80, 8, 3.95, "Hopper; Modal may upgrade it to an H200"},
        {"H100!", 80, 8, std::nullopt, "Hopper; always an H100, never upgraded"},
        {"H200", 141, 8, 4.54, "Hopper with HBM3e"},
        {"B200", 180, 8, 6.25, "Blackwell"},
        {"B200+", 180, 8, std::nullopt, "Blackwell or better (may run on a B300)"},
        {"B300", 288, 8, 7.10, "Blackwell Ultra"},
    };
    return catalog;
}

const GpuInfo* find_gpu(std::string_view name) {
    // Modal renamed A10G to A10; presets and habits still say A10G.
    if (iequals(name, "A10G")) name = "A10";
    for (const auto& gpu : gpu_catalog())
        if (iequals(gpu.name, name)) return &gpu;
    return nullptr;
}

std::string GpuSpec::text() const { return count == 1 ? name : name + ":" + std::to_string(count); }

GpuSpec parse_gpu_spec(std::string_view text) {
    text = trim(text);
    const auto colon = text.find(':');
    const std::string_view name = trim(text.substr(0, colon));
    const GpuInfo* gpu = find_gpu(name);
    if (!gpu) throw ServiceError(kExitUsage, "unknown GPU '" + std::string(name) + "'; valid GPUs: " + gpu_names());
    GpuSpec spec{gpu->name, 1};
    if (colon == std::string_view::npos) return spec;
    const std::string_view count_text = trim(text.substr(colon + 1));
    const auto count = parse_count(count_text);
    if (!count)
        throw ServiceError(kExitUsage, "invalid GPU count '" + std::string(count_text) + "' in '" + std::string(text) +
                                           "' (use NAME or NAME:COUNT, e.g. H100:4)");
    if (*count < 1 || *count > gpu->max_count)
        throw ServiceError(kExitUsage, "GPU count for " + gpu->name + " must be 1.." + std::to_string(gpu->max_count) +
                                           " (at most " + std::to_string(gpu->max_count) + " per container)");
    spec.count = *count;
    return spec;
}

std::optional<double> gpu_spec_price_per_hour(const GpuSpec& spec, const RateTable& rates) {
    const GpuInfo* gpu = find_gpu(spec.name);
    const auto price = gpu ? rates.gpu_price(gpu->name) : std::nullopt;
    if (!price) return std::nullopt;
    return *price * spec.count;
}

CpuSpec make_cpu_spec(int cores, std::optional<int> memory_mb) {
    if (cores < 1 || cores > kMaxCpuCores)
        throw ServiceError(kExitUsage,
                           "CPU cores must be 1.." + std::to_string(kMaxCpuCores) + ", not " + std::to_string(cores));
    // Checked before multiplying, so the default cannot overflow.
    const int memory = memory_mb.value_or(cores * kMemoryMbPerCore);
    if (memory <= 0)
        throw ServiceError(kExitUsage, "memory must be a positive number of MB, not " + std::to_string(memory));
    return {cores, memory};
}

const std::vector<int>& cpu_menu_cores() {
    static const std::vector<int> cores = {1, 2, 4, 8, 16, 32, 64};
    return cores;
}

const std::vector<std::string>& python_versions() {
    static const std::vector<std::string> versions = {"3.10", "3.11", "3.12", "3.13", "3.14"};
    return versions;
}

std::string validate_python_version(std::string_view v) {
    for (const auto& known : python_versions())
        if (known == v) return known;
    throw ServiceError(kExitUsage, "unsupported Python version '" + std::string(v) + "'; choose one of " +
                                       join(python_versions(), [](const std::string& s) { return s; }));
}

std::string gpu_label(const GpuSpec& spec) {
    return spec.count == 1 ? spec.name : spec.name + " x" + std::to_string(spec.count);
}

std::string cpu_label(const CpuSpec& spec) {
    const char* cores = spec.cores == 1 ? " core, " : " cores, ";
    return "CPU (" + std::to_string(spec.cores) + cores + std::to_string(spec.memory_mb) + " MB)";
}

double cpu_price_per_hour(int cores, int memory_mb, const RateTable& rates) {
    return cores * rates.cpu_core_hour.usd + (memory_mb / 1024.0) * rates.memory_gib_hour.usd;
}

std::string price_text(std::optional<double> per_hour) {
    if (!per_hour) return "";
    // Cheap rates (CPU-only sizes) would all round to $0.0x with two decimals.
    const char* format = *per_hour < 0.10 ? "~$%.3f/h" : "~$%.2f/h";
    char buf[64];
    std::snprintf(buf, sizeof buf, format, *per_hour);
    return buf;
}

std::string catalog_json(const RateTable& rates) {
    std::string out = "{\"gpus\":[" + join(gpu_catalog(), [&](const GpuInfo& g) { return gpu_json(g, rates); }) + "]";
    out += ",\"default_gpu\":" + json_string(kDefaultGpu);
    out += ",\"cpus\":[" + join(cpu_menu_cores(), [&](int cores) { return cpu_json(cores, rates); }) + "]";
    out += ",\"default_cpu_index\":" + std::to_string(kDefaultCpuMenuIndex);
    out += ",\"pythons\":[" + join(python_versions(), json_string) + "]";
    out += ",\"default_python\":" + json_string(kDefaultPython);
    out += ",\"rates\":" + rates_json(rates) + "}";
    return out;
}

}  // namespace mgpux::services
