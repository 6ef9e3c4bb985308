#include "app.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    try {
        return mgpux::run_app(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "m-gpux: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "m-gpux: internal error\n");
    }
    return 1;
}
