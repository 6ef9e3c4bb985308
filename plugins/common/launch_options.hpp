// SPDX-License-Identifier: MIT
// The options every workload command shares (hub, dev, host, preset run):
// compute, Python, dependencies, upload excludes, timeout, save-preset and
// the published base image.
// A plugin builds each command's option table once, at namespace scope, so
// the table has static storage as the ABI requires:
//
//   const std::vector<mgpux_option> kAsgiOptions = mgpux::launch::with_shared(
//       {mgpux::option("entry").help("...")}, mgpux::launch::kAllShared, "86400");
//   const mgpux::Commands kCommands{
//       mgpux::command("host asgi", "...", kAsgiOptions, launch_app).flags(MGPUX_CMDF_JSON),
//   };
#pragma once

#include <mgpux/plugin.hpp>

#include <initializer_list>
#include <vector>

namespace mgpux::launch {

// Groups of shared options, combined with |.
enum SharedOptions : unsigned {
    kCompute = 0x01,     // --gpu NAME[:COUNT] | --cpu N [--memory MB]
    kPython = 0x02,      // --python 3.10..3.14
    kDeps = 0x04,        // --requirements FILE, --pip PKG..., --no-deps
    kExcludes = 0x08,    // --exclude PATTERN..., --no-default-excludes
    kTimeout = 0x10,     // --timeout SECONDS
    kSavePreset = 0x20,  // --save-preset NAME
    kImage = 0x40,       // --image NAME (a published image; the template must branch on base_image)
    kAllShared = 0x7F,
};

// The exclusive group of --gpu and --cpu (the host refuses both together).
inline constexpr const char* kComputeGroup = "compute";

// The shared options in a fixed order. `timeout_default` must be a string
// literal (static storage); nullptr leaves --timeout without a default.
std::vector<mgpux_option> shared_options(unsigned which = kAllShared, const char* timeout_default = nullptr);

// The command's own options first, then the shared ones. Throws
// std::logic_error when two options share a name (a programming error that
// the host would also refuse at load time).
std::vector<mgpux_option> with_shared(std::initializer_list<mgpux_option> own, unsigned which = kAllShared,
                                      const char* timeout_default = nullptr);

}  // namespace mgpux::launch
