// SPDX-License-Identifier: MIT
// `m-gpux host asgi|wsgi|static`: deploys (or serves) a web app from a local
// folder on Modal: an ASGI or WSGI callable, or a static site.
#include "host_logic.hpp"
#include "image_store.hpp"
#include "launch_args.hpp"

#include <mgpux/plugin.hpp>

#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace host {
namespace {

using mgpux::Json;
namespace launch = mgpux::launch;

const char* const kMinContainers[] = {"0", "1", nullptr};
const char* const kModes[] = {"deploy", "serve", nullptr};

// Options every action has, after its own.
constexpr mgpux::OptionBuilder kName =
    mgpux::option("name").alias('n').metavar("NAME").help("app name; the Modal app is m-gpux-host-<name>");
constexpr mgpux::OptionBuilder kMinContainersOption =
    mgpux::option("min-containers")
        .choices(kMinContainers)
        .default_value("0")
        .metavar("0|1")
        .help("containers kept warm: 0 scales to zero, 1 avoids cold starts");
constexpr mgpux::OptionBuilder kMode = mgpux::option("mode")
                                           .choices(kModes)
                                           .default_value("deploy")
                                           .metavar("deploy|serve")
                                           .help("deploy: a persistent URL; serve: a temporary URL while this runs");
constexpr mgpux::OptionBuilder kBackground =
    mgpux::option("background").flag().help("deploy: return as soon as Modal reports the deployment");

constexpr unsigned kShared =
    launch::kCompute | launch::kPython | launch::kDeps | launch::kExcludes | launch::kTimeout | launch::kImage;

const std::vector<mgpux_option> kAppOptions =
    launch::with_shared({mgpux::option("entry")
                             .alias('e')
                             .metavar("MODULE:OBJECT")
                             .help("the app object as MODULE:OBJECT (asgi default main:app, wsgi app:app)"),
                         mgpux::option("project-dir")
                             .kind(MGPUX_OPT_PATH)
                             .metavar("DIR")
                             .help("the folder to upload and import from (default: the current one)"),
                         kName, kMinContainersOption, kMode, kBackground},  // every action has these, after its own
                        kShared, "86400");

const std::vector<mgpux_option> kStaticOptions =
    launch::with_shared({mgpux::option("dir")
                             .kind(MGPUX_OPT_PATH)
                             .alias('d')
                             .metavar("DIR")
                             .help("the folder holding index.html (default: the current one)"),
                         kName, kMinContainersOption, kMode, kBackground},  // every action has these, after its own
                        kShared, "86400");

constexpr uint32_t kFlags = MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE;

int launch_app(mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("host", "Host web apps on Modal: ASGI, WSGI or a static site",
                   "Uploads a folder and serves it from a Modal web endpoint: an ASGI app (FastAPI,\n"
                   "Starlette), a WSGI app (Flask, Django) or static files. `--mode deploy` (default)\n"
                   "gives a persistent public URL; `--mode serve` a temporary one while m-gpux runs.\n"
                   "Hosted apps are public: add your own authentication if they need it.\n\n"
                   "Example:\n"
                   "  m-gpux host asgi --entry main:app --name demo --cpu 2\n"
                   "  m-gpux host static --dir site --name docs --min-containers 1"),
    mgpux::command("host asgi", "Deploy an ASGI app (FastAPI, Starlette, ...)", kAppOptions, launch_app)
        .help("Imports MODULE from the project folder (uploaded to /app, which is also the working\n"
              "directory) and serves OBJECT with @modal.asgi_app(), 100 concurrent requests per\n"
              "container, scaling to zero after 300 s idle unless --min-containers 1. The project's\n"
              "requirements.txt is installed when present (or --requirements/--pip/--no-deps).\n"
              "--json prints {action, app_name, app_id, url, mode, profile, session_id, status, ...}.\n\n"
              "Example:\n"
              "  m-gpux host asgi --project-dir examples/host-asgi --entry main:app --name hello --cpu 1\n"
              "  m-gpux --yes --json host asgi --entry api.server:app --gpu L4 --mode serve")
        .flags(kFlags),
    mgpux::command("host wsgi", "Deploy a WSGI app (Flask, Django, ...)", kAppOptions, launch_app)
        .help("As `host asgi`, with @modal.wsgi_app(); the entry defaults to app:app.\n\n"
              "Example:\n"
              "  m-gpux host wsgi --project-dir examples/host-wsgi --entry app:app --name tasks --pip flask==3.1.3")
        .flags(kFlags),
    mgpux::command("host static", "Deploy a static site (HTML, CSS, JS)", kStaticOptions, launch_app)
        .help("Uploads DIR to /site and serves it on port 8000 with Python's HTTP server: no\n"
              "directory listings and nothing under a dot-name (.env, .git) is served.\n\n"
              "Example:\n"
              "  m-gpux host static --dir examples/host-static --name landing --cpu 1")
        .flags(kFlags),
};

fs::path existing_dir(const std::string& flag, const std::string& value, const fs::path& cwd) {
    fs::path p = value.empty() ? cwd : fs::path(value);
    if (p.is_relative()) p = cwd / p;
    std::error_code ec;
    if (!fs::is_directory(p, ec)) throw mgpux::usage_error(flag + ": not a directory: " + Json(value).dump());
    return p;
}

// Everything a flag can get wrong is checked before any question or render.
Plan plan_from_flags(const mgpux::Args& args, Action action, const fs::path& cwd) {
    Plan p;
    p.action = action;
    p.mode = args.str("mode", "deploy");
    p.background = args.flag("background");
    if (p.background && p.mode != "deploy")
        throw mgpux::usage_error("--background goes with --mode deploy (a served app ends when m-gpux does)");
    p.min_containers = args.str("min-containers", "0") == "1" ? 1 : 0;
    const fs::path dir = action == Action::Static ? existing_dir("--dir", args.str("dir"), cwd)
                                                  : existing_dir("--project-dir", args.str("project-dir"), cwd);
    p.project_dir = launch::absolute_dir(dir, cwd);
    if (args.has("entry")) {
        p.entry = parse_entry(args.str("entry"));
        entry_file(p.project_dir, p.entry);
    }
    if (args.has("name")) p.app_name = app_name_for(args.str("name"));
    // A static site has no requirements of its own to pick up unasked.
    p.deps = launch::resolve_deps(launch::deps_request(args, action != Action::Static), p.project_dir, cwd);
    p.ignore = launch::resolve_excludes(args, launch::ExcludeDefaults::Host);
    p.timeout_s = launch::resolve_timeout(args, kTimeoutS);
    if (args.has("memory") && !args.has("cpu")) throw mgpux::usage_error("--memory goes with --cpu");
    return p;
}

void ask_missing(const mgpux::Host& host, const mgpux::Args& args, Plan& p) {
    if (p.app_name.empty()) p.app_name = app_name_for(host.ask("App name", default_name(p.action), "--name"));
    if (p.action != Action::Static && !args.has("entry")) {
        p.entry = parse_entry(host.ask("Entry point (MODULE:OBJECT)", default_entry(p.action), "--entry"));
        entry_file(p.project_dir, p.entry);
    }
}

void report(const mgpux::Host& host, const Plan& p, const mgpux::RunResult& result) {
    if (result.url) host.success("URL: " + *result.url + "\n");
    // A deployment has no id to show (`modal deploy` prints none): its name is what addresses it.
    host.text("App: " + p.app_name + (result.app_id ? " (" + *result.app_id + ")" : std::string()) + "\n");
    if (p.mode == "deploy") host.info("Stop it with `m-gpux stop` (it keeps running until then).\n");
}

int launch_app(mgpux::Host& host, const mgpux::Args& args) {
    mgpux::Profiles(host).resolve();  // an unknown --profile fails before any question
    launch::require_modal_account(host, args);
    const Action action = action_of(args.command());
    const fs::path cwd = fs::current_path();
    Plan p = plan_from_flags(args, action, cwd);
    const mgpux::Catalog catalog(host);
    p.python_version = launch::resolve_python(args, catalog);
    ask_missing(host, args, p);
    launch::ComputeChoice choice;
    choice.prefer_cpu = true;  // most web apps need no GPU
    choice.cpu_index = 2;      // 4 cores, 2048 MB (the original's default for host)
    choice.title = "Host compute";
    p.compute = launch::resolve_compute(host, args, catalog, choice);
    const auto image = mgpux::images::choose_image(host, args, mgpux::Profiles(host).resolve());
    if (image) p.base_image = image->name;
    // A published image already holds its Python; the menu would only mislead.
    p.python_version = image && !image->python.empty() ? image->python : launch::ask_python(host, args, catalog);

    const launch::UploadStats upload = launch::upload_stats(p.project_dir, p.ignore);
    if (upload.bytes > 512ull * 1024 * 1024)
        host.warn("The upload is " + launch::human_size(upload.bytes) + "; add --exclude patterns to shrink it.\n");
    const std::string script = host.render(template_name(action), render_context(p, host.raw()->host_version));
    const mgpux::RunResult result = mgpux::Runner(host).run(run_request(p, upload, script));
    if (args.global_flag("json")) host.json(json_document(p, result));
    else if (result.status != "dry_run") report(host, p, result);
    return MGPUX_OK;
}

}  // namespace
}  // namespace host

MGPUX_CPP_PLUGIN_COMMANDS("host", "0.1.0", "Host ASGI, WSGI and static web apps", "Compute Engine", host::kCommands)
