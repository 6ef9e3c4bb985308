// SPDX-License-Identifier: MIT
// `serve deploy` (the wizard, every step a flag), `serve logs`, `serve stop`.
#include "serve_commands.hpp"

#include "image_store.hpp"
#include "launch_args.hpp"
#include "launch_logic.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace serve {

namespace {

long long parse_int(const std::string& text, const char* flag) {
    try {
        std::size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {}
    throw mgpux::usage_error(std::string(flag) + ": " + Json(text).dump() + " is not a whole number");
}

long long int_answer(const mgpux::Host& host, const mgpux::Args& args, const char* name, const std::string& question,
                     long long fallback) {
    const std::string flag = std::string("--") + name;
    if (args.has(name)) return args.integer(name);
    const std::string def = std::to_string(fallback);
    return parse_int(host.ask(question, def.c_str(), flag.c_str()), flag.c_str());
}

double ratio_answer(const mgpux::Host& host, const mgpux::Args& args, const char* name, const std::string& question,
                    const char* fallback) {
    const std::string flag = std::string("--") + name;
    if (args.has(name)) return args.number(name);
    const std::string text = host.ask(question, fallback, flag.c_str());
    try {
        std::size_t used = 0;
        const double v = std::stod(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {}
    throw mgpux::usage_error(flag + ": " + Json(text).dump() + " is not a number");
}

[[noreturn]] void refuse_cpu() {
    throw mgpux::usage_error(
        "vLLM is not deployed on CPU: the image ships the CUDA build of vLLM 0.33, and the CPU build is a "
        "separate wheel that is far too slow to serve an LLM. Pick a GPU (--gpu T4 is the cheapest), or run "
        "a CPU server elsewhere and put the proxy in front of it with --upstream URL");
}

std::string choose_model(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("model")) return args.str("model");
    std::vector<std::string> labels, descriptions;
    for (const auto& p : model_presets()) {
        labels.push_back(p.id);
        descriptions.push_back(std::string(p.description) + " (" + p.gpu + ", " + std::to_string(p.context) +
                               " tokens)");
    }
    labels.push_back("(custom)");
    descriptions.push_back("any other Hugging Face model id");
    const int i = host.select("Model", labels, descriptions, 1, "--model");
    if (i >= 0 && static_cast<std::size_t>(i) < model_presets().size())
        return model_presets()[static_cast<std::size_t>(i)].id;
    return host.ask("Hugging Face model id (org/name)", nullptr, "--model");
}

// The catalog's row index of `name` (old spellings resolved by the catalog), or -1.
int catalog_row(const mgpux::Catalog& catalog, const Json& gpus, const std::string& name) {
    std::string canonical = name;
    try {
        canonical = catalog.parse_gpu(name).string_or("name");
    } catch (const mgpux::Error&) {}
    for (std::size_t i = 0; i < gpus.as_array().size(); ++i)
        if (gpus.as_array()[i].string_or("name") == canonical) return static_cast<int>(i);
    return -1;
}

// Flags only a vLLM deployment takes: any of them answers the compute-type question (GPU).
bool vllm_flag_given(const mgpux::Args& args) {
    for (const char* f : {"gpu", "max-model-len", "gpu-memory-utilization", "max-num-seqs", "max-batched-tokens",
                          "tensor-parallel", "hf-token-env"})
        if (args.has(f)) return true;
    return args.flag("trust-remote-code");
}

// The original's "GPU or CPU?". vLLM is deployed on GPUs only, so the CPU
// answer is what runs on a CPU here: the proxy alone, in front of a server
// the user runs (as --upstream).
bool wants_proxy_only(const mgpux::Host& host, const mgpux::Args& args) {
    if (vllm_flag_given(args)) return false;
    return host.select("Compute type", {"GPU", "CPU"},
                       {"vLLM on a Modal GPU (recommended)",
                        "no vLLM: only the proxy, on a small CPU container, in front of an OpenAI-compatible "
                        "server you run (its URL is asked)"},
                       0, "--gpu or --upstream") == 1;
}

void set_upstream(DeployPlan& p, const std::string& url) {
    p.upstream_mode = true;
    p.upstream = normalize_url(url, "--upstream");
    p.gpu_name = "";
}

// The GPU menu (the model's recommendation first chosen), then how many of it
// unless --tensor-parallel says so.
std::string ask_gpu_spec(const mgpux::Host& host, const mgpux::Args& args, const mgpux::Catalog& catalog,
                         const std::string& model) {
    const ModelPreset* preset = find_preset(model);
    const Json cat = catalog.get();
    const Json gpus = cat.find("gpus") ? *cat.find("gpus") : Json::array();
    const std::string recommended = catalog.parse_gpu(preset ? preset->gpu : "A100").string_or("name");
    mgpux::launch::MenuRows rows = mgpux::launch::gpu_menu_rows(cat);
    if (rows.labels.empty()) throw mgpux::Error(MGPUX_E_FAILED, "the GPU catalog is empty");
    const int def = catalog_row(catalog, gpus, recommended);
    if (def >= 0) rows.labels[static_cast<std::size_t>(def)] += "  <- recommended";
    const int i = host.select("GPU (recommended: " + recommended + ")", rows.labels, rows.descriptions,
                              def < 0 ? 0 : def, "--gpu");
    const std::string name = gpus.as_array()[static_cast<std::size_t>(i)].string_or("name");
    const long long count =
        args.has("tensor-parallel") ? args.integer("tensor-parallel") : mgpux::launch::ask_gpu_count(host, cat, name);
    return count > 1 ? name + ":" + std::to_string(count) : name;
}

void choose_gpu(const mgpux::Host& host, const mgpux::Args& args, DeployPlan& p) {
    const mgpux::Catalog catalog(host);
    const std::string spec = args.has("gpu") ? args.str("gpu") : ask_gpu_spec(host, args, catalog, p.model);
    std::string lower = spec;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "cpu" || lower == "none") refuse_cpu();
    const Json g = catalog.parse_gpu(spec);
    p.gpu_name = g.string_or("name");
    p.gpu_count = static_cast<int>(g.int_or("count", 1));
}

// The original's engine tuning; the tensor-parallel size is the GPU count.
void tune_engine(const mgpux::Host& host, const mgpux::Args& args, DeployPlan& p) {
    const ModelPreset* preset = find_preset(p.model);
    p.max_model_len =
        int_answer(host, args, "max-model-len", "Max model length (tokens)", preset ? preset->context : 4096);
    p.gpu_memory_utilization =
        ratio_answer(host, args, "gpu-memory-utilization", "GPU memory utilization (0.1-0.99)", "0.92");
    p.max_num_seqs = int_answer(host, args, "max-num-seqs", "Max concurrent sequences", 48);
    p.max_batched_tokens = int_answer(host, args, "max-batched-tokens", "Max batched tokens", 8192);
    p.tensor_parallel = args.integer("tensor-parallel", p.gpu_count);
    p.trust_remote_code = args.flag("trust-remote-code");
}

std::string hf_token(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("hf-token-env")) {
        const std::string var = args.str("hf-token-env");
        const char* v = var.empty() ? nullptr : std::getenv(var.c_str());
        if (!v || !*v) throw mgpux::usage_error("--hf-token-env: the environment variable " + var + " is not set");
        return v;
    }
    std::string token;
    if (args.global_flag("interactive") && !args.global_flag("yes") && !args.global_flag("no_input"))
        token = host.ask("Hugging Face token for gated models (Enter to skip)", "", "--hf-token-env", true);
    if (token.empty() && std::getenv("HF_TOKEN"))
        host.info("HF_TOKEN is set but not used: pass --hf-token-env HF_TOKEN to send it (as a Modal Secret).\n");
    return token;
}

DeployPlan plan_from(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("cpu")) refuse_cpu();
    DeployPlan p;
    p.app_name = app_name_for(args.str("name"));
    p.mode = args.str("mode", "deploy");
    p.docs = args.flag("docs");
    p.min_containers = 1;
    p.max_containers = args.integer("max-containers", 1);
    p.max_inflight = args.integer("max-inflight", 64);
    p.max_body = args.integer("max-body", kDefaultMaxBody);
    check_proxy_choice(args.str("proxy", "native"));
    p.upstream_insecure = args.flag("upstream-insecure");
    if (args.has("upstream")) {
        for (const char* f : {"gpu", "max-model-len", "tensor-parallel", "hf-token-env"})
            if (args.has(f))
                throw mgpux::usage_error(std::string("--") + f +
                                         " has no effect with --upstream (no vLLM is deployed)");
        set_upstream(p, args.str("upstream"));  // before any question
        p.model = args.str("model");
        if (!p.model.empty()) validate_model_id(p.model);
    } else {
        p.model = choose_model(host, args);
        validate_model_id(p.model);
        if (wants_proxy_only(host, args)) {
            set_upstream(
                p, host.ask("URL of the OpenAI-compatible server the proxy forwards to", nullptr, "--upstream URL"));
        } else {
            choose_gpu(host, args, p);
            tune_engine(host, args, p);
        }
    }
    p.min_containers = int_answer(host, args, "min-containers", "Min containers (1 = always on, 0 = scale to zero)", 1);
    validate_plan(p);
    return p;
}

