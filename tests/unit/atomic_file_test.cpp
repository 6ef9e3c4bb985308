// SPDX-License-Identifier: MIT
// Tests for whole-file atomic writes: content and mode, missing files, and
// failures that must leave the old file as it was with no temp file behind.
#include "util/atomic_file.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using mgpux::util::ensure_private_dir;
using mgpux::util::read_file_if_exists;
using mgpux::util::write_file_atomic;

class AtomicFile : public ::testing::Test {
protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "mgpux-atomic-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr);
        root_ = name;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    static unsigned mode_of(const fs::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_mode & 07777;
    }
    static std::string slurp(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }
    static void put(const fs::path& p, const std::string& content) { std::ofstream(p, std::ios::binary) << content; }
    // Names in `dir` that look like a temp file of write_file_atomic.
    static int temp_files_in(const fs::path& dir) {
        int n = 0;
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.path().filename().string().find(".tmp-") != std::string::npos) ++n;
        return n;
    }

    fs::path root_;
};

TEST_F(AtomicFile, WritesAndReplaces) {
    const fs::path file = root_ / "doc.json";
    write_file_atomic(file, "one");
    EXPECT_EQ(slurp(file), "one");
    write_file_atomic(file, "two, longer");
    EXPECT_EQ(slurp(file), "two, longer");
    write_file_atomic(file, "");
    EXPECT_EQ(slurp(file), "");
    EXPECT_EQ(temp_files_in(root_), 0);
}

TEST_F(AtomicFile, KeepsBinaryAndLargeContent) {
    const fs::path file = root_ / "blob";
    std::string content(3 * 1024 * 1024 + 7, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31);
    write_file_atomic(file, content);
    EXPECT_EQ(read_file_if_exists(file), content);
}

TEST_F(AtomicFile, SetsTheModeWhateverTheUmaskAndOldMode) {
    const fs::path file = root_ / "doc";
    put(file, "old");
    ::chmod(file.c_str(), 0644);
    write_file_atomic(file, "new");
    EXPECT_EQ(mode_of(file), 0600u);
    write_file_atomic(file, "x", 0640);
    EXPECT_EQ(mode_of(file), 0640u);
    const mode_t old = ::umask(0077);
    write_file_atomic(file, "y", 0644);
    ::umask(old);
    EXPECT_EQ(mode_of(file), 0644u);
}

TEST_F(AtomicFile, ReadsMissingAsNullopt) {
    EXPECT_EQ(read_file_if_exists(root_ / "missing"), std::nullopt);
    put(root_ / "here", "text\n");
    EXPECT_EQ(read_file_if_exists(root_ / "here"), "text\n");
    EXPECT_THROW(read_file_if_exists(root_), std::system_error);  // a directory
}

TEST_F(AtomicFile, FailsWhenTheParentIsAFile) {
    put(root_ / "plain", "keep");
    EXPECT_THROW(write_file_atomic(root_ / "plain" / "doc", "x"), std::system_error);
    EXPECT_EQ(slurp(root_ / "plain"), "keep");
    EXPECT_THROW(write_file_atomic(root_ / "missing-dir" / "doc", "x"), std::system_error);
    EXPECT_FALSE(fs::exists(root_ / "missing-dir"));
}

TEST_F(AtomicFile, FailedRenameLeavesTheTargetAndNoTempFile) {
    // A directory cannot be replaced by a file: rename fails after the temp
    // file was written in full.
    const fs::path target = root_ / "target";
    fs::create_directory(target);
    put(target / "inside", "keep");
    try {
        write_file_atomic(target, "new");
        ADD_FAILURE() << "expected a failure";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fs::is_directory(target));
    EXPECT_EQ(slurp(target / "inside"), "keep");
    EXPECT_EQ(temp_files_in(root_), 0);
}

TEST_F(AtomicFile, FailedWriteLeavesTheOldContent) {
    // A file size limit makes the write itself fail halfway (tests run as
    // root, so permissions cannot); the child reports what it saw.
    const fs::path file = root_ / "doc";
    put(file, "old content");
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{64, 64};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        try {
            write_file_atomic(file, std::string(4096, 'n'));
            ::_exit(10);  // should have thrown
        } catch (const std::system_error&) {}
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(slurp(file), "old content");
    EXPECT_EQ(temp_files_in(root_), 0);
}

TEST_F(AtomicFile, EnsurePrivateDirCreatesWithMode) {
    const fs::path dir = root_ / "a" / "b";
    ensure_private_dir(dir);
    EXPECT_TRUE(fs::is_directory(dir));
    EXPECT_EQ(mode_of(dir), 0700u);
    // An existing directory keeps its mode: the user chose it.
    ::chmod(dir.c_str(), 0750);
    ensure_private_dir(dir);
    EXPECT_EQ(mode_of(dir), 0750u);
}

}  // namespace
