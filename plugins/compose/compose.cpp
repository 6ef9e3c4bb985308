// SPDX-License-Identifier: MIT
// `m-gpux compose check|up|sync` and `compose vm check|up`: a Docker Compose
// stack in one Modal container, rendered from the user's own compose file.
#include "compose_file.hpp"
#include "compose_plan.hpp"
#include "compose_sandbox.hpp"
#include "compose_sync.hpp"
#include "image_store.hpp"
#include "launch_args.hpp"

#include <mgpux/plugin.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;

namespace compose {
namespace {

using mgpux::Json;
namespace launch = mgpux::launch;

constexpr mgpux::OptionBuilder kFile =
    mgpux::option("file")
        .alias('f')
        .kind(MGPUX_OPT_PATH)
        .metavar("PATH")
        .help("the compose file (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml here)");

const std::vector<mgpux_option> kCheckOptions = {kFile};

const std::vector<mgpux_option> kUpOptions = launch::with_shared(
    {kFile,
     mgpux::option("services")
         .repeatable()
         .metavar("NAMES")
         .help("services to start, comma-separated (default: all without a profile); their dependencies come too"),
     mgpux::option("main").metavar("SERVICE").help("the main service (default: the first app service with a port)"),
     mgpux::option("expose")
         .repeatable()
         .metavar("SERVICE[:PORT]")
         .help("tunnel this port to the internet (default: the main service's port; nothing else is reachable)"),
     mgpux::option("apt").repeatable().metavar("PKG").help("also apt-install this package in the image")},
    launch::kCompute | launch::kPython | launch::kDeps | launch::kExcludes | launch::kTimeout | launch::kImage,
    "86400");

const std::vector<mgpux_option> kSandboxUpOptions = launch::with_shared(
    {kFile,
     mgpux::option("services")
         .repeatable()
         .metavar("NAMES")
         .help("services to start, comma-separated (default: all without a profile); their dependencies come too")},
    launch::kCompute | launch::kTimeout, "86400");

const std::vector<mgpux_option> kLogsOptions = {
    mgpux::positional("service").metavar("SERVICE").help("the service whose output to show"),
    mgpux::option("file").kind(MGPUX_OPT_PATH).metavar("PATH").help("the compose file (-f is --follow here)"),
    mgpux::option("follow").alias('f').flag().help("keep following the output until Ctrl-C"),
};

const std::vector<mgpux_option> kSyncOptions = {
    kFile,
    mgpux::option("interval")
        .alias('i')
        .kind(MGPUX_OPT_INT)
        .default_value("2")
        .metavar("SECONDS")
        .help("seconds between rounds"),
    mgpux::option("exclude")
        .alias('e')
        .repeatable()
        .metavar("PATTERNS")
        .help("also leave out these comma-separated patterns (the upload defaults always apply)"),
    mgpux::option("once").flag().help("one round, then exit"),
};

int check(mgpux::Host& host, const mgpux::Args& args);
int up(mgpux::Host& host, const mgpux::Args& args);
int sync(mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("compose", "Run a Docker Compose stack on Modal",
                   "Reads your compose file and runs the stack in one Modal container: infra services\n"
                   "(Postgres, MySQL/MariaDB, Redis, Memcached, RabbitMQ, MongoDB, Nginx, MinIO) are\n"
                   "installed from packages and bound to 127.0.0.1, app services run from the project\n"
                   "folder in a workspace volume that `compose sync` keeps current. `compose vm` uses a\n"
                   "custom base image (x-mgpux base_image, or a Triton image the stack uses).\n\n"
                   "Example:\n"
                   "  m-gpux compose check -f examples/compose/web-postgres-redis/compose.yaml\n"
                   "  m-gpux compose up --gpu L4 --expose web:8000"),
    mgpux::command("compose check", "Show what m-gpux understood of the compose file", kCheckOptions, check)
        .help("Services with their kind (infra type or app), image or build, ports, command,\n"
              "environment (values of secret-looking names masked), dependencies and GPU needs,\n"
              "the start order, the base image and warnings for what one container cannot honour.\n"
              "--json prints {file, mode, base_image, gpu_needed, services, start_order, x_mgpux, warnings}.")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("compose up", "Run the stack in one Modal container (detached, a `compose` session)", kUpOptions, up)
        .help("Renders a Modal script that installs and starts the services in dependency order\n"
              "(waiting for health checks where given), prefixes each service's output with its\n"
              "name and restarts crashed services with backoff (up to 5 times). Only --expose ports\n"
              "get a public tunnel. x-mgpux base_image, gpu, python, pip_packages and apt_packages\n"
              "are honoured. On a terminal it asks what no flag says.\n\n"
              "Example:\n"
              "  m-gpux --yes compose up --cpu 4 --expose web:8000 --services web,worker")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE),
    mgpux::command("compose sync", "Keep the workspace volume current with the project folder", kSyncOptions, sync)
        .help("Every --interval seconds uploads created and changed files (one `modal volume put` per\n"
              "top-level folder) and removes deleted ones from the stack's workspace volume, with\n"
              "the profile pinned. The running stack picks the files up within seconds.\n\n"
              "Example:\n"
              "  m-gpux compose sync -i 5 -e 'data,*.log'\n"
              "  m-gpux compose sync --once"),
    mgpux::command("compose sandbox", "Run each service in a Modal Sandbox of its own image",
                   "Multi-container mode: one Modal Sandbox per service, created from the service's own\n"
                   "image (or its build context) in depends_on order, each declared port reachable\n"
                   "through a Sandbox tunnel. Dependents get SERVICE_HOST / SERVICE_PORT variables, and\n"
                   "every SERVICE:PORT in their environment values is rewritten to the tunnel's address.\n"
                   "The driver runs locally with python3 (or MGPUX_PYTHON), which must have `modal`."),
    mgpux::command("compose sandbox up", "Start one sandbox per service", kSandboxUpOptions, sandbox_up)
        .help("GPU services (device reservations, runtime: nvidia) get --gpu, else x-mgpux gpu, else L4.\n"
              "The stack (sandbox ids, tunnels) is kept in ~/.m-gpux/compose_stacks.json.\n\n"
              "Example:\n"
              "  m-gpux --yes compose sandbox up -f examples/compose/web-postgres-redis/compose.yaml")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("compose sandbox ps", "Show the stack's sandboxes and whether they run", kCheckOptions, sandbox_ps)
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("compose sandbox logs", "Show one service's output", kLogsOptions, sandbox_logs),
    mgpux::command("compose sandbox down", "Terminate every sandbox of the stack", kCheckOptions, sandbox_down),
    mgpux::command("compose vm", "Run the stack from a custom base image",
                   "VM mode: like `compose up`, but the image comes from x-mgpux base_image (or a Triton\n"
                   "image a service uses), and every published port is tunnelled unless --expose says."),
    mgpux::command("compose vm check", "Show what VM mode understood of the compose file", kCheckOptions, check)
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("compose vm up", "Run the stack from its custom base image (a `compose-vm` session)", kUpOptions, up)
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE),
};

