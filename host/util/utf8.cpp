// SPDX-License-Identifier: MIT
#include "util/utf8.hpp"

namespace mgpux::util {

std::optional<std::size_t> utf8_sequence(std::string_view s, std::size_t i, std::uint32_t* cp) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    std::size_t len = 0;
    std::uint32_t value = 0, min = 0;
    if ((c & 0xE0) == 0xC0) len = 2, value = c & 0x1Fu, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, value = c & 0x0Fu, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, value = c & 0x07u, min = 0x10000;
    else return std::nullopt;
    if (s.size() - i < len) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
        const auto d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xC0) != 0x80) return std::nullopt;
        value = (value << 6) | (d & 0x3Fu);
    }
    if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return std::nullopt;
    *cp = value;
    return len;
}

std::optional<std::size_t> invalid_utf8_offset(std::string_view s) {
    std::uint32_t cp = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto len = utf8_sequence(s, i, &cp);
        if (!len) return i;
        i += *len;
    }
    return std::nullopt;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace mgpux::util
