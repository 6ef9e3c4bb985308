// SPDX-License-Identifier: MIT
#include "util/subprocess.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace mgpux::util;

namespace {

ProcessSpec sh(const std::string& script) {
    ProcessSpec s;
    s.exe = "/bin/sh";
    s.args = {"-c", script};
    s.forward_sigint = false;
    return s;
}

}  // namespace

TEST(Subprocess, CapturesBothStreamsAndExitCode) {
    auto r = run_process(sh("echo out; echo err >&2; exit 7"));
    EXPECT_EQ(r.exit_code, 7);
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
}

TEST(Subprocess, EnvironmentEditsAndTextStdin) {
    setenv("MGPUX_TEST_UNSET_ME", "x", 1);
    auto spec = sh("echo \"$A:${MGPUX_TEST_UNSET_ME-unset}\"; cat");
    spec.env["A"] = "set";
    spec.env["MGPUX_TEST_UNSET_ME"] = std::nullopt;
    spec.stdin_mode = StdinMode::Text;
    spec.input = "from stdin";
    auto r = run_process(spec);
    EXPECT_EQ(r.out, "set:unset\nfrom stdin");
}

TEST(Subprocess, WatchSplitsLinesAcrossStreams) {
    auto spec = sh("printf 'a\\nb'; printf 'c\\r\\n' >&2");
    spec.output = OutputMode::Watch;
    std::vector<std::pair<int, std::string>> lines;
    run_process(spec, [&](int stream, std::string_view line) {
        lines.emplace_back(stream, std::string(line));
        return LineAction::Continue;
    });
    std::sort(lines.begin(), lines.end());
    EXPECT_EQ(lines, (std::vector<std::pair<int, std::string>>{{1, "a"}, {1, "b"}, {2, "c"}}));
}

TEST(Subprocess, StopSendsSigintToTheGroup) {
    auto spec = sh("trap 'echo bye; exit 5' INT; echo ready; while :; do sleep 0.1; done");
    spec.output = OutputMode::Watch;
    const auto start = std::chrono::steady_clock::now();
    auto r = run_process(
        spec, [](int, std::string_view line) { return line == "ready" ? LineAction::Stop : LineAction::Continue; });
    EXPECT_TRUE(r.interrupted);
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_NE(r.out.find("bye"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

TEST(Subprocess, TimeoutKillsGrandchildrenHoldingThePipe) {
    auto spec = sh("sleep 30 & sleep 30");
    spec.timeout = std::chrono::milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    auto r = run_process(spec);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.signal, 9);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Subprocess, MissingProgramThrows) {
    ProcessSpec s;
    s.exe = "/nonexistent/program";
    EXPECT_ANY_THROW(run_process(s));
}

TEST(Subprocess, CtrlCHereIsForwardedToTheChildGroup) {
    auto spec = sh("trap 'echo got-int; exit 7' INT; echo ready; while :; do sleep 0.05; done");
    spec.output = OutputMode::Watch;
    spec.forward_sigint = true;
    int sent = 0;
    auto r = run_process(spec, [&](int, std::string_view line) {
        if (line == "ready" && sent++ == 0) ::kill(::getpid(), SIGINT);  // as if Ctrl-C reached us
        return LineAction::Continue;
    });
    EXPECT_TRUE(r.interrupted);
    EXPECT_EQ(r.exit_code, 7);
    EXPECT_NE(r.out.find("got-int"), std::string::npos);
    // and our own disposition is back to normal afterwards: a second run works
    EXPECT_EQ(run_process(sh("exit 0")).exit_code, 0);
}

TEST(Subprocess, ChildDiesWhenWeAreKilledOutright) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mgpux-pdeath-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    const std::string pid_file = tmpl + "/child.pid";
    const pid_t runner = ::fork();
    ASSERT_GE(runner, 0);
    if (runner == 0) {  // stands in for m-gpux: waits on a long child
        auto spec = sh("echo $$ > '" + pid_file + "'; exec sleep 30");
        run_process(spec);
        ::_exit(0);
    }
    pid_t child = 0;
    for (int i = 0; i < 100 && child == 0; ++i) {
        FILE* f = std::fopen(pid_file.c_str(), "r");
        if (f) {
            if (std::fscanf(f, "%d", &child) != 1) child = 0;
            std::fclose(f);
        }
        if (child == 0) ::usleep(50000);
    }
    ASSERT_GT(child, 0);
    ::kill(runner, SIGKILL);  // nothing can be forwarded now
    ::waitpid(runner, nullptr, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = ::kill(child, 0) != 0;
        if (!gone) ::usleep(50000);
    }
    EXPECT_TRUE(gone) << "the child outlived the process that started it";
    if (!gone) ::kill(child, SIGKILL);
    std::remove(pid_file.c_str());
    ::rmdir(tmpl.c_str());
}

TEST(SubprocessOutputBounds, StderrKeepsOnlyItsTailFromALineStart) {
    auto spec = sh("i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; echo last words >&2");
    spec.tail_limit = 1000;
    auto r = run_process(spec);
    EXPECT_LE(r.err.size(), 1000u);
    EXPECT_EQ(r.err.rfind("last words\n"), r.err.size() - 11);
    EXPECT_EQ(r.err.rfind("line ", 0), 0u) << "the tail starts at a line";
}

TEST(SubprocessOutputBounds, CapturedStdoutPastTheCapStopsTheChild) {
    const auto start = std::chrono::steady_clock::now();
    auto spec = sh("while :; do echo 0123456789; done");
    spec.capture_limit = 100000;
    auto r = run_process(spec);
    EXPECT_TRUE(r.out_overflow);
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(r.signal, SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(SubprocessOutputBounds, CapturedStdoutUnderTheCapIsWhole) {
    auto spec = sh("head -c 300000 /dev/zero | tr '\\0' y");
    spec.capture_limit = 300000;
    auto r = run_process(spec);
    EXPECT_FALSE(r.out_overflow);
    EXPECT_EQ(r.out, std::string(300000, 'y'));
}

TEST(SubprocessOutputBounds, AWatchedLongLineThatArrivesWholeComesInTheSamePieces) {
    // One write(2) of the whole line and its end, so the reader usually gets it in one read.
    auto spec = sh("/usr/bin/python3 -c \"import os; os.write(1, b'y' * 10000 + b'\\\\nend\\\\n')\"");
    spec.output = OutputMode::Watch;
    spec.tail_limit = 4096;
    std::vector<std::size_t> sizes;
    run_process(spec, [&](int, std::string_view line) {
        sizes.push_back(line.size());
        return LineAction::Continue;
    });
    EXPECT_EQ(sizes, (std::vector<std::size_t>{4096, 4096, 1808, 3}));
}

TEST(SubprocessOutputBounds, AWatchedLineWithoutEndComesInPieces) {
    auto spec = sh("head -c 10000 /dev/zero | tr '\\0' y; printf '\\nend\\n'");
    spec.output = OutputMode::Watch;
    spec.tail_limit = 4096;
    std::vector<std::size_t> sizes;
    auto r = run_process(spec, [&](int, std::string_view line) {
        sizes.push_back(line.size());
        return LineAction::Continue;
    });
    EXPECT_EQ(sizes, (std::vector<std::size_t>{4096, 4096, 1808, 3}));
    EXPECT_LE(r.out.size(), 4096u);
    EXPECT_EQ(r.out.substr(r.out.size() - 4), "end\n");
}
