// SPDX-License-Identifier: MIT
// Tests for plugin discovery without real plugins:
// search order, which files count as plugins, the permission check, and
// what discover() records for files that cannot be loaded.
#include "plugins/load_check.hpp"
#include "plugins/registry.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using mgpux::plugins::DiscoveryEnv;
using mgpux::plugins::PluginDir;
using mgpux::plugins::PluginRegistry;
using mgpux::plugins::PluginStatus;

// Each test's own directory.
struct TempDir : mgpux::testing::TempDir {
    TempDir() : mgpux::testing::TempDir("mgpux-discovery-test-") {}
};

DiscoveryEnv base_env() {
    DiscoveryEnv env;
    env.user_dir = "/home/u/.local/share/m-gpux/plugins";
    env.system_dir = "/opt/m-gpux/lib/m-gpux/plugins";
    return env;
}

std::vector<std::string> dir_strings(const std::vector<PluginDir>& dirs) {
    std::vector<std::string> out;
    for (const auto& d : dirs) out.push_back(d.dir.string() + " (" + d.origin + ")");
    return out;
}

std::vector<std::string> names(const std::vector<fs::path>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(f.filename().string());
    return out;
}

// ------------------------------------------------------------- search_dirs

TEST(SearchDirs, UserThenSystemByDefault) {
    EXPECT_EQ(dir_strings(mgpux::plugins::search_dirs(base_env())),
              (std::vector<std::string>{"/home/u/.local/share/m-gpux/plugins (user)",
                                        "/opt/m-gpux/lib/m-gpux/plugins (system)"}));
}

TEST(SearchDirs, PluginPathReplacesAllOthers) {
    DiscoveryEnv env = base_env();
    env.plugin_path = "/a:/b";
    env.add_plugin_path = "/added";
    EXPECT_EQ(dir_strings(mgpux::plugins::search_dirs(env)),
              (std::vector<std::string>{"/a (MGPUX_PLUGIN_PATH)", "/b (MGPUX_PLUGIN_PATH)"}));
}

TEST(SearchDirs, AddPluginPathComesFirst) {
    DiscoveryEnv env = base_env();
    env.add_plugin_path = "/x:/y";
    EXPECT_EQ(dir_strings(mgpux::plugins::search_dirs(env)),
              (std::vector<std::string>{"/x (MGPUX_ADD_PLUGIN_PATH)", "/y (MGPUX_ADD_PLUGIN_PATH)",
                                        "/home/u/.local/share/m-gpux/plugins (user)",
                                        "/opt/m-gpux/lib/m-gpux/plugins (system)"}));
}

TEST(SearchDirs, EmptyEntriesAreDropped) {
    DiscoveryEnv env = base_env();
    env.plugin_path = ":/a::/b:";
    EXPECT_EQ(dir_strings(mgpux::plugins::search_dirs(env)),
              (std::vector<std::string>{"/a (MGPUX_PLUGIN_PATH)", "/b (MGPUX_PLUGIN_PATH)"}));

    DiscoveryEnv add = base_env();
    add.add_plugin_path = "::";
    EXPECT_EQ(mgpux::plugins::search_dirs(add).size(), 2u);  // user and system only
}

// ------------------------------------------------------------ plugin_files

TEST(PluginFiles, OnlyPluginNamesSortedByName) {
    TempDir d;
    d.file("mgpux-zeta.so");
    d.file("mgpux-alpha.so");
    d.file("mgpux-mid.so");
    d.file("libmgpux-other.so");
    d.file("mgpux-notes.txt");
    d.file("mgpux-old.so.bak");
    d.file("mgpux-.so");
    d.file("plugin.so");
    d.file("README");
    EXPECT_EQ(names(mgpux::plugins::plugin_files(d.path())),
              (std::vector<std::string>{"mgpux-alpha.so", "mgpux-mid.so", "mgpux-zeta.so"}));
}

TEST(PluginFiles, MissingDirectoryIsEmpty) {
    TempDir d;
    EXPECT_TRUE(mgpux::plugins::plugin_files(d.path() / "does-not-exist").empty());
    EXPECT_TRUE(mgpux::plugins::plugin_files(d.path()).empty());
}

TEST(PluginFiles, FileNameForId) { EXPECT_EQ(mgpux::plugins::plugin_file_name("serve"), "mgpux-serve.so"); }

// ----------------------------------------------------------- unsafe_reason

TEST(UnsafeReason, SafeModesGiveEmptyReason) {
    TempDir d;
    fs::path f = d.file("mgpux-ok.so", "x", 0644);
    EXPECT_EQ(mgpux::plugins::unsafe_reason(f), "");
    fs::permissions(f, fs::perms(0755));
    EXPECT_EQ(mgpux::plugins::unsafe_reason(f), "");
}

