// SPDX-License-Identifier: MIT
#include "serve_logic.hpp"

#include "sha256.hpp"

#include "launch_logic.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>

namespace serve {

namespace {

[[noreturn]] void store_error(const std::string& what) {
    throw mgpux::Error(MGPUX_E_CONFIG, "api_keys.json: " + what + " (fix or move the file; it was left as it is)");
}

std::string hex(const unsigned char* data, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0x0F];
    }
    return out;
}

bool has_control(const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

// ---------------------------------------------------------------- key store

std::vector<ApiKey> parse_keys(const Json& doc) {
    std::vector<ApiKey> keys;
    if (doc.is_null()) return keys;
    if (!doc.is_array()) store_error("the document is not a JSON array");
    std::size_t i = 0;
    for (const Json& e : doc.as_array()) {
        const std::string where = "entry " + std::to_string(i++);
        if (!e.is_object()) store_error(where + " is not an object");
        const Json* name = e.find("name");
        const Json* key = e.find("key");
        if (!name || !name->is_string()) store_error(where + " has no string \"name\"");
        if (!key || !key->is_string()) store_error(where + " has no string \"key\"");
        ApiKey k;
        k.name = name->as_string();
        k.key = key->as_string();
        if (const Json* c = e.find("created"); c && c->is_string()) k.created = c->as_string();
        // The proxies' rule, fail closed: a key is active only when "active" is missing or true;
        // any other value (false, null, 0, "true", ...) is a revoked key.
        if (const Json* a = e.find("active")) k.active = a->is_bool() && a->as_bool();
        k.raw = e;
        keys.push_back(std::move(k));
    }
    return keys;
}

Json keys_to_json(const std::vector<ApiKey>& keys) {
    Json out = Json::array();
    for (const ApiKey& k : keys) {
        Json o = k.raw.is_object() ? k.raw : Json::object();
        o.set("name", k.name);
        o.set("key", k.key);
        o.set("created", k.created);
        o.set("active", k.active);
        out.push(o);
    }
    return out;
}

std::string key_from_bytes(const std::string& random_bytes) {
    return kKeyPrefix + hex(reinterpret_cast<const unsigned char*>(random_bytes.data()), random_bytes.size());
}

std::string random_bytes(std::size_t n) {
    std::ifstream in("/dev/urandom", std::ios::binary);
    std::string out(n, '\0');
    if (!in || !in.read(out.data(), static_cast<std::streamsize>(n)))
        throw mgpux::Error(MGPUX_E_FAILED, "cannot read /dev/urandom to make a key");
    return out;
}

std::string mask_key(const std::string& key) {
    if (key.size() <= 18) return std::string(key.size() > 4 ? 4 : key.size(), '*') + "...";
    return key.substr(0, 14) + "..." + key.substr(key.size() - 4);
}

std::string now_local_iso() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us));
    return std::string(buf) + frac;
}

void validate_key_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || has_control(name))
        throw mgpux::usage_error("--name: a key name is 1-64 printable characters");
}

int find_key(const std::vector<ApiKey>& keys, const std::string& name, bool prefer_active) {
    if (prefer_active)
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i].name == name && keys[i].active) return static_cast<int>(i);
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i].name == name) return static_cast<int>(i);
    return -1;
}

std::vector<const ApiKey*> active_keys(const std::vector<ApiKey>& keys) {
    std::vector<const ApiKey*> out;
    for (const ApiKey& k : keys)
        if (k.active) out.push_back(&k);
    return out;
}

// The proxy hashes a presented key with its own SHA-256; a unit test checks that both give
// the same digests.
std::string sha256_hex(const std::string& data) { return mgpux::digest::sha256_hex(data); }

std::string key_hashes(const std::vector<ApiKey>& keys) {
    std::string out;
    for (const ApiKey* k : active_keys(keys)) {
        if (!out.empty()) out += ',';
        out += sha256_hex(k->key);
    }
    // The digest of a fixed text that is not a key format: matches nothing.
    return out.empty() ? sha256_hex("m-gpux: no active key") : out;
}

