// SPDX-License-Identifier: MIT
// Apps the local backend runs on this machine: each detached run or deployment is a process
// group registered in <state dir>/local/apps/<app id>.json by the local runtime. `modal app
// list|stop|logs` calls are answered from there for the local backend (and for a local app id
// whatever the backend), so `m-gpux stop` and `sessions` work the same for both.
#pragma once

#include "services/modal_service.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mgpux {
struct HostContext;
}

namespace mgpux::services {

// Whether workloads run on this machine (--backend local, or MGPUX_BACKEND=local).
bool local_backend(const HostContext& ctx);

// <state dir>/local: volumes/, apps/.
std::filesystem::path local_home();

// The answer to a `modal` call when it concerns local apps; nullopt when Modal should answer.
std::optional<ModalResult> answer_locally(const HostContext& ctx, const std::vector<std::string>& args,
                                          bool inherit_output);

// Ends a local app's process group (SIGTERM, then SIGKILL after a grace period); true when no
// process of it is left.
bool stop_local_app(const std::string& app_id);

}  // namespace mgpux::services
