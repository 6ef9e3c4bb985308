// SPDX-License-Identifier: MIT
// Child processes (the one translation unit that compiles Boost.Process v2).
// No m-gpux knowledge; the process, modal and runner services build on this.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgpux::util {

struct CaptureResult {
    int exit_code = -1;        // the child's exit status, or 128+signal when it was killed
    int signal = 0;            // the terminating signal, 0 when it exited
    bool timed_out = false;    // killed (with its whole process group) after the timeout
    bool interrupted = false;  // we sent it SIGINT (Ctrl-C here, or a line callback asked)
    int pid = 0;               // the child's process id
    // stdout passed ProcessSpec::capture_limit: the child was killed and `out` is empty.
    bool out_overflow = false;
    std::string out;  // all of stdout (Capture), or its last tail_limit bytes (Watch)
    std::string err;  // the last tail_limit bytes of stderr
};

// What is kept of a child's output by default: parsed stdout up to 64 MiB, and
// the last 64 KiB of anything that is only streamed or quoted in a message.
inline constexpr std::size_t kDefaultCaptureLimit = std::size_t(64) << 20;
inline constexpr std::size_t kDefaultTailLimit = std::size_t(64) << 10;

// Runs `exe args...` with stdin from /dev/null, capturing stdout and stderr,
// in its own process group. Throws std::system_error when it cannot start.
CaptureResult run_capture(const std::filesystem::path& exe, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

enum class StdinMode { Null, Inherit, Text };
enum class OutputMode {
    Capture,  // both streams collected, nothing shown
    Inherit,  // the child writes to our terminal; it stays in our process group
    Watch,    // collected, and each complete line is handed to the line callback
};
enum class LineAction { Continue, Stop };

struct ProcessSpec {
    std::filesystem::path exe;
    std::vector<std::string> args;
    // Environment edits over ours: a value sets, nullopt unsets.
    std::map<std::string, std::optional<std::string>> env;
    std::optional<std::filesystem::path> cwd;
    StdinMode stdin_mode = StdinMode::Null;
    std::string input;  // with StdinMode::Text
    OutputMode output = OutputMode::Capture;
    std::optional<std::chrono::milliseconds> timeout;
    // SIGINT (Ctrl-C), SIGTERM and SIGHUP received here while the child runs
    // are forwarded to the child's process group instead of ending this
    // process (the last two also set termination_signal()).
    bool forward_sigint = true;
    // Start it in its own session with stdio on /dev/null and do not wait
    // (a browser opener); the result carries only its pid.
    bool detach = false;
    // Memory bounds, so that a chatty child cannot grow us without limit:
    // a Capture child's stdout beyond `capture_limit` kills it (out_overflow);
    // stderr, and a Watch child's stdout (already handed on line by line),
    // keep only their last `tail_limit` bytes. A watched line longer than
    // `tail_limit` is handed on in pieces of that size.
    std::size_t capture_limit = kDefaultCaptureLimit;
    std::size_t tail_limit = kDefaultTailLimit;
};

// stream: 1 stdout, 2 stderr; the line has no newline.
using LineFn = std::function<LineAction(int stream, std::string_view line)>;

// Runs the child and waits for it. A timeout kills the whole process group;
// LineAction::Stop sends SIGINT to the group and keeps draining until it
// exits (SIGKILL after `stop_grace`). Throws std::system_error when it
// cannot start.
CaptureResult run_process(const ProcessSpec& spec, const LineFn& on_line = LineFn(),
                          std::chrono::milliseconds stop_grace = std::chrono::seconds(10));

// SIGTERM or SIGHUP received while a child ran (it was passed on to the
// child, which is then waited for), or 0. Once set, run_process starts no new
// child (std::system_error with std::errc::interrupted): the process should
// clean up and exit with 128 + this signal.
int termination_signal();

// The current environment with `edits` applied, as NAME=VALUE strings.
std::vector<std::string> edited_environment(const std::map<std::string, std::optional<std::string>>& edits);

}  // namespace mgpux::util
