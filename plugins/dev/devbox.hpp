// SPDX-License-Identifier: MIT
// `m-gpux dev up|list|ssh|code|shell|pause|resume|sync|down`: dev boxes on
// Modal Sandboxes, reachable over SSH (and so from VS Code Remote-SSH).
#pragma once

#include <mgpux/plugin.hpp>

#include <vector>

namespace dev::box {

// The option tables (functions, so that dev.cpp's static command table never
// reads them before they are built).

const std::vector<mgpux_option>& up_options();
const std::vector<mgpux_option>& name_options();
const std::vector<mgpux_option>& ssh_options();
const std::vector<mgpux_option>& pause_options();
const std::vector<mgpux_option>& resume_options();
const std::vector<mgpux_option>& sync_options();
const std::vector<mgpux_option>& down_options();
const std::vector<mgpux_option>& list_options();

int up(mgpux::Host& host, const mgpux::Args& args);
int list(mgpux::Host& host, const mgpux::Args& args);
int ssh(mgpux::Host& host, const mgpux::Args& args);
int code(mgpux::Host& host, const mgpux::Args& args);
int shell(mgpux::Host& host, const mgpux::Args& args);
int pause(mgpux::Host& host, const mgpux::Args& args);
int resume(mgpux::Host& host, const mgpux::Args& args);
int sync(mgpux::Host& host, const mgpux::Args& args);
int down(mgpux::Host& host, const mgpux::Args& args);

}  // namespace dev::box
