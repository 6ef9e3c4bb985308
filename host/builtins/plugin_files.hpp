// SPDX-License-Identifier: MIT
// Built-ins that check, install and remove plugin files: `plugins validate`'s
// child run, `plugins install FILE` and `plugins remove ID` (user directory only).
#pragma once

#include "host_context.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <string>

namespace mgpux::builtins {

// Loads `file` in a child process (`m-gpux --mgpux-probe-plugin FILE`) and
// returns its report: "usable", and "reason" or the descriptor ("id",
// "version", "abi", "commands"). A child that crashes or hangs is an unusable
// report. Throws std::runtime_error when no child can be started.
boost::json::object validation_report(HostContext& ctx, const std::filesystem::path& file);

// `m-gpux plugins install FILE [--force]`; returns the exit code.
int plugins_install(HostContext& ctx, const std::string& file, bool force);

// `m-gpux plugins remove ID`; returns the exit code.
int plugins_remove(HostContext& ctx, const std::string& id);

}  // namespace mgpux::builtins
