// SPDX-License-Identifier: MIT
#include "serve_logic.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace serve;

TEST(ServeKeys, FormatAndMask) {
    const std::string k = key_from_bytes(std::string(24, '\xab'));
    EXPECT_EQ(k.size(), 57u);
    EXPECT_EQ(k.rfind("sk-mgpux-", 0), 0u);
    EXPECT_EQ(mask_key(k), k.substr(0, 14) + "..." + k.substr(53));
    EXPECT_EQ(random_bytes(24).size(), 24u);
    EXPECT_NE(random_bytes(24), random_bytes(24));
}

TEST(ServeKeys, ParseActiveDefaultsTrueAndKeepsExtraMembers) {
    const Json doc = Json::parse(R"([{"name":"a","key":"k1","created":"2024-01-01T00:00:00"},
                                     {"name":"b","key":"k2","active":false,"note":"x"}])");
    const auto keys = parse_keys(doc);
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_TRUE(keys[0].active);
    EXPECT_FALSE(keys[1].active);
    EXPECT_EQ(active_keys(keys).size(), 1u);
    const Json back = keys_to_json(keys);
    EXPECT_EQ(back.as_array()[1].find("note")->as_string(), "x");
    EXPECT_TRUE(parse_keys(Json()).empty());
}

TEST(ServeKeys, OnlyAMissingOrTrueActiveIsActive) {
    // the proxies' rule: any "active" but true (or none) is a revoked key, not an error
    const auto keys =
        parse_keys(Json::parse(R"([{"name":"a","key":"k","active":"yes"},{"name":"b","key":"k","active":null},
        {"name":"c","key":"k","active":0},{"name":"d","key":"k","active":1},{"name":"e","key":"k","active":"true"},
        {"name":"f","key":"k","active":true},{"name":"g","key":"k"}])"));
    ASSERT_EQ(keys.size(), 7u);
    for (std::size_t i = 0; i < 5; ++i) EXPECT_FALSE(keys[i].active) << keys[i].name;
    EXPECT_TRUE(keys[5].active);
    EXPECT_TRUE(keys[6].active);
    EXPECT_FALSE(keys_to_json(keys).as_array()[1].find("active")->as_bool());
}

TEST(ServeKeys, BadStoreIsAConfigError) {
    for (const char* text : {R"({})", R"([1])", R"([{"name":"a"}])"}) {
        try {
            parse_keys(Json::parse(text));
            FAIL() << text;
        } catch (const mgpux::Error& e) {
            EXPECT_EQ(e.code(), MGPUX_E_CONFIG) << text;
        }
    }
}

TEST(ServeKeys, FindPrefersActive) {
    auto keys = parse_keys(Json::parse(R"([{"name":"d","key":"1","active":false},{"name":"d","key":"2"}])"));
    EXPECT_EQ(find_key(keys, "d"), 0);
    EXPECT_EQ(find_key(keys, "d", true), 1);
    EXPECT_EQ(find_key(keys, "x"), -1);
}

TEST(ServeKeys, Sha256Vectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(std::string(1000, 'a')).size(), 64u);
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(ServeKeys, HashesOfActiveKeysOnly) {
    auto keys = parse_keys(
        Json::parse(R"([{"name":"a","key":"abc"},{"name":"b","key":"x","active":false},{"name":"c","key":""}])"));
    EXPECT_EQ(key_hashes(keys), sha256_hex("abc") + "," + sha256_hex(""));
    keys[0].active = keys[2].active = false;
    EXPECT_EQ(key_hashes(keys).size(), 64u);  // matches no key, so the proxy still starts
}

TEST(ServeKeys, NameValidation) {
    EXPECT_NO_THROW(validate_key_name("team-a"));
    EXPECT_THROW(validate_key_name(""), mgpux::Error);
    EXPECT_THROW(validate_key_name("a\nb"), mgpux::Error);
    EXPECT_THROW(validate_key_name(std::string(65, 'a')), mgpux::Error);
}

