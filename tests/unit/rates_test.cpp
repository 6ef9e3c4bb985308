// SPDX-License-Identifier: MIT
#include "services/catalog.hpp"
#include "services/rates.hpp"

#include "temp_dir.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>

namespace mgpux::services {
namespace {

std::optional<RateTarget> gpu(const char* name) { return RateTarget{RateTarget::Gpu, name}; }
std::optional<RateTarget> kind(RateTarget::Kind k) { return RateTarget{k, ""}; }

TEST(RatesTest, NormalisedNamesKeepLettersAndDigitsInLowerCase) {
    EXPECT_EQ(normalise_rate_name("GPU.A100-80GB"), "gpua10080gb");
    EXPECT_EQ(normalise_rate_name("sandbox_cpu"), "sandboxcpu");
    EXPECT_EQ(normalise_rate_name(" Memory (GiB) "), "memorygib");
}

TEST(RatesTest, GpuNamesInSeveralSpellings) {
    for (const char* name :
         {"gpu_h100", "H100", "gpu.h100", "GPU-H100", "nvidia_h100", "gpuH100", "h100_per_hour", "gpu_h100_rate"})
        EXPECT_EQ(recognise_rate(name), gpu("H100")) << name;
    EXPECT_EQ(recognise_rate("gpu_a100"), gpu("A100"));
    EXPECT_EQ(recognise_rate("gpu_a100_40gb"), gpu("A100-40GB"));
    EXPECT_EQ(recognise_rate("A100-40GB"), gpu("A100-40GB"));
    EXPECT_EQ(recognise_rate("gpu_a100_80gb"), gpu("A100-80GB"));
    EXPECT_EQ(recognise_rate("a100.80g"), gpu("A100-80GB"));
    EXPECT_EQ(recognise_rate("gpu_a10g"), gpu("A10"));
    EXPECT_EQ(recognise_rate("gpu_a10"), gpu("A10"));
    EXPECT_EQ(recognise_rate("gpu_l40s"), gpu("L40S"));
    EXPECT_EQ(recognise_rate("gpu_l4"), gpu("L4"));
    EXPECT_EQ(recognise_rate("gpu_t4"), gpu("T4"));
    EXPECT_EQ(recognise_rate("gpu_h200"), gpu("H200"));
    EXPECT_EQ(recognise_rate("gpu_b200"), gpu("B200"));
    EXPECT_EQ(recognise_rate("gpu_b300"), gpu("B300"));
    EXPECT_EQ(recognise_rate("gpu_rtx_pro_6000"), gpu("RTX-PRO-6000"));
    EXPECT_EQ(recognise_rate("RTX-PRO-6000"), gpu("RTX-PRO-6000"));
}

TEST(RatesTest, UnknownGpusAreNotSwallowedByAKnownPrefix) {
    for (const char* name : {"gpu_h100_nvl", "h100nvl", "gpu_a100_sxm", "gpu_l40", "gpu_b200_plus", "gpu", "gpu_mi300x",
                             "gpu_h100_per_second", "sandbox_gpu_h100", ""})
        EXPECT_EQ(recognise_rate(name), std::nullopt) << name;
}

TEST(RatesTest, CpuMemorySandboxAndStorage) {
    for (const char* name : {"cpu", "CPU", "cpu_core", "cpu_per_core_hour", "cpu.cores"})
        EXPECT_EQ(recognise_rate(name), kind(RateTarget::Cpu)) << name;
    for (const char* name : {"memory", "mem", "memory_gib", "Memory (GiB-hour)"})
        EXPECT_EQ(recognise_rate(name), kind(RateTarget::Memory)) << name;
    for (const char* name : {"sandbox_cpu", "sandboxCpu", "cpu_sandbox", "sandbox.cpu.core"})
        EXPECT_EQ(recognise_rate(name), kind(RateTarget::SandboxCpu)) << name;
    for (const char* name : {"sandbox_memory", "sandbox_mem"})
        EXPECT_EQ(recognise_rate(name), kind(RateTarget::SandboxMemory)) << name;
    for (const char* name : {"storage", "volume", "volume_storage", "storage_gib_month"})
        EXPECT_EQ(recognise_rate(name), kind(RateTarget::Volume)) << name;
    EXPECT_EQ(recognise_rate("sandbox_storage"), std::nullopt);
    EXPECT_EQ(recognise_rate("egress_gib"), std::nullopt);
}

TEST(RatesTest, StaticTableIsTheFallback) {
    const RateTable& r = static_rates();
    EXPECT_EQ(r.source(), "static");
    EXPECT_EQ(r.gpu_price("H100"), 3.95);
    EXPECT_EQ(r.gpu_price("A100"), std::nullopt);
    EXPECT_EQ(r.gpu_live("H100"), false);
    EXPECT_EQ(r.cpu_core_hour.usd, kCpuCoreHourUsd);
    EXPECT_FALSE(r.live_fetched_at);
}

TEST(RatesTest, LiveRatesReplaceTheStaticOnesOneByOne) {
    const RateTable r = apply_live_rates(static_rates(),
                                         {{"gpu_h100", "4.20"},
                                          {"gpu_a100", "2.0"},
                                          {"cpu", "0.05"},
                                          {"sandbox_memory", "0.03"},
                                          {"gpu_h100_nvl", "5"},
                                          {"memory", "lots"}},
                                         1000);
    EXPECT_EQ(r.gpu_price("H100"), 4.20);
    EXPECT_EQ(r.gpu_live("H100"), true);
    EXPECT_EQ(r.gpu_price("A100"), 2.0);  // the static table had none
    EXPECT_EQ(r.gpu_price("L4"), 0.80);
    EXPECT_EQ(r.gpu_live("L4"), false);
    EXPECT_EQ(r.gpu_price("H100!"), std::nullopt);
    EXPECT_TRUE(r.cpu_core_hour.live);
    EXPECT_EQ(r.cpu_core_hour.usd, 0.05);
    EXPECT_FALSE(r.memory_gib_hour.live);  // "lots" is not a rate
    EXPECT_EQ(r.memory_gib_hour.usd, kMemoryGibHourUsd);
    EXPECT_EQ(r.sandbox_memory_gib_hour.usd, 0.03);
    EXPECT_EQ(r.unrecognised, (std::vector<std::string>{"gpu_h100_nvl", "memory"}));
    EXPECT_EQ(r.recognised.front(), (std::pair<std::string, std::string>{"gpu_h100", "GPU H100"}));
    EXPECT_EQ(r.source(), "mixed");
    EXPECT_EQ(r.live_fetched_at, 1000);
    EXPECT_DOUBLE_EQ(*gpu_spec_price_per_hour(parse_gpu_spec("H100:2"), r), 8.4);
    EXPECT_DOUBLE_EQ(cpu_price_per_hour(2, 1024, r), 2 * 0.05 + 1 * kMemoryGibHourUsd);
}

TEST(RatesTest, EveryRateLiveIsLive) {
    std::vector<std::pair<std::string, std::string>> all = {
        {"cpu", "0.05"}, {"memory", "0.01"}, {"sandbox_cpu", "0.15"}, {"sandbox_memory", "0.03"}, {"storage", "0.1"}};
    for (const auto& [name, rate] : static_rates().gpu) all.emplace_back("gpu_" + name, "1");
    EXPECT_EQ(apply_live_rates(static_rates(), all, 0).source(), "live");
}

void write(const std::filesystem::path& file, const std::string& text) { std::ofstream(file) << text; }

TEST(RatesTest, CacheOlderThanSevenDaysFallsBackToStatic) {
    mgpux::testing::TempDir dir;
    const auto file = dir.path() / "rates.json";
    const long long now = 1'800'000'000;
    const auto with_age = [&](long long age) {
        write(file, R"({"fetched_at": )" + std::to_string(now - age) + R"(, "rates": {"gpu_h100": "4.2"}})");
        return rates_from_cache(file, now);
    };
    EXPECT_EQ(with_age(3600).gpu_price("H100"), 4.2);
    EXPECT_EQ(with_age(3600).source(), "mixed");
    EXPECT_EQ(with_age(kLiveRatesMaxAgeS).gpu_price("H100"), 4.2);
    EXPECT_EQ(with_age(kLiveRatesMaxAgeS + 1).gpu_price("H100"), 3.95);
    EXPECT_EQ(with_age(kLiveRatesMaxAgeS + 1).source(), "static");
    EXPECT_EQ(with_age(-60).source(), "static");  // from the future: not trusted
    for (const char* bad : {"", "{not json", "[]", R"({"rates": {"gpu_h100": "4.2"}})", R"({"fetched_at": 1})"}) {
        write(file, bad);
        EXPECT_EQ(rates_from_cache(file, now).source(), "static") << bad;
    }
    EXPECT_EQ(rates_from_cache(dir.path() / "missing.json", now).source(), "static");
}

TEST(RatesTest, CatalogJsonMarksEachPriceLiveOrStatic) {
    const RateTable r = apply_live_rates(static_rates(), {{"gpu_h100", "4.2"}, {"mystery", "1"}}, 5);
    const auto doc = boost::json::parse(catalog_json(r));
    for (const auto& g : doc.at("gpus").as_array()) {
        const auto name = std::string(g.at("name").as_string());
        if (name == "H100") {
            EXPECT_EQ(g.at("price_per_hour").as_double(), 4.2);
            EXPECT_EQ(g.at("price_source").as_string(), "live");
        } else if (name == "L4") {
            EXPECT_EQ(g.at("price_source").as_string(), "static");
        } else if (name == "H100!") {
            EXPECT_TRUE(g.at("price_source").is_null());
        }
    }
    const auto& rates = doc.at("rates");
    EXPECT_EQ(rates.at("source").as_string(), "mixed");
    EXPECT_EQ(rates.at("sources").at("cpu_core_hour").as_string(), "static");
    EXPECT_EQ(rates.at("live_fetched_at").as_int64(), 5);
    EXPECT_EQ(rates.at("unrecognised").as_array().at(0).as_string(), "mystery");
    EXPECT_EQ(rates.at("recognised").at("gpu_h100").as_string(), "GPU H100");
    const auto plain = boost::json::parse(catalog_json());
    EXPECT_EQ(plain.at("rates").at("source").as_string(), "static");
    EXPECT_TRUE(plain.at("rates").at("live_age_s").is_null());
}

}  // namespace
}  // namespace mgpux::services
