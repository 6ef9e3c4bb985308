#include "app.hpp"
#include "util/subprocess.hpp"

#include <cstdio>
#include <exception>

namespace {

// A hangup or termination request was passed on to the child that was running;
// now that everything is cleaned up, we end the way the signal asked.
int exit_status(int status) {
    const int sig = mgpux::util::termination_signal();
    return sig != 0 ? 128 + sig : status;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return exit_status(mgpux::run_app(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "m-gpux: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "m-gpux: internal error\n");
    }
    return exit_status(1);
}
