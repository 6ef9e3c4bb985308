// SPDX-License-Identifier: MIT
// SHA-256 (FIPS 180-4) of a byte string: the digests of serve's API keys that a
// deployment hands to the proxy, which checks a presented key by hashing it.
#pragma once

#include <string>
#include <string_view>

namespace mgpux::digest {

// 64 lowercase hex characters.
std::string sha256_hex(std::string_view bytes);

}  // namespace mgpux::digest
