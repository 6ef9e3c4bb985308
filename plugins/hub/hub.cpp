// SPDX-License-Identifier: MIT
// `m-gpux hub jupyter|bash|interactive|script|vllm`: launches a workload on
// Modal from the current folder. Each action takes a flag for every question
// it would otherwise ask, so it can run from a script.
#include "hub_logic.hpp"
#include "workspace_launch.hpp"

#include <mgpux/plugin.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace hub {
namespace {

using mgpux::Json;
namespace launch = mgpux::launch;

constexpr unsigned kShared = launch::kAllShared;

constexpr mgpux::OptionBuilder kBackground =
    mgpux::option("background")
        .flag()
        .help("return once the app id and URL are known (the app keeps running until stopped)");

const std::vector<mgpux_option> kWorkspaceOptions = launch::with_shared({kBackground}, kShared, "86400");

const std::vector<mgpux_option> kInteractiveOptions =
    launch::with_shared({mgpux::positional("file")
                             .kind(MGPUX_OPT_PATH)
                             .help("the Python script to run in the terminal (inside this folder)"),
                         kBackground},
                        kShared, "86400");

const char* const kOnInput[] = {"terminal", "prefill", "run", nullptr};

const std::vector<mgpux_option> kScriptOptions = launch::with_shared(
    {mgpux::positional("file").kind(MGPUX_OPT_PATH).help("the Python script to run (inside this folder)"),
     mgpux::option("on-input")
         .choices(kOnInput)
         .metavar("terminal|prefill|run")
         .help("a script that calls input(): terminal (a web terminal to run it in), prefill (answers "
               "given in advance) or run (as is: input() gets end-of-file)"),
     mgpux::option("stdin-file")
         .kind(MGPUX_OPT_PATH)
         .metavar("FILE")
         .help("the script's stdin, one answer per line (implies --on-input prefill)")},
    launch::kAllShared, "86400");

const char* const kVllmModes[] = {"deploy", "serve", nullptr};
const char* const kMinContainers[] = {"0", "1", nullptr};

const std::vector<mgpux_option> kVllmOptions = launch::with_shared(
    {mgpux::option("model").alias('m').metavar("ID").help(
         "the Hugging Face model id (asked from a list when left out)"),
     mgpux::option("mode")
         .choices(kVllmModes)
         .default_value("deploy")
         .metavar("deploy|serve")
         .help("deploy: a persistent endpoint until `m-gpux stop`; serve: a temporary one while this runs"),
     mgpux::option("hf-token-env")
         .metavar("VAR")
         .help("the environment variable holding a Hugging Face token (gated models); it goes into the "
               "session's ephemeral secret, never on a command line"),
     mgpux::option("max-model-len").kind(MGPUX_OPT_INT).metavar("TOKENS").help("vLLM --max-model-len (context length)"),
     mgpux::option("no-enforce-eager").flag().help("let vLLM capture CUDA graphs (slower start, faster serving)"),
     mgpux::option("vllm-arg").repeatable().metavar("ARG").help("one more argument for `vllm serve` (repeatable)"),
     mgpux::option("min-containers")
         .choices(kMinContainers)
         .default_value("0")
         .metavar("0|1")
         .help("containers kept warm: 0 scales to zero"),
     kBackground},
    launch::kCompute | launch::kPython | launch::kTimeout, "86400");

const char* const kWizardActions[] = {"jupyter", "script", "bash", "vllm", nullptr};

// The wizard's own flags: the action, and the shared ones for the steps the
// actions have in common. The rest of an action's questions are the flags of
// its subcommand (`hub script FILE`, `hub vllm --model ...`).
const std::vector<mgpux_option> kWizardOptions =
    launch::with_shared({mgpux::option("action")
                             .alias('a')
                             .choices(kWizardActions)
                             .metavar("jupyter|script|bash|vllm")
                             .help("the application (asked when left out)")},
                        launch::kAllShared, "86400");

constexpr uint32_t kFlags = MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE;

launch::ComputeChoice hub_choice() {
    launch::ComputeChoice c;
    c.title = "Compute";
    return c;
}

int launch_action(mgpux::Host& host, const mgpux::Args& args, launch::Workspace kind) {
    launch::WorkspaceSpec spec = launch::workspace_from_args(host, args, kind, hub_choice());
    if (kind == launch::Workspace::Interactive)
        spec.script_path = launch::script_inside(spec.local_dir, args.str("file"), fs::current_path().string(), "FILE");
    launch::offer_preset(host, args, spec, false);
    return launch::launch_workspace(host, spec, args.global_flag("json"));
}

// ------------------------------------------------------------------ script

std::string read_text_file(const std::string& flag, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw mgpux::usage_error(flag + ": cannot read " + Json(path).dump());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Read here, in C++: starting Python to tokenize it cost more than the rest of the launch.
InputScan scan_inputs(const std::string& file) { return scan_input_calls(read_text_file("FILE", file)); }

std::string lines_text(const std::vector<int>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size() && i < 10; ++i) out += (i ? ", " : "") + std::to_string(lines[i]);
    if (lines.size() > 10) out += ", ...";
    return out;
}

// What to do about input(): the flag, else (when the script calls it) the
// original's question. --no-input cannot guess it: exit 2 naming the flag.
OnInput choose_on_input(const mgpux::Host& host, const mgpux::Args& args, const std::string& rel,
                        const InputScan& scan) {
    if (args.has("on-input")) return *on_input_from(args.str("on-input"));
    if (args.has("stdin-file")) return OnInput::Prefill;
    if (scan.lines.empty()) return OnInput::Run;
    host.warn(rel + " calls input() " + std::to_string(scan.lines.size()) + " time(s) (line " + lines_text(scan.lines) +
              "); a Modal container has no terminal for it.\n");
    if (args.global_flag("no_input"))
        throw mgpux::usage_error(rel + " calls input(): choose --on-input terminal|prefill|run (or --stdin-file FILE)");
    const int pick = host.select(
        "Handle input() calls", {"Interactive terminal", "Pre-fill responses", "Run anyway"},
        {"a web terminal to run the script in (recommended)", "give the answers now", "input() gets end-of-file"}, 0,
        "--on-input");
    return pick == 0 ? OnInput::Terminal : pick == 1 ? OnInput::Prefill : OnInput::Run;
}

std::string prefill_text(const mgpux::Host& host, const mgpux::Args& args, const fs::path& cwd, std::size_t calls) {
    if (args.has("stdin-file")) {
        fs::path p(args.str("stdin-file"));
        if (p.is_relative()) p = cwd / p;
        return read_text_file("--stdin-file", p.string());
    }
    host.info("Type the answers the script's input() calls will read, in order.\n");
    std::vector<std::string> answers;
    for (std::size_t i = 1; i <= std::max<std::size_t>(calls, 1); ++i)
        answers.push_back(host.ask("Response #" + std::to_string(i), nullptr, "--stdin-file"));
    return stdin_from_answers(answers);
}

void check_script_flags(const mgpux::Args& args, const fs::path& cwd) {
    const std::string on = args.str("on-input");
    if (args.has("stdin-file")) {
        if (args.has("on-input") && on != "prefill")
            throw mgpux::usage_error("--stdin-file goes with --on-input prefill, not " + on);
        fs::path p(args.str("stdin-file"));
        if (p.is_relative()) p = cwd / p;
        std::error_code ec;
        if (!fs::is_regular_file(p, ec))
            throw mgpux::usage_error("--stdin-file: no such file: " + Json(args.str("stdin-file")).dump());
    }
    if (on == "terminal" && !args.list("args").empty())
        throw mgpux::usage_error("script arguments after -- go with a plain run; in the terminal, type them yourself");
    if (args.has("save-preset") && args.has("on-input") && on != "terminal")
        throw mgpux::usage_error(
            "--save-preset saves the interactive terminal (--on-input terminal); a plain script "
            "run is not a preset");
}

int launch_script(const mgpux::Host& host, const mgpux::Args& args, const launch::WorkspaceSpec& spec, OnInput on,
                  std::size_t input_calls);

int run_script(mgpux::Host& host, const mgpux::Args& args) {
    const fs::path cwd = fs::current_path();
    check_script_flags(args, cwd);
    launch::WorkspaceSpec spec = launch::workspace_from_args(host, args, launch::Workspace::Interactive, hub_choice());
    spec.script_path = launch::script_inside(spec.local_dir, args.str("file"), cwd.string(), "FILE");
    const std::string file = spec.local_dir + "/" + spec.script_path;
    const bool need_scan = !args.has("on-input") && !args.has("stdin-file");
    const InputScan scan = need_scan || args.str("on-input") == "prefill" ? scan_inputs(file) : InputScan{};
    if (!scan.error.empty()) host.warn(spec.script_path + " does not parse as Python: " + scan.error + "\n");
    const OnInput on = choose_on_input(host, args, spec.script_path, scan);
    if (on == OnInput::Terminal) {
        if (!args.list("args").empty())
            throw mgpux::usage_error("script arguments after -- go with a plain run (--on-input run or prefill)");
        launch::offer_preset(host, args, spec, false);
        return launch::launch_workspace(host, spec, args.global_flag("json"));
    }
    if (args.has("save-preset"))
        throw mgpux::usage_error("--save-preset saves the interactive terminal (--on-input terminal)");
    return launch_script(host, args, spec, on, scan.lines.size());
}

// An attached `modal run` of the script runner (plain or with pre-filled stdin).
int launch_script(const mgpux::Host& host, const mgpux::Args& args, const launch::WorkspaceSpec& spec, OnInput on,
                  std::size_t input_calls) {
    const fs::path cwd = fs::current_path();
    ScriptRun r;
    r.profile = spec.profile;
    r.compute = spec.compute;
    r.python_version = spec.python_version;
    r.deps = spec.deps;
    r.excludes = spec.excludes;
    r.local_dir = spec.local_dir;
    r.timeout_s = spec.timeout_s;
    r.script_path = spec.script_path;
    r.args = args.list("args");
    if (spec.base_image) r.base_image = spec.base_image->name;
    if (on == OnInput::Prefill) r.stdin_text = prefill_text(host, args, cwd, input_calls);
    const launch::UploadStats upload = launch::upload_stats(r.local_dir, r.excludes);
    const std::string script = host.render("hub/script.py", script_context(r, host.raw()->host_version));
    mgpux::RunRequest req = script_request(r, script, upload);
    launch::set_profile_override(req, r.profile, mgpux::Profiles(host).resolve());
    const mgpux::RunResult result = mgpux::Runner(host).run(req);
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("kind", "script");
        doc.set("status", result.status);
        doc.set("script", r.script_path);
        doc.set("args", Json::array_of(r.args));
        doc.set("on_input", on == OnInput::Prefill ? "prefill" : "run");
        doc.set("app_id", launch::or_null(result.app_id));
        doc.set("exit_code", launch::or_null(result.exit_code));
        doc.set("results", Json(Json::Array(result.results.begin(), result.results.end())));
        doc.set("profile", launch::or_null(result.profile));
        doc.set("run_dir", launch::or_null(result.run_dir));
        doc.set("app_name", "m-gpux-runner");
        doc.set("compute", r.compute.label);
        host.json(doc);
    }
    return MGPUX_OK;
}

