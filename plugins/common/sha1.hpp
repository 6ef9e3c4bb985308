// SPDX-License-Identifier: MIT
// SHA-1 of a byte string, for the workspace volume name (the original's naming keeps the
// original's digest so a user's existing volume is found again). Not for security.
#pragma once

#include <string>

namespace mgpux::launch {

// 40 lowercase hex characters.
std::string sha1_hex(const std::string& bytes);

}  // namespace mgpux::launch
