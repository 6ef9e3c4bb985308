// SPDX-License-Identifier: MIT
// The process service: locating `python3` and `modal` once, and running
// local helper processes from a JSON request (plugin.h mgpux.process/1).
#pragma once

#include "util/subprocess.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace mgpux {
struct HostContext;
struct ProcessRequest;  // <mgpux/contracts.hpp>
struct ProcessResult;
}  // namespace mgpux

namespace mgpux::services {

// The path of `program` ("modal", "python3" or any name on PATH), found once
// per process. A missing program is ServiceError(kExitMissingProgram) with
// an install hint.
std::filesystem::path require_program(const std::string& program);

// Forgets what require_program found (tests change PATH between cases).
void forget_located_programs();

// PYTHONIOENCODING=utf-8 and PYTHONUTF8=1 unless the user set them.
void add_python_utf8_defaults(std::map<std::string, std::optional<std::string>>& env);

// Reads a mgpux.process/1 request with the SDK's ProcessRequest, the struct
// plugins fill (ServiceError kExitUsage naming the member when malformed).
mgpux::ProcessRequest read_process_request(std::string_view text);

// The spec a request describes (ServiceError kExitUsage for a request the
// contract admits but the host cannot run, such as a zero timeout). The
// program is located with require_program.
util::ProcessSpec process_spec(const mgpux::ProcessRequest& request);

// The answer of mgpux.process/1.
mgpux::ProcessResult process_result(const util::CaptureResult& r);

// The ServiceError for a child that could not be started: kExitMissingProgram
// when the file is missing, not executable or no program, else kExitFailed.
[[noreturn]] void throw_start_failure(const std::filesystem::path& exe, const std::system_error& e);

// Runs a request; watched lines are shown through the console and handed to
// `on_line`.
util::CaptureResult run_process_request(HostContext& ctx, const util::ProcessSpec& spec, const util::LineFn& on_line);

}  // namespace mgpux::services
