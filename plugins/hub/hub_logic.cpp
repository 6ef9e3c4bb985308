// SPDX-License-Identifier: MIT
#include "hub_logic.hpp"

namespace hub {
namespace {

using mgpux::Json;

bool name_char(char c, bool first) {
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    return alpha || (!first && c >= '0' && c <= '9');
}

}  // namespace

std::optional<OnInput> on_input_from(const std::string& word) {
    if (word == "terminal") return OnInput::Terminal;
    if (word == "prefill") return OnInput::Prefill;
    if (word == "run") return OnInput::Run;
    return std::nullopt;
}

std::string stdin_from_answers(const std::vector<std::string>& answers) {
    std::string out;
    for (const auto& a : answers) out += a + "\n";
    return out;
}

Json script_context(const ScriptRun& r, const std::string& mgpux_version) {
    Json ctx = mgpux::launch::compute_context(r.compute);
    ctx.set("mgpux_version", mgpux_version);
    ctx.set("template", "hub/script.py");
    ctx.set("app_name", "m-gpux-runner");
    ctx.set("python_version", r.python_version);
    ctx.set("timeout_s", r.timeout_s);
    ctx.set("local_dir", r.local_dir);
    ctx.set("exclude_patterns", Json::array_of(r.excludes));
    ctx.set("packages", Json::array_of(r.deps.packages));
    ctx.set("requirements", r.deps.requirements_abs.empty() ? Json() : Json(r.deps.requirements_abs));
    ctx.set("script_path", r.script_path);
    ctx.set("script_args", Json::array_of(r.args));
    ctx.set("base_image", r.base_image ? Json(*r.base_image) : Json());
    ctx.set("stdin_text", r.stdin_text ? Json(*r.stdin_text) : Json());
    ctx.set("compute_label", r.compute.label);
    return ctx;
}

mgpux::RunRequest script_request(const ScriptRun& r, const std::string& script,
                                 const mgpux::launch::UploadStats& upload) {
    mgpux::launch::LaunchPlan plan;
    plan.app_name = "m-gpux-runner";
    plan.mode = "run";
    plan.description = "Script " + r.script_path + " on " + r.compute.label;
    plan.compute = r.compute;
    plan.timeout_s = r.timeout_s;
    plan.deps = r.deps;
    plan.upload_root = r.local_dir;
    plan.upload = upload;
    mgpux::RunRequest req = mgpux::launch::run_request(plan, script);
    if (!r.profile.empty()) req.profile = r.profile;
    return req;
}

const std::vector<VllmModel>& vllm_models() {
    static const std::vector<VllmModel> models = {
        {"Qwen/Qwen2.5-1.5B-Instruct", "small; fits a T4 or L4", false},
        {"Qwen/Qwen2.5-7B-Instruct", "7B; A10 or A100", false},
        {"meta-llama/Llama-3.1-8B-Instruct", "gated on Hugging Face: needs --hf-token-env", true},
        {"google/gemma-2-9b-it", "gated on Hugging Face: needs --hf-token-env", true},
        {"mistralai/Mistral-7B-Instruct-v0.3", "7B; A10 or A100", false},
    };
    return models;
}

bool is_gated(const std::string& model_id) {
    for (const auto& m : vllm_models())
        if (model_id == m.id) return m.gated;
    return false;
}

void validate_model_id(const std::string& id) {
    bool ok = !id.empty() && id.size() <= 200 && id.front() != '/' && id.back() != '/' && id.front() != '-';
    int slashes = 0;
    for (char c : id) {
        if (c == '/') ++slashes;
        else if (!(name_char(c, false) || c == '.' || c == '-')) ok = false;
    }
    if (!ok || slashes > 1 || id.find("..") != std::string::npos)
        throw mgpux::usage_error("--model " + Json(id).dump() +
                                 " is not a Hugging Face model id (ORG/NAME, e.g. Qwen/Qwen2.5-1.5B-Instruct)");
}

void validate_env_name(const std::string& name) {
    bool ok = !name.empty();
    for (std::size_t i = 0; i < name.size(); ++i)
        if (!name_char(name[i], i == 0)) ok = false;
    if (!ok) throw mgpux::usage_error("--hf-token-env " + Json(name).dump() + " is not an environment variable name");
}

void validate_vllm_args(const std::vector<std::string>& args) {
    static const char* const owned[] = {
        "--api-key",       "--host",         "--port", "--served-model-name", "--tensor-parallel-size",
        "--max-model-len", "--enforce-eager"};
    for (const auto& a : args) {
        for (const char* o : owned) {
            const std::string flag(o);
            if (a == flag || a.rfind(flag + "=", 0) == 0)
                throw mgpux::usage_error("--vllm-arg " + Json(a).dump() + ": m-gpux sets " + flag +
                                         " itself (use --max-model-len / --no-enforce-eager / --gpu NAME:COUNT)");
        }
    }
}

Json vllm_context(const VllmLaunch& v, const std::string& mgpux_version, bool hf_token) {
    Json ctx = Json::object();
    ctx.set("mgpux_version", mgpux_version);
    ctx.set("template", "hub/vllm.py");
    ctx.set("app_name", "m-gpux-vllm");
    ctx.set("python_version", v.python_version);
    ctx.set("model_name", v.model);
    ctx.set("gpu", v.compute.gpu ? Json(*v.compute.gpu) : Json());
    ctx.set("hf_token", hf_token);
    ctx.set("max_model_len", v.max_model_len ? Json(*v.max_model_len) : Json());
    ctx.set("enforce_eager", v.enforce_eager);
    ctx.set("extra_args", Json::array_of(v.extra_args));
    ctx.set("timeout_s", v.timeout_s);
    ctx.set("scaledown_window_s", kVllmScaledownS);
    ctx.set("min_containers", v.min_containers);
    ctx.set("max_inputs", kVllmMaxInputs);
    ctx.set("startup_timeout_s", kVllmStartupTimeoutS);
    return ctx;
}

}  // namespace hub
