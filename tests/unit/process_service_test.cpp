// SPDX-License-Identifier: MIT
// The process service reads what plugins send with the SDK's ProcessRequest and answers with its
// ProcessResult: a request a plugin builds with the struct becomes the spec it describes, a
// malformed one is refused in the contract's words, and the answer reads back through the SDK.
#include "services/process_service.hpp"
#include "services/service_error.hpp"

#include <gtest/gtest.h>
#include <mgpux/contracts.hpp>

#include <string>

namespace {

using mgpux::services::kExitUsage;
using mgpux::services::ServiceError;

mgpux::util::ProcessSpec spec_of(const std::string& request_text) {
    return mgpux::services::process_spec(mgpux::services::read_process_request(request_text));
}

// The usage error a malformed request gets ("" when it is accepted).
std::string refusal(const std::string& request_text) {
    try {
        spec_of(request_text);
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.code, kExitUsage);
        return e.what();
    }
    return "";
}

}  // namespace

TEST(ProcessService, RunsWhatTheSdkRequestDescribes) {
    mgpux::ProcessRequest q;
    q.program = "/bin/sh";
    q.args = {"-c", "cat"};
    q.env = {{"A", std::string("1")}, {"B", std::nullopt}};
    q.cwd = "/tmp";
    q.stdin_mode = "text";
    q.input = "hello";
    q.output = "watch";
    q.timeout_s = 2.5;
    const auto spec = spec_of(q.to_json().dump());
    EXPECT_EQ(spec.exe, "/bin/sh");
    EXPECT_EQ(spec.args, (std::vector<std::string>{"-c", "cat"}));
    EXPECT_EQ(spec.env.at("A"), std::optional<std::string>("1"));
    EXPECT_EQ(spec.env.at("B"), std::nullopt);
    EXPECT_EQ(spec.cwd, std::optional<std::filesystem::path>("/tmp"));
    EXPECT_EQ(spec.stdin_mode, mgpux::util::StdinMode::Text);
    EXPECT_EQ(spec.input, "hello");
    EXPECT_EQ(spec.output, mgpux::util::OutputMode::Watch);
    EXPECT_EQ(spec.timeout, std::chrono::milliseconds(2500));
    EXPECT_FALSE(spec.detach);
}

TEST(ProcessService, RefusesAMalformedRequestInTheContractsWords) {
    EXPECT_EQ(refusal(R"j({"program":"/bin/sh","args":"-c true"})j"), R"(process request: "args" must be a list)");
    EXPECT_EQ(refusal(R"j({"program":"/bin/sh","args":["-c",1]})j"),
              R"(process request: "args" must be a list of strings)");
    EXPECT_EQ(refusal(R"j({"program":"/bin/sh","env":{"A":1}})j"),
              R"(process request: "env" must be an object of strings or nulls)");
    EXPECT_EQ(refusal(R"j({"args":[]})j"), R"(process request: "program" is required)");
    EXPECT_EQ(refusal(R"j({"program":"/bin/sh","detach":"yes"})j"),
              R"(process request: "detach" must be true or false)");
    // What only the host can judge stays refused too.
    EXPECT_EQ(refusal(R"j({"program":"/bin/sh","timeout_s":0})j"),
              R"(process request: "timeout_s" must be a positive number)");
    EXPECT_EQ(refusal(R"j({"program":"/bin/sh","detach":true,"output":"inherit"})j"),
              "process request: a detached child has no stdin or output");
    EXPECT_EQ(refusal(R"j({"program":""})j"), R"(process request: "program" is required)");
    EXPECT_EQ(refusal(R"j({"program":"/bin/sh","cwd":null,"stdin":null})j"), "");
}

TEST(ProcessService, AnswersWithTheSdkResult) {
    mgpux::util::CaptureResult r;
    r.exit_code = 3;
    r.signal = 0;
    r.timed_out = true;
    r.pid = 42;
    r.out = "out\n";
    r.err = "err\n";
    r.out_overflow = true;
    const auto answer =
        mgpux::ProcessResult::from_json(mgpux::Json::parse(mgpux::services::process_result(r).to_json().dump()));
    EXPECT_EQ(answer.exit_code, 3);
    EXPECT_TRUE(answer.timed_out);
    EXPECT_FALSE(answer.interrupted);
    EXPECT_EQ(answer.pid, 42);
    EXPECT_EQ(answer.stdout_text, "out\n");
    EXPECT_EQ(answer.stderr_text, "err\n");
    EXPECT_TRUE(answer.output_overflow);
}
