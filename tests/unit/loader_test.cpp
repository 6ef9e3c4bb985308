// SPDX-License-Identifier: MIT
// Loading and version negotiation on the ABI fixture plugins, without the
// rest of the host (the end-to-end side is tests/e2e/test_abi.py).
#include "plugins/registry.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using mgpux::plugins::load_plugin;
using mgpux::plugins::PluginStatus;

namespace {

fs::path fixture(const std::string& dir, const std::string& id) {
    return fs::path(MGPUX_TEST_FIXTURES) / dir / ("mgpux-" + id + ".so");
}

}  // namespace

TEST(Loader, CurrentPluginLoadsWithItsCommandTable) {
    auto p = load_plugin(fixture("good", "abigood"), "test");
    ASSERT_EQ(p.status, PluginStatus::Loaded) << p.reason;
    EXPECT_EQ(p.id, "abigood");
    EXPECT_EQ(p.version, "1.2.3");
    EXPECT_EQ(p.abi_major, 1);
    ASSERT_EQ(p.commands.size(), 1u);
    const auto& cmd = p.commands[0];
    EXPECT_EQ(cmd.path_string(), "abigood greet");
    ASSERT_EQ(cmd.options.size(), 4u);
    EXPECT_EQ(cmd.options[0].short_alias, 'n');
    EXPECT_EQ(cmd.options[0].default_value.value_or(""), "world");
    EXPECT_EQ(cmd.options[1].choices, (std::vector<std::string>{"fast", "slow"}));
    EXPECT_EQ(cmd.options[2].metavar, "COUNT");  // derived when the plugin gives none
    EXPECT_TRUE(cmd.options[3].negatable);
    EXPECT_TRUE(cmd.json);
}

TEST(Loader, WrongMajorIsRefused) {
    auto p = load_plugin(fixture("wrong_major", "abimajor"), "test");
    EXPECT_EQ(p.status, PluginStatus::Skipped);
    EXPECT_NE(p.reason.find("built for plugin ABI 2.0, this host provides 1.1"), std::string::npos) << p.reason;
    EXPECT_TRUE(p.commands.empty());
}

TEST(Loader, NewerMinorIsRefused) {
    auto p = load_plugin(fixture("newer_minor", "abiminor"), "test");
    EXPECT_EQ(p.status, PluginStatus::Skipped);
    EXPECT_NE(p.reason.find("plugin ABI 1.2, this host provides 1.1"), std::string::npos) << p.reason;
}

TEST(Loader, PluginBuiltAgainstSdk10Loads) {
    auto p = load_plugin(fixture("abi_1_0", "abiten"), "test");
    ASSERT_EQ(p.status, PluginStatus::Loaded) << p.reason;
    EXPECT_EQ(p.abi_major, 1);
    EXPECT_EQ(p.abi_minor, 0);
}

TEST(Loader, ShorterOlderDescriptorLoadsWithoutShutdown) {
    auto p = load_plugin(fixture("old_short", "abiold"), "test");
    ASSERT_EQ(p.status, PluginStatus::Loaded) << p.reason;
    EXPECT_LT(p.descriptor_size, 80u);  // today's descriptor is 80 bytes on LP64
    EXPECT_EQ(p.version, "0.9.0");
}

TEST(Loader, MissingEntrySymbolAndUnresolvedSymbol) {
    auto nosym = load_plugin(fixture("no_symbol", "abinosym"), "test");
    EXPECT_EQ(nosym.status, PluginStatus::Skipped);
    EXPECT_NE(nosym.reason.find("not an m-gpux plugin"), std::string::npos);
    auto unres = load_plugin(fixture("unresolved", "abiunres"), "test");
    EXPECT_EQ(unres.status, PluginStatus::Skipped);
    EXPECT_NE(unres.reason.find("mgpux_fixture_symbol_that_does_not_exist"), std::string::npos) << unres.reason;
}

TEST(Loader, GlobalOptionClashAndMisnamedFileAreRefused) {
    auto clash = load_plugin(fixture("global_clash", "abiglobal"), "test");
    EXPECT_EQ(clash.status, PluginStatus::Skipped);
    EXPECT_NE(clash.reason.find("--json"), std::string::npos);
    auto misnamed = load_plugin(fixture("misnamed", "misnamed"), "test");
    EXPECT_EQ(misnamed.status, PluginStatus::Skipped);
    EXPECT_NE(misnamed.reason.find("expected mgpux-abigood.so"), std::string::npos) << misnamed.reason;
}

TEST(Loader, MissingFileIsSkippedNotThrown) {
    auto p = load_plugin("/nonexistent/mgpux-x.so", "test");
    EXPECT_EQ(p.status, PluginStatus::Skipped);
    EXPECT_FALSE(p.reason.empty());
}
