// SPDX-License-Identifier: MIT
// Loading plugin files in a child process before the host loads them: a
// library that crashes or hangs while it loads (a truncated file, a
// constructor that dies) then costs a warning, not the host. Discovery does
// this for every file not yet in the plugin metadata cache.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mgpux::plugins {

// The hidden command line flag that makes the m-gpux executable the child.
inline constexpr const char* kCheckPluginsFlag = "--mgpux-check-plugins";

// What the child made of one file.
struct ChildVerdict {
    bool loaded = false;  // it loaded as a plugin, so the host may load it too
    std::string reason;   // why not: the loader's own reason, or how the child died
};

// Runs `executable --mgpux-check-plugins FILE...` and returns one verdict per
// file, in order. A child that dies on a file (a signal, `timeout_ms`, an exit
// without a verdict) condemns that file only: the files after it get a new
// child. Never throws; a child that cannot be started is every remaining
// file's reason.
std::vector<ChildVerdict> load_in_child(const std::filesystem::path& executable,
                                        const std::vector<std::filesystem::path>& files, int timeout_ms);

// The child's side: loads each file and writes one line per file to stdout as
// soon as it has its verdict ("<index>\t<1|0>\t<reason>"); whatever the
// libraries print goes to stderr. Core dumps are off, so a crashing library
// leaves no core file behind. Returns the exit status (0).
int run_load_check_child(const std::vector<std::string>& files);

// "SIGSEGV" for 11 (the number when the name is unknown).
std::string signal_name(int signal);

}  // namespace mgpux::plugins
