// SPDX-License-Identifier: MIT
#include "app.hpp"
#include "services/console.hpp"
#include "util/subprocess.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>

namespace {

// Output that never arrived is a failure, whatever the command thought.
int with_output_checked(int status) {
    std::cout.flush();
    const bool failed = std::cout.bad() | (std::fflush(stdout) != 0) | (std::ferror(stdout) != 0);
    if (!failed) return status;
    int why = mgpux::services::output_write_error();
    if (why == 0) why = errno != 0 ? errno : EIO;
    std::fprintf(stderr,
                 "m-gpux: error: could not write to standard output (%s); check where it goes (a full disk, "
                 "a closed pipe or file)\n",
                 std::strerror(why));
    return status == 0 ? 1 : status;
}

// A hangup or termination request was passed on to the child that was running;
// now that everything is cleaned up, we end the way the signal asked.
int exit_status(int status) {
    const int sig = mgpux::util::termination_signal();
    return sig != 0 ? 128 + sig : status;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return exit_status(with_output_checked(mgpux::run_app(argc, argv)));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "m-gpux: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "m-gpux: internal error\n");
    }
    return exit_status(with_output_checked(1));
}