// ------------------------------------------------------------------ vLLM

std::string choose_model(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("model")) {
        validate_model_id(args.str("model"));
        return args.str("model");
    }
    std::vector<std::string> labels, notes;
    for (const auto& m : vllm_models()) {
        labels.push_back(m.id);
        notes.push_back(m.note);
    }
    return labels.at(static_cast<std::size_t>(host.select("Select model to serve", labels, notes, 0, "--model")));
}

// Everything a flag can get wrong, before any question or render.
void check_vllm_flags(const mgpux::Args& args) {
    if (args.has("cpu") || args.has("memory"))
        throw mgpux::usage_error(
            "vLLM needs a GPU: its CUDA kernels do not run on a CPU-only container; choose one "
            "with --gpu NAME[:COUNT] (e.g. --gpu L4 for models up to ~7B)");
    if (args.has("model")) validate_model_id(args.str("model"));
    if (args.has("hf-token-env")) validate_env_name(args.str("hf-token-env"));
    validate_vllm_args(args.list("vllm-arg"));
    if (args.has("max-model-len") && args.integer("max-model-len") < 1)
        throw mgpux::usage_error("--max-model-len must be a positive number of tokens");
    if (args.flag("background") && args.str("mode", "deploy") != "deploy")
        throw mgpux::usage_error("--background goes with --mode deploy (a served endpoint ends when m-gpux does)");
}

