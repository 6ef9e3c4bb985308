// SPDX-License-Identifier: MIT
// The `compose sandbox` command handlers (compose_sandbox.cpp).
#pragma once

#include <mgpux/plugin.hpp>

namespace compose {

int sandbox_up(mgpux::Host& host, const mgpux::Args& args);
int sandbox_ps(mgpux::Host& host, const mgpux::Args& args);
int sandbox_logs(mgpux::Host& host, const mgpux::Args& args);
int sandbox_down(mgpux::Host& host, const mgpux::Args& args);

}  // namespace compose