TEST(ServeModels, PresetsAndExtraArgs) {
    ASSERT_EQ(model_presets().size(), 11u);
    EXPECT_STREQ(model_presets()[1].id, "Qwen/Qwen2.5-7B-Instruct");
    ASSERT_NE(find_preset("Qwen/Qwen3.5-35B-A3B"), nullptr);
    EXPECT_STREQ(find_preset("Qwen/Qwen3.5-35B-A3B")->gpu, "A100-80GB");
    EXPECT_EQ(find_preset("nope/x"), nullptr);
    EXPECT_TRUE(is_gated("meta-llama/Llama-3.1-8B-Instruct"));
    EXPECT_TRUE(is_gated("google/gemma-2-9b-it"));
    EXPECT_TRUE(is_gated("meta-llama/Llama-3.1-70B-Instruct"));
    EXPECT_FALSE(is_gated("Qwen/Qwen2.5-7B-Instruct"));
    EXPECT_FALSE(is_gated("someone/custom"));
    // Recommendations use the catalog's names (A10, not Modal's old A10G).
    for (const auto& p : model_presets()) EXPECT_STRNE(p.gpu, "A10G") << p.id;
    EXPECT_EQ(model_extra_args("Qwen/Qwen3.5-35B-A3B")[1], "qwen3");
    EXPECT_EQ(model_extra_args("meta-llama/Llama-3.1-8B-Instruct").back(), "llama3_json");
    EXPECT_EQ(model_extra_args("deepseek-ai/DeepSeek-V2-Lite-Chat").back(), "hermes");
    EXPECT_EQ(model_extra_args("mistralai/Mistral-7B-Instruct-v0.3").back(), "mistral_small");
    EXPECT_TRUE(model_extra_args("google/gemma-2-9b-it").empty());
    EXPECT_NO_THROW(validate_model_id("a\"b'{{x}}"));
    EXPECT_THROW(validate_model_id("a\nb"), mgpux::Error);
    EXPECT_THROW(validate_model_id("--x"), mgpux::Error);
    EXPECT_THROW(validate_model_id(""), mgpux::Error);
}

TEST(ServeNames, AppNamesSecretsAndUrls) {
    EXPECT_EQ(app_name_for(""), "m-gpux-llm-api");
    EXPECT_EQ(app_name_for("My Llama 70B!"), "m-gpux-llm-api-my-llama-70b");
    EXPECT_THROW(app_name_for("!!!"), mgpux::Error);
    EXPECT_EQ(app_name_for(std::string(40, 'a')), "m-gpux-llm-api-" + std::string(30, 'a'));
    EXPECT_EQ(keys_secret_for("m-gpux-llm-api"), "m-gpux-llm-api-keys");
    EXPECT_EQ(hf_secret_for("m-gpux-llm-api"), "m-gpux-llm-api-hf");
    EXPECT_EQ(web_url_for("alice", "m-gpux-llm-api"), "https://alice--m-gpux-llm-api-serve.modal.run");
    EXPECT_EQ(normalize_url("https://x.modal.run//", "--url"), "https://x.modal.run");
    EXPECT_THROW(normalize_url("x.modal.run", "--url"), mgpux::Error);
    EXPECT_THROW(normalize_url("http://a b", "--url"), mgpux::Error);
}

namespace {
DeployPlan gpu_plan() {
    DeployPlan p;
    p.model = "Qwen/Qwen3-8B";
    p.gpu_name = "H100";
    p.gpu_count = 2;
    p.tensor_parallel = 2;
    p.max_model_len = 8192;
    return p;
}
int usage_code(const DeployPlan& p) {
    try {
        validate_plan(p);
        return 0;
    } catch (const mgpux::Error& e) {
        return e.code();
    }
}
}  // namespace