// ---------------------------------------------------------------- models

const std::vector<ModelPreset>& model_presets() {
    static const std::vector<ModelPreset> presets = {
        {"Qwen/Qwen2.5-1.5B-Instruct", "1.5B, small and fast; fits a T4 or L4", "T4", 4096, false},
        {"Qwen/Qwen2.5-7B-Instruct", "7B general chat model", "A10", 8192, false},
        {"Qwen/Qwen3-8B", "Qwen3 8B with reasoning", "A10", 8192, false},
        {"Qwen/Qwen3.5-35B-A3B", "35B mixture of experts (3B active)", "A100-80GB", 32768, false},
        {"meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B (gated: needs a HF token)", "A10", 8192, true},
        {"google/gemma-2-9b-it", "Gemma 2 9B (gated: needs a HF token)", "A10", 8192, true},
        {"mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B v0.3", "A10", 8192, false},
        {"Qwen/Qwen2.5-72B-Instruct-AWQ", "72B, AWQ 4-bit quantised", "A100-80GB", 16384, false},
        {"meta-llama/Llama-3.1-70B-Instruct", "Llama 3.1 70B (gated; H100:2 or more)", "H100", 16384, true},
        {"deepseek-ai/DeepSeek-V2-Lite-Chat", "DeepSeek V2 Lite 16B mixture of experts", "A100", 8192, false},
        {"microsoft/Phi-3-medium-4k-instruct", "Phi-3 Medium 14B", "A10", 4096, false},
    };
    return presets;
}

const ModelPreset* find_preset(const std::string& model) {
    for (const auto& p : model_presets())
        if (model == p.id) return &p;
    return nullptr;
}

bool is_gated(const std::string& model) {
    const ModelPreset* p = find_preset(model);
    return p && p->gated;
}

std::vector<std::string> model_extra_args(const std::string& model) {
    std::string lower = model;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    auto has = [&](const char* s) { return lower.find(s) != std::string::npos; };
    if (has("qwen3"))
        return {"--reasoning-parser", "qwen3", "--enable-auto-tool-choice", "--tool-call-parser", "qwen3_coder"};
    if (has("llama")) return {"--enable-auto-tool-choice", "--tool-call-parser", "llama3_json"};
    if (has("deepseek")) return {"--enable-auto-tool-choice", "--tool-call-parser", "hermes"};
    if (has("mistral")) return {"--enable-auto-tool-choice", "--tool-call-parser", "mistral_small"};
    return {};
}

void validate_model_id(const std::string& model) {
    // Any text is safe in the script (it is a Python literal and an argv
    // word); these rules only catch what cannot be a model id.
    if (model.empty() || model.size() > 256) throw mgpux::usage_error("--model: a model id is 1-256 characters");
    if (has_control(model)) throw mgpux::usage_error("--model: a model id has no control characters or newlines");
    if (model[0] == '-') throw mgpux::usage_error("--model: a model id cannot start with '-'");
}

// ---------------------------------------------------------------- names and URLs

std::string app_name_for(const std::string& name) {
    if (name.empty()) return kBaseAppName;
    const std::string s = mgpux::launch::slug(name, kNameSlugMax);
    if (s.empty()) throw mgpux::usage_error("--name: " + Json(name).dump() + " has no letters or digits");
    return std::string(kBaseAppName) + "-" + s;
}

std::string keys_secret_for(const std::string& app_name) { return app_name + "-keys"; }
std::string hf_secret_for(const std::string& app_name) { return app_name + "-hf"; }

std::string web_url_for(const std::string& workspace, const std::string& app_name) {
    return "https://" + workspace + "--" + app_name + "-serve.modal.run";
}