// An active key exists afterwards (made here when there was none; not under --dry-run).
std::vector<ApiKey> ensure_key(const mgpux::Host& host, const mgpux::Args& args, Json& new_key) {
    auto keys = read_keys(host);
    if (!active_keys(keys).empty() || dry_run(args)) {
        if (dry_run(args) && active_keys(keys).empty()) host.info("dry run: would create API key \"default\"\n");
        return keys;
    }
    ApiKey made;
    keys = edit_keys(host, [&](std::vector<ApiKey>& ks) {
        if (!active_keys(ks).empty()) return false;
        std::string name = "default";  // never the name of a revoked key
        for (int n = 2; find_key(ks, name) >= 0; ++n) name = "default-" + std::to_string(n);
        made = make_key(name);
        ks.push_back(made);
        return true;
    });
    if (!made.key.empty()) {
        new_key = key_json(made, true);
        if (!json_out(args)) {
            host.success("Created API key " + made.name + " (shown once here; `m-gpux serve keys show " + made.name +
                         "` prints it again):\n");
            host.text("  " + made.key + "\n");
        }
    }
    return keys;
}

mgpux::RunRequest run_request(const DeployPlan& p, const std::string& script, const std::vector<ApiKey>& keys,
                              const std::string& token) {
    const std::string compute = p.upstream_mode ? "CPU (proxy only)" : gpu_spec(p);
    mgpux::RunRequest req;
    req.script = script;
    req.app_name = p.app_name;
    req.mode = p.mode;
    req.description = "LLM API " + (p.upstream_mode ? "proxy for " + p.upstream : p.model) + " on " + compute;
    req.compute = compute;
    req.timeout_s = 86400;
    req.secrets.push_back({keys_secret_for(p.app_name), {{"MGPUX_KEY_HASHES", key_hashes(keys)}}});
    if (!token.empty()) req.secrets.push_back({hf_secret_for(p.app_name), {{"HF_TOKEN", token}}});
    if (p.mode == "deploy") {
        mgpux::SessionRecord s;
        s.kind = "serve";
        s.profile = "";  // the runner records the profile it ran in
        s.compute = compute;
        s.app_name = p.app_name;
        s.extra.set("model", p.upstream_mode ? Json() : Json(p.model));
        s.extra.set("upstream", p.upstream_mode ? Json(p.upstream) : Json());
        s.extra.set("keys_secret", keys_secret_for(p.app_name));
        s.extra.set("hf_secret", token.empty() ? Json() : Json(hf_secret_for(p.app_name)));
        req.session = s;
    }
    return req;
}

