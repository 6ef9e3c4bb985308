// SPDX-License-Identifier: MIT
// The compute catalogs (GPUs, CPU sizes, image Python versions) and the
// labels and prices shown for them. This is the only copy: plugins get it
// through the host (`catalog_json`), so the lists cannot drift apart again.
#pragma once

#include "services/rates.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgpux::services {

struct GpuInfo {
    std::string name;  // the Modal `gpu=` type string
    int vram_gb = 0;
    int max_count = 1;                     // most GPUs of this type in one container
    std::optional<double> price_per_hour;  // USD for one GPU; unknown for some types
    std::string description;
};

// In the order of the menus: T4, L4, A10, L40S, A100, A100-40GB, A100-80GB,
// RTX-PRO-6000, H100, H100!, H200, B200, B200+, B300.
const std::vector<GpuInfo>& gpu_catalog();

// Case-insensitive; "A10G" (Modal's old name) finds A10. nullptr when unknown.
const GpuInfo* find_gpu(std::string_view name);

inline constexpr const char* kDefaultGpu = "L4";

struct GpuSpec {
    std::string name;  // canonical catalog name
    int count = 1;
    // The Modal `gpu=` value: "L4" or "H100:4".
    std::string text() const;
};

// Parses "L4", "h100:4", "A10G" (→ A10). Throws ServiceError(kExitUsage) for an
// unknown name (listing the valid ones), a malformed count, or a count outside
// 1..max_count of that GPU.
GpuSpec parse_gpu_spec(std::string_view text);

// USD per hour for the whole spec (price × count) at `rates`; unknown when the type has no price.
std::optional<double> gpu_spec_price_per_hour(const GpuSpec& spec, const RateTable& rates = static_rates());

struct CpuSpec {
    int cores = 0;
    int memory_mb = 0;
};

// cores must be 1..64; memory defaults to 512 MB per core and must be > 0.
// Throws ServiceError(kExitUsage) otherwise.
CpuSpec make_cpu_spec(int cores, std::optional<int> memory_mb);

// The CPU menu: 1, 2, 4, 8, 16, 32, 64 cores (512 MB each).
const std::vector<int>& cpu_menu_cores();
inline constexpr int kDefaultCpuMenuIndex = 3;  // 8 cores

// Python versions offered for container images: "3.10" .. "3.14".
const std::vector<std::string>& python_versions();
inline constexpr const char* kDefaultPython = "3.12";

// Returns `v` when it is one of python_versions(); throws ServiceError(kExitUsage)
// listing the choices otherwise.
std::string validate_python_version(std::string_view v);

std::string gpu_label(const GpuSpec& spec);  // "L4", "H100 x4"
std::string cpu_label(const CpuSpec& spec);  // "CPU (8 cores, 4096 MB)", "CPU (1 core, 512 MB)"

// Modal's CPU and memory rates: USD per physical core-hour and per GiB-hour.
inline constexpr double kCpuCoreHourUsd = 0.0473;
inline constexpr double kMemoryGibHourUsd = 0.008;

// Sandbox containers and volume storage (USD per core-hour, GiB-hour, GiB-month).
inline constexpr double kSandboxCpuCoreHourUsd = 0.1419;
inline constexpr double kSandboxMemoryGibHourUsd = 0.024;
inline constexpr double kVolumeGibMonthUsd = 0.09;

// USD per hour of a CPU container: cores × the core rate + memory (GiB) × the memory rate.
double cpu_price_per_hour(int cores, int memory_mb, const RateTable& rates = static_rates());

// "~$0.80/h"; three decimals under $0.10 ("~$0.047/h"); "" when unknown.
std::string price_text(std::optional<double> per_hour);

// {"gpus":[{"name","vram_gb","max_count","price_per_hour"|null,"description"}],
//  "default_gpu":"L4","cpus":[{"cores","memory_mb","price_per_hour"}],"default_cpu_index":3,
//  "pythons":[...],"default_python":"3.12",
//  "rates":{"cpu_core_hour","memory_gib_hour","sandbox_cpu_core_hour","sandbox_memory_gib_hour",
//           "volume_gib_month","source":"static"|"live"|"mixed","sources":{each rate's key:"live"|"static"},
//           "live_fetched_at","live_age_s" (null without live rates),"recognised":{live name:what it prices},
//           "unrecognised":[live names]}}
// Each GPU also has "price_source": "live", "static" or null (no price). Prices are at `rates`
// (the host passes current_rates(): the live cache where it is fresh).
std::string catalog_json(const RateTable& rates = static_rates());

}  // namespace mgpux::services