// The token comes from the environment variable the user named; it only
// goes into the session's secret (through the runner's 0600 dotenv file).
std::optional<std::string> hf_token(const mgpux::Args& args, const std::string& model) {
    if (!args.has("hf-token-env")) {
        if (is_gated(model)) throw mgpux::usage_error(launch::gated_model_message(model));
        return std::nullopt;
    }
    const std::string var = args.str("hf-token-env");
    const char* value = std::getenv(var.c_str());
    if (!value || !*value) throw mgpux::usage_error("--hf-token-env " + var + ": the variable is not set or empty");
    return std::string(value);
}

mgpux::RunRequest vllm_request(const VllmLaunch& v, const std::string& script, const launch::Credentials& c,
                               const std::optional<std::string>& token) {
    launch::LaunchPlan plan;
    plan.app_name = "m-gpux-vllm";
    plan.mode = v.mode;
    plan.background = v.background;
    plan.description = "vLLM " + v.model + " on " + v.compute.label;
    plan.compute = v.compute;
    plan.timeout_s = v.timeout_s;
    mgpux::RunRequest req = launch::run_request(plan, script);
    if (!v.profile.empty()) req.profile = v.profile;
    Json values = Json::object();
    values.set("VLLM_API_KEY", c.secret);
    if (token) values.set("HF_TOKEN", *token);
    launch::add_session_credentials(req, values, "# m-gpux vLLM session\nVLLM_API_KEY=" + c.secret + "\n");
    if (v.mode == "deploy") {
        launch::SessionInfo info{"vllm",        v.profile,   v.compute.label, "", fs::current_path().string(),
                                 plan.app_name, std::nullopt};
        mgpux::SessionRecord session = launch::session_metadata(info);
        session.extra.set("model", v.model);
        req.session = session;
    }
    return req;
}

