// SPDX-License-Identifier: MIT
// The only translation unit that compiles Boost.Process v2.
#define BOOST_PROCESS_V2_SEPARATE_COMPILATION
#define BOOST_PROCESS_USE_STD_FS
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>
#include <boost/asio.hpp>
#include <boost/process/v2.hpp>
#include <boost/process/v2/src.hpp>

#include "util/subprocess.hpp"

#include <atomic>
#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mgpux::util {

namespace bp = boost::process::v2;
namespace asio = boost::asio;

namespace {

std::atomic<int> g_termination_signal{0};

// Puts the child in its own process group so a timeout kills grandchildren
// too, and so Ctrl-C on the terminal reaches us, not it (we forward it).
struct own_process_group {
    bool enabled = true;
    bool new_session = false;
    pid_t parent = ::getpid();  // taken before the fork, in the parent
    template <typename Launcher>
    bp::error_code on_exec_setup(Launcher&, const std::filesystem::path&, const char* const*&) {
        if (new_session) ::setsid();
        else if (enabled) ::setpgid(0, 0);
        if (!new_session) {
            // A child we wait for must not outlive us when we are killed outright
            // (SIGKILL cannot be forwarded): the kernel sends it SIGTERM then.
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            // We may have died before that took effect: then nobody waits for it.
            if (::getppid() != parent) ::_exit(128 + SIGTERM);
        }
        // The child must not inherit our SIGINT disposition changes.
        ::signal(SIGINT, SIG_DFL);
        return {};
    }
};

// A signal ignored when we started (nohup, a background job) stays ignored:
// we neither catch nor forward it.
bool ignored_signal(int sig) {
    struct sigaction current {};
    return ::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

// Whether we are the foreground process group of a terminal on a standard descriptor: only then
// can a SIGINT have come from that terminal's Ctrl-C (which the kernel sends to the whole group).
bool foreground_of_a_terminal() {
    for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
        const pid_t fg = ::tcgetpgrp(fd);
        if (fg != -1 && fg == ::getpgrp()) return true;
    }
    return false;
}

// Reads a pipe to its end, keeping a bounded part of what it reads and
// splitting complete lines for a callback.
struct StreamReader {
    asio::readable_pipe pipe;
    std::string* sink;
    int stream;
    bool keep_tail = true;  // keep the last `limit` bytes; else the first, up to `limit`
    std::size_t limit = kDefaultTailLimit;
    std::size_t max_line = kDefaultTailLimit;
    std::function<void(int, std::string_view)> on_line;
    std::function<void()> on_overflow;  // a capped stream passed its limit
    std::function<void()> on_eof;
    std::array<char, 65536> buf{};
    std::string partial;
    bool overflowed = false;
    std::size_t reads = 0;  // chunks read so far: the drain after the child's exit watches it

    StreamReader(asio::io_context& ctx, std::string* sink, int stream) : pipe(ctx), sink(sink), stream(stream) {}

    void start() {
        pipe.async_read_some(asio::buffer(buf), [this](const bp::error_code& ec, std::size_t n) {
            if (ec) {
                if (on_line && !partial.empty()) on_line(stream, partial);
                partial.clear();
                if (keep_tail) trim_to_tail(limit);
                if (on_eof) on_eof();
                return;
            }
            const std::string_view chunk(buf.data(), n);
            ++reads;
            keep(chunk);
            if (on_line) split(chunk);
            start();
        });
    }

    void keep(std::string_view chunk) {
        if (keep_tail) {
            sink->append(chunk);
            // Trimmed in batches, so each byte is moved a bounded number of times.
            if (sink->size() > 2 * limit) trim_to_tail(limit);
            return;
        }
        if (overflowed) return;
        if (sink->size() + chunk.size() > limit) {
            overflowed = true;
            std::string().swap(*sink);  // what was read is useless now: give the memory back
            if (on_overflow) on_overflow();
            return;
        }
        // Grow by doubling but never past the limit, so the cap bounds the capacity too.
        if (sink->capacity() < sink->size() + chunk.size())
            sink->reserve(std::min(limit, std::max(sink->size() + chunk.size(), 2 * sink->capacity())));
        sink->append(chunk);
    }

    // Keeps the last `n` bytes, starting after a line break where there is one.
    void trim_to_tail(std::size_t n) {
        if (sink->size() <= n) return;
        std::size_t cut = sink->size() - n;
        const auto nl = sink->find('\n', cut);
        if (nl != std::string::npos && nl + 1 < sink->size()) cut = nl + 1;
        sink->erase(0, cut);
    }

