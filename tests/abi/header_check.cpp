// SPDX-License-Identifier: MIT
// plugin.h compiles as C++11/17/20 with -Wall -Wextra -pedantic -Werror
// (this file is built once per standard); plugin.hpp needs C++17.
#include <mgpux/plugin.h>
#if __cplusplus >= 201703L
#include <mgpux/plugin.hpp>
#endif

static_assert(sizeof(mgpux_plugin_descriptor) >= 3 * sizeof(uint32_t), "descriptor too small");

int mgpux_header_check_cxx() { return MGPUX_ABI_MAJOR; }

// MGPUX_HAS_MEMBER in C++ (including C++11).
inline bool mgpux_check_has_member(const mgpux_state_service* t) { return MGPUX_HAS_MEMBER(t, preset_delete); }
