// The only translation unit that compiles Boost.Process v2 (DESIGN §3).
#define BOOST_PROCESS_V2_SEPARATE_COMPILATION
#define BOOST_PROCESS_USE_STD_FS
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>
#include <boost/asio.hpp>
#include <boost/process/v2.hpp>
#include <boost/process/v2/src.hpp>

#include "util/subprocess.hpp"

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace mgpux::util {

namespace bp = boost::process::v2;
namespace asio = boost::asio;

namespace {

// Puts the child in its own process group so a timeout kills grandchildren too.
struct own_process_group {
    template <typename Launcher>
    bp::error_code on_exec_setup(Launcher&, const std::filesystem::path&, const char* const*&) {
        ::setpgid(0, 0);
        return {};
    }
};

void drain(asio::readable_pipe& pipe, std::string& sink, std::array<char, 4096>& buf) {
    pipe.async_read_some(asio::buffer(buf), [&pipe, &sink, &buf](const bp::error_code& ec, std::size_t n) {
        if (ec) return;
        sink.append(buf.data(), n);
        drain(pipe, sink, buf);
    });
}

}  // namespace

CaptureResult run_capture(const std::filesystem::path& exe, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
    asio::io_context ctx;
    asio::readable_pipe out_pipe(ctx), err_pipe(ctx);
    bp::process proc(ctx, exe, args, bp::process_stdio{nullptr, out_pipe, err_pipe}, own_process_group{});
    CaptureResult result;
    std::array<char, 4096> out_buf{}, err_buf{};
    drain(out_pipe, result.out, out_buf);
    drain(err_pipe, result.err, err_buf);

    asio::steady_timer timer(ctx, timeout);
    const auto pid = proc.id();
    timer.async_wait([&](const bp::error_code& ec) {
        if (ec) return;
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
    });
    int native_status = 0;
    proc.async_wait([&](const bp::error_code&, int) {
        native_status = proc.native_exit_code();
        timer.cancel();
    });
    ctx.run();
    if (WIFSIGNALED(native_status)) {
        result.signal = WTERMSIG(native_status);
        result.exit_code = 128 + result.signal;
    } else {
        result.exit_code = WEXITSTATUS(native_status);
    }
    return result;
}

}  // namespace mgpux::util