    void split(std::string_view chunk) {
        partial.append(chunk);
        std::size_t start = 0;
        for (;;) {
            const auto nl = partial.find('\n', start);
            if (nl == std::string::npos) break;
            std::string_view line(partial.data() + start, nl - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            // A long line that arrived whole (the reader fell behind) comes in the
            // same pieces as one read bit by bit.
            while (line.size() > max_line) {
                on_line(stream, line.substr(0, max_line));
                line.remove_prefix(max_line);
            }
            on_line(stream, line);
            start = nl + 1;
        }
        partial.erase(0, start);
        // A line without an end (a progress bar redrawn with \r, a flood) is
        // handed on in pieces rather than held whole.
        while (partial.size() >= max_line) {
            on_line(stream, std::string_view(partial).substr(0, max_line));
            partial.erase(0, max_line);
        }
    }
};

void record_status(int native_status, CaptureResult& result) {
    if (WIFSIGNALED(native_status)) {
        result.signal = WTERMSIG(native_status);
        result.exit_code = 128 + result.signal;
    } else {
        result.exit_code = WEXITSTATUS(native_status);
    }
}

}  // namespace

std::vector<std::string> edited_environment(const std::map<std::string, std::optional<std::string>>& edits) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        const auto eq = entry.find('=');
        const std::string name(entry.substr(0, eq));
        if (edits.count(name)) continue;
        env.emplace_back(entry);
    }
    for (const auto& [name, value] : edits)
        if (value) env.push_back(name + "=" + *value);
    return env;
}

CaptureResult run_capture(const std::filesystem::path& exe, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
    ProcessSpec spec;
    spec.exe = exe;
    spec.args = args;
    spec.timeout = timeout;
    spec.forward_sigint = false;
    return run_process(spec);
}

namespace {

CaptureResult start_detached(const ProcessSpec& spec) {
    asio::io_context ctx;
    const auto cwd = spec.cwd ? *spec.cwd : std::filesystem::current_path();
    bp::process_environment env(edited_environment(spec.env));
    bp::process proc(ctx, spec.exe, spec.args, bp::process_stdio{nullptr, nullptr, nullptr}, env,
                     bp::process_start_dir(cwd), own_process_group{true, true});
    CaptureResult result;
    result.pid = proc.id();
    result.exit_code = 0;
    proc.detach();  // it outlives us; init reaps it
    return result;
}

}  // namespace

int termination_signal() { return g_termination_signal.load(); }

