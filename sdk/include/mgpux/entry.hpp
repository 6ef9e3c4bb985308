// SPDX-License-Identifier: MIT
// mgpux/entry.hpp — the entry symbol of a C++ plugin (MGPUX_CPP_PLUGIN): every
// callback into the plugin goes through a noexcept trampoline that turns an
// exception into a status.
#ifndef MGPUX_ENTRY_HPP
#define MGPUX_ENTRY_HPP

#include "args.hpp"
#include "entry.h"
#include "error.hpp"
#include "host.hpp"

#include <cstdint>
#include <exception>

namespace mgpux {

namespace detail {

inline const mgpux_host*& host_slot() {
    static const mgpux_host* host = nullptr;
    return host;
}

// Runs `fn`, converting every exception into a status; never throws.
template <typename Fn>
int32_t guarded(const mgpux_host* host, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const Error& e) {
        if (host && e.what()[0] != '\0') host->set_error(host, e.code(), e.what());
        return e.code();
    } catch (const std::exception& e) {
        if (host) host->set_error(host, MGPUX_E_FAILED, e.what());
        return MGPUX_E_FAILED;
    } catch (...) {
        if (host) host->set_error(host, MGPUX_E_FAILED, "unknown exception in plugin");
        return MGPUX_E_FAILED;
    }
}

}  // namespace detail

}  // namespace mgpux

// The descriptor, the noexcept trampolines and the entry symbol, written once
// for both plugin macros. TABLE and COUNT give the command table; RUN_EXPR is
// the expression a run evaluates, with `h` (mgpux::Host&) and `a`
// (mgpux::Args&) in scope. Not for direct use.
#define MGPUX_DETAIL_CPP_PLUGIN(ID, VERSION, SUMMARY, PANEL, TABLE, COUNT, RUN_EXPR, INIT_FN, SHUTDOWN_FN) \
    namespace {                                                                                            \
    int32_t mgpux_tramp_init(const mgpux_host* host) {                                                     \
        mgpux::detail::host_slot() = host;                                                                 \
        return mgpux::detail::guarded(host, [&]() -> int32_t {                                             \
            mgpux::Host h(host);                                                                           \
            return INIT_FN(h);                                                                             \
        });                                                                                                \
    }                                                                                                      \
    int32_t mgpux_tramp_run(const mgpux_host* host, const char* path, const char* args) {                  \
        (void)path;                                                                                        \
        return mgpux::detail::guarded(host, [&]() -> int32_t {                                             \
            mgpux::Host h(host);                                                                           \
            mgpux::Args a(args);                                                                           \
            return RUN_EXPR;                                                                               \
        });                                                                                                \
    }                                                                                                      \
    void mgpux_tramp_shutdown() {                                                                          \
        mgpux::detail::guarded(nullptr, []() -> int32_t {                                                  \
            SHUTDOWN_FN();                                                                                 \
            return 0;                                                                                      \
        });                                                                                                \
    }                                                                                                      \
    const mgpux_plugin_descriptor& mgpux_descriptor() {                                                    \
        static const mgpux_plugin_descriptor d = {sizeof(mgpux_plugin_descriptor),                         \
                                                  MGPUX_ABI_MAJOR,                                         \
                                                  MGPUX_ABI_MINOR,                                         \
                                                  ID,                                                      \
                                                  VERSION,                                                 \
                                                  SUMMARY,                                                 \
                                                  PANEL,                                                   \
                                                  TABLE,                                                   \
                                                  COUNT,                                                   \
                                                  mgpux_tramp_init,                                        \
                                                  mgpux_tramp_run,                                         \
                                                  mgpux_tramp_shutdown};                                   \
        return d;                                                                                          \
    }                                                                                                      \
    }                                                                                                      \
    extern "C" MGPUX_DECLARE_ENTRY { return &mgpux_descriptor(); }

// Defines the descriptor and the entry symbol for a C++ plugin.
//   RUN_FN:  int RUN_FN(mgpux::Host&, const mgpux::Args&)
// Optional init/shutdown: use MGPUX_CPP_PLUGIN_EX with
//   INIT_FN: int INIT_FN(mgpux::Host&)   SHUTDOWN_FN: void SHUTDOWN_FN()
#define MGPUX_CPP_PLUGIN_EX(ID, VERSION, SUMMARY, PANEL, COMMANDS, RUN_FN, INIT_FN, SHUTDOWN_FN)                  \
    MGPUX_DETAIL_CPP_PLUGIN(ID, VERSION, SUMMARY, PANEL, COMMANDS,                                                \
                            static_cast<uint32_t>(sizeof(COMMANDS) / sizeof(COMMANDS[0])), RUN_FN(h, a), INIT_FN, \
                            SHUTDOWN_FN)

namespace mgpux::detail {
inline int32_t default_init(mgpux::Host&) { return MGPUX_OK; }
inline void default_shutdown() {}
}  // namespace mgpux::detail

#define MGPUX_CPP_PLUGIN(ID, VERSION, SUMMARY, PANEL, COMMANDS, RUN_FN)                             \
    MGPUX_CPP_PLUGIN_EX(ID, VERSION, SUMMARY, PANEL, COMMANDS, RUN_FN, mgpux::detail::default_init, \
                        mgpux::detail::default_shutdown)

#endif  // MGPUX_ENTRY_HPP
