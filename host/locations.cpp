// SPDX-License-Identifier: MIT
#include "host_context.hpp"

#include "util/paths.hpp"

#ifndef MGPUX_DATA_RELDIR
#define MGPUX_DATA_RELDIR "../share/m-gpux"
#endif

namespace mgpux {

namespace fs = std::filesystem;

fs::path modal_config_path() {
    if (auto p = util::env("MODAL_CONFIG_PATH")) return *p;
    return util::home_dir() / ".modal.toml";
}

fs::path state_dir() {
    if (auto p = util::env("MGPUX_HOME")) return *p;
    return util::home_dir() / ".m-gpux";
}

fs::path system_template_dir() {
    return (util::executable_path().parent_path() / MGPUX_DATA_RELDIR / "templates").lexically_normal();
}

fs::path system_runtime_dir() {
    return (util::executable_path().parent_path() / MGPUX_DATA_RELDIR / "runtime").lexically_normal();
}

fs::path user_template_dir() { return util::xdg_dir("XDG_CONFIG_HOME", ".config") / "m-gpux" / "templates"; }

std::optional<fs::path> locate_program(const std::string& name) {
    const char* override_var = name == "modal" ? "MGPUX_MODAL" : name == "python3" ? "MGPUX_PYTHON" : nullptr;
    if (override_var) {
        if (auto v = util::env(override_var)) return util::find_on_path(*v);
    }
    return util::find_on_path(name);
}

}  // namespace mgpux
