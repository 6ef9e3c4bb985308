// SPDX-License-Identifier: MIT
// mgpux/services/service.hpp — what the service wrappers in mgpux/services/ share.
//
// mgpux::Json (from json.hpp) is the value type of every document exchanged with the host. A
// document from the host that does not parse is reported as mgpux::Error(MGPUX_E_FAILED).
#ifndef MGPUX_SERVICES_SERVICE_HPP
#define MGPUX_SERVICES_SERVICE_HPP

#include "../error.hpp"
#include "../host.hpp"
#include "../json.hpp"
#include "../service/service.h"

#include <cstdint>
#include <string>

namespace mgpux {

// Wrappers over the service tables of mgpux/service/. Each is fetched
// once; a host without the service makes the constructor throw Error
// (MGPUX_E_FAILED) with a message saying so. Failing calls throw Error with
// the host's status and the message the host holds for it.
namespace detail {

template <typename Table>
const Table* require_service(const Host& host, const char* id) {
    const Table* t = host.service<Table>(id);
    if (!t || t->struct_size < sizeof(uint32_t))
        throw Error(MGPUX_E_FAILED,
                    std::string("this m-gpux host does not provide the ") + id + " service; update m-gpux");
    return t;
}

inline void check_status(const mgpux_host* h, int32_t status) {
    if (status != MGPUX_OK) throw Error(status, last_host_error(h));
}

// The host's JSON text `text` as a value; a malformed document is a failed call.
inline Json parse_host_json(const char* text, const char* fallback) {
    try {
        return Json::parse(text ? text : fallback);
    } catch (const JsonError& e) {
        throw Error(MGPUX_E_FAILED, e.what());
    }
}

inline Json parse_out(const char* out) { return parse_host_json(out, "null"); }

}  // namespace detail

}  // namespace mgpux

#endif  // MGPUX_SERVICES_SERVICE_HPP
