// SPDX-License-Identifier: MIT
// The local backend's app registry as `modal app list|stop|logs` answers: which calls it takes,
// the rows it lists, and a stop that ends a whole process group.
#include "host_context.hpp"
#include "services/local_apps.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace mgpux::services {
namespace {

class LocalApps : public ::testing::Test {
protected:
    void SetUp() override {
        ::setenv("MGPUX_HOME", dir.path().c_str(), 1);
        ::unsetenv("MGPUX_BACKEND");
        std::filesystem::create_directories(dir.path() / "local" / "apps");
    }
    void TearDown() override { ::unsetenv("MGPUX_HOME"); }

    void register_app(const std::string& id, pid_t pid, const std::string& log = "") {
        dir.file("local/apps/" + id + ".json",
                 "{\"app_id\": \"" + id +
                     "\", \"description\": \"m-gpux-host-x\", \"state\": \"deployed\", "
                     "\"pid\": " +
                     std::to_string(pid) + ", \"created_at\": \"2026-01-01T00:00:00+00:00\", \"log\": \"" + log + "\"}",
                 0600);
    }

    mgpux::testing::TempDir dir;
    HostContext ctx;
};

constexpr const char* kId = "ap-localabcdefghijklmnopq";

TEST_F(LocalApps, ModalAnswersUnlessTheBackendIsLocalOrTheAppIsLocal) {
    EXPECT_FALSE(answer_locally(ctx, {"app", "list", "--json"}, false));
    EXPECT_FALSE(answer_locally(ctx, {"app", "stop", "--yes", "ap-0123456789012345678901"}, false));
    EXPECT_FALSE(answer_locally(ctx, {"secret", "list"}, false));
    ctx.globals.backend = "local";
    const auto listed = answer_locally(ctx, {"app", "list", "--json"}, false);
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->exit_code, 0);
    EXPECT_TRUE(listed->json.as_array().empty());
    const auto unknown = answer_locally(ctx, {"app", "stop", "--yes", "ap-0123456789012345678901"}, false);
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->exit_code, 1);
}

TEST_F(LocalApps, AnAppWhoseProcessIsGoneIsListedStopped) {
    register_app(kId, 999999);
    ctx.globals.backend = "local";
    const auto listed = answer_locally(ctx, {"app", "list", "--json"}, false);
    ASSERT_TRUE(listed);
    const auto& row = listed->json.as_array().at(0).as_object();
    EXPECT_EQ(row.at("app_id").as_string(), kId);
    EXPECT_EQ(row.at("description").as_string(), "m-gpux-host-x");
    EXPECT_EQ(row.at("state").as_string(), "stopped");
}

TEST_F(LocalApps, LogsOfALocalAppWhateverTheBackend) {
    const auto log = dir.file("output.log", "line one\nline two\n", 0600);
    register_app(kId, 999999, log.string());
    const auto r = answer_locally(ctx, {"app", "logs", kId}, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exit_code, 0);
    EXPECT_EQ(r->out, "line one\nline two\n");
}

// A stand-in worker: a process group leader whose command line names the runtime and the app,
// with a child in the same group that ignores SIGTERM (so the stop must escalate).
pid_t start_worker_group() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        if (::fork() == 0) {
            std::signal(SIGTERM, SIG_IGN);
            ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::execl("/bin/sh", "sh", "-c", "sleep 60; : modal_shim ap-localabcdefghijklmnopq", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return pid;
}

// Members of group `pgid` that still run (a zombie, left to a parent that may never reap it, does not).
int live_members(pid_t pgid) {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream in(entry.path() / "stat");
        std::string stat;
        if (!in || !std::getline(in, stat) || stat.rfind(')') == std::string::npos) continue;
        std::istringstream fields(stat.substr(stat.rfind(')') + 1));
        std::string state;
        long ppid = 0, pgrp = 0;
        if (fields >> state >> ppid >> pgrp && pgrp == pgid && state != "Z") ++n;
    }
    return n;
}

TEST_F(LocalApps, StopEndsTheWholeProcessGroup) {
    const pid_t worker = start_worker_group();
    register_app(kId, worker);
    ASSERT_GE(live_members(worker), 2);
    ctx.globals.backend = "local";
    auto listed = answer_locally(ctx, {"app", "list", "--json"}, false);
    EXPECT_EQ(listed->json.as_array().at(0).as_object().at("state").as_string(), "deployed");
    const auto r = answer_locally(ctx, {"app", "stop", "--yes", kId}, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exit_code, 0) << r->err;
    ::waitpid(worker, nullptr, 0);
    EXPECT_EQ(live_members(worker), 0) << "a process of the group is left";
    listed = answer_locally(ctx, {"app", "list", "--json"}, false);
    EXPECT_EQ(listed->json.as_array().at(0).as_object().at("state").as_string(), "stopped");
}

}  // namespace
}  // namespace mgpux::services
