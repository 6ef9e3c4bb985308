// SPDX-License-Identifier: MIT
// `m-gpux serve`: OpenAI-compatible LLM APIs on Modal (vLLM behind the
// m-gpux authenticating proxy), their API keys, and the local proxy.
// This file holds the commands, each bound to its handler.
#include "serve_commands.hpp"

#include <mgpux/plugin.hpp>

namespace serve {
namespace {

const char* const kModes[] = {"deploy", "serve", nullptr};
// "python" is accepted by the parser so that check_proxy_choice can say the Python proxy is retired.
const char* const kProxyKinds[] = {"native", "python", nullptr};

const mgpux_option kCreateOptions[] = {
    mgpux::option("name").alias('n').metavar("NAME").help("the key's name (asked when missing; default \"default\")"),
};
const mgpux_option kNameArg[] = {mgpux::positional("name").help("the key's name")};

const mgpux_option kDeployOptions[] = {
    mgpux::option("model").alias('m').metavar("ID").help(
        "Hugging Face model id: a preset (see the help) or any other id"),
    mgpux::option("gpu")
        .alias('g')
        .metavar("NAME[:N]")
        .help("GPU type and count, e.g. A10, L4, H100:2 (default: the model's)"),
    mgpux::option("cpu")
        .kind(MGPUX_OPT_INT)
        .metavar("N")
        .hidden()
        .help("refused: vLLM in this image needs a GPU (use --upstream for a CPU server)"),
    mgpux::option("max-model-len")
        .kind(MGPUX_OPT_INT)
        .metavar("TOKENS")
        .help("context length in tokens (default: the model's)"),
    mgpux::option("gpu-memory-utilization")
        .kind(MGPUX_OPT_FLOAT)
        .metavar("RATIO")
        .help("share of GPU memory vLLM may use, 0.1-0.99 (default 0.92)"),
    mgpux::option("max-num-seqs").kind(MGPUX_OPT_INT).metavar("N").help("sequences vLLM batches at once (default 48)"),
    mgpux::option("max-batched-tokens").kind(MGPUX_OPT_INT).metavar("N").help("tokens per vLLM batch (default 8192)"),
    mgpux::option("tensor-parallel")
        .kind(MGPUX_OPT_INT)
        .metavar("N")
        .help("tensor-parallel size (default: the GPU count; must equal it)"),
    mgpux::option("trust-remote-code").flag().help("let vLLM run code shipped with the model (off by default)"),
    mgpux::option("min-containers")
        .kind(MGPUX_OPT_INT)
        .metavar("N")
        .help("containers kept warm: 1 = always on, 0 = scale to zero"),
    mgpux::option("max-containers")
        .kind(MGPUX_OPT_INT)
        .default_value("1")
        .metavar("N")
        .help("at most this many containers (each one a GPU bill)"),
    mgpux::option("max-inflight")
        .kind(MGPUX_OPT_INT)
        .default_value("64")
        .metavar("N")
        .help("requests in flight per container (proxy limit = Modal concurrency)"),
    mgpux::option("max-body")
        .kind(MGPUX_OPT_INT)
        .default_value("16777216")
        .metavar("BYTES")
        .help("largest request body the proxy accepts, in bytes (more gets 413)"),
    mgpux::option("name").alias('n').metavar("NAME").help(
        "app name suffix: m-gpux-llm-api-<name> (default m-gpux-llm-api)"),
    mgpux::option("hf-token-env").metavar("VAR").help("read the Hugging Face token from this environment variable"),
    mgpux::option("mode")
        .choices(kModes)
        .default_value("deploy")
        .metavar("deploy|serve")
        .help("deploy: a persistent URL; serve: a temporary one while m-gpux runs"),
    mgpux::option("docs").flag().help("expose /docs and /openapi.json without a key"),
    mgpux::option("upstream").metavar("URL").help("deploy only the proxy, in front of this OpenAI-compatible server"),
    mgpux::option("upstream-insecure").flag().help("with an https:// --upstream: do not verify its certificate"),
    mgpux::option("image").metavar("NAME").help(
        "start from this published image (`m-gpux image build`) instead of the CUDA 12.8 image (or debian_slim "
        "with --upstream); it must have what the deployment needs: Python and pip, CUDA for vLLM (installed on "
        "top), and apt with Debian's packages (with --upstream) or Ubuntu's for the proxy build"),
    mgpux::option("proxy")
        .choices(kProxyKinds)
        .default_value("native")
        .metavar("native")
        .hidden()
        .help("the proxy: native (the only one)"),
};

const mgpux_option kProxyOptions[] = {
    mgpux::option("upstream").metavar("URL").required().help("the OpenAI-compatible server to forward to"),
    mgpux::option("host").default_value("127.0.0.1").metavar("ADDR").help("address to listen on"),
    mgpux::option("port")
        .alias('p')
        .kind(MGPUX_OPT_INT)
        .default_value("8000")
        .metavar("PORT")
        .help("port to listen on (0 picks a free one)"),
    mgpux::option("max-inflight")
        .kind(MGPUX_OPT_INT)
        .default_value("64")
        .metavar("N")
        .help("requests in flight at once (more get 429)"),
    mgpux::option("max-body")
        .kind(MGPUX_OPT_INT)
        .default_value("16777216")
        .metavar("BYTES")
        .help("largest request body, in bytes (more gets 413)"),
    mgpux::option("keys-file")
        .kind(MGPUX_OPT_PATH)
        .metavar("PATH")
        .help("keys in the api_keys.json format (default: the m-gpux key store)"),
    mgpux::option("docs").flag().help("expose /docs and /openapi.json without a key"),
    mgpux::option("upstream-insecure")
        .flag()
        .help("https:// upstream: do not verify its certificate (by default it must be valid and trusted)"),
    mgpux::option("proxy")
        .choices(kProxyKinds)
        .default_value("native")
        .metavar("native")
        .hidden()
        .help("the proxy: native (the only one)"),
};

const mgpux_option kLogsOptions[] = {
    mgpux::option("follow").alias('f').flag().help("keep streaming new lines until Ctrl-C"),
    mgpux::option("name").alias('n').metavar("NAME").help(
        "the deployment's name suffix (as given to serve deploy --name)"),
};
const mgpux_option kStopOptions[] = {
    mgpux::option("name").alias('n').metavar("NAME").help(
        "the deployment's name suffix (as given to serve deploy --name)"),
};
const mgpux_option kWarmupOptions[] = {
    mgpux::option("url").alias('u').metavar("URL").help("the endpoint (default: the one recorded at deploy time)"),
    mgpux::option("model").alias('m').metavar("ID").help("model to ask (default: the first of /v1/models)"),
    mgpux::option("key").alias('k').metavar("NAME").help(
        "name of the API key to send (default: $MGPUX_API_KEY, else the first active)"),
    mgpux::option("name").alias('n').metavar("NAME").help("the deployment's name suffix, to find its URL"),
    mgpux::option("timeout")
        .kind(MGPUX_OPT_FLOAT)
        .default_value("600")
        .metavar("SECONDS")
        .help("seconds to wait for the container to be ready"),
};
const mgpux_option kDashboardOptions[] = {
    mgpux::option("url").alias('u').metavar("URL").help("the endpoint (default: the one recorded at deploy time)"),
    mgpux::option("interval")
        .alias('i')
        .kind(MGPUX_OPT_FLOAT)
        .default_value("3.0")
        .metavar("SECONDS")
        .help("seconds between refreshes"),
    mgpux::option("once").flag().help("show one snapshot and exit (with --json: one JSON document)"),
    mgpux::option("key").alias('k').metavar("NAME").help(
        "name of the API key to send (default: $MGPUX_API_KEY, else the first active)"),
    mgpux::option("name").alias('n').metavar("NAME").help("the deployment's name suffix, to find its URL"),
};

constexpr uint32_t kJ = MGPUX_CMDF_JSON;
constexpr uint32_t kJI = MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE;
constexpr uint32_t kJD = MGPUX_CMDF_JSON | MGPUX_CMDF_DESTRUCTIVE;

const mgpux::Commands kCommands{
    mgpux::command("serve", "Deploy LLMs as OpenAI-compatible APIs with API-key auth",
                   "Deploys a Hugging Face model with vLLM on a Modal GPU behind an authenticating\n"
                   "proxy (bearer keys from `serve keys`, backpressure, metrics), and manages it.\n\n"
                   "Example:\n"
                   "  m-gpux serve keys create --name dev\n"
                   "  m-gpux serve deploy --model Qwen/Qwen2.5-7B-Instruct --gpu A10\n"
                   "  m-gpux serve warmup\n"
                   "  m-gpux serve dashboard"),
    mgpux::command("serve keys", "Manage the API keys deployments accept",
                   "Keys live in ~/.m-gpux/api_keys.json (0600). Every active key is accepted by a\n"
                   "deployment; creating, revoking or rotating a key updates the deployment's secret.\n\n"
                   "Example:\n"
                   "  m-gpux serve keys create --name team-a\n"
                   "  m-gpux serve keys list"),
    mgpux::command("serve keys create", "Create an API key", kCreateOptions, keys_create)
        .help("Creates sk-mgpux-<48 hex> (24 random bytes) and prints it once. A name already\n"
              "used (even by a revoked key) is refused. Deployments get it at their next start.\n"
              "--json prints {name, key, created, active}.\n\n"
              "Example:\n"
              "  m-gpux serve keys create --name production")
        .flags(kJI),
    mgpux::command("serve keys list", "List API keys (masked)", keys_list)
        .help("Shows every key masked (sk-mgpux-xxxxx...xxxx), when it was made and whether it is\n"
              "active. --json prints {keys: [{name, key (masked), created, active}]}.\n\n"
              "Example:\n"
              "  m-gpux serve keys list")
        .flags(kJ),
    mgpux::command("serve keys show", "Show an API key in full", kNameArg, keys_show)
        .help("Prints NAME: <full key>. --json prints {name, key, created, active}.\n\n"
              "Example:\n"
              "  export MGPUX_API_KEY=$(m-gpux serve keys show dev --json | jq -r .key)")
        .flags(kJ),
    mgpux::command("serve keys revoke", "Revoke an API key", kNameArg, keys_revoke)
        .help("Marks every key named NAME revoked. The local proxy drops it within a second;\n"
              "a deployment's secret is re-created and its next container start drops it.\n\n"
              "Example:\n"
              "  m-gpux --yes serve keys revoke dev")
        .flags(kJD),
    mgpux::command("serve keys rotate", "Give an API key a new value", kNameArg, keys_rotate)
        .help("Replaces the value of the active key NAME (same name) and prints the new value\n"
              "once; the old value stops working as for revoke.\n\n"
              "Example:\n"
              "  m-gpux --yes serve keys rotate production")
        .flags(kJD),
    mgpux::command("serve deploy", "Deploy a model as an OpenAI-compatible API", kDeployOptions, deploy)
        .help("Asks for (or takes from flags) the model, GPU or CPU (CPU deploys only the proxy, in\n"
              "front of a server you run: --upstream), the GPU and how many, context length, engine\n"
              "tuning (GPU memory share, concurrent sequences, batched tokens), warm containers and\n"
              "the HF token, then deploys vLLM behind the m-gpux proxy as the Modal app\n"
              "m-gpux-llm-api[-<name>]. Every active key is accepted; their SHA-256 digests go in\n"
              "a Modal Secret (<app>-keys), the HF token in another (<app>-hf); neither is ever in\n"
              "the script. Presets: Qwen/Qwen2.5-1.5B-Instruct (T4), Qwen/Qwen2.5-7B-Instruct (A10),\n"
              "Qwen/Qwen3-8B, Qwen/Qwen3.5-35B-A3B (A100-80GB), meta-llama/Llama-3.1-8B-Instruct,\n"
              "google/gemma-2-9b-it, mistralai/Mistral-7B-Instruct-v0.3, Qwen/Qwen2.5-72B-Instruct-AWQ,\n"
              "meta-llama/Llama-3.1-70B-Instruct (H100), deepseek-ai/DeepSeek-V2-Lite-Chat (A100),\n"
              "microsoft/Phi-3-medium-4k-instruct. --upstream URL deploys only the proxy.\n"
              "The proxy is the native one, compiled from the shipped C++ sources while Modal\n"
              "builds the image (a compile error fails the deploy). An https:// --upstream has its\n"
              "certificate verified against the image's CA list (--upstream-insecure skips that).\n"
              "--json prints {app_name, app_id, url, model, gpu, mode, session_id, status, ...}.\n\n"
              "Example:\n"
              "  m-gpux serve deploy --model Qwen/Qwen3-8B --gpu L40S --max-model-len 16384\n"
              "  HF=hf_xxx m-gpux --yes serve deploy --model meta-llama/Llama-3.1-70B-Instruct \\\n"
              "      --gpu H100:2 --hf-token-env HF --name llama70b")
        .flags(kJI),
    mgpux::command("serve proxy", "Run the authenticating proxy locally", kProxyOptions, proxy)
        .help("Runs the same proxy as a deployment, on this machine, in front of any\n"
              "OpenAI-compatible server (keys from the key store, or --keys-file). By default the\n"
              "native proxy: the mgpux-proxy program ($MGPUX_PROXY, else the one beside m-gpux,\n"
              "else on PATH; exit 4 when there is none). It forwards to http:// and https://\n"
              "upstreams; an https:// one must have a certificate valid for its name and signed by\n"
              "a trusted CA (the system's, or SSL_CERT_FILE), unless --upstream-insecure.\n\n"
              "Example:\n"
              "  m-gpux serve proxy --upstream http://127.0.0.1:11434 --port 8000\n"
              "  m-gpux serve proxy --upstream https://api.example.com"),
    mgpux::command("serve logs", "Show the deployment's logs", kLogsOptions, logs)
        .help("Runs `modal app logs <app name>` for the deployment, in the profile and environment\n"
              "it was deployed to (-f to follow).\n\n"
              "Example:\n"
              "  m-gpux serve logs -f\n"
              "  m-gpux --profile work serve logs --name llama70b"),
    mgpux::command("serve stop", "Stop the deployment", kStopOptions, stop)
        .help("Stops the deployed app by its name (`modal app stop --yes <app name>`) and reports\n"
              "the real outcome: exit 1 when nothing is deployed or the stop failed.\n\n"
              "Example:\n"
              "  m-gpux --yes serve stop --name llama70b")
        .flags(kJD),
    mgpux::command("serve warmup", "Wake the deployment and time a first answer", kWarmupOptions, warmup)
        .help("Waits for GET /v1/models to answer 200 (cold start), then sends a one-token chat\n"
              "completion, sending an API key ($MGPUX_API_KEY, else --key, else the first active).\n"
              "--json prints {url, model, ready_s, inference_s, ok}.\n\n"
              "Example:\n"
              "  m-gpux serve warmup --url https://me--m-gpux-llm-api-serve.modal.run")
        .flags(kJ),
    mgpux::command("serve dashboard", "Live metrics of the deployment", kDashboardOptions, dashboard)
        .help("Polls /stats and /health and shows GPU, system, traffic, latency and tokens,\n"
              "redrawn in place on a terminal. --once shows one snapshot (--json: one document).\n\n"
              "Example:\n"
              "  m-gpux serve dashboard --interval 2\n"
              "  m-gpux --json serve dashboard --once --url http://127.0.0.1:8000")
        .flags(kJ),
};

}  // namespace
}  // namespace serve

MGPUX_CPP_PLUGIN_COMMANDS("serve", "0.1.0", "Deploy LLMs as OpenAI-compatible APIs with API-key auth", "Compute Engine",
                          serve::kCommands)