void report(const mgpux::Host& host, const DeployPlan& p, const std::string& url, const std::string& app_id) {
    if (url.empty()) {
        host.warn("Modal did not print the endpoint URL; `m-gpux serve warmup --url URL` once you know it.\n");
        return;
    }
    host.success("Endpoint: " + url + "/v1\n");
    host.text("App: " + p.app_name + (app_id.empty() ? std::string() : " (" + app_id + ")") + "\n");
    host.text("\n");
    for (const auto& line : usage_snippet(url, p.model.empty() ? "<model>" : p.model)) host.text(line + "\n");
    host.text("\n");
    host.info("The first start downloads and loads the model (5-15 min); `m-gpux serve warmup` waits for it.\n");
}

}  // namespace

int deploy(mgpux::Host& host, const mgpux::Args& args) {
    const std::string profile = mgpux::Profiles(host).resolve();  // an unknown --profile fails first
    mgpux::launch::require_modal_account(host, args);             // before a key or the wizard
    // Looked for before the wizard asks anything: a native deploy cannot work without them.
    check_proxy_choice(args.str("proxy", "native"));
    const std::string sources = find_proxy_sources(host);
    const DeployPlan plan0 = plan_from(host, args);
    DeployPlan p = plan0;
    p.proxy_sources = sources;
    if (const auto image = mgpux::images::choose_image(host, args, profile)) p.base_image = image->name;
    const std::string token = p.upstream_mode ? std::string() : hf_token(host, args);
    // Refused before anything is rendered, under --dry-run too: without the
    // token the container could not download the model.
    if (!p.upstream_mode && token.empty() && is_gated(p.model))
        throw mgpux::usage_error(mgpux::launch::gated_model_message(p.model));
    p.has_hf_token = !token.empty();
    mgpux::launch::require_confirmable_launch(args);  // before a key is created
    Json new_key;
    const auto keys = ensure_key(host, args, new_key);
    const std::string script = host.render("serve/deploy.py", render_context(p, host.raw()->host_version));
    const mgpux::RunResult result = mgpux::Runner(host).run(run_request(p, script, keys, token));
    const std::string& status = result.status;
    std::string url = result.url.value_or("");
    while (!url.empty() && url.back() == '/') url.pop_back();
    const std::string app_id = result.app_id.value_or("");
    const std::string session_id = result.session_id.value_or("");
    if (!session_id.empty() && !url.empty()) {
        mgpux::SessionRecord fields;
        fields.url = url;  // Modal prints it on deploy; warmup and dashboard read it back
        mgpux::State(host).session_update(session_id, fields);
    }
    if (json_out(args)) {
        Json doc = Json::object();
        doc.set("status", status);
        doc.set("app_name", p.app_name);
        doc.set("app_id", app_id.empty() ? Json() : Json(app_id));
        doc.set("url", url.empty() ? Json() : Json(url));
        doc.set("model", p.model.empty() ? Json() : Json(p.model));
        doc.set("upstream", p.upstream_mode ? Json(p.upstream) : Json());
        doc.set("gpu", p.upstream_mode ? Json() : Json(gpu_spec(p)));
        doc.set("mode", p.mode);
        doc.set("proxy", "native");  // the only one; kept for scripts that read it
        doc.set("profile", profile.empty() ? Json() : Json(profile));
        doc.set("session_id", session_id.empty() ? Json() : Json(session_id));
        doc.set("keys_secret", keys_secret_for(p.app_name));
        doc.set("hf_secret", token.empty() ? Json() : Json(hf_secret_for(p.app_name)));
        doc.set("new_key", new_key);
        host.json(doc);
    } else if (status != "dry_run") {
        report(host, p, url, app_id);
    }
    return MGPUX_OK;
}