void report_vllm(const mgpux::Host& host, const VllmLaunch& v, const mgpux::RunResult& result,
                 const launch::Credentials& c, bool json) {
    const std::string url = result.url.value_or("");
    if (json) {
        Json doc = Json::object();
        doc.set("kind", "vllm");
        doc.set("status", result.status);
        doc.set("session_id", launch::or_null(result.session_id));
        doc.set("app_id", launch::or_null(result.app_id));
        doc.set("url", launch::or_null(result.url));
        doc.set("profile", launch::or_null(result.profile));
        doc.set("app_name", "m-gpux-vllm");
        doc.set("model", v.model);
        doc.set("mode", v.mode);
        doc.set("compute", v.compute.label);
        doc.set("openai_base_url", url.empty() ? Json() : Json(url + "/v1"));
        doc.set("secret_name", Json());  // an ephemeral secret: nothing named to delete
        doc.set("api_key", c.secret);
        host.json(doc);
        return;
    }
    if (!url.empty()) {
        host.success("URL: " + url + "\n");
        host.text("OpenAI base URL: " + url + "/v1 (model " + v.model + ")\n");
    }
    host.text("API key: " + c.secret + " (send it as `Authorization: Bearer <key>`)\n");
    const std::string run_dir = result.run_dir.value_or("");
    if (!run_dir.empty()) host.info("Key saved in " + run_dir + "/" + launch::kCredentialsFile + " (0600).\n");
    if (v.mode == "deploy") host.info("Stop it with `m-gpux stop`.\n");
}

int launch_vllm(const mgpux::Host& host, const VllmLaunch& v, const std::optional<std::string>& token, bool json);