CaptureResult run_process(const ProcessSpec& spec, const LineFn& on_line, std::chrono::milliseconds stop_grace) {
    if (termination_signal() != 0)
        throw std::system_error(std::make_error_code(std::errc::interrupted), "m-gpux is shutting down");
    if (spec.detach) return start_detached(spec);
    asio::io_context ctx;
    CaptureResult result;
    const bool inherit = spec.output == OutputMode::Inherit;
    StreamReader out_reader(ctx, &result.out, 1), err_reader(ctx, &result.err, 2);
    asio::writable_pipe in_pipe(ctx);

    const auto env_strings = edited_environment(spec.env);
    const auto cwd = spec.cwd ? *spec.cwd : std::filesystem::current_path();
    // The stdio bindings are built in place (they own descriptors), so each
    // combination gets its own construction.
    auto launch = [&](auto&& in) {
        bp::process_environment env(env_strings);
        if (inherit)
            return bp::process(ctx, spec.exe, spec.args, bp::process_stdio{in, STDOUT_FILENO, STDERR_FILENO}, env,
                               bp::process_start_dir(cwd), own_process_group{false});
        return bp::process(ctx, spec.exe, spec.args, bp::process_stdio{in, out_reader.pipe, err_reader.pipe}, env,
                           bp::process_start_dir(cwd), own_process_group{true});
    };
    std::optional<bp::process> started;
    if (spec.stdin_mode == StdinMode::Inherit) started.emplace(launch(STDIN_FILENO));
    else if (spec.stdin_mode == StdinMode::Text) started.emplace(launch(in_pipe));
    else started.emplace(launch(nullptr));
    bp::process& proc = *started;
    result.pid = proc.id();
    const auto pid = proc.id();
    // The group to signal: the child's own, or just the child when it shares ours.
    const auto signal_target = inherit ? pid : -pid;

    asio::steady_timer grace(ctx);
    bool stopping = false;
    auto request_stop = [&] {
        if (stopping) return;
        stopping = true;
        result.interrupted = true;
        ::kill(signal_target, SIGINT);
        grace.expires_after(stop_grace);
        grace.async_wait([&](const bp::error_code& ec) {
            if (!ec) ::kill(signal_target, SIGKILL);
        });
    };

    // stdout is kept whole (up to the cap) only when nobody sees it line by line.
    out_reader.keep_tail = spec.output == OutputMode::Watch;
    out_reader.limit = out_reader.keep_tail ? spec.tail_limit : spec.capture_limit;
    err_reader.limit = spec.tail_limit;
    out_reader.max_line = err_reader.max_line = std::max<std::size_t>(spec.tail_limit, 1);
    out_reader.on_overflow = [&] {
        result.out_overflow = true;
        ::kill(signal_target, SIGKILL);
    };
    if (on_line && spec.output == OutputMode::Watch) {
        auto dispatch = [&](int stream, std::string_view line) {
            if (stopping) return;  // keep draining, stop calling back
            if (on_line(stream, line) == LineAction::Stop) request_stop();
        };
        out_reader.on_line = dispatch;
        err_reader.on_line = dispatch;
    }
    asio::steady_timer drain_timer(ctx);
    int open_streams = 2;
    auto stream_closed = [&] {
        if (--open_streams == 0) drain_timer.cancel();
    };
    out_reader.on_eof = stream_closed;
    err_reader.on_eof = stream_closed;
    if (!inherit) {
        out_reader.start();
        err_reader.start();
    }
    if (spec.stdin_mode == StdinMode::Text) {
        asio::async_write(in_pipe, asio::buffer(spec.input), [&](const bp::error_code&, std::size_t) {
            bp::error_code ignored;
            in_pipe.close(ignored);
        });
    }

    asio::signal_set signals(ctx);
    // Declared here, not in the block below: each wait re-arms with it.
    std::function<void(const bp::error_code&, int)> on_signal;
    if (spec.forward_sigint) {
        for (int sig : {SIGINT, SIGTERM, SIGHUP})
            if (!ignored_signal(sig)) signals.add(sig);
        on_signal = [&](const bp::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGINT && !inherit) request_stop();
            // An inheriting child shares our process group: a Ctrl-C on the terminal reached it
            // too. A SIGINT from anywhere else (kill, a script, a supervisor) is passed on once.
            else if (sig == SIGINT && !foreground_of_a_terminal()) ::kill(signal_target, SIGINT);
            // A hangup or a termination request ends us once the child has taken it.
            if (sig == SIGTERM || sig == SIGHUP) {
                int none = 0;
                g_termination_signal.compare_exchange_strong(none, sig);
                ::kill(signal_target, sig);
            }
            result.interrupted = true;
            signals.async_wait(on_signal);
        };
        signals.async_wait(on_signal);
    }

    asio::steady_timer timer(ctx);
    if (spec.timeout) {
        timer.expires_after(*spec.timeout);
        timer.async_wait([&](const bp::error_code& ec) {
            if (ec) return;
            result.timed_out = true;
            ::kill(signal_target, SIGKILL);
        });
    }
    std::size_t reads_when_armed = 0;
    std::chrono::steady_clock::time_point drain_deadline;  // a grandchild that never stops writing
    std::function<void()> arm_drain = [&] {
        reads_when_armed = out_reader.reads + err_reader.reads;
        drain_timer.expires_after(std::chrono::milliseconds(500));
        drain_timer.async_wait([&](const bp::error_code& ec) {
            if (ec) return;  // both streams ended
            const bool more = out_reader.reads + err_reader.reads != reads_when_armed;
            if (more && std::chrono::steady_clock::now() < drain_deadline) return arm_drain();
            bp::error_code ig;
            if (out_reader.pipe.is_open()) out_reader.pipe.cancel(ig);
            if (err_reader.pipe.is_open()) err_reader.pipe.cancel(ig);
        });
    };
    int native_status = 0;
    proc.async_wait([&](const bp::error_code&, int) {
        native_status = proc.native_exit_code();
        timer.cancel();
        grace.cancel();
        bp::error_code ignored;
        signals.cancel(ignored);
        // Grandchildren may still hold the pipes open: once the child has
        // gone, give the readers a moment to take what is buffered, then stop.
        // The wait ends after half a second in which nothing came, not half a second after the
        // exit, so a busy machine that is slow to read what the child left is not cut short.
        if (!inherit && open_streams > 0) {
            drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            arm_drain();
        }
    });
    ctx.run();
    record_status(native_status, result);
    return result;
}

}  // namespace mgpux::util
