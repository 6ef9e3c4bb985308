// SPDX-License-Identifier: MIT
#include "services/rates.hpp"

#include "host_context.hpp"
#include "services/catalog.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

namespace mgpux::services {

namespace json = boost::json;

namespace {

bool starts_with(const std::string& s, std::string_view p) {
    return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}
bool ends_with(const std::string& s, std::string_view p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// Words around the resource that say nothing about which one it is
// ("gpu_h100_per_hour", "nvidia.h100.rate"). Units other than the hour stay,
// so a per-second rate is not taken for an hourly one.
std::string strip_decorations(std::string key) {
    for (bool again = true; again;) {
        again = false;
        for (std::string_view p : {"modal", "nvidia", "gpu"})
            if (starts_with(key, p) && key.size() > p.size()) {
                key.erase(0, p.size());
                again = true;
            }
        for (std::string_view s : {"perhour", "hourly", "hour", "perhr", "hr", "usd", "rate", "price", "gpu"})
            if (ends_with(key, s) && key.size() > s.size()) {
                key.erase(key.size() - s.size());
                again = true;
            }
    }
    return key;
}

// Normalised GPU names -> catalog names: each catalog name that stands for
// one card (not "H100!" or "B200+"), plus the spellings Modal and habit use.
const std::map<std::string, std::string>& gpu_aliases() {
    static const std::map<std::string, std::string> aliases = [] {
        std::map<std::string, std::string> m;
        for (const auto& g : gpu_catalog())
            if (g.name.find_first_of("!+") == std::string::npos) m[normalise_rate_name(g.name)] = g.name;
        m["a10g"] = "A10";
        m["a10040g"] = m["a10040"] = "A100-40GB";
        m["a10080g"] = m["a10080"] = "A100-80GB";
        m["rtxpro6000blackwell"] = m["rtx6000pro"] = "RTX-PRO-6000";
        return m;
    }();
    return aliases;
}

bool one_of(const std::string& key, std::initializer_list<std::string_view> names) {
    for (auto n : names)
        if (key == n) return true;
    return false;
}

std::optional<RateTarget> recognise_resource(const std::string& key) {
    if (one_of(key, {"cpu", "cpus", "cpucore", "cpucores", "cpupercore", "core", "cores", "physicalcore",
                     "physicalcores", "cpuphysicalcore"}))
        return RateTarget{RateTarget::Cpu, ""};
    if (one_of(key, {"memory", "mem", "ram", "memorygib", "memgib", "memorygb", "memgb", "memorypergib", "mempergib"}))
        return RateTarget{RateTarget::Memory, ""};
    if (one_of(key,
               {"storage", "volume", "volumes", "volumestorage", "storagegib", "storagegibmonth", "storagepergibmonth",
                "volumegibmonth", "volumepergibmonth", "storagemonth", "volumestoragegibmonth", "storagegbmonth"}))
        return RateTarget{RateTarget::Volume, ""};
    if (auto it = gpu_aliases().find(key); it != gpu_aliases().end()) return RateTarget{RateTarget::Gpu, it->second};
    return std::nullopt;
}

// A decimal string ("3.95", "1E-5") that is a non-negative finite number.
std::optional<double> rate_value(const std::string& text) {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(v) || v < 0) return std::nullopt;
    return v;
}

std::string target_label(const RateTarget& t) {
    switch (t.kind) {
        case RateTarget::Gpu: return "GPU " + t.gpu;
        case RateTarget::Cpu: return "CPU";
        case RateTarget::Memory: return "Memory";
        case RateTarget::SandboxCpu: return "Sandbox CPU";
        case RateTarget::SandboxMemory: return "Sandbox memory";
        case RateTarget::Volume: return "Volume storage";
    }
    return "";
}

Rate* slot_of(RateTable& table, const RateTarget& t) {
    switch (t.kind) {
        case RateTarget::Gpu: return &table.gpu[t.gpu];
        case RateTarget::Cpu: return &table.cpu_core_hour;
        case RateTarget::Memory: return &table.memory_gib_hour;
        case RateTarget::SandboxCpu: return &table.sandbox_cpu_core_hour;
        case RateTarget::SandboxMemory: return &table.sandbox_memory_gib_hour;
        case RateTarget::Volume: return &table.volume_gib_month;
    }
    return nullptr;
}

std::optional<std::string> cached_value(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_number()) return json::serialize(v);
    return std::nullopt;
}

std::optional<long long> cached_time(const json::value* v) {
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<long long>(v->get_uint64());
    if (v->is_double() && std::isfinite(v->get_double())) return static_cast<long long>(v->get_double());
    return std::nullopt;
}

}  // namespace

