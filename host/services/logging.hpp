// SPDX-License-Identifier: MIT
// Logging to stderr through spdlog (kept to one translation unit).
#pragma once

#include <string>

namespace mgpux::services {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3, PluginMisbehaving = 4 };

// -v shows info, -vv debug; default shows warnings and errors; -q errors only.
void init_logging(int verbosity, bool color);
void log(LogLevel level, const std::string& message);

}  // namespace mgpux::services
