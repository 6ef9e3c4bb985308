// SPDX-License-Identifier: MIT
#include "services/process_service.hpp"

#include "host_context.hpp"
#include "services/console.hpp"
#include "services/service_error.hpp"
#include "util/paths.hpp"

#include <mgpux/contracts.hpp>

#include <mutex>
#include <unistd.h>

namespace mgpux::services {

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

mgpux::ProcessRequest read_process_request(std::string_view text) {
    try {
        return mgpux::ProcessRequest::from_json(mgpux::Json::parse(text));
    } catch (const mgpux::ContractError& e) {
        throw ServiceError(kExitUsage, e.what());  // already "process request: \"member\" ..."
    } catch (const mgpux::JsonError& e) {
        throw ServiceError(kExitUsage, std::string("process request: malformed JSON: ") + e.what());
    }
}

namespace {

[[noreturn]] void bad_request(const std::string& problem) {
    throw ServiceError(kExitUsage, "process request: " + problem);
}

util::StdinMode stdin_mode(const std::string& mode) {
    if (mode == "inherit") return util::StdinMode::Inherit;
    if (mode == "text") return util::StdinMode::Text;
    return util::StdinMode::Null;  // the contract admits only these three
}

util::OutputMode output_mode(const std::string& mode) {
    if (mode == "inherit") return util::OutputMode::Inherit;
    if (mode == "watch") return util::OutputMode::Watch;
    return util::OutputMode::Capture;
}

}  // namespace

util::ProcessSpec process_spec(const mgpux::ProcessRequest& request) {
    // What the contract's shape cannot say: a name to run, a positive timeout, a detached
    // child without stdio.
    if (request.program.empty()) bad_request("\"program\" is required");
    if (request.timeout_s && !(*request.timeout_s > 0)) bad_request("\"timeout_s\" must be a positive number");
    if (request.detach && (request.output != "capture" || request.stdin_mode != "null"))
        bad_request("a detached child has no stdin or output");
    util::ProcessSpec spec;
    spec.args = request.args;
    spec.env = request.env;
    add_python_utf8_defaults(spec.env);
    if (request.cwd && !request.cwd->empty()) spec.cwd = fs::path(*request.cwd);
    spec.stdin_mode = stdin_mode(request.stdin_mode);
    spec.input = request.input.value_or("");
    spec.output = output_mode(request.output);
    spec.detach = request.detach;
    if (request.timeout_s) spec.timeout = std::chrono::milliseconds(static_cast<long long>(*request.timeout_s * 1000));
    spec.exe = require_program(request.program);
    return spec;
}

mgpux::ProcessResult process_result(const util::CaptureResult& r) {
    mgpux::ProcessResult out;
    out.exit_code = r.exit_code;
    out.signal = r.signal;
    out.timed_out = r.timed_out;
    out.interrupted = r.interrupted;
    out.stdout_text = r.out;
    out.stderr_text = r.err;
    out.pid = r.pid;
    out.output_overflow = r.out_overflow;
    return out;
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
