// SPDX-License-Identifier: MIT
// mgpux/services/runner.hpp — the C++ wrapper over mgpux/service/runner.h.
#ifndef MGPUX_SERVICES_RUNNER_HPP
#define MGPUX_SERVICES_RUNNER_HPP

#include "service.hpp"
#include "../contracts.hpp"
#include "../service/runner.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mgpux {

// Runs a rendered script (mgpux.runner/1).
class Runner {
public:
    explicit Runner(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_runner_service>(host, MGPUX_SERVICE_RUNNER)) {}
    // See mgpux_runner_service.run. Returns the result object; a failed,
    // cancelled or malformed run throws Error with its status.
    Json run(const Json& request) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->run(h_, request.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // The typed form (mgpux/contracts.hpp).
    RunResult run(const RunRequest& request) const { return RunResult::from_json(run(request.to_json())); }

private:
    const mgpux_host* h_;
    const mgpux_runner_service* t_;
};

}  // namespace mgpux

#endif  // MGPUX_SERVICES_RUNNER_HPP
