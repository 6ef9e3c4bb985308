// SPDX-License-Identifier: MIT
#include "services/modal_service.hpp"
#include "services/runner.hpp"
#include "services/service_error.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <mgpux/contracts.hpp>

using namespace mgpux::services;
namespace json = boost::json;

namespace {

RunRequest parse(const char* text) { return parse_run_request(text); }

int usage_code(const char* text) {
    try {
        parse(text);
    } catch (const ServiceError& e) {
        return e.code;
    }
    return 0;
}

}  // namespace

TEST(RunnerRequest, ArgvForEachMode) {
    const std::filesystem::path script = "/s/modal_runner.py";
    EXPECT_EQ(modal_command(parse(R"({"script": "x", "app_name": "a"})"), script),
              (std::vector<std::string>{"run", "/s/modal_runner.py"}));
    EXPECT_EQ(modal_command(parse(R"({"script": "x", "app_name": "a", "detach": true})"), script),
              (std::vector<std::string>{"run", "--detach", "/s/modal_runner.py"}));
    EXPECT_EQ(modal_command(parse(R"({"script": "x", "app_name": "a", "mode": "serve"})"), script),
              (std::vector<std::string>{"serve", "/s/modal_runner.py"}));
    EXPECT_EQ(modal_command(parse(R"({"script": "x", "app_name": "a", "mode": "deploy"})"), script),
              (std::vector<std::string>{"deploy", "/s/modal_runner.py"}));
}

TEST(RunnerRequest, RefusesMalformedRequests) {
    EXPECT_EQ(usage_code(R"({"app_name": "a"})"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x"})"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "mode": "exec"})"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "mode": "serve", "detach": true})"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "background": true})"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "timeout_s": -1})"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "secrets": [{"name": "s", "values": {}}]})"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "files": [{"name": "../x", "content": ""}]})"),
              kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "files": [{"name": "modal_runner.py"}]})"), kExitUsage);
    EXPECT_EQ(usage_code(R"([1])"), kExitUsage);
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "mode": "run", "detach": true, "background": true})"), 0);
}

// The host reads exactly what the SDK's RunRequest writes, member for member.
TEST(RunnerRequest, ReadsTheSdkContract) {
    mgpux::RunRequest sent;
    sent.script = "import modal\n";
    sent.app_name = "m-gpux-api";
    sent.mode = "deploy";
    sent.background = true;
    sent.ready_timeout_s = 1200;
    sent.compute = "H100:2";
    sent.timeout_s = 3600;
    sent.deps = {"vllm"};
    sent.profile = "alice";
    sent.secrets = {{"m-gpux-keys", {{"API_KEYS", "k"}}}};
    sent.session = mgpux::SessionRecord::from_json(mgpux::Json::parse(R"({"kind": "serve"})"));
    sent.files = {{"credentials.env", "K=v\n"}};
    const RunRequest got = parse_run_request(sent.to_json().dump());
    EXPECT_EQ(got.script, sent.script);
    EXPECT_EQ(got.mode, "deploy");
    EXPECT_TRUE(got.background);
    EXPECT_EQ(got.ready_timeout_s, 1200);
    EXPECT_EQ(got.description, "m-gpux-api");  // absent: the app name
    EXPECT_EQ(got.compute, "H100:2");
    EXPECT_EQ(got.timeout_s, 3600);
    EXPECT_EQ(got.deps, std::vector<std::string>{"vllm"});
    EXPECT_EQ(got.profile, std::optional<std::string>("alice"));
    ASSERT_EQ(got.secrets.size(), 1u);
    EXPECT_EQ(got.secrets[0].values.at("API_KEYS"), "k");
    ASSERT_TRUE(got.session.has_value());
    EXPECT_EQ(got.session->kind, std::optional<std::string>("serve"));
    ASSERT_EQ(got.files.size(), 1u);
    EXPECT_EQ(got.files[0].second, "K=v\n");
}

TEST(RunnerRequest, MalformedTextAndWrongTypesAreUsageErrorsNamingTheMember) {
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": )"), kExitUsage);
    try {
        parse(R"({"script": "x", "app_name": "a", "uploads": "w"})");
        FAIL() << "accepted a string for a list";
    } catch (const ServiceError& e) {
        EXPECT_NE(std::string(e.what()).find("\"uploads\""), std::string::npos) << e.what();
    }
}

