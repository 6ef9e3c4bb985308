// SPDX-License-Identifier: MIT
// The rates behind every price m-gpux shows: the static table built into the
// catalog, with the workspace's own rates (`modal billing rates --json`, kept
// in ~/.m-gpux/rates.json by `m-gpux pricing`) in place of the static ones
// they name while that cache is at most 7 days old. Modal does not document
// its rate names, so they are recognised tolerantly and the ones that are
// not are listed, never guessed.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mgpux::services {

inline constexpr long long kLiveRatesMaxAgeS = 7LL * 86400;

// What a live rate prices. Compute rates are USD per unit-hour, storage per GiB-month.
struct RateTarget {
    enum Kind { Gpu, Cpu, Memory, SandboxCpu, SandboxMemory, Volume } kind = Gpu;
    std::string gpu;  // the catalog name, for kind Gpu
    bool operator==(const RateTarget&) const = default;
};

// Lower case with everything but letters and digits dropped: "GPU.A100-80GB" -> "gpua10080gb".
std::string normalise_rate_name(std::string_view name);

// "gpu_h100", "H100", "gpu.a100_80gb", "cpu", "memory", "sandbox_cpu",
// "storage"...; nullopt for a name it cannot place (a GPU it does not know,
// "h100_nvl", a per-second rate, a sandbox GPU).
std::optional<RateTarget> recognise_rate(std::string_view name);

struct Rate {
    double usd = 0;
    bool live = false;
};

struct RateTable {
    std::map<std::string, Rate> gpu;  // catalog name -> USD per GPU-hour (GPUs without a rate are absent)
    Rate cpu_core_hour, memory_gib_hour, sandbox_cpu_core_hour, sandbox_memory_gib_hour, volume_gib_month;
    std::optional<long long> live_fetched_at;                     // epoch seconds of the cache in use
    std::vector<std::pair<std::string, std::string>> recognised;  // live name -> what it prices ("GPU H100")
    std::vector<std::string> unrecognised;                        // live names left out

    std::optional<double> gpu_price(std::string_view catalog_name) const;
    std::optional<bool> gpu_live(std::string_view catalog_name) const;  // nullopt: no rate at all
    // "static" (no live rate in use), "live" (every rate live) or "mixed".
    std::string source() const;
};

// The catalog's static rates.
const RateTable& static_rates();

// `base` with each recognised live rate (a decimal string) in place of its
// static one; names it cannot place, and values that are not non-negative
// numbers, go to `unrecognised`.
RateTable apply_live_rates(RateTable base, const std::vector<std::pair<std::string, std::string>>& live,
                           long long fetched_at);

// The cache file's rates when it is readable, well formed and fetched at
// most 7 days before `now`; the static table otherwise.
RateTable rates_from_cache(const std::filesystem::path& file, long long now);

// rates_from_cache of ~/.m-gpux/rates.json now.
RateTable current_rates();

}  // namespace mgpux::services
