#include "services/process_service.hpp"

#include "host_context.hpp"
#include "services/console.hpp"
#include "services/service_error.hpp"
#include "util/paths.hpp"

#include <boost/json.hpp>

#include <mutex>
#include <unistd.h>

namespace mgpux::services {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::mutex g_programs_mutex;
std::map<std::string, fs::path> g_programs;

std::string install_hint(const std::string& program) {
    if (program == "modal")
        return "`modal` was not found on PATH. Install it with `pip install modal` (or `pipx install modal`), "
               "run `modal setup`, or point MGPUX_MODAL at it.";
    if (program == "python3")
        return "`python3` was not found on PATH. Install Python 3.10 or newer, or point MGPUX_PYTHON at it.";
    return "`" + program + "` was not found on PATH.";
}

const char* override_variable(const std::string& program) {
    return program == "modal" ? "MGPUX_MODAL" : program == "python3" ? "MGPUX_PYTHON" : nullptr;
}

const json::value* member(const json::object& o, const char* key) {
    auto it = o.find(key);
    return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::string string_member(const json::object& o, const char* key, const std::string& fallback) {
    const auto* v = member(o, key);
    if (!v) return fallback;
    if (!v->is_string())
        throw ServiceError(kExitUsage, std::string("process request: \"") + key + "\" must be a string");
    return std::string(v->as_string());
}

}  // namespace

fs::path require_program(const std::string& program) {
    std::lock_guard<std::mutex> lock(g_programs_mutex);
    if (auto it = g_programs.find(program); it != g_programs.end()) return it->second;
    std::optional<fs::path> found;
    if (!program.empty() && program.front() == '/') {
        found = util::find_on_path(program);
    } else {
        found = locate_program(program);
    }
    if (!found) {
        // A variable that names something unusable is the user's setting to fix, not a missing install.
        const char* variable = override_variable(program);
        if (const auto value = variable ? util::env(variable) : std::nullopt)
            throw ServiceError(kExitMissingProgram, std::string(variable) + "=" + *value +
                                                        " does not name an executable file; point it at `" + program +
                                                        "`, or unset it to use the one on PATH");
        throw ServiceError(kExitMissingProgram, install_hint(program));
    }
    g_programs[program] = *found;
    return *found;
}

void forget_located_programs() {
    std::lock_guard<std::mutex> lock(g_programs_mutex);
    g_programs.clear();
}

void add_python_utf8_defaults(std::map<std::string, std::optional<std::string>>& env) {
    if (!env.count("PYTHONIOENCODING") && !util::env("PYTHONIOENCODING")) env["PYTHONIOENCODING"] = "utf-8";
    if (!env.count("PYTHONUTF8") && !util::env("PYTHONUTF8")) env["PYTHONUTF8"] = "1";
}

util::ProcessSpec process_spec_from_json(const json::value& request) {
    if (!request.is_object()) throw ServiceError(kExitUsage, "process request: expected a JSON object");
    const auto& o = request.as_object();
    util::ProcessSpec spec;
    const std::string program = string_member(o, "program", "");
    if (program.empty()) throw ServiceError(kExitUsage, "process request: \"program\" is required");
    if (const auto* args = member(o, "args")) {
        if (!args->is_array()) throw ServiceError(kExitUsage, "process request: \"args\" must be an array");
        for (const auto& a : args->as_array()) {
            if (!a.is_string()) throw ServiceError(kExitUsage, "process request: every arg must be a string");
            spec.args.emplace_back(a.as_string());
        }
    }
    if (const auto* env = member(o, "env")) {
        if (!env->is_object()) throw ServiceError(kExitUsage, "process request: \"env\" must be an object");
        for (const auto& kv : env->as_object()) {
            if (kv.value().is_null()) spec.env[std::string(kv.key())] = std::nullopt;
            else if (kv.value().is_string()) spec.env[std::string(kv.key())] = std::string(kv.value().as_string());
            else throw ServiceError(kExitUsage, "process request: env values must be strings or null");
        }
    }
    add_python_utf8_defaults(spec.env);
    if (const auto cwd = string_member(o, "cwd", ""); !cwd.empty()) spec.cwd = fs::path(cwd);
    const std::string in = string_member(o, "stdin", "null");
    if (in == "null") spec.stdin_mode = util::StdinMode::Null;
    else if (in == "inherit") spec.stdin_mode = util::StdinMode::Inherit;
    else if (in == "text") spec.stdin_mode = util::StdinMode::Text;
    else throw ServiceError(kExitUsage, "process request: \"stdin\" must be null, inherit or text");
    spec.input = string_member(o, "input", "");
    const std::string out = string_member(o, "output", "capture");
    if (out == "capture") spec.output = util::OutputMode::Capture;
    else if (out == "inherit") spec.output = util::OutputMode::Inherit;
    else if (out == "watch") spec.output = util::OutputMode::Watch;
    else throw ServiceError(kExitUsage, "process request: \"output\" must be capture, inherit or watch");
    if (const auto* d = member(o, "detach")) {
        if (!d->is_bool()) throw ServiceError(kExitUsage, "process request: \"detach\" must be true or false");
        spec.detach = d->as_bool();
        if (spec.detach && (out != "capture" || in != "null"))
            throw ServiceError(kExitUsage, "process request: a detached child has no stdin or output");
    }
    if (const auto* t = member(o, "timeout_s")) {
        if (!t->is_number() || t->to_number<double>() <= 0)
            throw ServiceError(kExitUsage, "process request: \"timeout_s\" must be a positive number");
        spec.timeout = std::chrono::milliseconds(static_cast<long long>(t->to_number<double>() * 1000));
    }
    spec.exe = require_program(program);
    return spec;
}

json::value process_result_json(const util::CaptureResult& r) {
    return json::object{{"exit_code", r.exit_code},
                        {"signal", r.signal},
                        {"timed_out", r.timed_out},
                        {"interrupted", r.interrupted},
                        {"stdout", r.out},
                        {"stderr", r.err},
                        {"pid", r.pid},
                        {"output_overflow", r.out_overflow}};
}

util::CaptureResult run_process_request(HostContext& ctx, const util::ProcessSpec& spec, const util::LineFn& on_line) {
    util::LineFn shown;
    if (spec.output == util::OutputMode::Watch) {
        shown = [&](int stream, std::string_view line) {
            if (ctx.console) ctx.console->passthrough(stream, line);
            return on_line ? on_line(stream, line) : util::LineAction::Continue;
        };
    }
    if (ctx.console) ctx.console->progress(nullptr);
    try {
        return util::run_process(spec, shown);
    } catch (const std::system_error& e) {
        throw_start_failure(spec.exe, e);
    }
}

void throw_start_failure(const fs::path& exe, const std::system_error& e) {
    const auto code = e.code();
    // The file vanished, is not executable after all, or is no program (a bad #! line).
    const bool unusable = code == std::errc::no_such_file_or_directory || code == std::errc::permission_denied ||
                          code == std::errc::executable_format_error;
    throw ServiceError(unusable ? kExitMissingProgram : kExitFailed,
                       "could not start " + exe.string() + ": " + code.message() +
                           (unusable ? " (check that it is the program meant, or reinstall it)" : ""));
}

}  // namespace mgpux::services