// ---------------------------------------------------------------- logs / stop

namespace {

struct Target {
    std::string app_name;
    std::string profile;      // "" = the command's --profile / Modal's active one
    std::string environment;  // the deployment's Modal environment, "" = the profile's default
};

// The deployment, by name: a deployed app is the only one of its name in an environment, and
// `modal app logs/stop` take the name. The profile and environment are those it was deployed
// with (unless --profile says otherwise).
Target find_target(const mgpux::Host& host, const mgpux::Args& args) {
    Target t;
    t.app_name = app_name_for(args.str("name"));
    mgpux::Profiles(host).resolve();  // an unknown --profile is a usage error before any call
    for (const auto& s : serve_sessions(host)) {
        if (s.app_name != t.app_name) continue;
        if (args.global_str("profile").empty()) t.profile = s.profile.value_or("");
        t.environment = s.extra.string_or("environment");
    }
    return t;
}

// "app <verb> NAME [--env ENV]".
std::vector<std::string> app_command(const Target& t, const char* verb) {
    std::vector<std::string> words = {"app", verb, t.app_name};
    if (!t.environment.empty()) words.insert(words.end(), {"--env", t.environment});
    return words;
}

std::string where(const Target& t) { return t.profile.empty() ? std::string() : " (profile " + t.profile + ")"; }

// Modal's answer when the name has no deployed app: never deployed, or stopped already.
bool says_not_deployed(const Json& r) {
    const std::string err = r.string_or("stderr") + r.string_or("stdout");
    return err.find("No App with name") != std::string::npos || err.find("already stopped") != std::string::npos;
}

}  // namespace

