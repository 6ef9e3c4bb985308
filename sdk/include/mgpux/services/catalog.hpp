// SPDX-License-Identifier: MIT
// mgpux/services/catalog.hpp — the C++ wrapper over mgpux/service/catalog.h.
#ifndef MGPUX_SERVICES_CATALOG_HPP
#define MGPUX_SERVICES_CATALOG_HPP

#include "service.hpp"
#include "../service/catalog.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mgpux {

// Compute catalogs (mgpux.catalog/1).
class Catalog {
public:
    explicit Catalog(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_catalog_service>(host, MGPUX_SERVICE_CATALOG)) {}
    Json get() const {
        const char* out = nullptr;
        detail::check_status(h_, t_->get(h_, &out));
        return detail::parse_out(out);
    }
    Json parse_gpu(const std::string& spec) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_gpu(h_, spec.c_str(), &out));
        return detail::parse_out(out);
    }
    Json parse_cpu(int32_t cores, int32_t memory_mb = 0) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_cpu(h_, cores, memory_mb, &out));
        return detail::parse_out(out);
    }
    std::string parse_python(const std::string& version = std::string()) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_python(h_, version.empty() ? nullptr : version.c_str(), &out));
        return detail::parse_out(out).string_or("python");
    }

private:
    const mgpux_host* h_;
    const mgpux_catalog_service* t_;
};

}  // namespace mgpux

#endif  // MGPUX_SERVICES_CATALOG_HPP
