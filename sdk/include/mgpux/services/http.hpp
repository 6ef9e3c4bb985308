// SPDX-License-Identifier: MIT
// mgpux/services/http.hpp — the C++ wrapper over mgpux/service/http.h.
#ifndef MGPUX_SERVICES_HTTP_HPP
#define MGPUX_SERVICES_HTTP_HPP

#include "service.hpp"
#include "../service/http.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mgpux {

// HTTPS requests through the host (mgpux.http/1).
class Http {
public:
    explicit Http(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_http_service>(host, MGPUX_SERVICE_HTTP)) {}
    // See mgpux_http_service.request; any HTTP status is a result.
    Json request(const Json& req) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->request(h_, req.dump().c_str(), &out));
        return detail::parse_out(out);
    }

private:
    const mgpux_host* h_;
    const mgpux_http_service* t_;
};

}  // namespace mgpux

#endif  // MGPUX_SERVICES_HTTP_HPP
