// Child processes (the one translation unit that compiles Boost.Process v2).
// No m-gpux knowledge; the process service of later issues builds on this.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mgpux::util {

struct CaptureResult {
    int exit_code = -1;      // the child's exit status, or 128+signal when it was killed
    int signal = 0;          // the terminating signal, 0 when it exited
    bool timed_out = false;  // killed (with its whole process group) after the timeout
    std::string out;
    std::string err;
};

// Runs `exe args...` with stdin from /dev/null, capturing stdout and stderr,
// in its own process group. Throws std::system_error when it cannot start.
CaptureResult run_capture(const std::filesystem::path& exe, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace mgpux::util