int logs(mgpux::Host& host, const mgpux::Args& args) {
    const Target t = find_target(host, args);
    std::vector<std::string> words = app_command(t, "logs");
    const bool follow = args.flag("follow");
    if (follow) words.push_back("-f");
    host.info("Logs of " + t.app_name + where(t) + (follow ? "; Ctrl+C to stop" : "") + "\n");
    mgpux::Modal(host).call(words, t.profile, follow ? 7 * 86400.0 : 120.0, true);
    return MGPUX_OK;
}

int stop(mgpux::Host& host, const mgpux::Args& args) {
    const Target t = find_target(host, args);
    if (!host.confirm("Stop " + t.app_name + where(t) + "? Its URL stops answering.", false, "--yes", true))
        throw mgpux::Error(MGPUX_E_CANCELLED, "not stopped");
    std::vector<std::string> words = app_command(t, "stop");
    words.insert(words.begin() + 2, "--yes");
    const Json r = mgpux::Modal(host).try_call(words, t.profile);
    if (!r.bool_or("ok") && says_not_deployed(r))
        throw mgpux::Error(MGPUX_E_FAILED, "no deployed app named " + t.app_name + where(t) + "; nothing was stopped");
    if (!r.bool_or("ok")) throw mgpux::Error(MGPUX_E_FAILED, "");  // the host recorded modal's error
    if (!dry_run(args)) {
        mgpux::SessionRecord fields;
        fields.state = "stopped";
        // Every session of the name: each deploy of it recorded one.
        for (const auto& s : serve_sessions(host))
            if (s.app_name == t.app_name && s.state != "stopped" && s.id)
                mgpux::State(host).session_update(*s.id, fields);
    }
    if (json_out(args)) {
        Json doc = Json::object();
        doc.set("app_name", t.app_name);
        doc.set("profile", t.profile.empty() ? Json() : Json(t.profile));
        doc.set("environment", t.environment.empty() ? Json() : Json(t.environment));
        doc.set("stopped", !dry_run(args));
        host.json(doc);
    } else if (!dry_run(args)) {
        host.success("Stopped " + t.app_name + where(t) + ".\n");
    }
    return MGPUX_OK;
}

}  // namespace serve
