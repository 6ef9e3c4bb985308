// SPDX-License-Identifier: MIT
// The error every host service throws: a message for the user and the exit
// code it stands for (the MGPUX_E_* statuses of plugin.h: 1 failed, 2 usage,
// 3 configuration/state unreadable or unsafe, 4 program missing, 130 cancelled).
#pragma once

#include <stdexcept>
#include <string>

namespace mgpux::services {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailed = 1,
    kExitUsage = 2,
    kExitConfig = 3,
    kExitMissingProgram = 4,
    kExitCancelled = 130,
};

struct ServiceError : std::runtime_error {
    ServiceError(int code, const std::string& message) : std::runtime_error(message), code(code) {}
    int code;
};

}  // namespace mgpux::services
