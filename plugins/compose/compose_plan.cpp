// SPDX-License-Identifier: MIT
#include "compose_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace compose {

using mgpux::Json;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (!contains(v, s)) v.push_back(s);
}

int default_port(const std::string& kind) {
    if (kind == "postgres") return 5432;
    if (kind == "mysql") return 3306;
    if (kind == "redis") return 6379;
    if (kind == "memcached") return 11211;
    if (kind == "rabbitmq") return 5672;
    if (kind == "mongodb") return 27017;
    if (kind == "nginx") return 80;
    if (kind == "minio") return 9000;
    return 0;
}

Json port_json(const Port& p) {
    Json j = Json::object();
    j.set("target", p.target);
    j.set("published", p.published.empty() ? Json() : Json(p.published));
    j.set("host_ip", p.host_ip.empty() ? Json() : Json(p.host_ip));
    j.set("protocol", p.protocol);
    return j;
}

// A URL's password ("postgresql://app:pw@db/app") is a secret whatever the name.
std::string mask_url_password(const std::string& v) {
    const auto scheme = v.find("://");
    if (scheme == std::string::npos) return v;
    const auto at = v.find('@', scheme + 3);
    const auto slash = v.find('/', scheme + 3);
    if (at == std::string::npos || (slash != std::string::npos && slash < at)) return v;
    const auto colon = v.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return v;
    return v.substr(0, colon + 1) + "****" + v.substr(at);
}

// A secret-looking name, or a URL with a password in it (postgresql://user:pw@db/app).
bool carried_by_secret(const std::string& name, const std::string& value) {
    return !value.empty() && (looks_secret(name) || mask_url_password(value) != value);
}

Json env_json(const Service& s, bool mask) {
    Json j = Json::object();
    for (const auto& [k, v] : s.environment) {
        if (!mask) j.set(k, v);
        else j.set(k, looks_secret(k) && !v.empty() ? "****" : mask_url_password(v));
    }
    return j;
}

// The service's environment without the values an ephemeral secret carries.
Json public_env_json(const Service& s) {
    Json j = Json::object();
    for (const auto& [k, v] : s.environment)
        if (!carried_by_secret(k, v)) j.set(k, v);
    return j;
}

Json depends_on_json(const Service& s) {
    Json deps = Json::array();
    for (const Dependency& d : s.depends_on) {
        Json dj = Json::object();
        dj.set("service", d.service);
        dj.set("condition", d.condition);
        deps.push(dj);
    }
    return deps;
}

// The health check as the templates read it, or null.
Json healthcheck_json(const Service& s) {
    if (!s.healthcheck || s.healthcheck->test.empty()) return Json();
    Json h = Json::object();
    h.set("test", Json::array_of(s.healthcheck->test));
    h.set("interval_s", s.healthcheck->interval_s);
    h.set("timeout_s", s.healthcheck->timeout_s);
    h.set("retries", s.healthcheck->retries);
    h.set("start_period_s", s.healthcheck->start_period_s);
    return h;
}

// {environment name: variable of the launch's secret} for one service.
Json secret_refs_json(const std::vector<SecretValue>& secrets, const std::string& service) {
    Json refs = Json::object();
    for (const SecretValue& v : secrets)
        if (v.service == service) refs.set(v.name, v.variable);
    return refs;
}