int run_vllm(mgpux::Host& host, const mgpux::Args& args) {
    check_vllm_flags(args);
    VllmLaunch v;
    v.profile = mgpux::Profiles(host).resolve();
    const mgpux::Catalog catalog(host);
    launch::resolve_python(args, catalog);  // a bad --python fails before any question
    v.mode = args.str("mode", "deploy");
    v.background = args.flag("background");
    v.timeout_s = launch::resolve_timeout(args, 86400);
    if (args.has("max-model-len")) v.max_model_len = args.integer("max-model-len");
    v.enforce_eager = !args.flag("no-enforce-eager");
    v.extra_args = args.list("vllm-arg");
    v.min_containers = args.str("min-containers", "0") == "1" ? 1 : 0;
    v.model = choose_model(host, args);
    const std::optional<std::string> token = hf_token(args, v.model);
    v.compute = args.has("gpu") ? launch::compute_from_gpu(catalog.parse_gpu(args.str("gpu")))
                                : launch::ask_gpu(host, catalog, catalog.get(), "vLLM GPU");
    v.python_version = launch::ask_python(host, args, catalog);
    return launch_vllm(host, v, token, args.global_flag("json"));
}

int launch_vllm(const mgpux::Host& host, const VllmLaunch& v, const std::optional<std::string>& token, bool json) {
    launch::Credentials c = launch::new_credentials(launch::Workspace::Jupyter);
    c.key = "VLLM_API_KEY";
    const std::string script = host.render("hub/vllm.py", vllm_context(v, host.raw()->host_version, token.has_value()));
    mgpux::RunRequest req = vllm_request(v, script, c, token);
    launch::set_profile_override(req, v.profile, mgpux::Profiles(host).resolve());
    const mgpux::RunResult result = mgpux::Runner(host).run(req);
    const bool dry = result.status == "dry_run";
    if (!dry || json) report_vllm(host, v, result, c, json);
    return MGPUX_OK;
}

// ------------------------------------------------------------------ wizard

enum class Action { Jupyter, Script, Bash, Vllm };

Action choose_action(const mgpux::Host& host, const mgpux::Args& args, bool gpu) {
    if (args.has("action")) {
        const std::string a = args.str("action");
        if (a == "vllm" && !gpu)
            throw mgpux::usage_error("--action vllm needs a GPU (vLLM does not run on CPU): choose one with --gpu");
        return a == "jupyter"  ? Action::Jupyter
               : a == "script" ? Action::Script
               : a == "bash"   ? Action::Bash
                               : Action::Vllm;
    }
    std::vector<std::string> labels{"Jupyter Notebook", "Run Python Script", "Bash Shell"};
    std::vector<std::string> notes{"an interactive lab session", "upload this folder and run a script",
                                   "a web terminal in this folder"};
    // vLLM needs a GPU: on CPU it is not offered (the original let it fail).
    if (gpu) {
        labels.push_back("vLLM Inference");
        notes.push_back("an OpenAI-compatible API server");
    }
    const int pick = host.select("Select action", labels, notes, 0, "--action");
    return static_cast<Action>(pick);
}

std::string default_script(const std::string& dir) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file(ec) && e.path().extension() == ".py") found.push_back(e.path().filename().string());
    std::sort(found.begin(), found.end());
    return found.empty() ? "main.py" : found.front();
}

int wizard_vllm(const mgpux::Host& host, const mgpux::Args& args, const launch::WorkspaceSpec& spec) {
    VllmLaunch v;
    v.profile = spec.profile;
    v.compute = spec.compute;
    v.python_version = spec.python_version;
    v.timeout_s = spec.timeout_s;
    v.model = choose_model(host, args);
    const int mode = host.select("Deploy mode", {"deploy", "serve"},
                                 {"a persistent endpoint until `m-gpux stop`", "a temporary endpoint while this runs"},
                                 0, "`hub vllm --mode`");
    v.mode = mode == 0 ? "deploy" : "serve";
    std::optional<std::string> token;
    if (is_gated(v.model)) {
        const std::string var =
            host.ask(v.model + " is gated: the environment variable holding your Hugging Face token", "HF_TOKEN",
                     "`hub vllm --hf-token-env`");
        validate_env_name(var);
        const char* value = std::getenv(var.c_str());
        if (!value || !*value) throw mgpux::usage_error(var + " is not set: export your Hugging Face token first");
        token = value;
    }
    return launch_vllm(host, v, token, args.global_flag("json"));
}

