// SPDX-License-Identifier: MIT
#include "hub_logic.hpp"

#include <gtest/gtest.h>

using mgpux::Json;
using namespace hub;

TEST(Script, StdinAndOnInput) {
    EXPECT_EQ(stdin_from_answers({"ann", "42"}), "ann\n42\n");
    EXPECT_EQ(stdin_from_answers({}), "");
    EXPECT_EQ(on_input_from("prefill"), OnInput::Prefill);
    EXPECT_FALSE(on_input_from("ask").has_value());
}

TEST(Script, ContextAndAttachedRequest) {
    ScriptRun r;
    Json gpu = Json::object();
    gpu.set("name", "L4");
    gpu.set("count", 1);
    gpu.set("spec", "L4");
    gpu.set("label", "L4");
    r.compute = mgpux::launch::compute_from_gpu(gpu);
    r.profile = "work";
    r.python_version = "3.12";
    r.local_dir = "/p";
    r.script_path = "sub/a.py";
    r.args = {"--epochs", "3"};
    r.stdin_text = "x\n";
    const Json ctx = script_context(r, "2.0");
    EXPECT_EQ(ctx.find("script_path")->as_string(), "sub/a.py");
    EXPECT_EQ(ctx.find("stdin_text")->as_string(), "x\n");
    EXPECT_EQ(ctx.find("compute_label")->as_string(), "L4");
    EXPECT_EQ(ctx.find("script_args")->as_array().size(), 2u);
    const Json req = script_request(r, "print()", {}).to_json();
    EXPECT_EQ(req.find("mode")->as_string(), "run");
    EXPECT_EQ(req.find("detach"), nullptr);
    EXPECT_EQ(req.find("session"), nullptr);
    EXPECT_EQ(req.find("description")->as_string(), "Script sub/a.py on L4");
}

TEST(Vllm, Validation) {
    EXPECT_NO_THROW(validate_model_id("Qwen/Qwen2.5-1.5B-Instruct"));
    EXPECT_NO_THROW(validate_model_id("gpt2"));
    for (const char* bad : {"", "a/b/c", "-x", "a b", "../x", "a;rm", "/abs"})
        EXPECT_THROW(validate_model_id(bad), mgpux::Error) << bad;
    EXPECT_NO_THROW(validate_env_name("HF_TOKEN"));
    EXPECT_THROW(validate_env_name("1X"), mgpux::Error);
    EXPECT_THROW(validate_env_name("A-B"), mgpux::Error);
    EXPECT_NO_THROW(validate_vllm_args({"--dtype", "half", "--gpu-memory-utilization=0.8"}));
    EXPECT_THROW(validate_vllm_args({"--api-key=x"}), mgpux::Error);
    EXPECT_THROW(validate_vllm_args({"--port", "1"}), mgpux::Error);
    EXPECT_TRUE(is_gated("meta-llama/Llama-3.1-8B-Instruct"));
    EXPECT_FALSE(is_gated("Qwen/Qwen2.5-7B-Instruct"));
}

TEST(Vllm, ContextHasEveryTemplateName) {
    VllmLaunch v;
    Json gpu = Json::object();
    gpu.set("name", "A100");
    gpu.set("count", 2);
    gpu.set("spec", "A100:2");
    gpu.set("label", "A100 x2");
    v.compute = mgpux::launch::compute_from_gpu(gpu);
    v.model = "m/x";
    v.python_version = "3.12";
    const Json ctx = vllm_context(v, "2.0", true);
    for (const char* k : {"mgpux_version", "template", "app_name", "python_version", "model_name", "gpu", "hf_token",
                          "max_model_len", "enforce_eager", "extra_args", "timeout_s", "scaledown_window_s",
                          "min_containers", "max_inputs", "startup_timeout_s"})
        EXPECT_NE(ctx.find(k), nullptr) << k;
    EXPECT_EQ(ctx.find("gpu")->as_string(), "A100:2");
    EXPECT_TRUE(ctx.find("max_model_len")->is_null());
}