Json service_json(const Project& p, const Service& s) {
    Json j = Json::object();
    j.set("name", s.name);
    j.set("kind", s.kind);
    j.set("image", s.image.empty() ? Json() : Json(s.image));
    if (s.build) {
        Json b = Json::object();
        b.set("context", s.build->context);
        b.set("dockerfile", s.build->dockerfile);
        b.set("target", s.build->target.empty() ? Json() : Json(s.build->target));
        j.set("build", b);
    } else {
        j.set("build", Json());
    }
    Json ports = Json::array();
    for (const Port& port : s.ports) ports.push(port_json(port));
    j.set("ports", ports);
    Json expose = Json::array();
    for (int e : s.expose) expose.push(e);
    j.set("expose", expose);
    j.set("port", service_port(s) ? Json(service_port(s)) : Json());
    j.set("command", Json::array_of(service_argv(p, s)));
    j.set("environment", env_json(s, true));
    j.set("depends_on", depends_on_json(s));
    j.set("gpus", s.gpus < 0 ? Json("all") : Json(s.gpus));
    j.set("healthcheck", s.healthcheck && !s.healthcheck->test.empty() ? Json::array_of(s.healthcheck->test) : Json());
    j.set("profiles", Json::array_of(s.profiles));
    return j;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A Dockerfile instruction's argument: JSON-array form or shell form (run with sh -c).
std::vector<std::string> instruction_argv(const std::string& arg) {
    const std::string a =
        arg.substr(arg.find_first_not_of(" \t") == std::string::npos ? 0 : arg.find_first_not_of(" \t"));
    if (!a.empty() && a[0] == '[') {
        try {
            const Json j = Json::parse(a);
            std::vector<std::string> out;
            for (const Json& item : j.as_array()) out.push_back(item.as_string());
            return out;
        } catch (const std::exception&) {}
    }
    return {"/bin/sh", "-c", a};
}

Json service_context(const Plan& plan, const Service& s, const std::vector<SecretValue>& secrets) {
    Json j = Json::object();
    j.set("name", s.name);
    j.set("kind", s.kind);
    j.set("argv", Json::array_of(service_argv(plan.project, s)));
    const int port = service_port(s);
    j.set("port", port ? Json(port) : Json());
    bool exposed = false;
    for (const Expose& e : plan.exposes) exposed = exposed || e.service == s.name;
    j.set("exposed", exposed);
    // Build services run from their context inside the workspace; others
    // from their working_dir when it is a bound project folder, else /workspace.
    std::string cwd = "/workspace";
    if (s.build) {
        const std::string ctx = fs::path(s.build->context).lexically_normal().generic_string();
        if (ctx != "." && ctx != "./" && ctx.rfind("..", 0) != 0 && ctx[0] != '/') cwd += "/" + ctx;
    }
    // An explicit working_dir wins when the container has it: the workspace
    // or a folder bound from the project (linked before the service starts).
    bool bound = s.working_dir.rfind("/workspace", 0) == 0;
    for (const Volume& v : s.volumes)
        bound = bound || (v.type == "bind" && v.source.rfind("./", 0) == 0 && s.working_dir.rfind(v.target, 0) == 0);
    if (!s.working_dir.empty() && bound) cwd = s.working_dir;
    j.set("cwd", cwd);
    j.set("env", public_env_json(s));
    j.set("secret_env", secret_refs_json(secrets, s.name));
    j.set("depends_on", depends_on_json(s));
    j.set("healthcheck", healthcheck_json(s));
    // Bind mounts of project files: linked from the workspace copy.
    Json binds = Json::array();
    for (const Volume& v : s.volumes) {
        if (v.type != "bind" || v.source.rfind("./", 0) != 0) continue;
        Json b = Json::object();
        b.set("source", "/workspace/" + fs::path(v.source.substr(2)).lexically_normal().generic_string());
        b.set("target", v.target);
        binds.push(b);
    }
    j.set("binds", binds);
    return j;
}

}  // namespace

const char* app_name(Mode m) { return m == Mode::Vm ? "m-gpux-compose-vm" : "m-gpux-compose"; }
const char* session_kind(Mode m) { return m == Mode::Vm ? "compose-vm" : "compose"; }

std::string volume_name(const std::string& abs_dir) {
    const std::string ws = mgpux::launch::workspace_volume_name(abs_dir);
    const std::string prefix = "m-gpux-workspace-";
    return "m-gpux-compose-" + (ws.rfind(prefix, 0) == 0 ? ws.substr(prefix.size()) : ws);
}

std::string base_image(const Project& p, Mode m) {
    if (!p.mgpux.base_image.empty()) return p.mgpux.base_image;
    if (m == Mode::Vm)
        for (const Service& s : p.services)
            if (s.image.find("tritonserver") != std::string::npos) return s.image;
    return kCudaImage;
}

bool image_has_python(const std::string& image) {
    return image.find("tritonserver") != std::string::npos || image.find("pytorch") != std::string::npos;
}

std::vector<std::string> infra_apt_packages(const std::string& kind) {
    if (kind == "postgres") return {"postgresql", "postgresql-client"};
    if (kind == "mysql") return {"mariadb-server", "mariadb-client"};
    if (kind == "redis") return {"redis-server"};
    if (kind == "memcached") return {"memcached"};
    if (kind == "rabbitmq") return {"rabbitmq-server"};
    if (kind == "mongodb") return {"mongodb-org"};
    if (kind == "nginx") return {"nginx"};
    return {};
}

