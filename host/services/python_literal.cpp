// SPDX-License-Identifier: MIT
#include "services/python_literal.hpp"

#include "util/utf8.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <system_error>

#include <boost/json.hpp>

namespace mgpux {
namespace {

constexpr int kMaxDepth = 100;  // well below CPython's parser limit of 200 nested brackets
constexpr char kHex[] = "0123456789abcdef";

void append_hex2(std::string& out, unsigned c) {
    out += "\\x";
    out += kHex[(c >> 4) & 0xF];
    out += kHex[c & 0xF];
}

void append_u4(std::string& out, std::uint32_t cp) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
}

[[noreturn]] void invalid_utf8(std::size_t at) {
    throw LiteralError("invalid UTF-8 in string at byte " + std::to_string(at));
}

void append_string(std::string& out, std::string_view s) {
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case 0x00: throw LiteralError("NUL character not allowed in a string");
                case '\\': out += "\\\\"; break;
                case '"': out += "\\\""; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (c < 0x20 || c == 0x7F) {
                        append_hex2(out, c);
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        // Multi-byte sequence: validate strictly (no overlongs, no surrogates, nothing above U+10FFFF).
        std::uint32_t cp = 0;
        const auto seq = util::utf8_sequence(s, i, &cp);
        if (!seq) invalid_utf8(i);
        const std::size_t len = *seq;
        if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
            append_u4(out, cp);  // line breaks for some tools; keep them out of the source text
        } else {
            out.append(s.data() + i, len);
        }
        i += len;
    }
    out += '"';
}

void append_double(std::string& out, double d) {
    if (!std::isfinite(d)) throw LiteralError("non-finite number not allowed");
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, d);
    if (res.ec != std::errc()) throw LiteralError("cannot format number");
    const std::string_view text(buf, static_cast<std::size_t>(res.ptr - buf));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void append_value(std::string& out, const boost::json::value& v, int depth) {
    switch (v.kind()) {
        case boost::json::kind::null: out += "None"; return;
        case boost::json::kind::bool_: out += v.get_bool() ? "True" : "False"; return;
        case boost::json::kind::int64: out += std::to_string(v.get_int64()); return;
        case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); return;
        case boost::json::kind::double_: append_double(out, v.get_double()); return;
        case boost::json::kind::string: {
            const auto& s = v.get_string();
            append_string(out, std::string_view(s.data(), s.size()));
            return;
        }
        case boost::json::kind::array: {
            if (depth >= kMaxDepth) throw LiteralError("value nested too deeply");
            out += '[';
            bool first = true;
            for (const auto& item : v.get_array()) {
                if (!first) out += ", ";
                first = false;
                append_value(out, item, depth + 1);
            }
            out += ']';
            return;
        }
        case boost::json::kind::object: {
            if (depth >= kMaxDepth) throw LiteralError("value nested too deeply");
            out += '{';
            bool first = true;
            for (const auto& kv : v.get_object()) {
                if (!first) out += ", ";
                first = false;
                const auto key = kv.key();
                append_string(out, std::string_view(key.data(), key.size()));
                out += ": ";
                append_value(out, kv.value(), depth + 1);
            }
            out += '}';
            return;
        }
    }
    throw LiteralError("unknown JSON kind");
}

}  // namespace

std::string render_python_literal(const boost::json::value& v) {
    std::string out;
    append_value(out, v, 0);
    return out;
}

}  // namespace mgpux
