// SPDX-License-Identifier: MIT
// The mgpux_host function table one plugin receives, and the per-plugin
// state behind it (last error, host-owned result strings).
#pragma once

#include "host_context.hpp"

#include "mgpux/plugin.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace mgpux::services {

// A C string from a plugin, or "" for NULL.
inline std::string cstr(const char* s) { return s ? std::string(s) : std::string(); }

class PluginHost {
public:
    PluginHost(HostContext& ctx, const plugins::Plugin& plugin);
    ~PluginHost();
    PluginHost(const PluginHost&) = delete;
    PluginHost& operator=(const PluginHost&) = delete;

    const mgpux_host* table() const { return &table_; }
    HostContext& context() { return ctx_; }
    const plugins::Plugin& plugin() const { return plugin_; }

    // The message of the last set_error, and its code.
    const std::string& error() const { return error_; }
    int error_code() const { return error_code_; }
    void clear_error() {
        error_.clear();
        error_code_ = 0;
    }
    // Records the error a returning call reports, and returns its code.
    int32_t fail(int32_t code, const std::string& message) {
        error_ = message;
        error_code_ = code;
        return code;
    }

    static PluginHost& from(const mgpux_host* host);

    // Host-owned result strings, valid until the next call of the same kind.
    std::string prompt_result;
    std::string render_result;
    std::string hostinfo_result;
    // One result string per service id (the lifetimes of mgpux/service/service.h).
    std::map<std::string, std::string> service_results;
    // The argument texts the args_* accessors parsed, kept for the plugin
    // call so the strings they return stay valid.
    struct ParsedArgs;
    std::map<std::string, std::unique_ptr<ParsedArgs>> parsed_args;
    std::string error_;
    int error_code_ = 0;

private:
    HostContext& ctx_;
    const plugins::Plugin& plugin_;
    mgpux_host table_{};
};

// Runs `fn` for a call a plugin made (a host table callback or a service
// function) so that no exception reaches the plugin: an exception is recorded
// as set_error would record it, and its status is returned (MGPUX_E_FAILED
// without host state to record it in). Otherwise returns what `fn` returns.
int32_t run_guarded(const mgpux_host* host, const std::function<int32_t(PluginHost&)>& fn) noexcept;

}  // namespace mgpux::services
