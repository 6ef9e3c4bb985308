// SPDX-License-Identifier: MIT
#include "services/catalog.hpp"

#include "services/service_error.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <functional>

namespace mgpux::services {
namespace {

int usage_error_code(const std::function<void()>& fn, std::string* message = nullptr) {
    try {
        fn();
    } catch (const ServiceError& e) {
        if (message) *message = e.what();
        return e.code;
    }
    return 0;
}

TEST(CatalogTest, FourteenGpusInMenuOrder) {
    const std::vector<std::string> expected = {"T4",        "L4",        "A10",          "L40S", "A100",
                                               "A100-40GB", "A100-80GB", "RTX-PRO-6000", "H100", "H100!",
                                               "H200",      "B200",      "B200+",        "B300"};
    std::vector<std::string> names;
    for (const auto& gpu : gpu_catalog()) names.push_back(gpu.name);
    EXPECT_EQ(names, expected);
    for (const auto& gpu : gpu_catalog()) {
        EXPECT_FALSE(gpu.description.empty()) << gpu.name;
        EXPECT_GT(gpu.vram_gb, 0) << gpu.name;
    }
}

TEST(CatalogTest, VramAndLimitsFollowTheLaterCatalog) {
    EXPECT_EQ(find_gpu("RTX-PRO-6000")->vram_gb, 96);
    EXPECT_EQ(find_gpu("H200")->vram_gb, 141);
    EXPECT_EQ(find_gpu("B300")->vram_gb, 288);
    EXPECT_EQ(find_gpu("A10")->max_count, 4);
    EXPECT_EQ(find_gpu("T4")->max_count, 8);
}

TEST(CatalogTest, DefaultGpuIsL4AtIndexOne) {
    EXPECT_STREQ(kDefaultGpu, "L4");
    EXPECT_EQ(gpu_catalog().at(1).name, kDefaultGpu);
}

TEST(CatalogTest, FindGpuIsCaseInsensitiveAndKnowsA10G) {
    EXPECT_EQ(find_gpu("h100!"), find_gpu("H100!"));
    EXPECT_NE(find_gpu("h100!"), find_gpu("H100"));
    ASSERT_NE(find_gpu("a10g"), nullptr);
    EXPECT_EQ(find_gpu("A10G")->name, "A10");
    EXPECT_EQ(find_gpu("rtx6000"), nullptr);
    EXPECT_EQ(find_gpu(""), nullptr);
}

TEST(CatalogTest, ParseGpuSpec) {
    EXPECT_EQ(parse_gpu_spec("L4").text(), "L4");
    EXPECT_EQ(parse_gpu_spec("h100:4").text(), "H100:4");
    EXPECT_EQ(parse_gpu_spec("A10G").name, "A10");
    EXPECT_EQ(parse_gpu_spec("a10g:2").text(), "A10:2");
    EXPECT_EQ(parse_gpu_spec("H100:1").text(), "H100");
    EXPECT_EQ(parse_gpu_spec("B200+:8").count, 8);
    EXPECT_EQ(parse_gpu_spec(" l40s ").name, "L40S");
}

TEST(CatalogTest, ParseGpuSpecErrors) {
    std::string msg;
    EXPECT_EQ(usage_error_code([] { parse_gpu_spec("V100"); }, &msg), kExitUsage);
    EXPECT_NE(msg.find("'V100'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("T4, L4, A10"), std::string::npos) << msg;
    EXPECT_EQ(usage_error_code([] { parse_gpu_spec("A10:5"); }, &msg), kExitUsage);
    EXPECT_NE(msg.find("1..4"), std::string::npos) << msg;
    EXPECT_EQ(usage_error_code([] { parse_gpu_spec("H100:9"); }, &msg), kExitUsage);
    EXPECT_NE(msg.find("8"), std::string::npos) << msg;
    for (const char* bad : {"H100:0", "H100:", "H100:x", "H100:-1", "H100:+2", "H100:2x", "H100:99999999999", ":2"})
        EXPECT_EQ(usage_error_code([&] { parse_gpu_spec(bad); }), kExitUsage) << bad;
}

TEST(CatalogTest, CpuSpecDefaultsTo512MbPerCore) {
    const auto spec = make_cpu_spec(8, std::nullopt);
    EXPECT_EQ(spec.cores, 8);
    EXPECT_EQ(spec.memory_mb, 4096);
    EXPECT_EQ(make_cpu_spec(2, 3000).memory_mb, 3000);
    EXPECT_EQ(make_cpu_spec(64, std::nullopt).memory_mb, 32768);
    EXPECT_EQ(usage_error_code([] { make_cpu_spec(0, std::nullopt); }), kExitUsage);
    EXPECT_EQ(usage_error_code([] { make_cpu_spec(65, std::nullopt); }), kExitUsage);
    EXPECT_EQ(usage_error_code([] { make_cpu_spec(4, 0); }), kExitUsage);
    EXPECT_EQ(usage_error_code([] { make_cpu_spec(4, -1); }), kExitUsage);
}

TEST(CatalogTest, CpuMenu) {
    EXPECT_EQ(cpu_menu_cores(), (std::vector<int>{1, 2, 4, 8, 16, 32, 64}));
    EXPECT_EQ(kDefaultCpuMenuIndex, 3);
    EXPECT_EQ(cpu_menu_cores().at(kDefaultCpuMenuIndex), 8);
}

TEST(CatalogTest, PythonVersions) {
    EXPECT_EQ(python_versions(), (std::vector<std::string>{"3.10", "3.11", "3.12", "3.13", "3.14"}));
    EXPECT_STREQ(kDefaultPython, "3.12");
    EXPECT_EQ(validate_python_version("3.13"), "3.13");
    std::string msg;
    EXPECT_EQ(usage_error_code([] { validate_python_version("3.9"); }, &msg), kExitUsage);
    EXPECT_NE(msg.find("3.10, 3.11, 3.12, 3.13, 3.14"), std::string::npos) << msg;
    EXPECT_EQ(usage_error_code([] { validate_python_version("3.1"); }), kExitUsage);
}

TEST(CatalogTest, Labels) {
    EXPECT_EQ(gpu_label({"L4", 1}), "L4");
    EXPECT_EQ(gpu_label({"H100", 4}), "H100 x4");
    EXPECT_EQ(cpu_label({8, 4096}), "CPU (8 cores, 4096 MB)");
    EXPECT_EQ(cpu_label({1, 512}), "CPU (1 core, 512 MB)");
}

// Menus show the VRAM beside each GPU from vram_gb: the description must not
// say it again.
TEST(CatalogTest, DescriptionsDoNotRepeatTheVram) {
    for (const auto& gpu : gpu_catalog()) {
        const std::string vram = std::to_string(gpu.vram_gb) + " GB";
        EXPECT_EQ(gpu.description.find(vram), std::string::npos) << gpu.name << ": " << gpu.description;
    }
}

TEST(CatalogTest, Prices) {
    EXPECT_EQ(find_gpu("T4")->price_per_hour, 0.59);
    EXPECT_EQ(find_gpu("A10G")->price_per_hour, 1.10);
    EXPECT_EQ(find_gpu("B300")->price_per_hour, 7.10);
    EXPECT_EQ(find_gpu("A100")->price_per_hour, std::nullopt);
    EXPECT_EQ(find_gpu("H100!")->price_per_hour, std::nullopt);
    EXPECT_EQ(find_gpu("B200+")->price_per_hour, std::nullopt);
    EXPECT_EQ(price_text(0.80), "~$0.80/h");
    EXPECT_EQ(price_text(3.95), "~$3.95/h");
    EXPECT_EQ(price_text(0.0473), "~$0.047/h");
    EXPECT_EQ(price_text(std::nullopt), "");
    EXPECT_EQ(price_text(*gpu_spec_price_per_hour(parse_gpu_spec("H100:4"))), "~$15.80/h");
    EXPECT_EQ(gpu_spec_price_per_hour(parse_gpu_spec("H100!:2")), std::nullopt);
}

TEST(CatalogTest, JsonDescribesEverything) {
    const auto doc = boost::json::parse(catalog_json()).as_object();
    const auto& gpus = doc.at("gpus").as_array();
    ASSERT_EQ(gpus.size(), 14u);
    EXPECT_EQ(gpus[1].at("name").as_string(), "L4");
    EXPECT_EQ(gpus[1].at("vram_gb").as_int64(), 24);
    EXPECT_EQ(gpus[1].at("max_count").as_int64(), 8);
    EXPECT_EQ(gpus[1].at("price_per_hour").as_double(), 0.8);
    EXPECT_TRUE(gpus[4].at("price_per_hour").is_null());
    EXPECT_FALSE(gpus[0].at("description").as_string().empty());
    EXPECT_EQ(doc.at("default_gpu").as_string(), "L4");
    const auto& cpus = doc.at("cpus").as_array();
    ASSERT_EQ(cpus.size(), 7u);
    EXPECT_EQ(cpus[3].at("cores").as_int64(), 8);
    EXPECT_EQ(cpus[3].at("memory_mb").as_int64(), 4096);
    EXPECT_EQ(doc.at("default_cpu_index").as_int64(), 3);
    EXPECT_EQ(doc.at("pythons").as_array().size(), 5u);
    EXPECT_EQ(doc.at("rates").at("cpu_core_hour").as_double(), 0.0473);
    EXPECT_EQ(doc.at("rates").at("sandbox_cpu_core_hour").as_double(), 0.1419);
    EXPECT_EQ(doc.at("cpus").as_array().at(0).at("price_per_hour").as_double(), 0.0473 + 0.5 * 0.008);
    EXPECT_EQ(doc.at("default_python").as_string(), "3.12");
    // Prices read as plain decimals, not Boost's "8E-1".
    EXPECT_NE(catalog_json().find("\"price_per_hour\":0.8,"), std::string::npos);
}

}  // namespace
}  // namespace mgpux::services