std::string normalize_url(const std::string& url, const std::string& flag) {
    std::string u = url;
    while (!u.empty() && (u.back() == '/' || u.back() == ' ')) u.pop_back();
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
        throw mgpux::usage_error(flag + ": expected an http:// or https:// URL, got " + Json(url).dump());
    if (has_control(u) || u.find(' ') != std::string::npos) throw mgpux::usage_error(flag + ": the URL has spaces");
    return u;
}

// ---------------------------------------------------------------- proxy implementations

void check_proxy_choice(const std::string& text) {
    if (text == "native") return;
    const std::string what = text == "python" ? "--proxy python: the Python proxy was retired"
                                              : "--proxy: no proxy named " + Json(text).dump();
    throw mgpux::usage_error(what +
                             "; the native proxy is the only one, and it forwards to http:// and https:// "
                             "upstreams (drop --proxy)");
}

void check_max_body(long long bytes, const std::string& flag) {
    if (bytes < 1 || bytes > kMaxMaxBody)
        throw mgpux::usage_error(flag + ": " + std::to_string(bytes) + " is outside 1.." + std::to_string(kMaxMaxBody));
}

std::vector<std::string> proxy_args(const std::string& upstream, const std::string& host, long long port,
                                    long long max_inflight, long long max_body, const std::string& keys_file, bool docs,
                                    bool upstream_insecure) {
    std::vector<std::string> a = {"--upstream",     upstream,
                                  "--host",         host,
                                  "--port",         std::to_string(port),
                                  "--max-inflight", std::to_string(max_inflight),
                                  "--max-body",     std::to_string(max_body),
                                  "--keys-file",    keys_file};
    if (docs) a.push_back("--docs");
    if (upstream_insecure) a.push_back("--upstream-insecure");
    return a;
}

// ---------------------------------------------------------------- deploy plan

namespace {
void range(long long v, long long lo, long long hi, const char* flag) {
    if (v < lo || v > hi)
        throw mgpux::usage_error(std::string(flag) + ": " + std::to_string(v) + " is outside " + std::to_string(lo) +
                                 ".." + std::to_string(hi));
}
}  // namespace

void validate_plan(const DeployPlan& p) {
    range(p.min_containers, 0, 100, "--min-containers");
    range(p.max_containers, 1, 100, "--max-containers");
    if (p.min_containers > p.max_containers)
        throw mgpux::usage_error("--min-containers " + std::to_string(p.min_containers) +
                                 " is above --max-containers " + std::to_string(p.max_containers));
    range(p.max_inflight, 1, 10000, "--max-inflight");
    check_max_body(p.max_body, "--max-body");
    if (p.upstream_insecure && !p.upstream_mode)
        throw mgpux::usage_error(
            "--upstream-insecure goes with an https:// --upstream (the proxy talks to vLLM in "
            "its own container over plain HTTP)");
    if (p.upstream_mode) return;
    range(p.max_model_len, 128, 10'000'000, "--max-model-len");
    if (!(p.gpu_memory_utilization >= 0.1 && p.gpu_memory_utilization <= 0.99))
        throw mgpux::usage_error("--gpu-memory-utilization: " + fixed(p.gpu_memory_utilization, 3) +
                                 " is outside 0.1..0.99");
    range(p.max_num_seqs, 1, 4096, "--max-num-seqs");
    range(p.max_batched_tokens, 128, 10'000'000, "--max-batched-tokens");
    range(p.tensor_parallel, 1, 8, "--tensor-parallel");
    if (p.tensor_parallel != p.gpu_count)
        throw mgpux::usage_error("--tensor-parallel " + std::to_string(p.tensor_parallel) + " does not match the " +
                                 std::to_string(p.gpu_count) + " GPU(s) of --gpu " + gpu_spec(p) +
                                 " (vLLM uses one tensor-parallel rank per GPU)");
}

std::string gpu_spec(const DeployPlan& p) {
    return p.gpu_count > 1 ? p.gpu_name + ":" + std::to_string(p.gpu_count) : p.gpu_name;
}