Mode mode_of(const mgpux::Args& args) { return args.command().find(" vm ") != std::string::npos ? Mode::Vm : Mode::Up; }

Project load(const mgpux::Args& args) {
    const std::string path = find_compose_file(args.str("file"), fs::current_path().string());
    return load_project(path, process_environment());
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

std::string ports_text(const Service& s) {
    std::vector<std::string> out;
    for (const Port& p : s.ports)
        out.push_back((p.host_ip.empty() ? "" : p.host_ip + ":") + (p.published.empty() ? "" : p.published + ":") +
                      std::to_string(p.target) + (p.protocol == "tcp" ? "" : "/" + p.protocol));
    for (int e : s.expose) out.push_back(std::to_string(e) + " (internal)");
    return out.empty() ? "-" : join(out, ", ");
}

void print_picture(const mgpux::Host& host, const Project& p, Mode m) {
    host.text("Compose file: " + p.file + "\n");
    host.text("Base image: " + base_image(p, m) + "\n");
    host.text("Start order: " + join(p.start_order, " -> ") + "\n\n");
    for (const Service& s : p.services) {
        host.text(s.name + "  [" + s.kind + "]\n");
        host.text("  image:   " + (s.build ? "(build " + s.build->context + "/" + s.build->dockerfile + ")" : s.image) +
                  "\n");
        host.text("  ports:   " + ports_text(s) + "\n");
        const std::vector<std::string> argv = service_argv(p, s);
        host.text("  command: " + (argv.empty() ? (s.kind == "app" ? "(none found)" : "(built in)") : join(argv, " ")) +
                  "\n");
        std::vector<std::string> env;
        for (const auto& kv : s.environment) env.push_back(kv.first + (looks_secret(kv.first) ? "=****" : ""));
        if (!env.empty()) host.text("  env:     " + join(env, ", ") + "\n");
        std::vector<std::string> deps;
        for (const Dependency& d : s.depends_on)
            deps.push_back(d.service + (d.condition == "service_started" ? "" : " (" + d.condition + ")"));
        if (!deps.empty()) host.text("  depends: " + join(deps, ", ") + "\n");
        if (s.gpus) host.text("  gpus:    " + (s.gpus < 0 ? std::string("all") : std::to_string(s.gpus)) + "\n");
    }
    for (const std::string& w : p.warnings) host.warn("Warning: " + w + "\n");
}

int check(mgpux::Host& host, const mgpux::Args& args) {
    const Project p = load(args);
    const Mode m = mode_of(args);
    if (args.global_flag("json")) host.json(check_document(p, m));
    else print_picture(host, p, m);
    return MGPUX_OK;
}

// ---------------------------------------------------------------- up

std::vector<std::string> comma_list(const mgpux::Args& args, const std::string& name) {
    std::vector<std::string> out;
    for (const std::string& v : args.list(name))
        for (const std::string& item : launch::split_commas(v)) out.push_back(item);
    return out;
}

std::vector<std::string> default_services(const Project& p) {
    std::vector<std::string> out;
    for (const Service& s : p.services)
        if (s.profiles.empty()) out.push_back(s.name);  // services with profiles start only when asked for
    return out;
}

launch::Compute choose_compute(const mgpux::Host& host, const mgpux::Args& args, const mgpux::Catalog& catalog,
                               const Project& p) {
    if (!args.has("gpu") && !args.has("cpu") && !p.mgpux.gpu.empty())
        return launch::compute_from_gpu(catalog.parse_gpu(p.mgpux.gpu));
    launch::ComputeChoice choice;
    bool gpu = false;
    for (const Service& s : p.services) gpu = gpu || s.gpus != 0;
    choice.prefer_cpu = !gpu;
    choice.title = "Compose compute";
    return launch::resolve_compute(host, args, catalog, choice);
}

Plan plan_from_args(const mgpux::Host& host, const mgpux::Args& args, const Project& project) {
    Plan plan;
    plan.mode = mode_of(args);
    plan.project = project;
    plan.local_dir = launch::absolute_dir(project.dir, fs::current_path());
    const bool ask = launch::asks_questions(args);
    plan.services = args.has("services") ? comma_list(args, "services") : default_services(project);
    if (ask && !args.has("services"))
        plan.services = launch::split_commas(
            host.ask("Services to start (comma-separated)", join(plan.services, ",").c_str(), "--services"));
    plan.main_service = args.has("main") ? args.str("main") : default_main(project);
    if (ask && !args.has("main")) plan.main_service = host.ask("Main service", plan.main_service.c_str(), "--main");
    if (args.has("expose")) {
        for (const std::string& e : comma_list(args, "expose")) plan.exposes.push_back(parse_expose(e, project));
    } else {
        std::vector<std::string> started = plan.services;
        started.push_back(plan.main_service);
        plan.exposes = default_exposes(project, plan.mode, plan.main_service, started);
    }
    validate_plan(plan);
    const mgpux::Catalog catalog(host);
    plan.compute = choose_compute(host, args, catalog, project);
    plan.python_version = args.has("python") || project.mgpux.python.empty()
                              ? launch::resolve_python(args, catalog)
                              : catalog.parse_python(project.mgpux.python);
    const launch::Deps deps = launch::resolve_deps(launch::deps_request(args), plan.local_dir, fs::current_path());
    plan.pip_packages = project.mgpux.pip_packages;
    for (const std::string& pkg : deps.packages) plan.pip_packages.push_back(pkg);
    plan.requirements_abs = deps.requirements_abs;
    plan.apt_packages = project.mgpux.apt_packages;
    for (const std::string& pkg : args.list("apt")) plan.apt_packages.push_back(pkg);
    plan.excludes = launch::resolve_excludes(args, launch::ExcludeDefaults::Host);  // .env files stay local
    plan.timeout_s = launch::resolve_timeout(args, 86400);
    return plan;
}

mgpux::RunRequest run_request(const Plan& plan, const std::string& script, const launch::UploadStats& upload,
                              const std::string& profile) {
    launch::LaunchPlan lp;
    lp.app_name = app_name(plan.mode);
    lp.mode = "run";
    lp.detach = true;
    lp.description = "Compose stack (" + join(plan.services, ", ") + ") on " + plan.compute.label;
    lp.compute = plan.compute;
    lp.timeout_s = plan.timeout_s;
    lp.upload_root = plan.local_dir;
    lp.upload = upload;
    mgpux::RunRequest req = launch::run_request(lp, script);
    launch::SessionInfo info{
        session_kind(plan.mode), profile,     plan.compute.label, volume_name(plan.local_dir), plan.local_dir,
        app_name(plan.mode),     std::nullopt};
    req.session = launch::session_metadata(info);
    // Passwords and tokens from the compose file or .env reach the container
    // through the launch's ephemeral secret, never the script.
    for (const SecretValue& v : secret_values(plan)) req.secret_env[v.variable] = v.value;
    return req;
}

void print_plan(const mgpux::Host& host, const Plan& plan) {
    host.text("Services: " + join(plan.services, ", ") + " (main: " + plan.main_service + ")\n");
    std::vector<std::string> t;
    for (const Expose& e : plan.exposes) t.push_back(e.service + ":" + std::to_string(e.port));
    host.text("Tunnels:  " + (t.empty() ? std::string("none") : join(t, ", ")) + "\n");
    host.text("Compute:  " + plan.compute.label + "\n");
    if (plan.published_image)
        host.text("Image:    " + *plan.published_image +
                  " (published with `m-gpux image build`; the base image above is not used)\n");
    host.text("Volume:   " + volume_name(plan.local_dir) + " (keep it current with `m-gpux compose sync`)\n");
    for (const std::string& name : plan.services) {
        const Service& s = *plan.project.find(name);
        if (s.kind == "app" && service_argv(plan.project, s).empty())
            host.warn("Warning: " + name +
                      " has no command (none in the compose file or a Dockerfile); add `command:`\n");
    }
    host.info("Service names resolve to 127.0.0.1 inside the container.\n");
}

int up(mgpux::Host& host, const mgpux::Args& args) {
    launch::require_modal_account(host, args);
    const Project project = load(args);
    const bool json = args.global_flag("json");
    if (!json) print_picture(host, project, mode_of(args));
    Plan plan = plan_from_args(host, args, project);
    if (!json) print_plan(host, plan);
    const std::string profile = mgpux::Profiles(host).resolve();
    if (const auto image = mgpux::images::choose_image(host, args, profile)) plan.published_image = image->name;
    const launch::UploadStats upload = launch::upload_stats(plan.local_dir, plan.excludes);
    const std::string script = host.render("compose/stack.py", render_context(plan, host.raw()->host_version));
    const mgpux::RunResult result = mgpux::Runner(host).run(run_request(plan, script, upload, profile));
    if (json) {
        Json doc = Json::object();
        doc.set("mode", plan.mode == Mode::Vm ? "vm" : "up");
        doc.set("app_name", app_name(plan.mode));
        doc.set("status", result.status);
        doc.set("app_id", launch::or_null(result.app_id));
        doc.set("url", launch::or_null(result.url));
        doc.set("session_id", result.status == "dry_run" ? Json() : launch::or_null(result.session_id));
        doc.set("services", Json::array_of(plan.services));
        doc.set("workspace_volume", volume_name(plan.local_dir));
        Json tunnels = Json::array();
        for (const Expose& e : plan.exposes) tunnels.push(e.service + ":" + std::to_string(e.port));
        doc.set("tunnels", tunnels);
        host.json(doc);
    } else if (result.url) {
        host.success("URL: " + *result.url + "\n");
    }
    return MGPUX_OK;
}

// ---------------------------------------------------------------- sync

struct SyncRound {
    std::size_t uploaded = 0;
    std::size_t deleted = 0;
    std::size_t failed = 0;
};

// Copies the group's files into a staging folder and uploads the group's
// top-level entry in one call (the remote path is relative to the volume
// root, which the container mounts at /workspace).
bool put_group(const mgpux::Modal& modal, const std::string& profile, const std::string& volume, const fs::path& root,
               const fs::path& stage, const std::string& top, const std::vector<std::string>& files) {
    std::error_code ec;
    fs::remove_all(stage, ec);
    for (const std::string& rel : files) {
        fs::create_directories((stage / rel).parent_path(), ec);
        fs::copy_file(root / rel, stage / rel, fs::copy_options::overwrite_existing, ec);
        if (ec) return false;
    }
    const Json r =
        modal.try_call({"volume", "put", "--force", volume, (stage / top).string(), "/" + top}, profile, 600);
    fs::remove_all(stage, ec);
    return r.bool_or("ok");
}

SyncRound sync_round(const mgpux::Host& host, const std::string& profile, const std::string& volume,
                     const fs::path& root, const Changes& c) {
    const mgpux::Modal modal(host);
    SyncRound round;
    const fs::path stage = fs::temp_directory_path() / ("m-gpux-sync-" + launch::random_hex(6));
    for (const auto& [top, files] : upload_groups(c.uploads)) {
        if (put_group(modal, profile, volume, root, stage, top, files)) round.uploaded += files.size();
        else round.failed += files.size();
    }
    for (const std::string& rel : c.deletes) {
        const Json r = modal.try_call({"volume", "rm", "-r", volume, "/" + rel}, profile, 120);
        if (r.bool_or("ok")) ++round.deleted;
        else ++round.failed;
    }
    return round;
}

// The last synced snapshot of each volume, in the state document
// compose_sync ({volume: {path: "size:mtime_ns"}}), so a deletion between
// two `sync --once` runs is noticed.
constexpr const char* kSyncDocument = "compose_sync";

Snapshot saved_snapshot(const mgpux::Host& host, const std::string& volume) {
    Snapshot s;
    const Json doc = mgpux::State(host).read(kSyncDocument);
    const Json* files = doc.is_object() ? doc.find(volume) : nullptr;
    if (!files || !files->is_object()) return s;
    for (const auto& [rel, stamp] : files->as_object()) {
        if (!stamp.is_string()) continue;
        const std::string text = stamp.as_string();
        const auto colon = text.find(':');
        if (colon == std::string::npos) continue;
        try {
            s[rel] = FileStamp{std::stoull(text.substr(0, colon)), std::stoll(text.substr(colon + 1))};
        } catch (const std::exception&) {}
    }
    return s;
}

void save_snapshot(const mgpux::Host& host, const std::string& volume, const Snapshot& s) {
    Json files = Json::object();
    for (const auto& [rel, st] : s) files.set(rel, std::to_string(st.size) + ":" + std::to_string(st.mtime_ns));
    mgpux::State(host).modify(kSyncDocument, [&](const Json& current, Json& replacement) {
        replacement = current.is_object() ? current : Json::object();
        replacement.set(volume, files);
        return true;
    });
}

int sync(mgpux::Host& host, const mgpux::Args& args) {
    const Project project = load(args);
    const std::string root = launch::absolute_dir(project.dir, fs::current_path());
    const std::string volume = volume_name(root);
    const std::string profile = mgpux::Profiles(host).resolve();
    std::vector<std::string> extra = comma_list(args, "exclude");
    const std::vector<std::string> excludes =
        launch::resolve_excludes(launch::default_excludes(launch::ExcludeDefaults::Host), extra, false);
    const long long interval = args.has("interval") ? args.value("interval").as_int() : 2;
    if (interval < 1 || interval > 3600) throw mgpux::usage_error("--interval must be 1 to 3600 seconds");
    host.text("Syncing " + root + " -> volume " + volume + " (profile " + profile + ")\n");
    Snapshot before = saved_snapshot(host, volume);
    // The stack's first launch creates the volume too; syncing before it
    // must not fail for want of one ("already exists" is fine).
    if (before.empty()) mgpux::Modal(host).try_call({"volume", "create", volume}, profile);
    for (int round = 1;; ++round) {
        const Snapshot now = snapshot(root, excludes);
        const Changes c = diff(before, now);
        if (!c.uploads.empty() || !c.deletes.empty()) {
            const SyncRound r = sync_round(host, profile, volume, root, c);
            host.text("Round " + std::to_string(round) + ": " + std::to_string(r.uploaded) + " uploaded, " +
                      std::to_string(r.deleted) + " deleted" +
                      (r.failed ? ", " + std::to_string(r.failed) + " failed" : "") + "\n");
            if (r.failed) {
                // The next round tries everything again.
                if (args.flag("once")) return MGPUX_E_FAILED;
                std::this_thread::sleep_for(std::chrono::seconds(interval));
                continue;
            }
            save_snapshot(host, volume, now);
        } else if (args.flag("once")) {
            host.text("Round " + std::to_string(round) + ": up to date\n");
        }
        before = now;
        if (args.flag("once")) return MGPUX_OK;
        std::this_thread::sleep_for(std::chrono::seconds(interval));
    }
}

}  // namespace
}  // namespace compose

MGPUX_CPP_PLUGIN_COMMANDS("compose", "0.1.0", "Docker Compose stacks on Modal", "Compute Engine", compose::kCommands)
