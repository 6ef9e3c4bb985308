// SPDX-License-Identifier: MIT
// Pure logic of the hub plugin (no host calls; tests: hub_logic_test.cpp):
// the input() scan (input_scan.cpp), pre-filled stdin, the script and
// vLLM template contexts and their validation.
#pragma once

#include "launch_logic.hpp"

#include <mgpux/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// ---------------------------------------------------------------- input() detection

struct InputScan {
    std::vector<int> lines;  // 1-based line of each call
    std::string error;       // the file did not tokenize (no calls assumed)
};

// The calls of the builtin input() in Python source (input_scan.cpp): the name `input`
// followed by `(` (spaces, comments and line breaks between them allowed), not `obj.input(`,
// `get_input(` or `def input(`; comments and every string form are skipped (prefixes r, b, u,
// f in any case and pair, single, double and triple quotes, escapes), and a call inside an
// f-string's replacement field counts at the line where the string starts. The same rule as
// Python's tokenizer, without starting Python. A triple-quoted string or a bracket left open
// at the end gives `error` and no lines.
InputScan scan_input_calls(std::string_view source);

enum class OnInput { Terminal, Prefill, Run };
std::optional<OnInput> on_input_from(const std::string& word);  // terminal | prefill | run

// The answers as the script's stdin: one per line, with a final newline.
std::string stdin_from_answers(const std::vector<std::string>& answers);

// ---------------------------------------------------------------- script runner

struct ScriptRun {
    std::string profile;
    mgpux::launch::Compute compute;
    std::string python_version;
    mgpux::launch::Deps deps;
    std::vector<std::string> excludes;
    std::string local_dir;
    long long timeout_s = 86400;
    std::string script_path;  // relative to local_dir
    std::vector<std::string> args;
    std::optional<std::string> stdin_text;
    std::optional<std::string> base_image;  // --image: a published image name
};

mgpux::Json script_context(const ScriptRun& r, const std::string& mgpux_version);
// An attached `modal run` (no session: it is over when the command returns).
mgpux::RunRequest script_request(const ScriptRun& r, const std::string& script,
                                 const mgpux::launch::UploadStats& upload);

// ---------------------------------------------------------------- vLLM

struct VllmModel {
    const char* id;
    const char* note;
    bool gated;  // needs a Hugging Face token
};
const std::vector<VllmModel>& vllm_models();
bool is_gated(const std::string& model_id);

// A Hugging Face model id: "org/name" of [A-Za-z0-9._-] parts (or a bare
// name). Throws usage_error naming --model.
void validate_model_id(const std::string& id);

// An environment variable name ([A-Za-z_][A-Za-z0-9_]*). Throws usage_error naming --hf-token-env.
void validate_env_name(const std::string& name);

struct VllmLaunch {
    std::string profile;
    mgpux::launch::Compute compute;  // a GPU (vLLM is refused on CPU)
    std::string python_version;
    std::string model;
    std::string mode = "deploy";  // deploy | serve
    bool background = false;
    std::optional<long long> max_model_len;
    bool enforce_eager = true;
    std::vector<std::string> extra_args;
    int min_containers = 0;
    long long timeout_s = 86400;
};

inline constexpr int kVllmScaledownS = 300;
inline constexpr int kVllmMaxInputs = 50;
inline constexpr int kVllmStartupTimeoutS = 600;

mgpux::Json vllm_context(const VllmLaunch& v, const std::string& mgpux_version, bool hf_token);

// vLLM's own flags that m-gpux sets itself may not come through --vllm-arg.
void validate_vllm_args(const std::vector<std::string>& args);

}  // namespace hub