int wizard_script(const mgpux::Host& host, const mgpux::Args& args, launch::WorkspaceSpec& spec) {
    const std::string def = default_script(spec.local_dir);
    const std::string file = host.ask("Python script to run", def.c_str(), "`hub script FILE`");
    spec.script_path = launch::script_inside(spec.local_dir, file, fs::current_path().string(), "the script");
    host.info("Step 3: Environment\n");
    launch::ask_deps(host, args, spec);
    host.info("Step 4: Upload\n");
    launch::ask_excludes(host, args, spec);
    const InputScan scan = scan_inputs(spec.local_dir + "/" + spec.script_path);
    if (!scan.error.empty()) host.warn(spec.script_path + " does not parse as Python: " + scan.error + "\n");
    const OnInput on = choose_on_input(host, args, spec.script_path, scan);
    if (on == OnInput::Terminal) {
        spec.kind = launch::Workspace::Interactive;
        launch::offer_preset(host, args, spec, true);
        return launch::launch_workspace(host, spec, args.global_flag("json"));
    }
    return launch_script(host, args, spec, on, scan.lines.size());
}

int wizard(mgpux::Host& host, const mgpux::Args& args) {
    host.text("m-gpux Compute Hub: a GPU or CPU container for this folder in seconds\n", MGPUX_TEXT_SUCCESS);
    const std::string profile = launch::choose_profile(host, args);
    host.info("Step 1: Choose compute\n");
    launch::ComputeChoice choice;
    choice.title = "Compute";
    launch::WorkspaceSpec spec = launch::workspace_from_args(host, args, launch::Workspace::Jupyter, choice);
    spec.profile = profile;
    host.info("You selected: " + spec.compute.label + "\n");
    host.info("Step 2: Choose application\n");
    const Action action = choose_action(host, args, spec.compute.is_gpu());
    if (action == Action::Vllm) return wizard_vllm(host, args, spec);
    if (action == Action::Script) return wizard_script(host, args, spec);
    spec.kind = action == Action::Jupyter ? launch::Workspace::Jupyter : launch::Workspace::Bash;
    host.info("Step 3: Environment\n");
    launch::ask_deps(host, args, spec);
    host.info("Step 4: Upload\n");
    launch::ask_excludes(host, args, spec);
    launch::offer_preset(host, args, spec, true);
    return launch::launch_workspace(host, spec, args.global_flag("json"));
}

// Every hub command launches: the Modal account is checked before any question.
mgpux::Handler launching(int (*handler)(mgpux::Host&, const mgpux::Args&)) {
    return [handler](mgpux::Host& host, const mgpux::Args& args) {
        launch::require_modal_account(host, args);
        return handler(host, args);
    };
}

int jupyter(mgpux::Host& host, const mgpux::Args& args) {
    return launch_action(host, args, launch::Workspace::Jupyter);
}
int bash(mgpux::Host& host, const mgpux::Args& args) { return launch_action(host, args, launch::Workspace::Bash); }
int interactive(mgpux::Host& host, const mgpux::Args& args) {
    return launch_action(host, args, launch::Workspace::Interactive);
}

