// SPDX-License-Identifier: MIT
// What the host knows while running one command; shared by the built-ins
// and the services table handed to plugins.
#pragma once

#include "cli/parser.hpp"
#include "plugins/registry.hpp"

#include <filesystem>
#include <string>

namespace mgpux {

namespace services {
class Console;
class Prompter;
class TemplateStore;
}  // namespace services

struct HostContext {
    std::string version;  // "0.1.0" (+ git revision in development builds)
    std::filesystem::path executable;
    cli::GlobalOptions globals;
    services::Console* console = nullptr;
    services::Prompter* prompter = nullptr;
    services::TemplateStore* templates = nullptr;
    plugins::PluginRegistry* registry = nullptr;
    const cli::CommandNode* root = nullptr;
};

// The version text `--version` prints.
std::string version_string();

// Locations the host uses (config file, state dir, template dirs).
std::filesystem::path modal_config_path();
std::filesystem::path state_dir();
std::filesystem::path system_template_dir();
// The local runtime (the `modal` package the local backend runs scripts with), beside the templates.
std::filesystem::path system_runtime_dir();
std::filesystem::path user_template_dir();

// `modal` and `python3`: MGPUX_MODAL / MGPUX_PYTHON, else PATH.
std::optional<std::filesystem::path> locate_program(const std::string& name);

}  // namespace mgpux
