// `m-gpux serve`: OpenAI-compatible LLM APIs on Modal (vLLM behind the
// m-gpux authenticating proxy), their API keys, and the local proxy.
// This file holds the command table and the dispatch.
#include "serve_commands.hpp"

#include <mgpux/plugin.hpp>

namespace serve {
namespace {

const char* const kModes[] = {"deploy", "serve", nullptr};
const char* const kProxyKinds[] = {"native", "python", nullptr};

const mgpux_option kCreateOptions[] = {
    mgpux::option("name", MGPUX_OPT_STRING, "the key's name (asked when missing; default \"default\")", nullptr, 0, 'n',
                  nullptr, "NAME"),
};
const mgpux_option kNameArg[] = {mgpux::positional("name", "the key's name")};

const mgpux_option kDeployOptions[] = {
    mgpux::option("model", MGPUX_OPT_STRING, "Hugging Face model id: a preset (see the help) or any other id", nullptr,
                  0, 'm', nullptr, "ID"),
    mgpux::option("gpu", MGPUX_OPT_STRING, "GPU type and count, e.g. A10, L4, H100:2 (default: the model's)", nullptr,
                  0, 'g', nullptr, "NAME[:N]"),
    mgpux::option("cpu", MGPUX_OPT_INT, "refused: vLLM in this image needs a GPU (use --upstream for a CPU server)",
                  nullptr, MGPUX_OPTF_HIDDEN, 0, nullptr, "N"),
    mgpux::option("max-model-len", MGPUX_OPT_INT, "context length in tokens (default: the model's)", nullptr, 0, 0,
                  nullptr, "TOKENS"),
    mgpux::option("gpu-memory-utilization", MGPUX_OPT_FLOAT, "share of GPU memory vLLM may use, 0.1-0.99 (default 0.92)",
                  nullptr, 0, 0, nullptr, "RATIO"),
    mgpux::option("max-num-seqs", MGPUX_OPT_INT, "sequences vLLM batches at once (default 48)", nullptr, 0, 0, nullptr,
                  "N"),
    mgpux::option("max-batched-tokens", MGPUX_OPT_INT, "tokens per vLLM batch (default 8192)", nullptr, 0, 0, nullptr,
                  "N"),
    mgpux::option("tensor-parallel", MGPUX_OPT_INT, "tensor-parallel size (default: the GPU count; must equal it)",
                  nullptr, 0, 0, nullptr, "N"),
    mgpux::option("trust-remote-code", MGPUX_OPT_BOOL, "let vLLM run code shipped with the model (off by default)"),
    mgpux::option("min-containers", MGPUX_OPT_INT, "containers kept warm: 1 = always on, 0 = scale to zero", nullptr, 0,
                  0, nullptr, "N"),
    mgpux::option("max-containers", MGPUX_OPT_INT, "at most this many containers (each one a GPU bill)", "1", 0, 0,
                  nullptr, "N"),
    mgpux::option("max-inflight", MGPUX_OPT_INT, "requests in flight per container (proxy limit = Modal concurrency)",
                  "64", 0, 0, nullptr, "N"),
    mgpux::option("max-body", MGPUX_OPT_INT, "largest request body the proxy accepts, in bytes (more gets 413)",
                  "16777216", 0, 0, nullptr, "BYTES"),
    mgpux::option("name", MGPUX_OPT_STRING, "app name suffix: m-gpux-llm-api-<name> (default m-gpux-llm-api)", nullptr,
                  0, 'n', nullptr, "NAME"),
    mgpux::option("hf-token-env", MGPUX_OPT_STRING, "read the Hugging Face token from this environment variable",
                  nullptr, 0, 0, nullptr, "VAR"),
    mgpux::option("mode", MGPUX_OPT_CHOICE, "deploy: a persistent URL; serve: a temporary one while m-gpux runs",
                  "deploy", 0, 0, kModes, "deploy|serve"),
    mgpux::option("docs", MGPUX_OPT_BOOL, "expose /docs and /openapi.json without a key"),
    mgpux::option("upstream", MGPUX_OPT_STRING, "deploy only the proxy, in front of this OpenAI-compatible server",
                  nullptr, 0, 0, nullptr, "URL"),
    mgpux::option("proxy", MGPUX_OPT_CHOICE,
                  "native: mgpux-proxy, compiled in the image; python: the Python proxy (https:// upstreams)", "native",
                  0, 0, kProxyKinds, "native|python"),
};

const mgpux_option kProxyOptions[] = {
    mgpux::option("upstream", MGPUX_OPT_STRING, "the OpenAI-compatible server to forward to", nullptr,
                  MGPUX_OPTF_REQUIRED, 0, nullptr, "URL"),
    mgpux::option("host", MGPUX_OPT_STRING, "address to listen on", "127.0.0.1", 0, 0, nullptr, "ADDR"),
    mgpux::option("port", MGPUX_OPT_INT, "port to listen on (0 picks a free one)", "8000", 0, 'p', nullptr, "PORT"),
    mgpux::option("max-inflight", MGPUX_OPT_INT, "requests in flight at once (more get 429)", "64", 0, 0, nullptr, "N"),
    mgpux::option("max-body", MGPUX_OPT_INT, "largest request body, in bytes (more gets 413)", "16777216", 0, 0,
                  nullptr, "BYTES"),
    mgpux::option("keys-file", MGPUX_OPT_PATH, "keys in the api_keys.json format (default: the m-gpux key store)",
                  nullptr, 0, 0, nullptr, "PATH"),
    mgpux::option("docs", MGPUX_OPT_BOOL, "expose /docs and /openapi.json without a key"),
    mgpux::option("proxy", MGPUX_OPT_CHOICE, "native: mgpux-proxy; python: the Python proxy (https:// upstreams)",
                  "native", 0, 0, kProxyKinds, "native|python"),
};

const mgpux_option kLogsOptions[] = {
    mgpux::option("follow", MGPUX_OPT_BOOL, "keep streaming new lines until Ctrl-C", nullptr, 0, 'f'),
    mgpux::option("name", MGPUX_OPT_STRING, "the deployment's name suffix (as given to serve deploy --name)", nullptr, 0,
                  'n', nullptr, "NAME"),
};
const mgpux_option kStopOptions[] = {
    mgpux::option("name", MGPUX_OPT_STRING, "the deployment's name suffix (as given to serve deploy --name)", nullptr, 0,
                  'n', nullptr, "NAME"),
};
const mgpux_option kWarmupOptions[] = {
    mgpux::option("url", MGPUX_OPT_STRING, "the endpoint (default: the one recorded at deploy time)", nullptr, 0, 'u',
                  nullptr, "URL"),
    mgpux::option("model", MGPUX_OPT_STRING, "model to ask (default: the first of /v1/models)", nullptr, 0, 'm', nullptr,
                  "ID"),
    mgpux::option("key", MGPUX_OPT_STRING, "name of the API key to send (default: $MGPUX_API_KEY, else the first active)",
                  nullptr, 0, 'k', nullptr, "NAME"),
    mgpux::option("name", MGPUX_OPT_STRING, "the deployment's name suffix, to find its URL", nullptr, 0, 'n', nullptr,
                  "NAME"),
    mgpux::option("timeout", MGPUX_OPT_FLOAT, "seconds to wait for the container to be ready", "600", 0, 0, nullptr,
                  "SECONDS"),
};
const mgpux_option kDashboardOptions[] = {
    mgpux::option("url", MGPUX_OPT_STRING, "the endpoint (default: the one recorded at deploy time)", nullptr, 0, 'u',
                  nullptr, "URL"),
    mgpux::option("interval", MGPUX_OPT_FLOAT, "seconds between refreshes", "3.0", 0, 'i', nullptr, "SECONDS"),
    mgpux::option("once", MGPUX_OPT_BOOL, "show one snapshot and exit (with --json: one JSON document)"),
    mgpux::option("key", MGPUX_OPT_STRING, "name of the API key to send (default: $MGPUX_API_KEY, else the first active)",
                  nullptr, 0, 'k', nullptr, "NAME"),
    mgpux::option("name", MGPUX_OPT_STRING, "the deployment's name suffix, to find its URL", nullptr, 0, 'n', nullptr,
                  "NAME"),
};

constexpr uint32_t kJ = MGPUX_CMDF_JSON;
constexpr uint32_t kJI = MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE;
constexpr uint32_t kJD = MGPUX_CMDF_JSON | MGPUX_CMDF_DESTRUCTIVE;

const mgpux_command kCommands[] = {
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
    mgpux::command("serve keys create", "Create an API key", kCreateOptions,
                   "Creates sk-mgpux-<48 hex> (24 random bytes) and prints it once. A name already\n"
                   "used (even by a revoked key) is refused. Deployments get it at their next start.\n"
                   "--json prints {name, key, created, active}.\n\n"
                   "Example:\n"
                   "  m-gpux serve keys create --name production",
                   kJI),
    mgpux::command("serve keys list", "List API keys (masked)",
                   "Shows every key masked (sk-mgpux-xxxxx...xxxx), when it was made and whether it is\n"
                   "active. --json prints {keys: [{name, key (masked), created, active}]}.\n\n"
                   "Example:\n"
                   "  m-gpux serve keys list",
                   kJ),
    mgpux::command("serve keys show", "Show an API key in full", kNameArg,
                   "Prints NAME: <full key>. --json prints {name, key, created, active}.\n\n"
                   "Example:\n"
                   "  export MGPUX_API_KEY=$(m-gpux serve keys show dev --json | jq -r .key)",
                   kJ),
    mgpux::command("serve keys revoke", "Revoke an API key", kNameArg,
                   "Marks every key named NAME revoked. The local proxy drops it within a second;\n"
                   "a deployment's secret is re-created and its next container start drops it.\n\n"
                   "Example:\n"
                   "  m-gpux --yes serve keys revoke dev",
                   kJD),
    mgpux::command("serve keys rotate", "Give an API key a new value", kNameArg,
                   "Replaces the value of the active key NAME (same name) and prints the new value\n"
                   "once; the old value stops working as for revoke.\n\n"
                   "Example:\n"
                   "  m-gpux --yes serve keys rotate production",
                   kJD),
    mgpux::command("serve deploy", "Deploy a model as an OpenAI-compatible API", kDeployOptions,
                   "Asks for (or takes from flags) the model, GPU or CPU (CPU deploys only the proxy, in\n"
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
                   "builds the image (a compile error fails the deploy); --proxy python deploys the\n"
                   "Python proxy instead (needed for an https:// --upstream).\n"
                   "--json prints {app_name, app_id, url, model, gpu, mode, session_id, status, ...}.\n\n"
                   "Example:\n"
                   "  m-gpux serve deploy --model Qwen/Qwen3-8B --gpu L40S --max-model-len 16384\n"
                   "  HF=hf_xxx m-gpux --yes serve deploy --model meta-llama/Llama-3.1-70B-Instruct \\\n"
                   "      --gpu H100:2 --hf-token-env HF --name llama70b",
                   kJI),
    mgpux::command("serve proxy", "Run the authenticating proxy locally", kProxyOptions,
                   "Runs the same proxy as a deployment, on this machine, in front of any\n"
                   "OpenAI-compatible server (keys from the key store, or --keys-file). By default the\n"
                   "native proxy: the mgpux-proxy program ($MGPUX_PROXY, else the one beside m-gpux,\n"
                   "else on PATH; exit 4 when there is none). It forwards to http:// upstreams only.\n"
                   "--proxy python runs the Python proxy instead (https:// upstreams too); it needs\n"
                   "Python with uvicorn and httpx (MGPUX_PYTHON picks the interpreter).\n\n"
                   "Example:\n"
                   "  m-gpux serve proxy --upstream http://127.0.0.1:11434 --port 8000\n"
                   "  m-gpux serve proxy --proxy python --upstream https://api.example.com"),
    mgpux::command("serve logs", "Show the deployment's logs", kLogsOptions,
                   "Runs `modal app logs <app id>` for the deployment (-f to follow).\n\n"
                   "Example:\n"
                   "  m-gpux serve logs -f\n"
                   "  m-gpux --profile work serve logs --name llama70b"),
    mgpux::command("serve stop", "Stop the deployment", kStopOptions,
                   "Stops the deployed app by its app id (`modal app stop --yes <id>`) and reports\n"
                   "the real outcome: exit 1 when nothing is deployed or the stop failed.\n\n"
                   "Example:\n"
                   "  m-gpux --yes serve stop --name llama70b",
                   kJD),
    mgpux::command("serve warmup", "Wake the deployment and time a first answer", kWarmupOptions,
                   "Waits for GET /v1/models to answer 200 (cold start), then sends a one-token chat\n"
                   "completion, sending an API key ($MGPUX_API_KEY, else --key, else the first active).\n"
                   "--json prints {url, model, ready_s, inference_s, ok}.\n\n"
                   "Example:\n"
                   "  m-gpux serve warmup --url https://me--m-gpux-llm-api-serve.modal.run",
                   kJ),
    mgpux::command("serve dashboard", "Live metrics of the deployment", kDashboardOptions,
                   "Polls /stats and /health and shows GPU, system, traffic, latency and tokens,\n"
                   "redrawn in place on a terminal. --once shows one snapshot (--json: one document).\n\n"
                   "Example:\n"
                   "  m-gpux serve dashboard --interval 2\n"
                   "  m-gpux --json serve dashboard --once --url http://127.0.0.1:8000",
                   kJ),
};

int run(mgpux::Host& host, const mgpux::Args& args) {
    const std::string& c = args.command();
    if (c == "serve keys create") return keys_create(host, args);
    if (c == "serve keys list") return keys_list(host, args);
    if (c == "serve keys show") return keys_show(host, args);
    if (c == "serve keys revoke") return keys_revoke(host, args);
    if (c == "serve keys rotate") return keys_rotate(host, args);
    if (c == "serve proxy") return proxy(host, args);
    if (c == "serve deploy") return deploy(host, args);
    if (c == "serve logs") return logs(host, args);
    if (c == "serve stop") return stop(host, args);
    if (c == "serve warmup") return warmup(host, args);
    if (c == "serve dashboard") return dashboard(host, args);
    throw mgpux::Error(MGPUX_E_FAILED, "unknown command '" + c + "'");
}

}  // namespace
}  // namespace serve

MGPUX_CPP_PLUGIN("serve", "0.1.0", "Deploy LLMs as OpenAI-compatible APIs with API-key auth", "Compute Engine",
                 serve::kCommands, serve::run)