const mgpux::Commands kCommands{
    mgpux::command("hub", "Launch Jupyter, a web shell, a script or vLLM on Modal", kWizardOptions, launching(wizard))
        .help("Without a subcommand, a wizard: profile, compute (and how many GPUs), Python version,\n"
              "application, environment, upload, review, launch. Each application is also a subcommand\n"
              "with a flag for every question (on a terminal they ask the GPU count and Python too):\n"
              "Jupyter Lab, a web Bash terminal, an interactive terminal for a script, a one-off\n"
              "script run, or a vLLM OpenAI-compatible server. Jupyter and the terminals keep\n"
              "running (detached) with your files in a workspace volume; each is protected by\n"
              "generated credentials, printed once and passed as an ephemeral Modal Secret.\n\n"
              "Example:\n"
              "  m-gpux hub\n"
              "  m-gpux hub jupyter --gpu L4\n"
              "  m-gpux --yes hub bash --cpu 4 --pip httpx --background")
        .flags(kFlags),
    mgpux::command("hub jupyter", "Jupyter Lab on a GPU or CPU container", kWorkspaceOptions, launching(jupyter))
        .help("Uploads the current folder into a workspace volume mounted at /workspace and starts\n"
              "Jupyter Lab behind a Modal tunnel, detached; the URL printed carries the session's token.\n"
              "Dependencies: --requirements/--pip/--no-deps, else ./requirements.txt when present.\n"
              "--json prints {session_id, app_id, app_name, url, access_url, kind, profile, ...}.\n\n"
              "Example:\n"
              "  m-gpux hub jupyter --gpu A100 --python 3.11 --exclude data/\n"
              "  m-gpux --yes --json hub jupyter --cpu 4 --background --save-preset nb-cpu")
        .flags(kFlags),
    mgpux::command("hub bash", "A web Bash terminal on a GPU or CPU container", kWorkspaceOptions, launching(bash))
        .help("As `hub jupyter`, with a ttyd web terminal (login user and password generated for the\n"
              "session) in /workspace, with the dotfiles m-gpux ships.\n\n"
              "Example:\n"
              "  m-gpux hub bash --gpu H100:2 --timeout 7200\n"
              "  m-gpux --yes hub bash --cpu 8 --memory 16384 --no-deps")
        .flags(kFlags),
    mgpux::command("hub interactive", "A web terminal ready to run a script that reads input()", kInteractiveOptions,
                   launching(interactive))
        .help("As `hub bash`, for a script that asks questions: the terminal opens in /workspace and\n"
              "shows the command that runs FILE. FILE must lie inside the current folder.\n\n"
              "Example:\n"
              "  m-gpux hub interactive quiz.py --gpu L4")
        .flags(kFlags),
    mgpux::command("hub script", "Run a Python script once and wait for it", kScriptOptions, launching(run_script))
        .help("Uploads the current folder to /workspace and runs FILE there with ARGS (after --),\n"
              "attached: its output streams here and m-gpux exits non-zero when it fails. A script\n"
              "that calls input() (found with Python's tokenizer) needs --on-input: terminal starts\n"
              "`hub interactive` instead, prefill sends answers (asked one per call, or\n"
              "--stdin-file), run runs it with an empty stdin. --save-preset goes with terminal.\n\n"
              "Example:\n"
              "  m-gpux hub script train.py --gpu A100 -- --epochs 3\n"
              "  m-gpux --no-input hub script quiz.py --cpu 2 --stdin-file answers.txt")
        .flags(kFlags)
        .trailing("args"),
    mgpux::command("hub vllm", "An OpenAI-compatible vLLM server for a Hugging Face model", kVllmOptions,
                   launching(run_vllm))
        .help("Serves MODEL with vLLM on a GPU (`modal deploy` by default, or `modal serve` while this\n"
              "runs with --mode serve; never `modal run`). The endpoint needs the API key generated for\n"
              "the session (printed once, an ephemeral Modal Secret): `Authorization: Bearer <key>`,\n"
              "OpenAI base URL <url>/v1. Gated models need --hf-token-env VAR. The GPU count sets\n"
              "--tensor-parallel-size. vLLM does not run on CPU.\n"
              "--json prints {session_id, app_id, app_name, url, kind, profile, model, api_key, ...}.\n\n"
              "Example:\n"
              "  m-gpux hub vllm --model Qwen/Qwen2.5-1.5B-Instruct --gpu L4\n"
              "  HF_TOKEN=hf_... m-gpux hub vllm --model meta-llama/Llama-3.1-8B-Instruct --gpu A100 \\\n"
              "      --hf-token-env HF_TOKEN --mode serve")
        .flags(kFlags),
};

}  // namespace
}  // namespace hub

MGPUX_CPP_PLUGIN_COMMANDS("hub", "0.1.0", "Jupyter, web terminals, scripts and vLLM on Modal", "Compute Engine",
                          hub::kCommands)
