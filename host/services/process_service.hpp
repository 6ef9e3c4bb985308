// The process service: locating `python3` and `modal` once, and running
// local helper processes from a JSON request (plugin.h mgpux.process/1).
#pragma once

#include "util/subprocess.hpp"

#include <boost/json/fwd.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <system_error>

namespace mgpux {
struct HostContext;
}

namespace mgpux::services {

// The path of `program` ("modal", "python3" or any name on PATH), found once
// per process. A missing program is ServiceError(kExitMissingProgram) with
// an install hint.
std::filesystem::path require_program(const std::string& program);

// Forgets what require_program found (tests change PATH between cases).
void forget_located_programs();

// PYTHONIOENCODING=utf-8 and PYTHONUTF8=1 unless the user set them.
void add_python_utf8_defaults(std::map<std::string, std::optional<std::string>>& env);

// Parses a mgpux.process/1 request into a spec (ServiceError kExitUsage when
// malformed). The program is located with require_program.
util::ProcessSpec process_spec_from_json(const boost::json::value& request);

// The result object of mgpux.process/1.
boost::json::value process_result_json(const util::CaptureResult& r);

// The ServiceError for a child that could not be started: kExitMissingProgram
// when the file is missing, not executable or no program, else kExitFailed.
[[noreturn]] void throw_start_failure(const std::filesystem::path& exe, const std::system_error& e);

// Runs a request; watched lines are shown through the console and handed to
// `on_line`.
util::CaptureResult run_process_request(HostContext& ctx, const util::ProcessSpec& spec, const util::LineFn& on_line);

}  // namespace mgpux::services
