// SPDX-License-Identifier: MIT
// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
// No m-gpux knowledge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mgpux::util {

// The length (1-4) of the valid sequence starting at s[i], writing its code
// point to *cp; nullopt when no valid sequence starts there.
std::optional<std::size_t> utf8_sequence(std::string_view s, std::size_t i, std::uint32_t* cp);

// Offset of the first byte that does not start a valid sequence, or nullopt.
std::optional<std::size_t> invalid_utf8_offset(std::string_view s);

// Appends the UTF-8 encoding of `cp` (assumed a valid scalar value).
void append_utf8(std::string& out, std::uint32_t cp);

}  // namespace mgpux::util