TEST(UnsafeReason, WritableFileIsRefused) {
    for (unsigned mode : {0666u, 0777u, 0664u, 0646u}) {
        TempDir d;
        fs::path f = d.file("mgpux-w.so", "x", mode);
        const std::string reason = mgpux::plugins::unsafe_reason(f);
        EXPECT_NE(reason.find("writable"), std::string::npos) << std::oct << mode << ": " << reason;
        EXPECT_NE(reason.find(f.string()), std::string::npos) << reason;
    }
}

TEST(UnsafeReason, WritableDirectoryIsRefused) {
    for (unsigned mode : {0777u, 0775u}) {
        TempDir d;
        fs::path f = d.file("mgpux-w.so", "x", 0644);
        fs::permissions(d.path(), fs::perms(mode));
        const std::string reason = mgpux::plugins::unsafe_reason(f);
        EXPECT_NE(reason.find("writable"), std::string::npos) << std::oct << mode << ": " << reason;
        EXPECT_NE(reason.find(d.path().string()), std::string::npos) << reason;
    }
}

// ---------------------------------------------------------------- discover

TEST(Discover, NonElfFileIsSkippedWithReason) {
    TempDir d;
    d.file("mgpux-junk.so", "this is not an ELF file\n", 0644);
    DiscoveryEnv env = base_env();
    env.plugin_path = d.path().string();
    std::vector<std::string> debug;
    PluginRegistry reg;
    reg.discover(env, [&](const std::string& s) { debug.push_back(s); });

    ASSERT_EQ(reg.dirs().size(), 1u);
    EXPECT_EQ(reg.dirs()[0].origin, "MGPUX_PLUGIN_PATH");
    ASSERT_EQ(reg.all().size(), 1u);
    const auto& p = *reg.all()[0];
    EXPECT_EQ(p.status, PluginStatus::Skipped);
    EXPECT_FALSE(p.reason.empty());
    EXPECT_EQ(p.reason.rfind("refused", 0), std::string::npos) << p.reason;  // not a permission problem
    EXPECT_EQ(p.path.filename(), "mgpux-junk.so");
    EXPECT_EQ(p.origin, "MGPUX_PLUGIN_PATH");
    EXPECT_EQ(reg.find("junk"), nullptr);

    bool mentioned = false;
    for (const auto& line : debug) mentioned = mentioned || line.find("mgpux-junk.so: skipped") != std::string::npos;
    EXPECT_TRUE(mentioned);
}

TEST(Discover, GroupWritableFileIsRefused) {
    TempDir d;
    d.file("mgpux-x.so", "irrelevant\n", 0664);
    DiscoveryEnv env = base_env();
    env.plugin_path = d.path().string();
    PluginRegistry reg;
    reg.discover(env, nullptr);

    ASSERT_EQ(reg.all().size(), 1u);
    const auto& p = *reg.all()[0];
    EXPECT_EQ(p.status, PluginStatus::Skipped);
    EXPECT_EQ(p.reason.rfind("refused", 0), 0u) << p.reason;
    EXPECT_NE(p.reason.find("writable"), std::string::npos) << p.reason;
}

TEST(Discover, AllowUnsafeSkipsPermissionCheck) {
    TempDir d;
    d.file("mgpux-x.so", "irrelevant\n", 0666);
    DiscoveryEnv env = base_env();
    env.plugin_path = d.path().string();
    env.allow_unsafe = true;
    PluginRegistry reg;
    reg.discover(env, nullptr);

    ASSERT_EQ(reg.all().size(), 1u);
    const auto& p = *reg.all()[0];
    EXPECT_EQ(p.status, PluginStatus::Skipped);  // still not a library
    EXPECT_EQ(p.reason.rfind("refused", 0), std::string::npos) << p.reason;
}

TEST(Discover, MissingDirectoriesAreSilentAndEmpty) {
    TempDir d;
    DiscoveryEnv env = base_env();
    env.plugin_path = (d.path() / "nope").string() + ":" + d.path().string();
    PluginRegistry reg;
    reg.discover(env, nullptr);
    EXPECT_EQ(reg.dirs().size(), 2u);
    EXPECT_TRUE(reg.all().empty());
}