TEST(ServePlan, Validation) {
    DeployPlan p = gpu_plan();
    EXPECT_EQ(usage_code(p), 0);
    p.tensor_parallel = 1;
    EXPECT_EQ(usage_code(p), MGPUX_E_USAGE);  // a mismatch with the GPU count
    p = gpu_plan();
    p.gpu_memory_utilization = 0.05;
    EXPECT_EQ(usage_code(p), MGPUX_E_USAGE);
    p = gpu_plan();
    p.min_containers = 2;
    p.max_containers = 1;
    EXPECT_EQ(usage_code(p), MGPUX_E_USAGE);
    p = gpu_plan();
    p.max_inflight = 0;
    EXPECT_EQ(usage_code(p), MGPUX_E_USAGE);
    p = gpu_plan();
    p.max_body = 0;
    EXPECT_EQ(usage_code(p), MGPUX_E_USAGE);
    p = DeployPlan();
    p.upstream_mode = true;  // no engine numbers to check
    EXPECT_EQ(usage_code(p), 0);
}

TEST(ServePlan, VllmArgsAndContext) {
    DeployPlan p = gpu_plan();
    const auto a = vllm_args(p);
    auto after = [&](const std::string& flag) {
        for (std::size_t i = 0; i + 1 < a.size(); ++i)
            if (a[i] == flag) return a[i + 1];
        return std::string("<missing>");
    };
    EXPECT_EQ(after("--served-model-name"), "Qwen/Qwen3-8B");
    EXPECT_EQ(after("--tensor-parallel-size"), "2");
    EXPECT_EQ(after("--gpu-memory-utilization"), "0.92");
    EXPECT_EQ(after("--port"), "8001");
    EXPECT_EQ(after("--host"), "127.0.0.1");
    EXPECT_EQ(std::count(a.begin(), a.end(), "--trust-remote-code"), 0);
    EXPECT_EQ(a.back(), "qwen3_coder");
    EXPECT_EQ(gpu_spec(p), "H100:2");
    p.gpu_count = 1;
    EXPECT_EQ(gpu_spec(p), "H100");
    const Json c = render_context(p, "1.0");
    EXPECT_EQ(c.find("keys_secret")->as_string(), "m-gpux-llm-api-keys");
    EXPECT_TRUE(c.find("hf_secret")->is_null());
    EXPECT_TRUE(c.find("upstream")->is_null());
    EXPECT_EQ(c.find("max_inflight")->as_int(), 64);
    EXPECT_EQ(c.find("max_body")->as_int(), 16 << 20);
}

TEST(ServeProxy, OnlyTheNativeProxyIsLeft) {
    EXPECT_NO_THROW(check_proxy_choice("native"));
    for (const char* other : {"python", "rust"}) {
        try {
            check_proxy_choice(other);
            FAIL() << other;
        } catch (const mgpux::Error& e) {
            EXPECT_EQ(e.code(), MGPUX_E_USAGE);
            EXPECT_NE(std::string(e.what()).find("the native proxy is the only one"), std::string::npos) << e.what();
        }
    }
}

TEST(ServeProxy, Args) {
    const std::vector<std::string> expected = {"--upstream", "http://u", "--host",         "0.0.0.0",
                                               "--port",     "0",        "--max-inflight", "7",
                                               "--max-body", "4096",     "--keys-file",    "/k.json"};
    EXPECT_EQ(proxy_args("http://u", "0.0.0.0", 0, 7, 4096, "/k.json", false), expected);
    EXPECT_EQ(proxy_args("http://u", "0.0.0.0", 0, 7, 4096, "/k.json", true).back(), "--docs");
    EXPECT_EQ(proxy_args("https://u", "0.0.0.0", 0, 7, 4096, "/k.json", true, true).back(), "--upstream-insecure");
}