std::vector<std::string> vllm_args(const DeployPlan& p) {
    std::vector<std::string> a = {"--served-model-name",
                                  p.model,
                                  "--host",
                                  "127.0.0.1",
                                  "--port",
                                  "8001",
                                  "--tensor-parallel-size",
                                  std::to_string(p.tensor_parallel),
                                  "--seed",
                                  "1024",
                                  "--max-model-len",
                                  std::to_string(p.max_model_len),
                                  "--gpu-memory-utilization",
                                  fixed(p.gpu_memory_utilization, 2),
                                  "--enable-prefix-caching",
                                  "--max-num-seqs",
                                  std::to_string(p.max_num_seqs),
                                  "--enable-chunked-prefill",
                                  "--max-num-batched-tokens",
                                  std::to_string(p.max_batched_tokens)};
    if (p.trust_remote_code) a.push_back("--trust-remote-code");
    for (auto& e : model_extra_args(p.model)) a.push_back(e);
    return a;
}

Json render_context(const DeployPlan& p, const std::string& mgpux_version) {
    Json c = Json::object();
    c.set("mgpux_version", mgpux_version);
    c.set("template", "serve/deploy.py");
    c.set("app_name", p.app_name);
    c.set("model_name", p.upstream_mode ? Json() : Json(p.model));
    c.set("upstream", p.upstream_mode ? Json(p.upstream) : Json());
    c.set("proxy_only", p.upstream_mode);
    c.set("base_image", p.base_image ? Json(*p.base_image) : Json());
    c.set("gpu", p.upstream_mode ? Json() : Json(gpu_spec(p)));
    Json args = Json::array();
    if (!p.upstream_mode)
        for (auto& a : vllm_args(p)) args.push(a);
    c.set("vllm_args", args);
    c.set("min_containers", p.min_containers);
    c.set("max_containers", p.max_containers);
    c.set("max_inflight", p.max_inflight);
    c.set("max_body", p.max_body);
    c.set("docs", p.docs);
    c.set("keys_secret", keys_secret_for(p.app_name));
    c.set("hf_secret", p.has_hf_token ? Json(hf_secret_for(p.app_name)) : Json());
    c.set("upstream_insecure", p.upstream_insecure);
    c.set("proxy_sources", p.proxy_sources);
    return c;
}

// ---------------------------------------------------------------- client snippets

std::vector<std::string> usage_snippet(const std::string& url, const std::string& model) {
    const std::string m = Json(model).dump();  // a JSON string is also a valid Python literal here
    return {
        "export MGPUX_API_KEY=$(m-gpux serve keys show <name> --json | python3 -c 'import json,sys; "
        "print(json.load(sys.stdin)[\"key\"])')",
        "",
        "curl " + url + "/v1/chat/completions \\",
        "  -H \"Authorization: Bearer $MGPUX_API_KEY\" \\",
        "  -H 'Content-Type: application/json' \\",
        "  -d '{\"model\": " + m + ", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'",
        "",
        "from openai import OpenAI",
        "import os",
        "client = OpenAI(base_url=\"" + url + "/v1\", api_key=os.environ[\"MGPUX_API_KEY\"])",
        "reply = client.chat.completions.create(model=" + m +
            ", messages=[{\"role\": \"user\", \"content\": \"Hello\"}])",
        "print(reply.choices[0].message.content)",
    };
}

// ---------------------------------------------------------------- warmup / dashboard

std::string first_model_id(const Json& models) {
    const Json* data = models.find("data");
    if (!data || !data->is_array()) return "";
    for (const Json& m : data->as_array())
        if (const Json* id = m.find("id"); id && id->is_string()) return id->as_string();
    return "";
}

std::string format_uptime(double seconds) {
    const long long s = seconds < 0 ? 0 : static_cast<long long>(seconds);
    const long long h = s / 3600, m = (s % 3600) / 60, r = s % 60;
    if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m " + std::to_string(r) + "s";
    if (m > 0) return std::to_string(m) + "m " + std::to_string(r) + "s";
    return std::to_string(r) + "s";
}

