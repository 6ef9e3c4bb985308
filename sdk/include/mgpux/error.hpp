// SPDX-License-Identifier: MIT
// mgpux/error.hpp — the exception that ends a plugin call with a status.
#ifndef MGPUX_ERROR_HPP
#define MGPUX_ERROR_HPP

#include "status.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mgpux {

// Thrown by plugin code (or by this helper) to end a call with a status.
class Error : public std::runtime_error {
public:
    Error(int32_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
    int32_t code() const noexcept { return code_; }

private:
    int32_t code_;
};

inline Error usage_error(const std::string& message) { return Error(MGPUX_E_USAGE, message); }

}  // namespace mgpux

#endif  // MGPUX_ERROR_HPP
