// SPDX-License-Identifier: MIT
#pragma once

#include "host_context.hpp"

#include <boost/json/object.hpp>

namespace mgpux::services {

// Directories, plugin dirs and what each holds, plugins with their status,
// and the programs found (with versions when `versions` is set, which runs them).
boost::json::object build_hostinfo(const HostContext& ctx, bool versions);

// One plugin record as JSON (shared by `plugins list --json` and hostinfo).
boost::json::object plugin_json(const plugins::Plugin& p);

}  // namespace mgpux::services