std::vector<std::string> infra_setup_commands(const std::string& kind) {
    if (kind == "mongodb")
        // MongoDB is not in Ubuntu's archive: its own repository (for the
        // base image's Ubuntu 22.04) and signing key come first.
        return {"apt-get update && apt-get install -y curl gnupg ca-certificates",
                "curl -fsSL https://www.mongodb.org/static/pgp/server-7.0.asc | "
                "gpg --dearmor -o /usr/share/keyrings/mongodb-server-7.0.gpg",
                "echo 'deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/mongodb-server-7.0.gpg ] "
                "https://repo.mongodb.org/apt/ubuntu jammy/mongodb-org/7.0 multiverse' "
                "> /etc/apt/sources.list.d/mongodb-org-7.0.list"};
    if (kind == "minio")
        return {"apt-get update && apt-get install -y curl ca-certificates",
                "curl -fsSL --retry 3 -o /usr/local/bin/minio https://dl.min.io/server/minio/release/linux-amd64/minio "
                "&& chmod 0755 /usr/local/bin/minio"};
    return {};
}

int service_port(const Service& s) {
    if (!s.ports.empty()) return s.ports[0].target;
    if (!s.expose.empty()) return s.expose[0];
    return default_port(s.kind);
}

std::string default_main(const Project& p) {
    for (const Service& s : p.services)
        if (s.kind == "app" && service_port(s)) return s.name;
    for (const Service& s : p.services)
        if (s.kind == "app") return s.name;
    return p.services.front().name;
}

Expose parse_expose(const std::string& text, const Project& p) {
    const auto colon = text.rfind(':');
    const std::string name = colon == std::string::npos ? text : text.substr(0, colon);
    const Service* s = p.find(name);
    if (!s) throw mgpux::usage_error("--expose " + text + ": no service \"" + name + "\" in " + p.file);
    Expose e{name, 0};
    if (colon == std::string::npos) {
        e.port = service_port(*s);
        if (!e.port) throw mgpux::usage_error("--expose " + text + ": the service declares no port; say SERVICE:PORT");
        return e;
    }
    const std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) || std::stoi(port) < 1 ||
        std::stoi(port) > 65535)
        throw mgpux::usage_error("--expose " + text + ": PORT must be a number from 1 to 65535");
    e.port = std::stoi(port);
    return e;
}

std::vector<Expose> default_exposes(const Project& p, Mode m, const std::string& main,
                                    const std::vector<std::string>& started) {
    std::vector<Expose> out;
    if (m == Mode::Vm) {
        std::set<int> seen;
        const std::vector<std::string> running = with_dependencies(p, started);
        for (const Service& s : p.services)
            if (contains(running, s.name))
                for (const Port& port : s.ports)
                    if (!port.published.empty() && seen.insert(port.target).second)
                        out.push_back({s.name, port.target});
        if (!out.empty()) return out;
    }
    if (const Service* s = p.find(main); s && service_port(*s)) out.push_back({main, service_port(*s)});
    return out;
}

std::vector<std::string> dockerfile_command(const std::string& text, const std::string& target) {
    // Joined continuation lines; the stage named `target` (or the last one).
    std::string joined;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line.back() == '\\') {
            joined += line.substr(0, line.size() - 1);
            continue;
        }
        joined += line + "\n";
    }
    std::vector<std::string> entry, cmd, found_entry, found_cmd;
    std::string stage;
    bool in_target = target.empty();
    std::stringstream lines(joined);
    for (std::string line; std::getline(lines, line);) {
        const auto start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        const auto space = line.find_first_of(" \t", start);
        std::string word = line.substr(start, space == std::string::npos ? std::string::npos : space - start);
        std::transform(word.begin(), word.end(), word.begin(), ::toupper);
        const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
        if (word == "FROM") {
            if (in_target && !target.empty()) break;  // the target stage ended
            std::stringstream ss(arg);
            std::string image, as, name;
            ss >> image >> as >> name;
            in_target = target.empty() || name == target;
            entry.clear();
            cmd.clear();
        } else if (word == "CMD") {
            cmd = instruction_argv(arg);
        } else if (word == "ENTRYPOINT") {
            entry = instruction_argv(arg);
            cmd.clear();  // a new ENTRYPOINT resets the inherited CMD
        }
        if (in_target) {
            found_entry = entry;
            found_cmd = cmd;
        }
    }
    found_entry.insert(found_entry.end(), found_cmd.begin(), found_cmd.end());
    return found_entry;
}

