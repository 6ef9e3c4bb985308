// SPDX-License-Identifier: MIT
// `m-gpux compose sandbox up|ps|logs|down`: one Modal Sandbox per service,
// driven by a rendered Python script run locally with the Python that has
// `modal` (python3, or MGPUX_PYTHON). The running stack's sandbox ids and
// tunnels are kept in the state document compose_stacks, keyed by stack.
#include "compose_sandbox.hpp"

#include "budget_guard.hpp"
#include "compose_plan.hpp"
#include "launch_args.hpp"

#include <mgpux/plugin.hpp>

#include <ctime>
#include <fstream>
#include <filesystem>

namespace fs = std::filesystem;

namespace compose {
namespace {

using mgpux::Json;
namespace launch = mgpux::launch;

constexpr const char* kStacksDocument = "compose_stacks";

struct Stack {
    Project project;
    std::string name;
};

Stack open_stack(const mgpux::Args& args) {
    Stack s;
    s.project = load_project(find_compose_file(args.str("file"), fs::current_path().string()), process_environment());
    s.name = stack_name(launch::absolute_dir(s.project.dir, fs::current_path()));
    return s;
}

// Runs the driver (`<modal's python> - ACTION ...`, the script on stdin) with the
// profile pinned. Secret values reach it in its environment only, never in
// the script or argv.
mgpux::ProcessResult run_driver(const mgpux::Host& host, const std::string& profile, const std::string& script,
                                const std::vector<std::string>& action, bool inherit,
                                const std::vector<SecretValue>& secrets = {}) {
    mgpux::ProcessRequest req;
    req.program = launch::modal_python(host);  // the driver imports modal
    req.args = {"-"};
    req.args.insert(req.args.end(), action.begin(), action.end());
    req.stdin_mode = "text";
    req.input = script;
    req.env["MODAL_PROFILE"] = profile;
    for (const SecretValue& v : secrets) req.env[v.variable] = v.value;
    if (inherit) req.output = "inherit";
    return mgpux::Process(host).run(req);
}

std::string driver(const mgpux::Host& host, const Stack& s, const std::vector<std::string>& services,
                   const std::string& gpu, long long timeout_s) {
    return host.render("compose/sandbox.py",
                       sandbox_context(s.project, services, gpu, timeout_s, host.raw()->host_version));
}

// The lines after "[m-gpux] <marker> ".
std::vector<std::string> marked(const std::string& out, const std::string& marker) {
    std::vector<std::string> lines;
    const std::string prefix = "[m-gpux] " + marker + " ";
    std::size_t start = 0;
    while (start < out.size()) {
        std::size_t end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        const std::string line = out.substr(start, end - start);
        if (line.rfind(prefix, 0) == 0) lines.push_back(line.substr(prefix.size()));
        start = end + 1;
    }
    return lines;
}

Json saved_stack(const mgpux::Host& host, const std::string& name) {
    const Json doc = mgpux::State(host).read(kStacksDocument);
    const Json* stack = doc.is_object() ? doc.find(name) : nullptr;
    if (!stack || !stack->is_object())
        throw mgpux::Error(MGPUX_E_FAILED,
                           "no sandbox stack is running for this compose file (start one with "
                           "`m-gpux compose sandbox up`)");
    return *stack;
}

void save_stack(const mgpux::Host& host, const std::string& name, const Json* stack) {
    mgpux::State(host).modify(kStacksDocument, [&](const Json& current, Json& replacement) {
        Json next = Json::object();
        if (current.is_object())
            for (const auto& [k, v] : current.as_object())
                if (k != name) next.set(k, v);
        if (stack) next.set(name, *stack);
        replacement = next;
        return true;
    });
}

// [[service, sandbox id], ...] of a saved stack, as the driver takes them.
std::string ids_json(const Json& stack) {
    Json ids = Json::array();
    if (const Json* services = stack.find("services"); services && services->is_array())
        for (const Json& s : services->as_array()) {
            Json pair = Json::array();
            pair.push(s.string_or("service"));
            pair.push(s.string_or("sandbox_id"));
            ids.push(pair);
        }
    return ids.dump();
}

std::string gpu_for(const mgpux::Args& args, const Project& p) {
    if (args.has("gpu")) return args.str("gpu");
    return p.mgpux.gpu.empty() ? "L4" : p.mgpux.gpu;
}

// The GPU sandboxes' price and the most the timeout can cost. The others
// are billed as they use CPU and memory, at the sandbox rates: no size here says how much.
void show_price(const mgpux::Host& host, const Stack& s, const std::vector<std::string>& services,
                const std::string& gpu, long long timeout_s) {
    const char* others = "sandboxes without a GPU add the sandbox CPU and memory rates as they use them";
    const mgpux::Catalog catalog(host);
    double total = 0;
    int gpu_sandboxes = 0;
    for (const std::string& name : services) {
        const Service& svc = *s.project.find(name);
        if (svc.gpus == 0) continue;
        const Json parsed = catalog.parse_gpu(svc.gpus > 1 ? gpu + ":" + std::to_string(svc.gpus) : gpu);
        const Json* price = parsed.find("price_per_hour");
        if (!price || !price->is_number()) return;  // a GPU without a rate of its own: no estimate
        total += price->as_float();
        ++gpu_sandboxes;
    }
    if (gpu_sandboxes == 0) {
        host.info(std::string("price: the ") + others + " (`m-gpux pricing`)\n");
        return;
    }
    host.info("price: " + std::to_string(gpu_sandboxes) + " GPU sandbox(es) " +
              launch::cost_text(total, static_cast<double>(timeout_s) / 3600.0) + "; " + others + "\n");
}

// --script-out PATH: a copy of the driver, under --dry-run too (as the runner does for scripts).
void write_script_out(const mgpux::Args& args, const std::string& script) {
    const std::string path = args.global_str("script_out");
    if (path.empty()) return;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << script;
    if (!out) throw mgpux::Error(MGPUX_E_FAILED, "--script-out: cannot write " + path);
}

}  // namespace

int sandbox_up(mgpux::Host& host, const mgpux::Args& args) {
    if (args.global_str("backend") == "local")
        throw mgpux::usage_error("compose sandbox runs on Modal only; use `compose up` with --backend local");
    launch::require_modal_account(host, args);
    const Stack s = open_stack(args);
    std::vector<std::string> wanted;
    for (const std::string& v : args.list("services"))
        for (const std::string& item : launch::split_commas(v)) wanted.push_back(item);
    for (const std::string& name : wanted)
        if (!s.project.find(name))
            throw mgpux::usage_error("--services: no service \"" + name + "\" in " + s.project.file);
    if (wanted.empty())
        for (const Service& svc : s.project.services)
            if (svc.profiles.empty()) wanted.push_back(svc.name);
    const std::vector<std::string> services = with_dependencies(s.project, wanted);
    const std::string gpu = gpu_for(args, s.project);
    const long long timeout_s = launch::resolve_timeout(args, 86400);
    const std::string script = driver(host, s, services, gpu, timeout_s);
    write_script_out(args, script);
    show_price(host, s, services, gpu, timeout_s);
    if (args.global_flag("dry_run")) {
        host.text(script);
        host.info("dry run: would start " + std::to_string(services.size()) + " sandboxes as stack " + s.name + "\n");
        return MGPUX_OK;
    }
    launch::require_confirmable_launch(args);
    const std::string profile = mgpux::Profiles(host).resolve();
    if (!profile.empty()) budget::require_within_budget(host, args, profile);
    const mgpux::ProcessResult r = run_driver(host, profile, script, {"up"}, false, secret_values(s.project, services));
    const std::vector<std::string> stack_lines = marked(r.stdout_text, "STACK");
    if (r.exit_code != 0 || stack_lines.empty())
        throw mgpux::Error(MGPUX_E_FAILED,
                           "the sandbox driver failed (exit " + std::to_string(r.exit_code) + "): " + r.stderr_text +
                               "\nStarted so far: " + std::to_string(marked(r.stdout_text, "SANDBOX").size()) +
                               "; `m-gpux compose sandbox down` cannot see them, stop them in Modal");
    Json stack = Json::object();
    stack.set("file", s.project.file);
    stack.set("profile", profile);
    stack.set("started_at", static_cast<long long>(std::time(nullptr)));
    stack.set("services", Json::parse(stack_lines.back()));
    // Recorded as a session too, so `sessions` lists it and `stop` (which
    // stops the stack's app, ending its sandboxes) knows what it is.
    launch::SessionInfo info{"compose-sandbox",
                             profile,
                             std::to_string(services.size()) + " sandboxes",
                             "",
                             launch::absolute_dir(s.project.dir, fs::current_path()),
                             s.name,
                             std::nullopt};
    mgpux::SessionRecord record = launch::session_metadata(info);
    const std::vector<std::string> app = marked(r.stdout_text, "APP");
    if (!app.empty()) record.app_id = app.back();
    record.state = "running";
    std::string names;
    for (const std::string& n : services) names += (names.empty() ? "" : ", ") + n;
    record.description = "Compose sandboxes (" + names + ")";
    const Json saved = mgpux::State(host).session_save(record.to_json());
    stack.set("session_id", saved.string_or("id"));
    save_stack(host, s.name, &stack);
    if (args.global_flag("json")) {
        host.json(stack);
        return MGPUX_OK;
    }
    for (const Json& svc : stack.find("services")->as_array()) {
        host.text(svc.string_or("service") + "  " + svc.string_or("sandbox_id") + "\n");
        if (const Json* t = svc.find("tunnels"); t && t->is_object())
            for (const auto& [port, url] : t->as_object()) host.text("  " + port + " -> " + url.as_string() + "\n");
    }
    host.info("Stack " + s.name + ": `m-gpux compose sandbox ps|logs SERVICE|down` from this folder.\n");
    return MGPUX_OK;
}

int sandbox_ps(mgpux::Host& host, const mgpux::Args& args) {
    const Stack s = open_stack(args);
    const Json stack = saved_stack(host, s.name);
    const mgpux::ProcessResult r =
        run_driver(host, stack.string_or("profile"), driver(host, s, {}, "", 60), {"ps", ids_json(stack)}, false);
    if (r.exit_code != 0)
        throw mgpux::Error(MGPUX_E_FAILED, "could not ask Modal about the sandboxes: " + r.stderr_text);
    Json rows = Json::array();
    std::size_t start = 0;
    const std::string& out = r.stdout_text;
    while (start < out.size()) {
        std::size_t end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        const std::string line = out.substr(start, end - start);
        if (!line.empty() && line[0] == '{') rows.push(Json::parse(line));
        start = end + 1;
    }
    if (args.global_flag("json")) {
        host.json(rows);
        return MGPUX_OK;
    }
    for (const Json& row : rows.as_array())
        host.text(row.string_or("service") + "  " + row.string_or("sandbox_id") + "  " + row.string_or("state") + "\n");
    return MGPUX_OK;
}

int sandbox_logs(mgpux::Host& host, const mgpux::Args& args) {
    const Stack s = open_stack(args);
    const Json stack = saved_stack(host, s.name);
    const std::string service = args.str("service");
    std::string id;
    for (const Json& svc : stack.find("services")->as_array())
        if (svc.string_or("service") == service) id = svc.string_or("sandbox_id");
    if (id.empty()) throw mgpux::usage_error("no service \"" + service + "\" in the running stack " + s.name);
    std::vector<std::string> action = {"logs", id};
    if (args.flag("follow")) action.push_back("--follow");
    const mgpux::ProcessResult r =
        run_driver(host, stack.string_or("profile"), driver(host, s, {}, "", 60), action, true);
    return r.exit_code == 0 ? MGPUX_OK : MGPUX_E_FAILED;
}

int sandbox_down(mgpux::Host& host, const mgpux::Args& args) {
    const Stack s = open_stack(args);
    const Json stack = saved_stack(host, s.name);
    const mgpux::ProcessResult r =
        run_driver(host, stack.string_or("profile"), driver(host, s, {}, "", 60), {"down", ids_json(stack)}, false);
    const std::vector<std::string> done = marked(r.stdout_text, "TERMINATED");
    const std::vector<std::string> failed = marked(r.stdout_text, "FAILED");
    for (const std::string& line : done) host.success("Terminated " + line + "\n");
    for (const std::string& line : failed) host.warn("Could not terminate " + line + "\n");
    const std::size_t total = stack.find("services")->as_array().size();
    if (r.exit_code != 0 || done.size() != total) {
        host.warn("The stack stays recorded; run `m-gpux compose sandbox down` again.\n");
        return MGPUX_E_FAILED;
    }
    if (const std::string id = stack.string_or("session_id"); !id.empty()) {
        Json fields = Json::object();
        fields.set("state", "stopped");
        mgpux::State(host).session_update(id, fields);
    }
    save_stack(host, s.name, nullptr);
    return MGPUX_OK;
}

}  // namespace compose