// Named like a plugin but not a regular file: skipped by stat alone (opening a
// FIFO would block; dlopen would map a device).
TEST(Discover, FifoAndDirectoryNamedLikePluginsAreSkippedUnopened) {
    TempDir d;
    ASSERT_EQ(::mkfifo((d.path() / "mgpux-fifo.so").c_str(), 0644), 0);
    fs::create_directory(d.path() / "mgpux-dir.so");
    EXPECT_EQ(mgpux::plugins::not_regular_reason(d.path() / "mgpux-fifo.so"), "not a regular file (a FIFO)");
    EXPECT_EQ(mgpux::plugins::not_regular_reason(d.path() / "mgpux-dir.so"), "not a regular file (a directory)");
    EXPECT_EQ(mgpux::plugins::not_regular_reason(d.file("mgpux-f.so")), "");
    DiscoveryEnv env = base_env();
    env.plugin_path = d.path().string();
    PluginRegistry reg;
    reg.discover(env, nullptr);
    ASSERT_EQ(reg.all().size(), 3u);
    EXPECT_EQ(reg.all()[0]->reason, "not a regular file (a directory)");
    EXPECT_EQ(reg.all()[2]->reason, "not a regular file (a FIFO)");
    // The loader refuses them too (`plugins validate`, a cached plugin's run).
    EXPECT_EQ(mgpux::plugins::load_plugin(d.path() / "mgpux-fifo.so", "x").reason, "not a regular file (a FIFO)");
}

// A stand-in for `m-gpux --mgpux-check-plugins FILE...`: per file, by its
// name, a verdict line, a crash, a hang or an exit; every start is logged.
std::filesystem::path fake_child(const TempDir& d) {
    const std::string log = (d.path() / "starts.log").string();
    return d.file("fake-child",
                  "#!/bin/sh\n"
                  "shift\n"
                  "echo \"$*\" >> '" +
                      log +
                      "'\n"
                      "i=0\n"
                      "for f in \"$@\"; do\n"
                      "  case \"$f\" in\n"
                      "    *crash*) kill -SEGV $$ ;;\n"
                      "    *hang*) sleep 30 ;;\n"
                      "    *quit*) exit 3 ;;\n"
                      "    *bad*) printf '%d\\t0\\tnot a library\\n' $i ;;\n"
                      "    *) printf '%d\\t1\\t\\n' $i ;;\n"
                      "  esac\n"
                      "  i=$((i+1))\n"
                      "done\n",
                  0755);
}

std::vector<std::string> lines_of(const fs::path& file) {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

TEST(LoadInChild, ADeadChildCondemnsOnlyItsFileAndTheRestGetANewOne) {
    TempDir d;
    const std::vector<fs::path> files = {"a", "crash", "b", "hang", "c", "quit", "d", "bad", "e"};
    const auto verdicts = mgpux::plugins::load_in_child(fake_child(d), files, 300);
    ASSERT_EQ(verdicts.size(), files.size());
    std::vector<std::string> got;
    for (const auto& v : verdicts) got.push_back(v.loaded ? "loaded" : v.reason);
    EXPECT_EQ(got, (std::vector<std::string>{
                       "loaded", "crashed while loading (SIGSEGV)", "loaded", "hung while loading (stopped after 1 s)",
                       "loaded", "exited with status 3 while loading", "loaded", "not a library", "loaded"}));
    EXPECT_EQ(lines_of(d.path() / "starts.log"),
              (std::vector<std::string>{"a crash b hang c quit d bad e", "b hang c quit d bad e", "c quit d bad e",
                                        "d bad e"}));
}

TEST(LoadInChild, AChildThatCannotStartIsEveryFilesReason) {
    const auto verdicts = mgpux::plugins::load_in_child("/nonexistent/m-gpux", {"a", "b"}, 1000);
    ASSERT_EQ(verdicts.size(), 2u);
    for (const auto& v : verdicts) {
        EXPECT_FALSE(v.loaded);
        EXPECT_NE(v.reason.find("could not be loaded in a child process first"), std::string::npos) << v.reason;
    }
    EXPECT_EQ(mgpux::plugins::signal_name(7), "SIGBUS");
}

TEST(Discover, NewFilesAreLoadedInAChildFirst) {
    TempDir plugins;
    TempDir tools;
    plugins.file("mgpux-crash.so");
    plugins.file("mgpux-fine.so");  // the child survives it; the loader here still finds no ELF
    DiscoveryEnv env = base_env();
    env.plugin_path = plugins.path().string();
    env.check_executable = fake_child(tools);
    std::vector<std::string> debug;
    PluginRegistry reg;
    reg.discover(env, [&](const std::string& s) { debug.push_back(s); });
    ASSERT_EQ(reg.all().size(), 2u);
    EXPECT_EQ(reg.all()[0]->status, PluginStatus::Skipped);
    EXPECT_EQ(reg.all()[0]->reason, "crashed while loading (SIGSEGV)");
    EXPECT_EQ(reg.all()[1]->status, PluginStatus::Skipped);
    EXPECT_NE(reg.all()[1]->reason.find("cannot load"), std::string::npos) << reg.all()[1]->reason;
    EXPECT_EQ(lines_of(tools.path() / "starts.log").size(), 2u);
    bool said = false;
    for (const auto& line : debug) said = said || line == "loading 2 new plugin file(s) in a child process first";
    EXPECT_TRUE(said);
}

}  // namespace