TEST(ServePlan, HttpsUpstreamAndItsCertificateCheck) {
    DeployPlan p;
    p.upstream_mode = true;
    p.upstream = "https://api.example.com";
    p.proxy_sources = "/usr/share/m-gpux/proxy";
    EXPECT_EQ(usage_code(p), 0);
    Json c = render_context(p, "1.0");
    EXPECT_FALSE(c.find("upstream_insecure")->as_bool());
    EXPECT_EQ(c.find("proxy_sources")->as_string(), "/usr/share/m-gpux/proxy");
    p.upstream_insecure = true;
    EXPECT_EQ(usage_code(p), 0);
    EXPECT_TRUE(render_context(p, "1.0").find("upstream_insecure")->as_bool());
    p.upstream_mode = false;  // vLLM in the container: no certificate to skip
    EXPECT_EQ(usage_code(p), MGPUX_E_USAGE);
}

TEST(ServeSnippet, RefersToTheEnvironmentVariable) {
    std::string all;
    for (const auto& l : usage_snippet("https://w--a-serve.modal.run", "m/x")) all += l + "\n";
    EXPECT_NE(all.find("Bearer $MGPUX_API_KEY"), std::string::npos);
    EXPECT_NE(all.find("os.environ[\"MGPUX_API_KEY\"]"), std::string::npos);
    EXPECT_NE(all.find("https://w--a-serve.modal.run/v1"), std::string::npos);
    EXPECT_EQ(all.find("sk-mgpux-"), std::string::npos);
}

TEST(ServeDashboard, Formatting) {
    EXPECT_EQ(format_uptime(3725), "1h 2m 5s");
    EXPECT_EQ(format_uptime(65), "1m 5s");
    EXPECT_EQ(format_uptime(5), "5s");
    EXPECT_EQ(bar(50, 10), "[#####.....]  50%");
    EXPECT_EQ(bar(150, 4), "[####] 100%");
    EXPECT_EQ(bar(-3, 4), "[....]   0%");
    EXPECT_EQ(first_model_id(Json::parse(R"({"data":[{"id":"m1"},{"id":"m2"}]})")), "m1");
    EXPECT_EQ(first_model_id(Json::parse(R"({"data":[]})")), "");
}

TEST(ServeDashboard, SnapshotStatusAndLines) {
    const Json stats = Json::parse(R"({"uptime_seconds": 65, "requests_per_second": 1.25, "total_requests": 4,
        "total_success": 3, "inflight_requests": 1, "max_inflight_limit": 64, "vllm_models": {"data":[{"id":"m"}]},
        "gpus": [{"index":0,"name":"H100","vram_total_mib":80000,"vram_used_mib":40000,"gpu_util_pct":50,
                  "mem_util_pct":10,"temperature_c":60,"power_draw_w":300,"power_limit_w":700}],
        "cpu": {"cores": 4, "load_1m": 2.0}, "ram": {"total_mb": 2048, "used_mb": 1024, "used_pct": 50},
        "disk": {"total_gb": 100, "used_gb": 10, "used_pct": 10}})");
    const Json health = Json::parse(R"({"status":"ok","vllm_ready":true})");
    const Json snap = dashboard_snapshot("http://u", stats, health, "");
    EXPECT_EQ(snap.find("status")->as_string(), "online");
    EXPECT_EQ(snap.find("model")->as_string(), "m");
    std::string text;
    for (const auto& l : dashboard_lines(snap, "12:00:00")) text += l + "\n";
    EXPECT_NE(text.find("ONLINE  up 1m 5s  model m  1.2 req/s"), std::string::npos) << text;
    EXPECT_NE(text.find("40000 / 80000 MiB"), std::string::npos);
    EXPECT_NE(text.find("3 / 4"), std::string::npos);
    EXPECT_EQ(dashboard_snapshot("u", stats, Json::parse(R"({"status":"loading"})"), "").find("status")->as_string(),
              "loading");
    const Json off = dashboard_snapshot("http://u", Json(), Json(), "cannot reach");
    EXPECT_EQ(off.find("status")->as_string(), "offline");
    EXPECT_EQ(dashboard_lines(off, "t")[1], "OFFLINE  http://u");
}