std::string normalise_rate_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
    }
    return out;
}

std::optional<RateTarget> recognise_rate(std::string_view name) {
    std::string key = normalise_rate_name(name);
    const auto sandbox = key.find("sandbox");
    const bool in_sandbox = sandbox != std::string::npos;
    if (in_sandbox) key.erase(sandbox, 7);
    auto target = recognise_resource(strip_decorations(key));
    if (!target || !in_sandbox) return target;
    // Sandboxes have CPU and memory rates of their own; anything else named "sandbox" is not placed.
    if (target->kind == RateTarget::Cpu) return RateTarget{RateTarget::SandboxCpu, ""};
    if (target->kind == RateTarget::Memory) return RateTarget{RateTarget::SandboxMemory, ""};
    return std::nullopt;
}

std::optional<double> RateTable::gpu_price(std::string_view name) const {
    const auto it = gpu.find(std::string(name));
    return it == gpu.end() ? std::nullopt : std::optional<double>(it->second.usd);
}

std::optional<bool> RateTable::gpu_live(std::string_view name) const {
    const auto it = gpu.find(std::string(name));
    return it == gpu.end() ? std::nullopt : std::optional<bool>(it->second.live);
}

std::string RateTable::source() const {
    std::size_t live = 0, fixed = 0;
    const auto count = [&](const Rate& r) { (r.live ? live : fixed) += 1; };
    for (const auto& [name, rate] : gpu) count(rate);
    for (const Rate* r :
         {&cpu_core_hour, &memory_gib_hour, &sandbox_cpu_core_hour, &sandbox_memory_gib_hour, &volume_gib_month})
        count(*r);
    if (live == 0) return "static";
    return fixed == 0 ? "live" : "mixed";
}

const RateTable& static_rates() {
    static const RateTable table = [] {
        RateTable t;
        for (const auto& g : gpu_catalog())
            if (g.price_per_hour) t.gpu[g.name] = {*g.price_per_hour, false};
        t.cpu_core_hour = {kCpuCoreHourUsd, false};
        t.memory_gib_hour = {kMemoryGibHourUsd, false};
        t.sandbox_cpu_core_hour = {kSandboxCpuCoreHourUsd, false};
        t.sandbox_memory_gib_hour = {kSandboxMemoryGibHourUsd, false};
        t.volume_gib_month = {kVolumeGibMonthUsd, false};
        return t;
    }();
    return table;
}

RateTable apply_live_rates(RateTable base, const std::vector<std::pair<std::string, std::string>>& live,
                           long long fetched_at) {
    base.live_fetched_at = fetched_at;
    for (const auto& [name, text] : live) {
        const auto target = recognise_rate(name);
        const auto value = rate_value(text);
        if (!target || !value) {
            base.unrecognised.push_back(name);
            continue;
        }
        *slot_of(base, *target) = {*value, true};
        base.recognised.emplace_back(name, target_label(*target));
    }
    return base;
}

RateTable rates_from_cache(const std::filesystem::path& file, long long now) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return static_rates();
    std::ostringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const json::value doc = json::parse(text.str(), ec);
    if (ec || !doc.is_object()) return static_rates();
    const auto fetched_at = cached_time(doc.get_object().if_contains("fetched_at"));
    const json::value* rates = doc.get_object().if_contains("rates");
    if (!fetched_at || !rates || !rates->is_object()) return static_rates();
    if (now - *fetched_at < 0 || now - *fetched_at > kLiveRatesMaxAgeS) return static_rates();
    std::vector<std::pair<std::string, std::string>> live;
    for (const auto& [name, value] : rates->get_object()) {
        const auto v = cached_value(value);
        live.emplace_back(std::string(name), v.value_or(""));  // an odd value is listed as unrecognised
    }
    return apply_live_rates(static_rates(), live, *fetched_at);
}

RateTable current_rates() {
    return rates_from_cache(state_dir() / "rates.json", static_cast<long long>(std::time(nullptr)));
}

}  // namespace mgpux::services
