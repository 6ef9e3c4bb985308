// SPDX-License-Identifier: MIT
#pragma once

namespace mgpux {

// The whole program: parse, discover plugins, dispatch. Returns the exit code.
int run_app(int argc, char** argv);

}  // namespace mgpux
