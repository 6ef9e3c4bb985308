// SPDX-License-Identifier: MIT
// mgpux/services/process.hpp — the C++ wrapper over mgpux/service/process.h.
#ifndef MGPUX_SERVICES_PROCESS_HPP
#define MGPUX_SERVICES_PROCESS_HPP

#include "service.hpp"
#include "../contracts.hpp"
#include "../service/process.h"

#include <cstdint>
#include <string>
#include <vector>
#include <functional>

namespace mgpux {

// Local helper processes (mgpux.process/1).
class Process {
public:
    using LineFn = std::function<int32_t(int32_t stream, const std::string& line)>;
    explicit Process(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_process_service>(host, MGPUX_SERVICE_PROCESS)) {}
    // See mgpux_process_service.run for the request and result members.
    Json run(const Json& request, const LineFn& on_line = LineFn()) const {
        const char* out = nullptr;
        const LineFn* fn = on_line ? &on_line : nullptr;
        detail::check_status(
            h_, t_->run(h_, request.dump().c_str(), fn ? &line_trampoline : nullptr, const_cast<LineFn*>(fn), &out));
        return detail::parse_out(out);
    }
    std::string locate(const std::string& program) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->locate(h_, program.c_str(), &out));
        return out ? out : "";
    }
    // Opens an http(s) URL in the browser; false when there is no opener.
    bool open_url(const std::string& url) const {
        if (!MGPUX_HAS_MEMBER(t_, open_url)) return false;
        int32_t opened = 0;
        detail::check_status(h_, t_->open_url(h_, url.c_str(), &opened));
        return opened != 0;
    }
    // All of stdin when it is not a terminal (one trailing newline dropped).
    std::string read_stdin() const {
        if (!MGPUX_HAS_MEMBER(t_, read_stdin))
            throw Error(MGPUX_E_FAILED, "this m-gpux host cannot read stdin for plugins; update m-gpux");
        const char* out = nullptr;
        detail::check_status(h_, t_->read_stdin(h_, &out));
        return out ? out : "";
    }
    // The typed form of run (mgpux/contracts.hpp).
    ProcessResult run(const ProcessRequest& request, const LineFn& on_line = LineFn()) const {
        return ProcessResult::from_json(run(request.to_json(), on_line));
    }

private:
    static int32_t line_trampoline(void* user, int32_t stream, const char* line) noexcept {
        try {
            return (*static_cast<LineFn*>(user))(stream, line ? line : "");
        } catch (...) {
            return MGPUX_LINE_STOP;
        }
    }
    const mgpux_host* h_;
    const mgpux_process_service* t_;
};

}  // namespace mgpux

#endif  // MGPUX_SERVICES_PROCESS_HPP
