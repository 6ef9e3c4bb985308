// SPDX-License-Identifier: MIT
#include "services/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace mgpux::services {

namespace {
std::shared_ptr<spdlog::logger>& logger() {
    static std::shared_ptr<spdlog::logger> l;
    return l;
}
}  // namespace

void init_logging(int verbosity, bool color) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_st>(color ? spdlog::color_mode::always
                                                                            : spdlog::color_mode::never);
    auto l = std::make_shared<spdlog::logger>("m-gpux", sink);
    l->set_pattern("m-gpux: %^%l%$: %v");
    l->set_level(verbosity >= 2   ? spdlog::level::debug
                 : verbosity == 1 ? spdlog::level::info
                 : verbosity == 0 ? spdlog::level::warn
                                  : spdlog::level::err);
    logger() = l;
}

void log(LogLevel level, const std::string& message) {
    if (!logger()) init_logging(0, false);
    switch (level) {
        case LogLevel::Debug: logger()->debug(message); break;
        case LogLevel::Info: logger()->info(message); break;
        case LogLevel::Warning: logger()->warn(message); break;
        case LogLevel::Error: logger()->error(message); break;
        case LogLevel::PluginMisbehaving: logger()->error("plugin misbehaving: " + message); break;
    }
}

}  // namespace mgpux::services
