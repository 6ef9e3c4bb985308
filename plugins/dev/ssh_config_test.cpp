// SPDX-License-Identifier: MIT
#include "ssh_config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace dev::ssh_config;

namespace {

HostEntry entry(const std::string& name, const std::string& host = "r7.modal.host", int port = 41022) {
    HostEntry e;
    e.name = name;
    e.hostname = host;
    e.port = port;
    e.identity_file = "/home/u/.m-gpux/ssh/id_ed25519";
    e.known_hosts = "/home/u/.m-gpux/ssh/known_hosts";
    return e;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

const std::string kExisting =
    "# my hosts\n"
    "Include ~/.ssh/config.d/*\n"
    "ServerAliveInterval 60\n"
    "\n"
    "Host work\n"
    "    HostName work.example.com";  // no final newline

}  // namespace

TEST(SshConfig, BlockIsPrependedAndTheRestKeptByteForByte) {
    const std::string out = upsert_block(kExisting, entry("gpu"));
    const std::string block = render_block(entry("gpu"), "\n");
    ASSERT_EQ(out, block + kExisting);
    EXPECT_EQ(block.rfind("# >>> m-gpux dev: gpu\nHost m-gpux-gpu\n", 0), 0u);
    EXPECT_NE(block.find("    HostName r7.modal.host\n    Port 41022\n"), std::string::npos);
    // Top-level settings after the block must stay global, not become the box's.
    EXPECT_NE(block.find("Match all\n# <<< m-gpux dev: gpu\n"), std::string::npos);
}

TEST(SshConfig, AnOlderBlockIsReplacedAndMovedToTheTop) {
    const std::string old = "Host a\n    User x\n" + render_block(entry("gpu", "old.host", 1), "\n") + "Host b\n";
    const std::string out = upsert_block(old, entry("gpu"));
    EXPECT_EQ(out, render_block(entry("gpu"), "\n") + "Host a\n    User x\nHost b\n");
    EXPECT_EQ(out.find("old.host"), std::string::npos);
}

TEST(SshConfig, OtherBoxesBlocksAreLeftAlone) {
    const std::string other = render_block(entry("cpu"), "\n");
    const std::string out = upsert_block(other + kExisting, entry("gpu"));
    EXPECT_EQ(out, render_block(entry("gpu"), "\n") + other + kExisting);
    EXPECT_EQ(remove_block(out, "gpu"), other + kExisting);
}

TEST(SshConfig, CrlfFilesGetACrlfBlockAndKeepTheirBytes) {
    const std::string crlf = "# windows\r\nHost w\r\n    User me\r\n";
    const std::string out = upsert_block(crlf, entry("gpu"));
    EXPECT_EQ(out, render_block(entry("gpu"), "\r\n") + crlf);
    EXPECT_EQ(remove_block(out, "gpu"), crlf);
    const std::string again = upsert_block(out, entry("gpu", "new.host"));
    EXPECT_EQ(again, render_block(entry("gpu", "new.host"), "\r\n") + crlf);
}

TEST(SshConfig, RemovingRestoresTheOriginalExactly) {
    EXPECT_EQ(remove_block(upsert_block(kExisting, entry("gpu")), "gpu"), kExisting);
    EXPECT_EQ(remove_block(kExisting, "gpu"), kExisting);
    EXPECT_EQ(remove_block(upsert_block("", entry("gpu")), "gpu"), "");
}

TEST(SshConfig, AMarkerInsideACommentLineIsNotABlock) {
    const std::string text = "#  # >>> m-gpux dev: gpu\nHost x\n";
    EXPECT_EQ(remove_block(text, "gpu"), text);
}

TEST(SshConfig, ABlockWithoutItsEndIsRefused) {
    const std::string broken = "# >>> m-gpux dev: gpu\nHost m-gpux-gpu\n";
    EXPECT_THROW(upsert_block(broken, entry("gpu")), ConfigError);
    EXPECT_THROW(remove_block(broken, "gpu"), ConfigError);
}

class SshConfigFile : public ::testing::Test {
protected:
    void SetUp() override {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/mgpux-sshcfg-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir = tmpl;
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir;
};

TEST_F(SshConfigFile, ANewConfigIsCreated0600InA0700Folder) {
    const fs::path config = dir / "home" / ".ssh" / "config";
    edit_file(config, dir / "state" / "ssh.lock", [](const std::string& t) { return upsert_block(t, entry("gpu")); });
    EXPECT_EQ(slurp(config), render_block(entry("gpu"), "\n"));
    struct stat st {};
    ASSERT_EQ(::stat(config.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(config.parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(SshConfigFile, AnExistingFileKeepsItsModeAndNoTempFileIsLeft) {
    const fs::path config = dir / "config";
    std::ofstream(config, std::ios::binary) << kExisting;
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read,
                    fs::perm_options::replace);
    edit_file(config, dir / "lock", [](const std::string& t) { return upsert_block(t, entry("gpu")); });
    EXPECT_EQ(slurp(config), render_block(entry("gpu"), "\n") + kExisting);
    struct stat st {};
    ASSERT_EQ(::stat(config.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"config", "lock"}));
}

TEST_F(SshConfigFile, ASymlinkedConfigIsEditedThroughTheLink) {
    const fs::path real = dir / "dotfiles" / "ssh_config";
    fs::create_directories(real.parent_path());
    std::ofstream(real, std::ios::binary) << kExisting;
    fs::create_directories(dir / ".ssh");
    fs::create_symlink(real, dir / ".ssh" / "config");
    edit_file(dir / ".ssh" / "config", dir / "lock",
              [](const std::string& t) { return upsert_block(t, entry("gpu")); });
    EXPECT_TRUE(fs::is_symlink(dir / ".ssh" / "config"));
    EXPECT_EQ(slurp(real), render_block(entry("gpu"), "\n") + kExisting);
}

TEST_F(SshConfigFile, ConcurrentWritersLoseNoBlock) {
    const fs::path config = dir / "config";
    std::ofstream(config, std::ios::binary) << kExisting;
    std::vector<std::thread> writers;
    for (int i = 0; i < 12; ++i)
        writers.emplace_back([&, i] {
            edit_file(config, dir / "lock",
                      [i](const std::string& t) { return upsert_block(t, entry("box" + std::to_string(i))); });
        });
    for (auto& t : writers) t.join();
    std::string text = slurp(config);
    for (int i = 0; i < 12; ++i) {
        EXPECT_NE(text.find("Host m-gpux-box" + std::to_string(i) + "\n"), std::string::npos) << i;
        text = remove_block(text, "box" + std::to_string(i));
    }
    EXPECT_EQ(text, kExisting);
}
