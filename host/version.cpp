// SPDX-License-Identifier: MIT
#include "host_context.hpp"

#include "mgpux/plugin.h"

#ifndef MGPUX_VERSION
#define MGPUX_VERSION "0.0.0"
#endif

namespace mgpux {

std::string version_string() {
    std::string v = MGPUX_VERSION;
#ifdef MGPUX_GIT_REVISION
    v += " (git " MGPUX_GIT_REVISION ")";
#endif
    return v;
}

}  // namespace mgpux