std::vector<std::string> service_argv(const Project& p, const Service& s) {
    std::vector<std::string> argv = s.entrypoint;
    argv.insert(argv.end(), s.command.begin(), s.command.end());
    if (!argv.empty() || !s.build) return argv;
    const fs::path ctx = fs::path(p.dir) / s.build->context;
    const fs::path dockerfile =
        fs::path(s.build->dockerfile).is_absolute() ? fs::path(s.build->dockerfile) : ctx / s.build->dockerfile;
    std::error_code ec;
    if (!fs::is_regular_file(dockerfile, ec)) return {};
    std::vector<std::string> from_file = dockerfile_command(read_text(dockerfile), s.build->target);
    if (!s.entrypoint.empty() || !s.command.empty()) return argv;
    return from_file;
}

Json check_document(const Project& p, Mode m) {
    Json doc = Json::object();
    doc.set("file", p.file);
    doc.set("mode", m == Mode::Vm ? "vm" : "up");
    const std::string image = base_image(p, m);
    doc.set("base_image", image);
    bool gpu = !p.mgpux.gpu.empty();
    for (const Service& s : p.services) gpu = gpu || s.gpus != 0;
    doc.set("gpu_needed", gpu);
    Json services = Json::array();
    for (const Service& s : p.services) services.push(service_json(p, s));
    doc.set("services", services);
    doc.set("start_order", Json::array_of(p.start_order));
    Json x = Json::object();
    x.set("base_image", p.mgpux.base_image.empty() ? Json() : Json(p.mgpux.base_image));
    x.set("gpu", p.mgpux.gpu.empty() ? Json() : Json(p.mgpux.gpu));
    x.set("python", p.mgpux.python.empty() ? Json() : Json(p.mgpux.python));
    x.set("pip_packages", Json::array_of(p.mgpux.pip_packages));
    x.set("apt_packages", Json::array_of(p.mgpux.apt_packages));
    doc.set("x_mgpux", x);
    doc.set("warnings", Json::array_of(p.warnings));
    return doc;
}

void validate_plan(Plan& plan) {
    for (const std::string& name : plan.services)
        if (!plan.project.find(name))
            throw mgpux::usage_error("--services: no service \"" + name + "\" in " + plan.project.file);
    if (!plan.project.find(plan.main_service))
        throw mgpux::usage_error("--main: no service \"" + plan.main_service + "\" in " + plan.project.file);
    std::vector<std::string> wanted = plan.services;
    add_unique(wanted, plan.main_service);
    for (const Expose& e : plan.exposes) add_unique(wanted, e.service);
    plan.services = with_dependencies(plan.project, wanted);
}

std::vector<SecretValue> secret_values(const Plan& plan) { return secret_values(plan.project, plan.services); }

std::vector<SecretValue> secret_values(const Project& p, const std::vector<std::string>& services) {
    std::vector<SecretValue> out;
    for (const std::string& name : services) {
        const Service* s = p.find(name);
        if (!s) continue;
        for (const auto& [k, v] : s->environment)
            if (carried_by_secret(k, v)) out.push_back({name, k, "COMPOSE_SECRET_" + std::to_string(out.size()), v});
    }
    return out;
}

Json render_context(const Plan& plan, const std::string& mgpux_version) {
    Json ctx = mgpux::launch::compute_context(plan.compute);
    ctx.set("mgpux_version", mgpux_version);
    ctx.set("template", "compose/stack.py");
    ctx.set("app_name", app_name(plan.mode));
    ctx.set("vm", plan.mode == Mode::Vm);
    const std::string image = base_image(plan.project, plan.mode);
    ctx.set("base_image", image);
    ctx.set("add_python", image_has_python(image) ? Json() : Json(plan.python_version));
    ctx.set("published_image", plan.published_image ? Json(*plan.published_image) : Json());
    std::vector<std::string> apt = {"bash", "ca-certificates", "curl", "procps"};
    std::vector<std::string> setup;
    const std::vector<SecretValue> secrets = secret_values(plan);
    Json services = Json::array();
    for (const std::string& name : plan.services) {
        const Service& s = *plan.project.find(name);
        for (const std::string& pkg : infra_apt_packages(s.kind)) add_unique(apt, pkg);
        for (const std::string& cmd : infra_setup_commands(s.kind)) add_unique(setup, cmd);
        services.push(service_context(plan, s, secrets));
    }
    for (const std::string& pkg : plan.apt_packages) add_unique(apt, pkg);
    ctx.set("apt_packages", Json::array_of(apt));
    ctx.set("setup_commands", Json::array_of(setup));
    ctx.set("pip_packages", Json::array_of(plan.pip_packages));
    ctx.set("requirements", plan.requirements_abs.empty() ? Json() : Json(plan.requirements_abs));
    ctx.set("services", services);
    std::vector<std::string> variables;
    for (const SecretValue& v : secrets) variables.push_back(v.variable);
    ctx.set("secret_vars", Json::array_of(variables));
    ctx.set("main_service", plan.main_service);
    Json tunnels = Json::array();
    for (const Expose& e : plan.exposes) {
        Json t = Json::object();
        t.set("service", e.service);
        t.set("port", e.port);
        tunnels.push(t);
    }
    ctx.set("tunnels", tunnels);
    Json hosts = Json::array();
    for (const Service& s : plan.project.services) hosts.push(s.name);
    ctx.set("host_names", hosts);
    ctx.set("local_dir", plan.local_dir);
    ctx.set("workspace_volume", volume_name(plan.local_dir));
    ctx.set("exclude_patterns", Json::array_of(plan.excludes));
    ctx.set("timeout_s", plan.timeout_s);
    return ctx;
}

