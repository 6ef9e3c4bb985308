// SPDX-License-Identifier: MIT
// Pure logic of the serve plugin: the API key store, model presets, deploy
// plans and their validation, URLs, and the dashboard's text. Standard
// library and mgpux::Json only, so it is unit-tested without a host.
#pragma once

#include <mgpux/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace serve {

using mgpux::Json;

// ---------------------------------------------------------------- key store

// One entry of ~/.m-gpux/api_keys.json. `raw` keeps the stored object, so
// members written by another tool survive a rewrite. `active` is true only
// when the entry's "active" is missing or JSON true (as the proxies read it).
struct ApiKey {
    std::string name;
    std::string key;
    std::string created;
    bool active = true;
    Json raw;
};

inline constexpr const char* kKeyPrefix = "sk-mgpux-";

// Throws mgpux::Error(MGPUX_E_CONFIG) naming api_keys.json when the document
// is not an array of {name, key, ...} objects.
std::vector<ApiKey> parse_keys(const Json& doc);
Json keys_to_json(const std::vector<ApiKey>& keys);

// "sk-mgpux-" + 48 lowercase hex characters from 24 random bytes.
std::string key_from_bytes(const std::string& random_bytes);
// 24 bytes from /dev/urandom; throws Error on failure.
std::string random_bytes(std::size_t n);
// First 14 characters + "..." + last 4 (the original's masked form).
std::string mask_key(const std::string& key);
// Local time, ISO-8601 without zone, microseconds (as Python's isoformat()).
std::string now_local_iso();

// Names are 1-64 printable characters without control characters.
void validate_key_name(const std::string& name);
// Index of the first key named `name` (active first when `prefer_active`), or -1.
int find_key(const std::vector<ApiKey>& keys, const std::string& name, bool prefer_active = false);
std::vector<const ApiKey*> active_keys(const std::vector<ApiKey>& keys);

// Lowercase hex SHA-256.
std::string sha256_hex(const std::string& data);
// Comma-separated digests of the active keys; with none, a digest that no
// key has, so the proxy starts and refuses every request.
std::string key_hashes(const std::vector<ApiKey>& keys);

// ---------------------------------------------------------------- models

struct ModelPreset {
    const char* id;
    const char* description;
    const char* gpu;  // the catalog's name of the recommended GPU
    int context;
    bool gated;  // Hugging Face serves it only with a token
};
const std::vector<ModelPreset>& model_presets();
const ModelPreset* find_preset(const std::string& model);
// A preset that needs a Hugging Face token (an id that is not a preset is not known to be gated).
bool is_gated(const std::string& model);
// Extra vLLM arguments chosen by the model id (first match wins).
std::vector<std::string> model_extra_args(const std::string& model);
// A Hugging Face id: 1-200 of [A-Za-z0-9._-/], at most one "/", no "..",
// not starting with "/" or "-". Throws usage_error naming --model.
void validate_model_id(const std::string& model);

// ---------------------------------------------------------------- names and URLs

inline constexpr const char* kBaseAppName = "m-gpux-llm-api";
// The longest --name suffix (slugged with the shared launch::slug).
inline constexpr std::size_t kNameSlugMax = 30;
// m-gpux-llm-api, or m-gpux-llm-api-<slug(name)>. Throws usage_error when
// the name has nothing left after slugging.
std::string app_name_for(const std::string& name);
std::string keys_secret_for(const std::string& app_name);  // <app>-keys
std::string hf_secret_for(const std::string& app_name);    // <app>-hf
// https://<workspace>--<app>-serve.modal.run (Modal's rule for labels <= 63).
std::string web_url_for(const std::string& workspace, const std::string& app_name);
// Strips trailing "/"; requires http:// or https://. Throws usage_error naming `flag`.
std::string normalize_url(const std::string& url, const std::string& flag);

// ---------------------------------------------------------------- proxy implementations

// There is one proxy, the native one (mgpux-proxy). --proxy still accepts
// "native", so scripts that name it keep working; "python" (the retired
// Python proxy) and anything else are usage errors that say so.
void check_proxy_choice(const std::string& text);
// The words after the program. `upstream_insecure`: an https:// upstream's
// certificate is not checked.
std::vector<std::string> proxy_args(const std::string& upstream, const std::string& host, long long port,
                                    long long max_inflight, long long max_body, const std::string& keys_file, bool docs,
                                    bool upstream_insecure = false);
// The proxy's default and largest --max-body (bytes of a request body).
inline constexpr long long kDefaultMaxBody = 16LL << 20;
inline constexpr long long kMaxMaxBody = 1LL << 40;
// A usage error naming `flag` unless 1 <= bytes <= kMaxMaxBody.
void check_max_body(long long bytes, const std::string& flag);

// ---------------------------------------------------------------- deploy plan

struct DeployPlan {
    std::string model;
    bool upstream_mode = false;  // proxy only, in front of `upstream`
    std::string upstream;
    std::string gpu_name;  // "A10G"
    int gpu_count = 1;
    long long max_model_len = 0;
    double gpu_memory_utilization = 0.92;
    long long max_num_seqs = 48;
    long long max_batched_tokens = 8192;
    long long tensor_parallel = 1;
    long long min_containers = 1;
    long long max_containers = 1;
    long long max_inflight = 64;
    long long max_body = kDefaultMaxBody;
    std::string app_name = kBaseAppName;
    std::string mode = "deploy";
    bool docs = false;
    bool trust_remote_code = false;
    bool has_hf_token = false;
    bool upstream_insecure = false;  // upstream mode: skip the https:// certificate check
    // The shipped proxy sources on this machine, uploaded into the image.
    std::string proxy_sources;
    std::optional<std::string> base_image;  // --image: a published image instead of the built base
};

// Checks every number of the plan (and --upstream-insecure's use); throws
// usage_error naming the flag.
void validate_plan(const DeployPlan& p);
// The vLLM command line after "vllm serve" (without the model).
std::vector<std::string> vllm_args(const DeployPlan& p);
// The template context for serve/deploy.py.
Json render_context(const DeployPlan& p, const std::string& mgpux_version);
// "H100:2" or "A10G".
std::string gpu_spec(const DeployPlan& p);

// ---------------------------------------------------------------- client snippets

std::vector<std::string> usage_snippet(const std::string& url, const std::string& model);

// ---------------------------------------------------------------- warmup / dashboard

// The first "id" of an OpenAI /v1/models answer, or "".
std::string first_model_id(const Json& models);
// "1h 2m 3s", "2m 3s", "3s".
std::string format_uptime(double seconds);
// "[#####-----]  50%" style bar of `width` cells for a percentage clamped to [0, 100].
std::string bar(double percent, int width = 25);
// One snapshot for --json: {"url", "status", "error", "stats", "health"}.
Json dashboard_snapshot(const std::string& url, const Json& stats, const Json& health, const std::string& error);
// The dashboard as text lines (no colour codes).
std::vector<std::string> dashboard_lines(const Json& snapshot, const std::string& clock);

}  // namespace serve