std::string bar(double percent, int width) {
    if (!(percent >= 0)) percent = 0;  // NaN too
    if (percent > 100) percent = 100;
    const int filled = static_cast<int>(std::lround(percent / 100.0 * width));
    std::string out = "[";
    for (int i = 0; i < width; ++i) out += i < filled ? '#' : '.';
    out += "] ";
    std::string pct = fixed(percent, 0) + "%";
    while (pct.size() < 4) pct = " " + pct;
    return out + pct;
}

namespace {

double num(const Json& o, const char* key, double fallback = 0) {
    const Json* v = o.find(key);
    return v && v->is_number() ? v->as_float() : fallback;
}

std::string count(double v) { return std::to_string(static_cast<long long>(v)); }

void gpu_lines(std::vector<std::string>& out, const Json& stats) {
    out.push_back("GPU");
    const Json* gpus = stats.find("gpus");
    if (!gpus || !gpus->is_array() || gpus->as_array().empty()) {
        out.push_back("  no data (the container may be cold)");
        return;
    }
    for (const Json& g : gpus->as_array()) {
        const double used = num(g, "vram_used_mib"), total = num(g, "vram_total_mib");
        out.push_back("  " + g.string_or("name", "GPU " + count(num(g, "index"))));
        out.push_back("    VRAM     " + bar(total > 0 ? used / total * 100 : 0) + "  " + count(used) + " / " +
                      count(total) + " MiB");
        out.push_back("    Compute  " + bar(num(g, "gpu_util_pct")));
        out.push_back("    Mem BW   " + bar(num(g, "mem_util_pct")));
        out.push_back("    Temp     " + bar(num(g, "temperature_c"), 15) + "  " + count(num(g, "temperature_c")) +
                      " C");
        const double draw = num(g, "power_draw_w"), limit = num(g, "power_limit_w");
        out.push_back("    Power    " + bar(limit > 0 ? draw / limit * 100 : 0, 15) + "  " + count(draw) + " / " +
                      count(limit) + " W");
    }
}

void system_lines(std::vector<std::string>& out, const Json& stats) {
    out.push_back("System");
    const Json* cpu = stats.find("cpu");
    if (cpu && cpu->is_object()) {
        const double cores = num(*cpu, "cores", 1), load = num(*cpu, "load_1m");
        out.push_back("  CPU   " + bar(cores > 0 ? load / cores * 100 : 0) + "  " + count(cores) + " cores, load " +
                      fixed(load, 2));
    } else {
        out.push_back("  CPU   (no data)");
    }
    const Json* ram = stats.find("ram");
    if (ram && ram->is_object() && ram->find("total_mb")) {
        const double used = num(*ram, "used_mb"), total = num(*ram, "total_mb");
        out.push_back("  RAM   " + bar(num(*ram, "used_pct")) + "  " + fixed(used / 1024, 1) + " / " +
                      fixed(total / 1024, 1) + " GB");
    } else {
        out.push_back("  RAM   (no data)");
    }
    const Json* disk = stats.find("disk");
    if (disk && disk->is_object() && disk->find("total_gb")) {
        out.push_back("  Disk  " + bar(num(*disk, "used_pct")) + "  " + fixed(num(*disk, "used_gb"), 1) + " / " +
                      fixed(num(*disk, "total_gb"), 1) + " GB");
    } else {
        out.push_back("  Disk  (no data)");
    }
}

void traffic_lines(std::vector<std::string>& out, const Json& stats) {
    const double inflight = num(stats, "inflight_requests"), limit = num(stats, "max_inflight_limit", 64);
    const double total = num(stats, "total_requests"), ok = num(stats, "total_success");
    out.push_back("Traffic");
    out.push_back("  Active   " + bar(limit > 0 ? inflight / limit * 100 : 0) + "  " + count(inflight) + " / " +
                  count(limit) + " (peak " + count(num(stats, "peak_inflight")) + ")");
    out.push_back("  Success  " + bar(total > 0 ? ok / total * 100 : 100) + "  " + count(ok) + " / " + count(total));
    out.push_back("  4xx " + count(num(stats, "total_errors_4xx")) + "  5xx " + count(num(stats, "total_errors_5xx")) +
                  "  429 rejected " + count(num(stats, "rejected_429")) + "  auth rejected " +
                  count(num(stats, "rejected_auth")) + "  retries " + count(num(stats, "total_retries")));
}

void latency_lines(std::vector<std::string>& out, const Json& stats) {
    out.push_back("Latency");
    const double scale = std::max(num(stats, "latency_max_ms"), 1000.0);
    const std::pair<const char*, const char*> rows[] = {{"Avg", "latency_avg_ms"}, {"P50", "latency_p50_ms"},
                                                        {"P95", "latency_p95_ms"}, {"P99", "latency_p99_ms"},
                                                        {"Min", "latency_min_ms"}, {"Max", "latency_max_ms"}};
    for (const auto& [label, key] : rows) {
        const double v = num(stats, key);
        out.push_back(std::string("  ") + label + "  " + bar(v / scale * 100, 20) + "  " + fixed(v, 0) + " ms");
    }
}

void token_lines(std::vector<std::string>& out, const Json& stats) {
    const double prompt = num(stats, "tokens_prompt_total"), completion = num(stats, "tokens_completion_total");
    out.push_back("Tokens");
    if (prompt + completion <= 0) {
        out.push_back("  No tokens processed yet");
        return;
    }
    const double total = prompt + completion;
    out.push_back("  Prompt      " + bar(prompt / total * 100) + "  " + count(prompt));
    out.push_back("  Completion  " + bar(completion / total * 100) + "  " + count(completion));
    out.push_back("  Total       " + count(total));
}

}  // namespace