TEST(RunnerRequest, SummaryFromFieldsNotTheScript) {
    auto r = parse(R"({"script": "timeout = 24 * 60 * MINUTES", "app_name": "m-gpux-vllm", "mode": "serve",
                       "compute": "H100:2", "timeout_s": 86400,
                       "deps": ["a", "b", "c", "d", "e", "f"], "uploads": ["/w"],
                       "secrets": [{"name": "hf", "values": {"HF_TOKEN": "x"}}]})");
    const auto rows = summary_rows(r, std::string("alice"), "/runs/1/modal_runner.py");
    std::map<std::string, std::string> m(rows.begin(), rows.end());
    EXPECT_EQ(m["app"], "m-gpux-vllm");
    EXPECT_EQ(m["mode"], "modal serve");
    EXPECT_EQ(m["profile"], "alice");
    EXPECT_EQ(m["compute"], "H100:2");
    EXPECT_EQ(m["timeout"], "86400 s (24 h)");  // not "24"
    EXPECT_EQ(m["deps"], "a, b, c, d, e … (6 in all)");
    EXPECT_EQ(m["uploads"], "/w");
    EXPECT_EQ(m["secrets"], "hf");  // names only
    for (const auto& [k, v] : rows) EXPECT_EQ(v.find("x\""), std::string::npos);
}

TEST(RunnerRequest, RunIdsAreSortableAndDistinct) {
    const auto a = new_run_id(), b = new_run_id();
    EXPECT_EQ(a.size(), std::string("20261127-051200-1a2b3c").size());
    EXPECT_NE(a, b);
}

TEST(ModalRules, StopAlwaysGetsYesAndSecretsStayOffArgv) {
    EXPECT_EQ(enforce_modal_rules({"app", "stop", "ap-1"}), (std::vector<std::string>{"app", "stop", "--yes", "ap-1"}));
    EXPECT_EQ(enforce_modal_rules({"app", "stop", "-y", "ap-1"}),
              (std::vector<std::string>{"app", "stop", "-y", "ap-1"}));
    EXPECT_THROW(enforce_modal_rules({"secret", "create", "s", "K=v"}), ServiceError);
    EXPECT_NO_THROW(enforce_modal_rules({"secret", "create", "s", "--from-dotenv", "/f", "--force"}));
    EXPECT_TRUE(modal_call_changes_state({"app", "stop", "ap-1"}));
    EXPECT_TRUE(modal_call_changes_state({"volume", "put", "v", "a"}));
    EXPECT_FALSE(modal_call_changes_state({"app", "list", "--json"}));
    EXPECT_FALSE(modal_call_changes_state({"volume", "ls", "v"}));
}

TEST(ModalRules, DotenvEscapesValuesAndChecksKeys) {
    EXPECT_EQ(dotenv_text({{"A", "plain"}, {"B", "q\"b\\s\nn"}}), "A=\"plain\"\nB=\"q\\\"b\\\\s\\nn\"\n");
    EXPECT_THROW(dotenv_text({{"1A", "x"}}), ServiceError);
    EXPECT_THROW(dotenv_text({{"A B", "x"}}), ServiceError);
}

TEST(ModalRules, FailureNamesCommandCodeAndStderr) {
    ModalResult r;
    r.args = {"app", "stop", "--yes", "ap-1"};
    r.exit_code = 1;
    r.err = "Error\nApp is already stopped.\n\n";
    EXPECT_EQ(describe_failure(r), "`modal app stop` failed (exit 1): App is already stopped.");
    r.err = "╭─ Error ──────────────╮\n│ Token missing. Run   │\n│ modal setup.         │\n╰──────────────────────╯\n";
    EXPECT_EQ(describe_failure(r), "`modal app stop` failed (exit 1): modal setup.");  // not the box border
    r.timed_out = true;
    EXPECT_EQ(describe_failure(r), "`modal app stop` timed out");
}

// Values for the script's Secret.from_local_environ: read from the contract, shown by key only,
// and refused where a key would change how `modal` or Python itself runs.
TEST(RunnerRequest, SecretEnvIsReadCheckedAndSummarisedByKey) {
    mgpux::RunRequest sent;
    sent.script = "x";
    sent.app_name = "a";
    sent.secret_env = {{"JUPYTER_TOKEN", "tok-value"}};
    const RunRequest got = parse_run_request(sent.to_json().dump());
    EXPECT_EQ(got.secret_env, (std::map<std::string, std::string>{{"JUPYTER_TOKEN", "tok-value"}}));
    EXPECT_EQ(secret_env_keys(got), std::vector<std::string>{"JUPYTER_TOKEN"});
    const auto rows = summary_rows(got, std::nullopt, "/runs/1/modal_runner.py");
    std::map<std::string, std::string> m(rows.begin(), rows.end());
    EXPECT_EQ(m["secrets"], "ephemeral (JUPYTER_TOKEN)");
    for (const auto& [k, v] : rows) EXPECT_EQ(v.find("tok-value"), std::string::npos);
    for (const char* key : {"MODAL_TOKEN_ID", "PYTHONPATH", "LD_PRELOAD", "PATH", "1X", "A-B", ""}) {
        const std::string text =
            R"({"script": "x", "app_name": "a", "secret_env": {")" + std::string(key) + R"(": "v"}})";
        EXPECT_EQ(usage_code(text.c_str()), kExitUsage) << key;
    }
    EXPECT_EQ(usage_code(R"({"script": "x", "app_name": "a", "secret_env": {"K": 1}})"), kExitUsage);
}