// ---------------------------------------------------------------- sandbox mode

std::string stack_name(const std::string& abs_dir) {
    return "m-gpux-stack-" + volume_name(abs_dir).substr(std::string("m-gpux-compose-").size());
}

std::vector<std::string> image_default_argv(const std::string& kind) {
    if (kind == "postgres") return {"docker-entrypoint.sh", "postgres"};
    if (kind == "mysql") return {"docker-entrypoint.sh", "mysqld"};
    if (kind == "redis") return {"docker-entrypoint.sh", "redis-server"};
    if (kind == "memcached") return {"docker-entrypoint.sh", "memcached"};
    if (kind == "rabbitmq") return {"docker-entrypoint.sh", "rabbitmq-server"};
    if (kind == "mongodb") return {"docker-entrypoint.sh", "mongod"};
    if (kind == "nginx") return {"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"};
    if (kind == "minio") return {"minio", "server", "/data"};
    return {};
}

Json sandbox_context(const Project& p, const std::vector<std::string>& services, const std::string& gpu,
                     long long timeout_s, const std::string& mgpux_version) {
    Json ctx = Json::object();
    ctx.set("mgpux_version", mgpux_version);
    ctx.set("template", "compose/sandbox.py");
    ctx.set("app_name", stack_name(p.dir));  // one app per stack: stopping it ends its sandboxes
    ctx.set("stack_name", stack_name(p.dir));
    ctx.set("timeout_s", timeout_s);
    const std::vector<SecretValue> secrets = secret_values(p, services);
    Json list = Json::array();
    for (const std::string& name : services) {
        const Service& s = *p.find(name);
        Json j = Json::object();
        j.set("name", s.name);
        j.set("image", s.image);
        if (s.build) {
            const fs::path context = (fs::path(p.dir) / s.build->context).lexically_normal();
            j.set("context", context.generic_string());
            j.set("dockerfile", (context / s.build->dockerfile).lexically_normal().generic_string());
        } else {
            j.set("context", Json());
            j.set("dockerfile", Json());
        }
        // A sandbox runs only the command it is given, not the image's own.
        std::vector<std::string> argv = service_argv(p, s);
        if (argv.empty()) argv = image_default_argv(s.kind);
        j.set("argv", Json::array_of(argv));
        j.set("env", public_env_json(s));
        j.set("secret_env", secret_refs_json(secrets, s.name));
        Json ports = Json::array();
        std::set<int> seen;
        for (const Port& port : s.ports)
            if (port.protocol == "tcp" && seen.insert(port.target).second) ports.push(port.target);
        for (int e : s.expose)
            if (seen.insert(e).second) ports.push(e);
        if (seen.empty() && service_port(s)) ports.push(service_port(s));
        // Infra speaks its own protocols: raw TCP tunnels. Apps get HTTPS ones.
        j.set("http_ports", s.kind == "app" ? ports : Json::array());
        j.set("tcp_ports", s.kind == "app" ? Json::array() : ports);
        j.set("depends_on", depends_on_json(s));
        j.set("healthcheck", healthcheck_json(s));
        j.set("gpu", s.gpus != 0 ? Json(s.gpus > 1 ? gpu + ":" + std::to_string(s.gpus) : gpu) : Json());
        list.push(j);
    }
    ctx.set("services", list);
    return ctx;
}

}  // namespace compose