Json dashboard_snapshot(const std::string& url, const Json& stats, const Json& health, const std::string& error) {
    Json s = Json::object();
    s.set("url", url);
    std::string status = "offline";
    if (stats.is_object() || health.is_object()) {
        const bool ready =
            health.bool_or("vllm_ready") || health.bool_or("upstream_ready") || stats.bool_or("upstream_ready");
        status = ready ? "online" : "loading";
    }
    s.set("status", status);
    s.set("error", error.empty() ? Json() : Json(error));
    s.set("model", stats.is_object() ? [&] {
        const Json* m = stats.find("vllm_models");
        const std::string id = m ? first_model_id(*m) : "";
        return id.empty() ? Json() : Json(id);
    }() : Json());
    s.set("stats", stats);
    s.set("health", health);
    return s;
}

std::vector<std::string> dashboard_lines(const Json& snapshot, const std::string& clock) {
    std::vector<std::string> out;
    const std::string url = snapshot.string_or("url");
    const std::string status = snapshot.string_or("status");
    const std::string error = snapshot.string_or("error");
    const Json* st = snapshot.find("stats");
    out.push_back("M-GPUX LLM Dashboard  " + clock);
    if (!st || !st->is_object()) {
        out.push_back("OFFLINE  " + url);
        if (!error.empty()) out.push_back("  " + error);
        out.push_back("  Is it deployed? `m-gpux serve deploy`, then `m-gpux serve warmup`.");
        return out;
    }
    const Json& stats = *st;
    std::string upper = status;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    out.push_back(upper + "  up " + format_uptime(num(stats, "uptime_seconds")) + "  model " +
                  snapshot.string_or("model", "-") + "  " + fixed(num(stats, "requests_per_second"), 1) + " req/s");
    if (!error.empty()) out.push_back("  (" + error + ")");
    gpu_lines(out, stats);
    system_lines(out, stats);
    traffic_lines(out, stats);
    latency_lines(out, stats);
    token_lines(out, stats);
    out.push_back("Polling " + url + "  (Ctrl+C to stop)");
    return out;
}

}  // namespace serve
