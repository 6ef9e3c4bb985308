// SPDX-License-Identifier: MIT
// The C tables of the services fetched with get_service (mgpux/service/).
#pragma once

#include <string>

namespace mgpux::services {

// The static table for a service id, or nullptr for an unknown id.
const void* find_service_table(const std::string& id);

}  // namespace mgpux::services
